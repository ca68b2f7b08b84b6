"""Fakes of the report ports: a day index over the fake repository, a report store in memory."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import TracebackType
from typing import IO, Any

from chalicelib.adapters.repository import day_partition, day_shard
from chalicelib.domain.policy import Market
from chalicelib.domain.reports import ReportRow, neutralise, row_of
from chalicelib.services.ports import StoredFile
from tests.fakes import FakeRepository


class FakeReportSource:
    """The day index over a fake repository: one partition per shard of a local day."""

    def __init__(self, repository: FakeRepository, shards: int = 4) -> None:
        self.repository = repository
        self._shards = shards
        self.reads: list[str] = []
        self.failing: set[str] = set()  # partitions whose read raises
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    @property
    def shards(self) -> int:
        return self._shards

    def day_rows(self, market: Market, day: date, shard: int, now: datetime) -> list[ReportRow]:
        partition = day_partition(market, day, shard)
        with self._lock:
            self.reads.append(partition)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if partition in self.failing:
                raise ConnectionError(f"reading {partition} failed")
            complaints = [
                c for c in self.repository.complaints.values() if day_shard(c, self._shards) == partition
            ]
            return [row_of(c, now) for c in sorted(complaints, key=lambda c: c.received_at)]
        finally:
            with self._lock:
                self.in_flight -= 1


@dataclass
class StoredObject:
    body: bytes
    content_type: str
    written_at: datetime


class _FakeCsv:
    def __init__(self, store: FakeReportStore, key: str) -> None:
        self._store, self._key = store, key
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, lineterminator="\r\n")

    def __enter__(self) -> _FakeCsv:
        return self

    def write_row(self, cells: Sequence[str | int | float | None]) -> None:
        self._writer.writerow(
            ["" if c is None else neutralise(c) if isinstance(c, str) else c for c in cells]
        )

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self._store.put(self._key, ("\ufeff" + self._text.getvalue()).encode(), "text/csv; charset=utf-8")
        else:
            self._store.aborted.append(self._key)


@dataclass
class FakeReportStore:
    """Files in memory, written in order; links that name the key and the lifetime."""

    objects: dict[str, StoredObject] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)

    def csv(self, key: str) -> _FakeCsv:
        return _FakeCsv(self, key)

    def put(self, key: str, body: bytes | IO[bytes], content_type: str) -> None:
        data = body if isinstance(body, bytes) else body.read()
        self.objects[key] = StoredObject(data, content_type, datetime.now(UTC))
        self.writes.append(key)

    def list(self, prefix: str) -> list[StoredFile]:
        return [
            StoredFile(key, len(obj.body), obj.written_at)
            for key, obj in sorted(self.objects.items())
            if key.startswith(prefix)
        ]

    def link(self, key: str, expires_seconds: int) -> str:
        return f"https://reports.invalid/{key}?expires={expires_seconds}"

    def exists(self, key: str) -> bool:
        return key in self.objects

    def text(self, key: str) -> str:
        return self.objects[key].body.decode("utf-8-sig")


@dataclass
class FakeReportRequests:
    requests: list[dict[str, Any]] = field(default_factory=list)

    def request(self, market: Market, kind: str, day: date, requested_by: str) -> None:
        self.requests.append(
            {"market": market.value, "period": kind, "date": day.isoformat(), "requested_by": requested_by}
        )
