"""The ports through which use cases reach the outside world.

Each port has a real adapter in `chalicelib/adapters/` and a fake in
`tests/fakes.py`; the use cases see only these Protocols.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.complaint import Complaint, HistoryEvent
from chalicelib.domain.public import StatusSnapshot


@dataclass(frozen=True)
class IdempotencyRecord:
    """A client's submission key, the fingerprint of its body and the answer given."""

    key: str
    fingerprint: str
    response: dict[str, Any]
    expires_at: datetime


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


class Clock(Protocol):
    """The current instant, timezone-aware."""

    def now(self) -> datetime: ...


CodeSource = Callable[[], str]
