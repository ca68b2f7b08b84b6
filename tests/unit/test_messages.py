"""What the complainant is sent: one SMS segment in every language, no links."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from chalicelib.domain.messages import MessageKind, local_date, mail_text, sms_text
from chalicelib.domain.policy import Language, Market
from chalicelib.domain.sms import segments

# The widest tracking code (every symbol a wide letter) and the longest dates.
LONGEST_CODE = "WWWW-WWWW-WWWW-WW"
LONGEST_DATES = [datetime(2026, 12, 31, 20, tzinfo=UTC), datetime(2027, 9, 30, 12, tzinfo=UTC)]
EVERY_CASE = [(kind, language, market) for kind in MessageKind for language in Language for market in Market]


@pytest.mark.parametrize(("kind", "language", "market"), EVERY_CASE)
def test_every_sms_fits_one_segment_with_the_longest_values(
    kind: MessageKind, language: Language, market: Market
) -> None:
    for due in LONGEST_DATES:
        text = sms_text(kind, language, code=LONGEST_CODE, due=due, market=market)
        assert segments(text).count == 1, (segments(text), text)


@pytest.mark.parametrize(("kind", "language", "market"), EVERY_CASE)
def test_no_sms_carries_a_link(kind: MessageKind, language: Language, market: Market) -> None:
    text = sms_text(kind, language, code=LONGEST_CODE, due=LONGEST_DATES[0], market=market)
    assert not re.search(r"https?://|www\.|\.com\b", text)
    assert LONGEST_CODE in text


def test_a_persian_acknowledgement_gives_the_jalali_date_in_persian_digits() -> None:
    due = datetime(2026, 11, 27, 12, 30, tzinfo=UTC)  # Friday 27 November 2026 = 6 Azar 1405
    text = sms_text(MessageKind.ACKNOWLEDGEMENT, Language.FA, code=LONGEST_CODE, due=due, market=Market.IR)
    assert "۱۴۰۵/۰۹/۰۶" in text


def test_dates_are_read_in_the_markets_time_zone() -> None:
    late = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # already the 28th in Istanbul and Tehran
    assert local_date(late, Market.TR, Language.TR) == "28.11.2026"
    assert local_date(late, Market.TR, Language.EN) == "28 Nov 2026"


def test_turkish_and_persian_texts_are_sent_as_ucs2_and_english_as_gsm7() -> None:
    due = LONGEST_DATES[0]
    encodings = {
        language: segments(
            sms_text(MessageKind.ACKNOWLEDGEMENT, language, code=LONGEST_CODE, due=due, market=Market.TR)
        ).encoding
        for language in Language
    }
    assert encodings == {Language.FA: "UCS-2", Language.TR: "UCS-2", Language.EN: "GSM-7"}


def test_segment_counting_follows_the_gsm_and_ucs2_limits() -> None:
    assert segments("a" * 160).count == 1
    assert segments("a" * 161).count == 2
    assert segments("€" * 80).count == 1  # an extension character counts twice
    assert segments("ş" * 70).count == 1
    assert segments("ş" * 71).count == 2
    assert segments("😀" * 35).count == 1  # an emoji is two UTF-16 units
    assert segments("ş" * 134).count == 2  # 67 a segment once split
    assert segments("ş" * 135).count == 3


def test_an_acknowledgement_mail_has_a_subject_and_the_code_in_both_parts() -> None:
    mail = mail_text(
        MessageKind.ACKNOWLEDGEMENT, Language.TR, code=LONGEST_CODE, due=LONGEST_DATES[0], market=Market.TR
    )
    assert LONGEST_CODE in mail.subject
    assert LONGEST_CODE in mail.body
    assert "31.12.2026" in mail.body
