"""Four digits are guessable: wrong proofs are counted per complaint, and past a limit every attempt waits."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain import commands as c
from chalicelib.domain.errors import TooManyAttempts, VerificationFailed
from chalicelib.domain.handling import handle
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.complainant_responses import MAX_FAILED_PROOFS, reply_to_request
from chalicelib.services.route_complaint import route_complaint
from chalicelib.services.submit_complaint import submit_complaint
from tests.fakes import FakeRepository, FixedClock


def awaiting(repository: FakeRepository, clock: FixedClock, data: dict[str, Any]) -> str:
    receipt = submit_complaint(
        parse_submission(data), repository=repository, clock=clock, new_code=new_tracking_code
    )
    code = str(receipt.body["tracking_code"])
    route_complaint(code, repository=repository, clock=clock)
    before = repository.complaints[code]
    after, event = handle(before, c.RequestInformation("Which branch?"), actor="staff:h", now=clock.now())
    repository.apply_change(before, after, event)
    return code


def test_after_ten_wrong_proofs_even_the_right_one_waits_a_day(turkish_complaint: dict[str, Any]) -> None:
    repository, clock = FakeRepository(), FixedClock()
    code = awaiting(repository, clock, turkish_complaint)
    wrong = {"tracking_code": code, "mobile_last4": "0000", "message": "guess"}
    for _ in range(MAX_FAILED_PROOFS):
        with pytest.raises(VerificationFailed):
            reply_to_request(wrong, repository=repository, clock=clock)
    right = {**wrong, "mobile_last4": "4567", "message": "Kadıköy şubesi"}
    with pytest.raises(TooManyAttempts) as refused:
        reply_to_request(right, repository=repository, clock=clock)
    assert refused.value.retry_after_seconds == 24 * 3600
    assert repository.complaints[code].status.value == "awaiting_complainant"
    clock.advance(hours=25)
    assert reply_to_request(right, repository=repository, clock=clock)["status"] == "investigating"


def test_a_locked_code_answers_429_with_retry_after(
    api: Any, turkish_complaint: dict[str, Any], repository: FakeRepository, clock: FixedClock
) -> None:
    import json

    code = awaiting(repository, clock, turkish_complaint)
    body = json.dumps({"tracking_code": code, "mobile_last4": "9999", "message": "x"})
    headers = {"Content-Type": "application/json"}
    statuses = [
        api.http.post("/replies", headers=headers, body=body).status_code
        for _ in range(MAX_FAILED_PROOFS + 1)
    ]
    assert statuses == [422] * MAX_FAILED_PROOFS + [429]
    answer = api.http.post("/replies", headers=headers, body=body)
    assert answer.headers["Retry-After"] == str(24 * 3600)
    assert json.loads(answer.body)["type"].endswith("too-many-attempts")
