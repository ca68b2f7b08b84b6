"""What a handler's answer means for its batch, as Lambda reads it. Pure: no I/O.

A handler answers `{"batchItemFailures": [{"itemIdentifier": ...}]}`
(sequence numbers for a stream, message ids for a queue). Lambda reads it so:

- no answer, no list or an empty list: the whole batch succeeded;
- a list whose every identifier is in the batch: those items failed
  (a partial failure);
- an entry without a usable identifier, or one not in the batch: the whole
  batch failed, but the function did not error, so a stream does not bisect;
- the handler raised: the whole batch failed with a function error;
- `batchItemFailures` is ignored unless the mapping reports batch item
  failures (`FunctionResponseTypes: [ReportBatchItemFailures]`).

A stream batch is retried from its first failed record (the records before
it are done); a function error with bisection on splits the batch in two,
each half retried in order. Before each invocation, a batch whose records are
too old or whose retries are used up is discarded, and the on-failure
destination hears of it in Lambda's own format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from devstack.runner.events import Record, iso_utc
from devstack.runner.settings import StreamFailureSettings


class Outcome(Enum):
    """How an invocation ended, for its batch."""

    SUCCESS = "success"
    PARTIAL = "partial"
    INVALID = "invalid"  # the answer named no usable item: the whole batch failed
    ERROR = "error"  # the handler raised: the whole batch failed with a function error


@dataclass(frozen=True)
class Verdict:
    """What one invocation said about its batch; `failed` lists the items of a partial failure."""

    outcome: Outcome
    failed: frozenset[str] = frozenset()

    def failed_items(self, identifiers: Sequence[str]) -> list[str]:
        """The items of the batch that did not succeed, in batch order."""
        if self.outcome is Outcome.SUCCESS:
            return []
        if self.outcome is Outcome.PARTIAL:
            return [item for item in identifiers if item in self.failed]
        return list(identifiers)


def judge(response: Any, identifiers: Sequence[str], *, raised: bool, reports_failures: bool) -> Verdict:
    """The verdict on a batch of `identifiers` from the handler's answer (or its raising)."""
    if raised:
        return Verdict(Outcome.ERROR)
    if not reports_failures or not isinstance(response, Mapping):
        return Verdict(Outcome.SUCCESS)
    failures = response.get("batchItemFailures")
    if not failures:
        return Verdict(Outcome.SUCCESS)
    if not isinstance(failures, list):
        return Verdict(Outcome.INVALID)
    known = set(identifiers)
    failed: set[str] = set()
    for entry in failures:
        item = entry.get("itemIdentifier") if isinstance(entry, Mapping) else None
        if not isinstance(item, str) or item not in known:
            return Verdict(Outcome.INVALID)
        failed.add(item)
    return Verdict(Outcome.PARTIAL, frozenset(failed))


# --- streams -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamBatch:
    """Records of one shard, in order, and how often they were invoked without success."""

    records: tuple[Record, ...]
    #: Failed invocations of these records so far (the first attempt is not a retry).
    retries: int = 0
    #: Whether the last failed invocation raised (Lambda's "Unhandled" function error).
    function_error: bool = False

    @property
    def sequence_numbers(self) -> list[str]:
        return [str(record["dynamodb"]["SequenceNumber"]) for record in self.records]


def batches(records: Sequence[Record], size: int) -> list[StreamBatch]:
    """Consecutive batches of at most `size` records, in order."""
    if size < 1:
        raise ValueError(f"a batch holds at least one record, not {size}")
    return [StreamBatch(tuple(records[start : start + size])) for start in range(0, len(records), size)]


def still_to_run(batch: StreamBatch, verdict: Verdict, *, bisect: bool) -> list[StreamBatch]:
    """The batches to invoke next, in order, after `batch` got `verdict`; [] when it is done."""
    if verdict.outcome is Outcome.SUCCESS:
        return []
    retried = replace(batch, retries=batch.retries + 1, function_error=verdict.outcome is Outcome.ERROR)
    if verdict.outcome is Outcome.PARTIAL:
        first = min(batch.sequence_numbers.index(item) for item in verdict.failed)
        return [replace(retried, records=batch.records[first:])]
    if verdict.outcome is Outcome.ERROR and bisect and len(batch.records) > 1:
        half = (len(batch.records) + 1) // 2
        return [
            replace(retried, records=batch.records[:half]),
            replace(retried, records=batch.records[half:]),
        ]
    return [retried]


RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "MaximumRecordAgeExceeded"


def discard_condition(batch: StreamBatch, settings: StreamFailureSettings, now: float) -> str | None:
    """Why Lambda would discard `batch` instead of invoking it again (its condition name), or None."""
    max_age = settings.maximum_record_age_in_seconds
    if max_age >= 0 and batch.records:
        oldest = min(float(record["dynamodb"]["ApproximateCreationDateTime"]) for record in batch.records)
        if now - oldest >= max_age:
            return RECORD_AGE_EXCEEDED
    max_retries = settings.maximum_retry_attempts
    if max_retries >= 0 and batch.retries > max_retries:
        return RETRIES_EXHAUSTED
    return None


@dataclass(frozen=True)
class FailureContext:
    """Where a discarded batch came from, for its on-failure record."""

    request_id: str
    function_arn: str
    shard_id: str
    stream_arn: str


def on_failure_record(
    batch: StreamBatch, condition: str, where: FailureContext, now: datetime
) -> dict[str, Any]:
    """The message Lambda sends to a stream mapping's on-failure destination for a discarded batch."""
    arrivals = [float(record["dynamodb"]["ApproximateCreationDateTime"]) for record in batch.records]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if batch.function_error:
        response["functionError"] = "Unhandled"
    sequence_numbers = batch.sequence_numbers
    return {
        "requestContext": {
            "requestId": where.request_id,
            "functionArn": where.function_arn,
            "condition": condition,
            "approximateInvokeCount": batch.retries,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": iso_utc(now, milliseconds=True),
        "DDBStreamBatchInfo": {
            "shardId": where.shard_id,
            "startSequenceNumber": sequence_numbers[0],
            "endSequenceNumber": sequence_numbers[-1],
            "approximateArrivalOfFirstRecord": iso_utc(datetime.fromtimestamp(arrivals[0], UTC)),
            "approximateArrivalOfLastRecord": iso_utc(datetime.fromtimestamp(arrivals[-1], UTC)),
            "batchSize": len(batch.records),
            "streamArn": where.stream_arn,
        },
    }
