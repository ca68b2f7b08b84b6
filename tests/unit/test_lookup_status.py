"""The public status lookup: one read, the public view only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.errors import ComplaintNotFound, InvalidTrackingCode
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.lookup_status import lookup_status
from chalicelib.services.submit_complaint import submit_complaint
from tests.fakes import FakeRepository, FixedClock


def recorded(data: dict[str, Any], repository: FakeRepository, clock: FixedClock) -> str:
    receipt = submit_complaint(
        parse_submission(data), repository=repository, clock=clock, new_code=new_tracking_code
    )
    return str(receipt.body["tracking_code"])


def test_the_public_view_speaks_the_complaints_language(
    persian_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    code = recorded(persian_complaint, repository, clock)
    view = lookup_status(code, repository=repository)
    assert view["status_label"] == "دریافت شد"
    assert view["milestones"][0]["label"] == "شکایت شما ثبت شد"


def test_the_public_view_holds_no_personal_data_nor_internal_facts(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    code = recorded(turkish_complaint, repository, clock)
    text = json.dumps(lookup_status(code, repository=repository), ensure_ascii=False)
    for secret in ["Ayşe", "532", "example.com", "KSK-2026", "Kasko", "claim_decision", "high", "ödenmesi"]:
        assert secret not in text


def test_a_loosely_typed_code_finds_the_complaint(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    code = recorded(turkish_complaint, repository, clock)
    view = lookup_status(f"  {code.lower().replace('-', ' ')} ", repository=repository)
    assert view["tracking_code"] == code


def test_a_code_with_a_typo_is_refused_before_any_read(repository: FakeRepository) -> None:
    code = new_tracking_code()
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidTrackingCode):
        lookup_status(typo, repository=repository)
    assert repository.calls == []


def test_an_unknown_code_is_not_found_after_exactly_one_read(repository: FakeRepository) -> None:
    with pytest.raises(ComplaintNotFound):
        lookup_status(new_tracking_code(), repository=repository)
    assert repository.calls == ["status"]
