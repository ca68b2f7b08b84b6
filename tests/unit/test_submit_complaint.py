"""Recording a complaint: one complaint per submission, whatever the network does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import IdempotencyConflict, StorageUnavailable
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import Priority
from chalicelib.domain.tracking import is_valid_tracking_code, new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.submit_complaint import (
    IdempotencyRequest,
    fingerprint,
    submit_complaint,
)
from tests.fakes import FakeRepository, FixedClock, ScriptedCodes


def submit(data: dict[str, Any], repository: FakeRepository, clock: FixedClock, **kwargs: Any) -> Any:
    return submit_complaint(
        parse_submission(data),
        repository=repository,
        clock=clock,
        new_code=kwargs.pop("codes", new_tracking_code),
        **kwargs,
    )


def test_a_submission_becomes_a_received_complaint_with_a_valid_code(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    receipt = submit(turkish_complaint, repository, clock)
    code = receipt.body["tracking_code"]
    assert is_valid_tracking_code(code)
    complaint = repository.complaints[code]
    assert complaint.status is Status.RECEIVED
    assert complaint.priority is Priority.HIGH
    assert [m.code.value for m in complaint.milestones] == ["received"]
    assert receipt.body == {
        "tracking_code": code,
        "status": "received",
        "received_at": "2026-11-23T07:30:00Z",
        "expected_response_by": "2026-11-30T15:00:00Z",  # 5 business days, 18:00 Istanbul
    }


def test_the_first_history_event_is_written_with_the_complaint(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    code = submit(turkish_complaint, repository, clock).body["tracking_code"]
    (event,) = repository.events[code]
    assert (event.seq, event.action, event.from_status, event.to_status) == (
        1,
        "submit",
        None,
        Status.RECEIVED,
    )
    assert event.public
    assert "Ayşe" not in str(event.details)  # the audit trail's details carry no personal data


def test_a_taken_tracking_code_is_replaced_by_a_fresh_one(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    taken = submit(turkish_complaint, repository, clock).body["tracking_code"]
    receipt = submit(turkish_complaint, repository, clock, codes=ScriptedCodes(taken))
    assert receipt.body["tracking_code"] != taken
    assert len(repository.complaints) == 2


def test_it_gives_up_after_three_taken_codes(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    taken = submit(turkish_complaint, repository, clock).body["tracking_code"]
    with pytest.raises(StorageUnavailable):
        submit(turkish_complaint, repository, clock, codes=ScriptedCodes(taken, taken, taken))


def test_the_same_key_and_body_return_the_first_receipt_and_record_nothing_new(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    key = IdempotencyRequest("k-1", fingerprint(turkish_complaint), timedelta(hours=24))
    first = submit(turkish_complaint, repository, clock, idempotency=key)
    clock.advance(minutes=5)
    again = submit(turkish_complaint, repository, clock, idempotency=key)
    assert again.body == first.body
    assert again.replayed
    assert not first.replayed
    assert len(repository.complaints) == 1


def test_the_same_key_with_another_body_is_refused(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    submit(
        turkish_complaint, repository, clock, idempotency=IdempotencyRequest("k-2", "aaa", timedelta(hours=1))
    )
    with pytest.raises(IdempotencyConflict):
        submit(
            turkish_complaint,
            repository,
            clock,
            idempotency=IdempotencyRequest("k-2", "bbb", timedelta(hours=1)),
        )
    assert len(repository.complaints) == 1


def test_an_expired_key_may_be_used_again(
    turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    key = IdempotencyRequest("k-3", "aaa", timedelta(hours=1))
    submit(turkish_complaint, repository, clock, idempotency=key)
    clock.advance(hours=2)
    submit(turkish_complaint, repository, clock, idempotency=key)
    assert len(repository.complaints) == 2


def test_the_fingerprint_ignores_key_order_but_not_content() -> None:
    assert fingerprint({"a": 1, "b": "ş"}) == fingerprint({"b": "ş", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
    assert fingerprint({"a": "\ud800"})  # a lone surrogate does not crash it
