"""The stream of the complaints table: acknowledge, alert and route each new complaint.

Records arrive at least once and in batches. Each record's work is
idempotent, and only the records that failed are reported back, so that a
retry repeats no message and loses none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.domain.errors import ComplaintDeskError
from chalicelib.services.dispatch import Change, Dispatcher, intents_for
from chalicelib.services.ports import RoutingQueue

log = logging.getLogger("complaintdesk.pipeline")


@dataclass(frozen=True)
class ChangeRecord:
    """A stream record: its id for failure reports, and the change it carries."""

    record_id: str
    change: Change


#: A record is not started with less time than this left: one SMS may take 15 s.
MIN_SECONDS_PER_RECORD = 8.0


def process_changes(
    records: Sequence[ChangeRecord],
    *,
    dispatcher: Dispatcher,
    queue: RoutingQueue,
    time_left: Callable[[], float] = lambda: float("inf"),
) -> list[str]:
    """Handle a batch; the ids of the records that must be retried.

    Records left when the invocation's time runs short are not started, and
    are reported for retry, rather than cut off half way.
    """
    failed: list[str] = []
    to_route: dict[str, str] = {}
    for index, record in enumerate(records):
        if time_left() < MIN_SECONDS_PER_RECORD:
            log.warning("time is short: %d records left for the retry", len(records) - index)
            failed.extend(r.record_id for r in records[index:])
            break
        if not _handle(record, dispatcher):
            failed.append(record.record_id)
        new = record.change.new
        if record.change.event == "INSERT" and new is not None:
            to_route[new.tracking_code] = record.record_id
    if to_route:
        try:
            refused = queue.send(list(to_route))
        except ComplaintDeskError as exc:
            log.warning("routing queue unavailable: %s", type(exc).__name__)
            refused = list(to_route)
        failed.extend(to_route[code] for code in refused if to_route[code] not in failed)
    return failed


def _handle(record: ChangeRecord, dispatcher: Dispatcher) -> bool:
    ok = True
    new = record.change.new
    for intent in intents_for(record.change):
        assert new is not None
        try:
            dispatcher.dispatch(new.tracking_code, intent)
        except ComplaintDeskError as exc:
            log.warning("%s of %s failed: %s", intent, new.tracking_code, type(exc).__name__)
            ok = False
    return ok
