"""The dashboard's reads on DynamoDB: index queries only, partitions in parallel, never a scan.

A market's open complaints are the by-queue partitions of every department
(and the unassigned) in every open state; a local day's receipts are the
by-day partitions of that day, one per shard. Each query fetches only the
attributes the dashboard shows or needs for the deadline arithmetic: never
the personal data. With 6 departments, the unassigned and 6 open states,
and 8 day shards, a reading is 42 + 8 = 50 Query requests, plus one for each
further 1 MB page of a partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import TypeVar

from chalicelib.adapters.repository import day_partition, translated_errors
from chalicelib.adapters.tables import ComplaintItem, Tables
from chalicelib.domain.complaint import ResponseClock
from chalicelib.domain.dashboard import STATES, DashboardReading, OpenComplaint, Receipt
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import Category, Channel, Department, Market, Priority
from chalicelib.domain.views import queue_partition, unstamp
from chalicelib.services.ports import Clock

T = TypeVar("T")

#: What the dashboard reads of an open complaint (a ProjectionExpression): no personal data.
OPEN_ATTRIBUTES = [
    "tracking_code",
    "channel",
    "category",
    "priority",
    "status",
    "department",
    "received_at",
    "due_at",
    "clock_started_at",
    "paused_at",
    "paused_seconds",
]
#: What it reads of a complaint received on the day.
RECEIPT_ATTRIBUTES = ["tracking_code", "channel", "received_at"]
#: Queries in flight at once; no more than the connection pool holds (PynamoDB's default is 10).
WORKERS = 8


class DynamoDashboardSource:
    """Reads the queues' and days' indexes of one market for the dashboard."""

    def __init__(self, tables: Tables, clock: Clock, day_shards: int, workers: int = WORKERS) -> None:
        self._model = tables.complaints
        self._clock = clock
        self._day_shards = day_shards
        self._workers = workers
        self._ready_client = False

    def read(self, market: Market, day: date) -> DashboardReading:
        read_at = self._clock.now()
        self._ready()
        departments: list[str | None] = [d.value for d in Department] + [None]
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="dashboard") as pool:
            queues = [pool.submit(self._queue, market, d, s) for d in departments for s in STATES]
            days = [pool.submit(self._receipts, market, day, n) for n in range(self._day_shards)]
            try:
                complaints, received = _gathered(queues), _gathered(days)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return DashboardReading(market, day, read_at, tuple(complaints), tuple(received))

    def _ready(self) -> None:
        """Build the table's client once, before the threads share it."""
        # PynamoDB builds it on first use without a lock: threads starting together on a cold
        # container would each build their own (measured on moto: 8 clients, 1 s more).
        if not self._ready_client:
            _ = self._model._get_connection().connection.client
            self._ready_client = True

    def _queue(self, market: Market, department: str | None, status: Status) -> list[OpenComplaint]:
        with translated_errors("reading the dashboard"):
            items = self._model.by_queue.query(
                queue_partition(market, department, status), attributes_to_get=OPEN_ATTRIBUTES
            )
            return [_open(item, market) for item in items]

    def _receipts(self, market: Market, day: date, shard: int) -> list[Receipt]:
        with translated_errors("reading the dashboard"):
            items = self._model.by_day.query(
                day_partition(market, day, shard), attributes_to_get=RECEIPT_ATTRIBUTES
            )
            return [
                Receipt(item.tracking_code, Channel(item.channel), unstamp(item.received_at))
                for item in items
            ]


def _gathered(parts: Sequence[Future[list[T]]]) -> list[T]:
    """Every partition's items, in the order the partitions were asked for; the first failure raises."""
    return [item for part in parts for item in part.result()]


def _open(item: ComplaintItem, market: Market) -> OpenComplaint:
    received = unstamp(item.received_at)
    started = unstamp(item.clock_started_at) if item.clock_started_at else received
    return OpenComplaint(
        tracking_code=item.tracking_code,
        market=market,
        channel=Channel(item.channel),
        category=Category(item.category),
        priority=Priority(item.priority),
        status=Status(item.status),
        department=item.department,
        received_at=received,
        expected_response_by=unstamp(item.due_at),
        clock=ResponseClock(
            started, unstamp(item.paused_at) if item.paused_at else None, int(item.paused_seconds or 0)
        ),
    )
