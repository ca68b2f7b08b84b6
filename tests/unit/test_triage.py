"""Initial assessment: health first, then urgency x importance, on the market's calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.policy import Market, Priority
from chalicelib.domain.triage import assess, mentions_health, response_days, response_deadline
from chalicelib.domain.validation import parse_submission


def triage_of(data: dict[str, Any]) -> Any:
    return assess(parse_submission(data))


def test_a_ticked_health_box_makes_any_complaint_critical(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["category"] = "premium_billing"
    turkish_complaint["health_or_safety"] = True
    triage = triage_of(turkish_complaint)
    assert triage.priority is Priority.CRITICAL
    assert "marked a health or safety concern" in triage.reason


def test_the_health_claim_category_is_critical(persian_complaint: dict[str, Any]) -> None:
    persian_complaint["category"] = "health_claim"
    assert triage_of(persian_complaint).priority is Priority.CRITICAL


@pytest.mark.parametrize(
    "text",
    [
        "پدرم در بيمارستان بستري است و هزینه را نمی‌دهند",  # Arabic yeh, as many keyboards type it
        "پدرم در بیمارستان بستری است",
        "ANNEM YOĞUN BAKIMDA, ödeme yapılmadı",  # Turkish capitals
        "Babam HASTANEYE kaldırıldı",  # suffix on the word, dotted capital I
        "İLAÇ parası ödenmedi",
        "My daughter needs SURGERY next week",
        "Chemotherapy was refused",
    ],
)
def test_health_words_in_any_language_and_casing_make_a_complaint_critical(
    turkish_complaint: dict[str, Any], text: str
) -> None:
    turkish_complaint["category"] = "service_quality"
    turkish_complaint["description"] = text
    triage = triage_of(turkish_complaint)
    assert triage.priority is Priority.CRITICAL
    assert triage.health_or_safety


@pytest.mark.parametrize(
    "text",
    [
        "Trafik kazası sonrası aracımın hasarı ödenmedi",  # a road accident, nobody hurt
        "My bill was wrong twice this year",  # 'ill' inside 'bill'
        "بیمه نامه من دیر صادر شد",  # insurance, not illness
        "Acil olarak geri dönüş bekliyorum, poliçem iptal edildi",  # 'urgent', not an emergency
    ],
)
def test_ordinary_words_that_resemble_health_words_do_not_raise_an_alarm(text: str) -> None:
    assert not mentions_health(text)


def test_priority_follows_urgency_and_importance_of_the_category(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["category"] = "claim_decision"
    assert triage_of(turkish_complaint).priority is Priority.HIGH
    turkish_complaint["category"] = "service_quality"
    assert triage_of(turkish_complaint).priority is Priority.LOW


def test_an_inquiry_is_less_important_than_a_complaint_of_the_same_category(
    turkish_complaint: dict[str, Any],
) -> None:
    turkish_complaint["category"] = "policy_issuance"
    complaint = triage_of(turkish_complaint)
    turkish_complaint["kind"] = "inquiry"
    inquiry = triage_of(turkish_complaint)
    assert (complaint.priority, inquiry.priority) == (Priority.MEDIUM, Priority.LOW)


def test_turkish_complaints_are_never_given_more_than_fifteen_business_days() -> None:
    for priority in Priority:
        assert response_days(Market.TR, priority) <= 15


def test_a_critical_turkish_complaint_on_friday_night_is_due_at_monday_close() -> None:
    friday_night = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 23:00 in Istanbul
    due = response_deadline(Market.TR, Priority.CRITICAL, friday_night)
    assert due == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 18:00 in Istanbul


def test_an_iranian_deadline_skips_the_friday_weekend() -> None:
    wednesday = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)  # 11:30 in Tehran
    due = response_deadline(Market.IR, Priority.CRITICAL, wednesday)
    assert due.date().isoformat() == "2026-11-19"  # Thursday, a half day
    due_two = response_deadline(Market.IR, Priority.HIGH, wednesday)
    assert due_two.astimezone(UTC).weekday() != 4  # never a Friday
