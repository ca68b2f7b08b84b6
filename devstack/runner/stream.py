"""A DynamoDB stream event source: reads each shard in order and invokes its handler, as Lambda does.

Per shard, records are read in batches of the source's batch size and the
handler sees them in order. A failing batch is retried (see `batch`) before
anything after it; a batch that cannot succeed is reported to the on-failure
destination and passed over. Parents are read before their children.

Shard iterators are taken afresh (`AFTER_SEQUENCE_NUMBER` of the last record
done) after every empty read and when they are a minute old: in moto, a
failed `TransactWriteItems` restores a copy of the table, shard included, and
iterators taken before go on reading the orphaned copy (TRAPS.md). A source
that starts at `LATEST` keeps its first iterator until it has read a record
(a fresh `LATEST` iterator would skip what was written meanwhile); the app's
source starts at `TRIM_HORIZON`. Each iterator is used once and then
forgotten (`forget_iterator`: moto would keep every one, see `inprocess`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from chalice.app import DynamoDBEventConfig

from devstack.runner.batch import (
    FailureContext,
    StreamBatch,
    batches,
    discard_condition,
    judge,
    on_failure_record,
    still_to_run,
)
from devstack.runner.destination import Destinations
from devstack.runner.events import dynamodb_record, records_event
from devstack.runner.settings import StreamFailureSettings
from devstack.runner.sources import Function, log_invocation

logger = logging.getLogger("devstack.runner")

ITERATOR_MAX_AGE_SECONDS = 60.0
SHARD_REFRESH_SECONDS = 10.0
#: Wait before the first retry of a failed batch; it doubles with every retry, up to 5 s.
RETRY_BACKOFF_SECONDS = 0.25


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    #: Where to start while no record is done: TRIM_HORIZON or LATEST.
    start: str
    #: Sequence number of the last record done (handled or passed over).
    checkpoint: str | None = None
    iterator: str | None = None
    iterator_taken_at: float = 0.0
    #: No records will ever come again (the shard is closed and read to its end).
    closed: bool = False
    pending: deque[StreamBatch] = field(default_factory=deque)
    retry_at: float = 0.0
    last_request_id: str = ""


class StreamPoller:
    """One DynamoDB stream event source: `step()` does at most one invocation."""

    def __init__(
        self,
        function: Function,
        config: DynamoDBEventConfig,
        settings: StreamFailureSettings,
        streams: Any,
        destinations: Destinations,
        region: str,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        forget_iterator: Callable[[str], None] = lambda iterator: None,
    ) -> None:
        self.function = function
        self.stream_arn = config.stream_arn
        self.batch_size = config.batch_size
        self.starting_position = config.starting_position
        self.settings = settings
        self._streams = streams
        self._destinations = destinations
        self._region = region
        self._clock = clock
        self._monotonic = monotonic
        self._forget_iterator = forget_iterator
        self._shards: dict[str, _Shard] = {}
        self._finished: set[str] = set()
        self._shards_read_at: float | None = None
        self._turn = 0

    @property
    def name(self) -> str:
        return self.function.name

    def step(self) -> bool:
        """Invoke the handler once, for the next batch of some shard; False if there was none."""
        self._refresh_shards()
        shards = self._ready_shards()
        if not shards:
            return False
        # Take turns, so that a busy shard does not keep the others waiting.
        self._turn = (self._turn + 1) % len(shards)
        for shard in shards[self._turn :] + shards[: self._turn]:
            if shard.pending:
                if self._monotonic() < shard.retry_at:
                    continue
            elif not self._read(shard):
                self._retire_if_done(shard)
                continue
            self._run(shard)
            self._retire_if_done(shard)
            return True
        return False

    # --- shards ------------------------------------------------------------------------------

    def _refresh_shards(self) -> None:
        now = self._monotonic()
        if self._shards_read_at is not None and now - self._shards_read_at < SHARD_REFRESH_SECONDS:
            return
        first_time = self._shards_read_at is None
        self._shards_read_at = now
        for shard in self._describe_shards():
            shard_id = shard["ShardId"]
            if shard_id in self._shards or shard_id in self._finished:
                continue
            # Shards that appear later are children of known ones: read from their start.
            start = self.starting_position if first_time else "TRIM_HORIZON"
            self._shards[shard_id] = _Shard(shard_id, shard.get("ParentShardId"), start)

    def _describe_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self._streams.describe_stream(**arguments)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            arguments["ExclusiveStartShardId"] = last

    def _ready_shards(self) -> list[_Shard]:
        """Shards whose parent is done (or unknown), in the order they were found."""
        return [shard for shard in self._shards.values() if shard.parent_id not in self._shards]

    def _retire_if_done(self, shard: _Shard) -> None:
        if shard.closed and not shard.pending:
            del self._shards[shard.shard_id]
            self._finished.add(shard.shard_id)

    # --- reading -----------------------------------------------------------------------------

    def _read(self, shard: _Shard) -> bool:
        """Read the next batch of `shard` into its pending batches; False if there was none."""
        if shard.iterator is None or self._monotonic() - shard.iterator_taken_at > ITERATOR_MAX_AGE_SECONDS:
            if shard.iterator is not None:
                self._forget_iterator(shard.iterator)
            shard.iterator = self._fresh_iterator(shard)
            shard.iterator_taken_at = self._monotonic()
        used, shard.iterator = shard.iterator, None
        try:
            response = self._streams.get_records(ShardIterator=used, Limit=self.batch_size)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "?")
            logger.warning("%s: GetRecords failed (%s); taking a fresh iterator", self.name, code)
            return False
        finally:
            self._forget_iterator(used)  # never used again: the next one is in the response
        records = response.get("Records", [])
        following = response.get("NextShardIterator")
        shard.closed = following is None
        if not records:
            if shard.checkpoint is None and shard.start == "LATEST":
                shard.iterator = following  # a fresh LATEST iterator would skip what came meanwhile
            elif following is not None:
                self._forget_iterator(following)  # a fresh one is taken next time (TRAPS.md)
            return False
        shard.iterator = following
        shaped = [dynamodb_record(record, self.stream_arn, self._region) for record in records]
        shard.pending.extend(batches(shaped, self.batch_size))
        return True

    def _fresh_iterator(self, shard: _Shard) -> str:
        arguments: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.checkpoint is not None:
            arguments.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.checkpoint)
        else:
            arguments.update(ShardIteratorType=shard.start)
        return str(self._streams.get_shard_iterator(**arguments)["ShardIterator"])

    # --- invoking ----------------------------------------------------------------------------

    def _run(self, shard: _Shard) -> None:
        batch = shard.pending.popleft()
        condition = discard_condition(batch, self.settings, self._clock())
        if condition is not None:
            self._discard(shard, batch, condition)
            shard.checkpoint = batch.sequence_numbers[-1]
            return
        invocation = self.function.invoke(records_event(batch.records))
        shard.last_request_id = invocation.request_id
        verdict = judge(
            invocation.response,
            batch.sequence_numbers,
            raised=invocation.error is not None,
            reports_failures=self.settings.report_batch_item_failures,
        )
        log_invocation(self.name, len(batch.records), verdict, batch.sequence_numbers, invocation)
        following = still_to_run(batch, verdict, bisect=self.settings.bisect_batch_on_function_error)
        done = len(batch.records) - sum(len(later.records) for later in following)
        if done:
            shard.checkpoint = batch.sequence_numbers[done - 1]
        shard.pending.extendleft(reversed(following))
        if following:
            backoff = RETRY_BACKOFF_SECONDS * 2 ** (following[0].retries - 1)
            shard.retry_at = self._monotonic() + min(backoff, 5.0)

    def _discard(self, shard: _Shard, batch: StreamBatch, condition: str) -> None:
        destination = self.settings.on_failure_destination
        now = datetime.fromtimestamp(self._clock(), UTC)
        where = FailureContext(
            request_id=shard.last_request_id or str(uuid.uuid4()),
            function_arn=self.function.arn,
            shard_id=shard.shard_id,
            stream_arn=self.stream_arn,
        )
        span = f"{len(batch.records)} records ({batch.sequence_numbers[0]}..{batch.sequence_numbers[-1]})"
        if destination is None:
            logger.warning("%s: %s; dropped %s: no on-failure destination", self.name, condition, span)
            return
        try:
            self._destinations.send(destination, on_failure_record(batch, condition, where, now))
        except (ClientError, ValueError) as exc:
            logger.error(
                "%s: %s; could not report %s to %s: %s", self.name, condition, span, destination, exc
            )
            return
        logger.warning("%s: %s; reported %s to %s", self.name, condition, span, destination)
