"""In-memory fakes of the ports, for fast unit tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.domain.complaint import Complaint, HistoryEvent
from chalicelib.domain.errors import IdempotencyKeyTaken, TrackingCodeCollision
from chalicelib.domain.public import StatusSnapshot
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.services.ports import IdempotencyRecord


@dataclass
class FakeRepository:
    """Keeps everything in dictionaries and counts the calls, like a store would be charged."""

    complaints: dict[str, Complaint] = field(default_factory=dict)
    history: dict[str, list[HistoryEvent]] = field(default_factory=dict)
    keys: dict[str, IdempotencyRecord] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def add(self, complaint: Complaint, event: HistoryEvent, idempotency: IdempotencyRecord | None) -> None:
        self.calls.append("add")
        if complaint.tracking_code in self.complaints:
            raise TrackingCodeCollision(complaint.tracking_code)
        if idempotency is not None:
            current = self.keys.get(idempotency.key)
            if current is not None and current.expires_at > complaint.received_at:
                raise IdempotencyKeyTaken(idempotency.key)
            self.keys[idempotency.key] = idempotency
        self.complaints[complaint.tracking_code] = complaint
        self.history.setdefault(complaint.tracking_code, []).append(event)

    def status(self, tracking_code: str) -> StatusSnapshot | None:
        self.calls.append("status")
        complaint = self.complaints.get(tracking_code)
        return StatusSnapshot.of(complaint) if complaint else None

    def idempotency(self, key: str, now: datetime) -> IdempotencyRecord | None:
        self.calls.append("idempotency")
        record = self.keys.get(key)
        return record if record and record.expires_at > now else None


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    moment: datetime = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # a Monday morning

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


class ScriptedCodes:
    """Hands out given codes first (to force collisions), then fresh ones."""

    def __init__(self, *codes: str) -> None:
        self._codes: Iterator[str] = itertools.chain(codes, iter(new_tracking_code, None))

    def __call__(self) -> str:
        return next(self._codes)
