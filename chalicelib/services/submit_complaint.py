"""Record a complaint: the first step of ISO 10002 (7.2 receipt, 7.5 assessment).

One submission becomes one complaint, whatever the network does: a client
that sends the same Idempotency-Key and body again gets the first answer back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.complaint import (
    Complaint,
    HistoryEvent,
    Milestone,
    MilestoneCode,
    Submission,
    Triage,
)
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    IdempotencyConflict,
    IdempotencyKeyTaken,
    StorageUnavailable,
    TrackingCodeCollision,
)
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.public import iso
from chalicelib.domain.triage import assess, response_deadline
from chalicelib.services.ports import Clock, CodeSource, ComplaintRepository, IdempotencyRecord

#: Fresh codes tried before giving up; with 65 random bits a second is already rare.
CODE_ATTEMPTS = 3


@dataclass(frozen=True)
class IdempotencyRequest:
    """A client's key for one submission and the fingerprint of what it sent."""

    key: str
    fingerprint: str
    ttl: timedelta


@dataclass(frozen=True)
class Receipt:
    """What the complainant is told at once, and whether it was a replay."""

    body: dict[str, Any]
    replayed: bool = False


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A digest of a request body that does not depend on key order or spacing."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def received(submission: Submission, triage: Triage, code: str, at: datetime) -> Complaint:
    """A complaint as intake records it: received at `at`, triaged, due by its market's deadline."""
    return Complaint(
        tracking_code=code,
        market=submission.market,
        language=submission.language,
        channel=submission.channel,
        social_network=submission.social_network,
        kind=submission.kind,
        category=submission.category,
        received_at=at,
        personal=submission.personal,
        consent=submission.consent,
        triage=triage,
        status=Status.RECEIVED,
        expected_response_by=response_deadline(submission.market, triage.priority, at),
        updated_at=at,
        milestones=(Milestone(MilestoneCode.RECEIVED, at),),
        received_by=submission.received_by,
    )


def submit_complaint(
    submission: Submission,
    *,
    repository: ComplaintRepository,
    clock: Clock,
    new_code: CodeSource,
    idempotency: IdempotencyRequest | None = None,
) -> Receipt:
    """Record the complaint with a fresh tracking code and say when it will be answered."""
    now = clock.now()
    triage = assess(submission)
    for _ in range(CODE_ATTEMPTS):
        complaint = received(submission, triage, new_code(), now)
        body = _receipt(complaint)
        record = None
        if idempotency is not None:
            record = IdempotencyRecord(idempotency.key, idempotency.fingerprint, body, now + idempotency.ttl)
        try:
            repository.add(complaint, _received_event(complaint), record)
            return Receipt(body)
        except TrackingCodeCollision:
            continue
        except IdempotencyKeyTaken:
            assert idempotency is not None
            return _replay(repository, idempotency, clock)
    raise StorageUnavailable("could not find a free tracking code")


def _receipt(complaint: Complaint) -> dict[str, Any]:
    return {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status.value,
        "received_at": iso(complaint.received_at),
        "expected_response_by": iso(complaint.expected_response_by),
    }


def _received_event(complaint: Complaint) -> HistoryEvent:
    return HistoryEvent(
        tracking_code=complaint.tracking_code,
        seq=complaint.version,
        at=complaint.received_at,
        actor=f"staff:{complaint.received_by}" if complaint.received_by else "public",
        action="submit",
        from_status=None,
        to_status=complaint.status,
        public=True,
        details={
            "channel": complaint.channel.value,
            "priority": complaint.priority.value,
            "triage": complaint.triage.reason,
        },
    )


def _replay(repository: ComplaintRepository, request: IdempotencyRequest, clock: Clock) -> Receipt:
    record = repository.idempotency(request.key, clock.now())
    if record is None:
        # The key's record expired between our write and this read: let the client retry.
        raise ConcurrentUpdate("the idempotency key is being reused; retry the request")
    if record.fingerprint != request.fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was already used with a different request body")
    return Receipt(record.response, replayed=True)
