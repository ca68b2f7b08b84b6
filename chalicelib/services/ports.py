"""The ports through which use cases reach the outside world.

Each port has a real adapter in `chalicelib/adapters/` and a fake in
`tests/fakes.py`; the use cases see only these Protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any, Protocol

from chalicelib.domain.complaint import AccessEvent, Complaint, HistoryEvent
from chalicelib.domain.dashboard import DashboardReading
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.lookup import ContactKind
from chalicelib.domain.policy import Category, Market, Priority
from chalicelib.domain.public import StatusSnapshot
from chalicelib.domain.reports import ReportRow
from chalicelib.domain.views import ComplaintSummary


@dataclass(frozen=True)
class IdempotencyRecord:
    """A client's submission key, the fingerprint of its body and the answer given."""

    key: str
    fingerprint: str
    response: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class QueueSlice:
    """One read of one queue partition: the complaints, and where the next read starts (None: the end)."""

    items: list[ComplaintSummary]
    next_key: dict[str, Any] | None


class ComplaintRepository(Protocol):
    """Where complaints and their history are kept."""

    def add(self, complaint: Complaint, event: HistoryEvent, idempotency: IdempotencyRecord | None) -> None:
        """Record a new complaint, its first event and the idempotency key in one write.

        Raises TrackingCodeCollision when the code is taken and
        IdempotencyKeyTaken when the key is; then nothing is written.
        """

    def status(self, tracking_code: str) -> StatusSnapshot | None:
        """The public part of one complaint, in one read, or None."""

    def idempotency(self, key: str, now: datetime) -> IdempotencyRecord | None:
        """The unexpired record of an idempotency key, or None."""

    def get(self, tracking_code: str) -> Complaint | None:
        """The whole complaint, as last written, or None."""

    def decode(self, image: dict[str, Any]) -> Complaint:
        """The complaint in an image of the table's stream."""

    def apply_change(self, before: Complaint, after: Complaint, event: HistoryEvent) -> None:
        """Write `after` and its history event in one write, if the complaint is still `before`.

        Raises ConcurrentUpdate when someone changed it first; nothing is written then.
        """

    def history(self, tracking_code: str) -> tuple[list[HistoryEvent], list[AccessEvent]]:
        """Every change of the complaint in order, and every staff read of its personal data."""
        ...

    def record_access(self, event: AccessEvent) -> None:
        """Append a staff read of personal data to the history."""

    def failed_proofs(self, tracking_code: str, now: datetime) -> int:
        """How many wrong proofs (mobile digits, e-mail) were given for this complaint lately."""
        ...

    def count_failed_proof(self, tracking_code: str, now: datetime, window: timedelta) -> int:
        """Count one more wrong proof; the count lasts `window` from the first. The new count."""
        ...

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
        """Up to `limit` open complaints of one department and state, soonest due first, from `start`."""
        ...

    def find_by_contact(self, kind: ContactKind, value: str) -> list[ComplaintSummary]:
        """The complaints whose complainant gave this mobile number or e-mail address, newest first."""
        ...


@dataclass(frozen=True)
class Delivery:
    """A message a provider accepted: by which channel and provider, under which id."""

    channel: str  # "sms" or "email"
    provider: str  # "sns", "http-gateway" or "ses"
    message_id: str


class SmsSender(Protocol):
    """Sends one transactional SMS."""

    def send_sms(self, to: str, body: str, *, key: str | None = None) -> Delivery:
        """Send `body` to the E.164 number `to`; DeliveryFailed if the provider refuses.

        `key` is the same for every attempt at one message, so that a provider
        that de-duplicates can recognise a retry of a message it already took.
        """
        ...


class MailSender(Protocol):
    """Sends one plain-text e-mail."""

    def send_mail(self, to: str, subject: str, body: str) -> Delivery:
        """Send a message to `to`; DeliveryFailed if the provider refuses."""
        ...


class TopicPublisher(Protocol):
    """Publishes staff notifications to the department and supervisor topics."""

    def publish(self, topic: str, message: dict[str, Any], attributes: dict[str, str]) -> Delivery:
        """Publish to "department" or "supervisor"; DeliveryFailed if SNS refuses."""
        ...


class RoutingQueue(Protocol):
    """Carries new complaints to the router."""

    def send(self, tracking_codes: list[str]) -> list[str]:
        """Enqueue one message per code, in as few requests as possible; the codes not taken."""
        ...


class StreamReader(Protocol):
    """Reads back the records of the complaints table's stream."""

    def tracking_codes(self, stream_arn: str, shard_id: str, first: str, last: str) -> list[str]:
        """The tracking codes of the records from sequence number `first` to `last`."""
        ...


class Clock(Protocol):
    """The current instant, timezone-aware."""

    def now(self) -> datetime: ...


CodeSource = Callable[[], str]


class CsvSink(Protocol):
    """A CSV file being written row by row."""

    def write_row(self, cells: Sequence[str | int | float | None]) -> None:
        """Append one row; text is neutralised against formulas, None is an empty cell."""


class ReportStore(Protocol):
    """Where period reports are kept (the report bucket): write, list, link."""

    def csv(self, key: str) -> AbstractContextManager[CsvSink]:
        """A CSV written row by row; whole on a clean exit, absent after an error."""

    def put(self, key: str, body: bytes | IO[bytes], content_type: str) -> None:
        """Write (or rewrite) one file."""

    def list(self, prefix: str) -> list[StoredFile]:
        """Every file under `prefix`, in key order."""

    def link(self, key: str, expires_seconds: int) -> str:
        """A short-lived link that downloads the file."""

    def exists(self, key: str) -> bool:
        """Whether the file has been written."""


@dataclass(frozen=True)
class StoredFile:
    """One file of the report store."""

    key: str
    size: int
    last_modified: datetime


class ReportSource(Protocol):
    """Complaints as reports see them, read from the day index without personal data."""

    @property
    def shards(self) -> int:
        """How many partitions each day of the day index is split into."""

    def day_rows(self, market: Market, day: date, shard: int, now: datetime) -> list[ReportRow]:
        """The report rows of one shard of one local day of a market, oldest first, read at `now`."""


class ReportRequests(Protocol):
    """Reports asked for on demand, built later by the report function."""

    def request(self, market: Market, kind: str, day: date, requested_by: str) -> None:
        """Ask for the report of the period of `kind` that holds `day`."""


class DashboardSource(Protocol):
    """One market's open complaints and a local day's receipts, from the indexes, without personal data."""

    def read(self, market: Market, day: date) -> DashboardReading:
        """Every open complaint of the market, and the complaints it received on `day` (its local date)."""
        ...
