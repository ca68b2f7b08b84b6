"""Event handlers' work between Lambda event payloads and the use cases.

Each returns `{"batchItemFailures": [...]}` naming only the records that
must come again: stream records by sequence number, SQS messages by id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from chalicelib.bootstrap import Container
from chalicelib.domain.errors import ComplaintDeskError
from chalicelib.domain.tracking import is_valid_tracking_code, parse_tracking_code
from chalicelib.services.dispatch import Change
from chalicelib.services.flag_complaint import flag_by_code
from chalicelib.services.process_changes import ChangeRecord, process_changes
from chalicelib.services.route_complaint import route_complaint

log = logging.getLogger("complaintdesk.events")


def failures(ids: list[str]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": item} for item in ids]}


def time_left(context: Any) -> Callable[[], float]:
    """Seconds left in this invocation, from the Lambda context (unlimited without one)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return lambda: float("inf")
    return lambda: float(remaining()) / 1000


def complaint_changes(
    event: dict[str, Any], c: Container, seconds_left: Callable[[], float] = lambda: float("inf")
) -> dict[str, Any]:
    """The complaints table's stream: acknowledge, alert and route."""
    records, undecodable = [], []
    for raw in event.get("Records", []):
        stream = raw["dynamodb"]
        try:
            change = Change(
                raw["eventName"],
                c.repository.decode(stream["OldImage"]) if "OldImage" in stream else None,
                c.repository.decode(stream["NewImage"]) if "NewImage" in stream else None,
            )
        except (KeyError, ValueError, TypeError) as exc:
            log.error("stream record %s cannot be read: %s", stream.get("SequenceNumber"), type(exc).__name__)
            undecodable.append(stream["SequenceNumber"])
            continue
        records.append(ChangeRecord(stream["SequenceNumber"], change))
    failed = process_changes(records, dispatcher=c.dispatcher, queue=c.routing_queue, time_left=seconds_left)
    return failures(undecodable + failed)


STREAM_GAVE_UP = (
    "automatic handling gave up after its retries: the acknowledgement or the routing "
    "may be missing; check the complaint and act by hand"
)


def stream_failures(event: dict[str, Any], c: Container) -> dict[str, Any]:
    """The stream's on-failure queue: flag every complaint of a batch Lambda gave up on."""
    failed = []
    for record in event.get("Records", []):
        try:
            info = json.loads(record["body"])["DDBStreamBatchInfo"]
            codes = c.stream_reader.tracking_codes(
                info["streamArn"], info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]
            )
            for code in codes:
                flag_by_code(code, "stream", STREAM_GAVE_UP, repository=c.repository, clock=c.clock)
            log.warning("stream batch given up: %d complaints flagged", len(codes))
        except (ComplaintDeskError, ValueError, KeyError, TypeError) as exc:
            log.error("stream failure %s not handled: %s", record["messageId"], type(exc).__name__)
            failed.append(record["messageId"])
    return failures(failed)


def routing_messages(event: dict[str, Any], c: Container) -> dict[str, Any]:
    """The routing queue: assign each complaint its department, once."""
    failed = []
    for record in event.get("Records", []):
        code = None
        try:
            code = _routing_code(record["body"])
            department = route_complaint(code, repository=c.repository, clock=c.clock)
            log.info("routed %s to %s", code, department)
        except (ComplaintDeskError, ValueError) as exc:
            log.warning("routing message %s failed: %s", record["messageId"], type(exc).__name__)
            failed.append(record["messageId"])
            named = code or (exc.code if isinstance(exc, _Poison) else None)
            if isinstance(named, str) and is_valid_tracking_code(named):
                _flag_routing(parse_tracking_code(named), f"routing failed ({type(exc).__name__})", c)
    return failures(failed)


def _routing_code(body: str) -> str:
    """The tracking code of a routing message; anything but `{"tracking_code": ...}` is refused."""
    message = json.loads(body)
    if not isinstance(message, dict) or set(message) != {"tracking_code"}:
        code = message.get("tracking_code") if isinstance(message, dict) else None
        raise _Poison(code)
    return parse_tracking_code(str(message["tracking_code"]))


class _Poison(ValueError):
    """A routing message of the wrong shape."""

    def __init__(self, code: Any) -> None:
        super().__init__("a routing message must be exactly {'tracking_code': ...}")
        self.code = code


def _flag_routing(code: str, reason: str, c: Container) -> None:
    try:
        flag_by_code(code, "routing", reason, repository=c.repository, clock=c.clock)
    except ComplaintDeskError as exc:
        log.error("could not flag %s: %s", code, type(exc).__name__)
