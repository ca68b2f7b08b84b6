"""What the complainant is sent while the complaint is handled: requests, decisions, the survey."""

from __future__ import annotations

import pytest

from chalicelib.domain.messages import HandlingMessage, Mail, handling_message
from chalicelib.domain.policy import Language, Market

CODE = "7K3M-9XQ2-HT4W-R8"
SITE = "https://sikayet.example"
K = HandlingMessage


def message(
    kind: HandlingMessage,
    language: Language,
    market: Market = Market.TR,
    *,
    text: str = "",
    outcome: str | None = None,
    base_url: str = "",
) -> Mail:
    return handling_message(
        kind, language, market, code=CODE, message=text, outcome=outcome, base_url=base_url
    )


# --- every kind in every language ---------------------------------------------------------------


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(HandlingMessage))
def test_every_message_names_the_code_in_subject_and_body(kind: HandlingMessage, language: Language) -> None:
    mail = message(kind, language, text="x", outcome="upheld")
    assert CODE in mail.subject
    assert CODE in mail.body
    assert mail.body == mail.body.strip()
    assert "{" not in mail.subject + mail.body  # every placeholder was filled


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        (
            Language.EN,
            f"We need information about your complaint {CODE}",
            f"About your complaint {CODE}: Please send the repair invoice. "
            "Please reply on our complaints page with your tracking code.",
        ),
        (
            Language.TR,
            f"Başvurunuz için bilgi talebi: {CODE}",
            f"{CODE} sayılı başvurunuz: Please send the repair invoice. "
            "Yanıtınızı takip no ile başvuru sayfamızdan iletin.",
        ),
        (
            Language.FA,
            f"درخواست اطلاعات درباره شکایت {CODE}",
            f"درباره شکایت {CODE}:\nPlease send the repair invoice.\n"
            "پاسخ خود را با همین کد در صفحه شکایات بفرستید.",
        ),
    ],
)
def test_an_information_request_carries_the_handlers_question(
    language: Language, subject: str, body: str
) -> None:
    mail = message(K.INFORMATION_REQUEST, language, text="  Please send the repair invoice.\n")
    assert mail == Mail(subject, body)


def test_persian_turkish_and_emoji_text_is_carried_as_written() -> None:
    text = "لطفاً فاکتور تعمیر را بفرستید 🙏 — İZMİR ılık"
    for language in Language:
        assert text in message(K.INFORMATION_REQUEST, language, text=text).body


# --- decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "outcome", "words"),
    [
        (Language.EN, "upheld", "was upheld."),
        (Language.EN, "partly_upheld", "was partly upheld."),
        (Language.EN, "rejected", "was not upheld."),
        (Language.TR, "upheld", "başvurunuz kabul edildi."),
        (Language.TR, "partly_upheld", "başvurunuz kısmen kabul edildi."),
        (Language.TR, "rejected", "başvurunuz kabul edilmedi."),
        (Language.FA, "upheld", ": پذیرفته شد."),
        (Language.FA, "partly_upheld", ": بخشی از آن پذیرفته شد."),
        (Language.FA, "rejected", ": پذیرفته نشد."),
    ],
)
def test_the_outcome_is_told_in_the_complainants_language(
    language: Language, outcome: str, words: str
) -> None:
    assert words in message(K.DECISION, language, outcome=outcome).body


RECOURSE: dict[tuple[Language, Market], str] = {
    (Language.EN, Market.TR): "Insurance Arbitration Commission (Sigorta Tahkim Komisyonu)",
    (Language.TR, Market.TR): "Sigorta Tahkim Komisyonu'na başvurabilirsiniz",
    (Language.FA, Market.TR): "Sigorta Tahkim Komisyonu",
    (Language.EN, Market.IR): "Central Insurance of Iran",
    (Language.TR, Market.IR): "İran Merkez Sigorta Kurumu",
    (Language.FA, Market.IR): "بیمه مرکزی جمهوری اسلامی ایران",
}


@pytest.mark.parametrize(("language", "market"), list(RECOURSE))
@pytest.mark.parametrize("outcome", ["rejected", "partly_upheld"])
def test_a_rejected_or_partly_upheld_decision_names_the_external_recourse(
    language: Language, market: Market, outcome: str
) -> None:
    body = message(K.DECISION, language, market, text="Gerekçe ektedir.", outcome=outcome).body
    assert RECOURSE[(language, market)] in body
    assert body.index("Gerekçe ektedir.") < body.index(RECOURSE[(language, market)])  # the reasons first


@pytest.mark.parametrize(("language", "market"), list(RECOURSE))
def test_an_upheld_decision_names_no_recourse(language: Language, market: Market) -> None:
    body = message(K.DECISION, language, market, outcome="upheld").body
    assert not any(recourse in body for recourse in RECOURSE.values())
    assert "Tahkim" not in body
    assert "Arbitration" not in body


@pytest.mark.parametrize("kind", [K.INFORMATION_REQUEST, K.SURVEY])
@pytest.mark.parametrize("outcome", ["rejected", "partly_upheld"])
def test_only_a_decision_names_the_recourse(kind: HandlingMessage, outcome: str) -> None:
    body = message(kind, Language.EN, Market.TR, outcome=outcome).body
    assert "Arbitration" not in body


def test_the_iranian_recourse_in_english_is_the_regulator_not_turkish_arbitration() -> None:
    body = message(K.DECISION, Language.EN, Market.IR, outcome="rejected").body
    assert "Central Insurance of Iran" in body
    assert "Tahkim" not in body


# --- braces in staff text -----------------------------------------------------------------------


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(HandlingMessage))
def test_braces_in_what_staff_wrote_are_inserted_literally(kind: HandlingMessage, language: Language) -> None:
    text = "Dosya {code} ile {message}, {outcome} {0} {} {{x}} {link} {recourse} {code!r:>9}"
    mail = message(kind, language, text=text, outcome="rejected", base_url=SITE)
    if kind is not K.SURVEY:  # the survey carries no message of the handler's
        assert text in mail.body
    assert mail.body.count(CODE) == 1


def test_a_message_that_looks_like_a_format_spec_does_not_break_the_template() -> None:
    mail = message(K.DECISION, Language.EN, text="{0:{1}} %s %(x)s \\n", outcome="upheld")
    assert mail.body == f"Your complaint {CODE} was upheld. {{0:{{1}}}} %s %(x)s \\n"


# --- links --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(HandlingMessage))
def test_without_a_base_url_there_is_no_link(kind: HandlingMessage, language: Language) -> None:
    body = message(kind, language, text="x", outcome="rejected").body
    assert "http" not in body
    assert "/" not in body.replace(CODE, "")


@pytest.mark.parametrize(
    ("kind", "language", "link"),
    [
        (K.INFORMATION_REQUEST, Language.EN, f"{SITE}/en/reply"),
        (K.INFORMATION_REQUEST, Language.TR, f"{SITE}/tr/reply"),
        (K.INFORMATION_REQUEST, Language.FA, f"{SITE}/fa/reply"),
        (K.SURVEY, Language.EN, f"{SITE}/en/feedback"),
        (K.SURVEY, Language.TR, f"{SITE}/tr/feedback"),
        (K.SURVEY, Language.FA, f"{SITE}/fa/feedback"),
    ],
)
def test_with_a_base_url_the_link_is_the_last_line(
    kind: HandlingMessage, language: Language, link: str
) -> None:
    body = message(kind, language, text="x", base_url=SITE).body
    assert body.endswith("\n" + link)
    assert body.count("http") == 1


@pytest.mark.parametrize("language", list(Language))
def test_a_decision_never_carries_a_link(language: Language) -> None:
    assert "http" not in message(K.DECISION, language, outcome="rejected", base_url=SITE).body


# --- the satisfaction survey --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "scale"),
    [(Language.EN, "from 1 to 5"), (Language.TR, "1-5 arası"), (Language.FA, "از ۱ تا ۵")],
)
def test_the_survey_asks_for_a_rating_from_one_to_five(language: Language, scale: str) -> None:
    mail = message(K.SURVEY, language)
    assert scale in mail.body
    assert CODE in mail.subject
