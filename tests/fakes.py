"""In-memory fakes of the ports, for fast unit tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.complaint import AccessEvent, Complaint, HistoryEvent
from chalicelib.domain.dashboard import DashboardReading, OpenComplaint, Receipt
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    DeliveryFailed,
    IdempotencyKeyTaken,
    TrackingCodeCollision,
)
from chalicelib.domain.lifecycle import Status, is_open
from chalicelib.domain.lookup import ContactKind, normalised
from chalicelib.domain.periods import local_day
from chalicelib.domain.policy import Category, Market, Priority
from chalicelib.domain.public import StatusSnapshot
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.views import ComplaintSummary, stamp
from chalicelib.services.ports import Delivery, IdempotencyRecord, QueueSlice


@dataclass
class FakeRepository:
    """Keeps everything in dictionaries and counts the calls, like a store would be charged."""

    complaints: dict[str, Complaint] = field(default_factory=dict)
    events: dict[str, list[HistoryEvent]] = field(default_factory=dict)
    keys: dict[str, IdempotencyRecord] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    change_failures: list[Exception] = field(default_factory=list)
    accesses: dict[str, list[AccessEvent]] = field(default_factory=dict)
    proofs: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    def fail_next_changes(self, *errors: Exception) -> None:
        """The next changes fail with these errors; a ConcurrentUpdate is another writer's change."""
        self.change_failures.extend(errors)

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
        self.events.setdefault(complaint.tracking_code, []).append(event)

    def status(self, tracking_code: str) -> StatusSnapshot | None:
        self.calls.append("status")
        complaint = self.complaints.get(tracking_code)
        return StatusSnapshot.of(complaint) if complaint else None

    def idempotency(self, key: str, now: datetime) -> IdempotencyRecord | None:
        self.calls.append("idempotency")
        record = self.keys.get(key)
        return record if record and record.expires_at > now else None

    def get(self, tracking_code: str) -> Complaint | None:
        self.calls.append("get")
        return self.complaints.get(tracking_code)

    def decode(self, image: dict[str, Any]) -> Complaint:
        raise NotImplementedError("the fake keeps domain objects; stream images are an adapter concern")

    def apply_change(self, before: Complaint, after: Complaint, event: HistoryEvent) -> None:
        self.calls.append("apply_change")
        if self.change_failures:
            error = self.change_failures.pop(0)
            if isinstance(error, ConcurrentUpdate):
                current = self.complaints[before.tracking_code]
                self.complaints[before.tracking_code] = replace(current, version=current.version + 1)
            raise error
        current = self.complaints.get(before.tracking_code)
        if current is None or current.version != before.version:
            raise ConcurrentUpdate(before.tracking_code)
        assert after.version == before.version + 1 == event.seq
        self.complaints[after.tracking_code] = after
        self.events.setdefault(after.tracking_code, []).append(event)

    def history(self, tracking_code: str) -> tuple[list[HistoryEvent], list[AccessEvent]]:
        self.calls.append("history")
        return list(self.events.get(tracking_code, [])), list(self.accesses.get(tracking_code, []))

    def record_access(self, event: AccessEvent) -> None:
        self.calls.append("record_access")
        self.accesses.setdefault(event.tracking_code, []).append(event)

    def failed_proofs(self, tracking_code: str, now: datetime) -> int:
        self.calls.append("failed_proofs")
        count, expires = self.proofs.get(tracking_code, (0, now))
        return count if expires > now else 0

    def count_failed_proof(self, tracking_code: str, now: datetime, window: timedelta) -> int:
        self.calls.append("count_failed_proof")
        count, expires = self.proofs.get(tracking_code, (0, now))
        self.proofs[tracking_code] = (count + 1, expires) if expires > now else (1, now + window)
        return self.proofs[tracking_code][0]

    def queue_slice(
        self,
        market: Market,
        department: str | None,
        status: Status,
        *,
        limit: int,
        due_before: datetime | None = None,
        priority: Priority | None = None,
        category: Category | None = None,
        start: dict[str, Any] | None = None,
    ) -> QueueSlice:
        """Like the by-queue index: one partition in due order; `limit` counts items read, before filters."""
        self.calls.append("queue_slice")
        partition = sorted(
            (
                c
                for c in self.complaints.values()
                if is_open(c.status)
                and c.market is market
                and c.department == department
                and c.status is status
                and (due_before is None or c.expected_response_by < due_before)
            ),
            key=lambda c: (c.expected_response_by, c.tracking_code),
        )
        if start is not None:
            after = (start["due_at"]["S"], start["tracking_code"]["S"])
            partition = [c for c in partition if (stamp(c.expected_response_by), c.tracking_code) > after]
        read = partition[:limit]
        items = [
            ComplaintSummary.of(c)
            for c in read
            if (priority is None or c.priority is priority) and (category is None or c.category is category)
        ]
        more = len(partition) > limit
        last = read[-1] if read and more else None
        next_key = None
        if last is not None:
            next_key = {
                "tracking_code": {"S": last.tracking_code},
                "queue_key": {"S": f"QUEUE#{market.value}#{department or 'UNASSIGNED'}#{status.value}"},
                "due_at": {"S": stamp(last.expected_response_by)},
            }
        return QueueSlice(items, next_key)

    def find_by_contact(self, kind: ContactKind, value: str) -> list[ComplaintSummary]:
        self.calls.append("find_by_contact")
        wanted = normalised(kind, value)
        found = [
            c
            for c in self.complaints.values()
            if (getattr(c.personal.contact, kind.value) or "")
            and normalised(kind, getattr(c.personal.contact, kind.value)) == wanted
        ]
        return [ComplaintSummary.of(c) for c in sorted(found, key=lambda c: c.received_at, reverse=True)]


@dataclass
class FakeSender:
    """Records what it sends; fails on demand: `fail_next(permanent, times)`."""

    channel: str = "sms"
    provider: str = "fake"
    sent: list[tuple[str, ...]] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)
    _failures: list[bool] = field(default_factory=list)

    def fail_next(self, *, permanent: bool, times: int = 1) -> None:
        self._failures.extend([permanent] * times)

    def _deliver(self, *parts: str) -> Delivery:
        if self._failures:
            raise DeliveryFailed("the provider said no", permanent=self._failures.pop(0))
        self.sent.append(parts)
        return Delivery(self.channel, self.provider, f"{self.provider}-{len(self.sent)}")

    def send_sms(self, to: str, body: str, *, key: str | None = None) -> Delivery:
        self.keys.append(key)
        return self._deliver(to, body)

    def send_mail(self, to: str, subject: str, body: str) -> Delivery:
        return self._deliver(to, subject, body)

    def publish(self, topic: str, message: dict[str, Any], attributes: dict[str, str]) -> Delivery:
        return self._deliver(
            topic, json.dumps(message, sort_keys=True), json.dumps(attributes, sort_keys=True)
        )


@dataclass
class FakeQueue:
    """Keeps the codes it is given; refuses the ones in `refuse`."""

    sent: list[str] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def send(self, tracking_codes: list[str]) -> list[str]:
        self.sent.extend(code for code in tracking_codes if code not in self.refuse)
        return [code for code in tracking_codes if code in self.refuse]


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


@dataclass
class FakeDashboardSource:
    """The fake repository as the dashboard reads it: a market's open complaints, a local day's receipts."""

    repository: FakeRepository
    clock: FixedClock
    reads: list[tuple[Market, date]] = field(default_factory=list)

    def read(self, market: Market, day: date) -> DashboardReading:
        self.reads.append((market, day))
        mine = [c for c in self.repository.complaints.values() if c.market is market]
        return DashboardReading(
            market,
            day,
            self.clock.now(),
            tuple(OpenComplaint.of(c) for c in mine if is_open(c.status)),
            tuple(
                Receipt(c.tracking_code, c.channel, c.received_at)
                for c in mine
                if local_day(market, c.received_at) == day
            ),
        )
