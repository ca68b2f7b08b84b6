"""Period reports: read a period's complaints, count them, and write the files to the report store.

Rules:

- A report reads the day index one partition (a shard of a local day) at a
  time, several partitions at once, and never scans. Rows are counted and
  written to the CSV as they arrive, a bounded number of partitions ahead,
  so memory does not grow with the period.
- The CSV lists the complaints day by day, shard by shard, oldest first
  within a shard: the same data gives the same file.
- Files are written CSV first, then the workbook, then `summary.json`, the
  last written: a reader that finds the summary finds the whole report.
- Building a period again rewrites the same keys; nothing else is kept, so
  a re-run after a late change is all it takes to correct a report.
- The open backlog and the CAPA register are read as they are at build
  time, not as they were when the period ended: they are marked `as_of`.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.domain.capa import PENDING
from chalicelib.domain.periods import (
    PeriodKind,
    ReportPeriod,
    due_runs,
    local_day,
    period_of,
    previous_period,
)
from chalicelib.domain.policy import Market
from chalicelib.domain.reports import CSV_COLUMNS, PeriodAggregator, ReportRow, csv_values
from chalicelib.domain.workbook import report_workbook
from chalicelib.services.capa import CapaRegister
from chalicelib.services.ports import Clock, ReportSource, ReportStore, StoredFile

log = logging.getLogger("complaintdesk.reports")

SUMMARY, CSV, WORKBOOK = "summary.json", "complaints.csv", "report.xlsx"
FILES = (SUMMARY, CSV, WORKBOOK)
CONTENT_TYPES = {
    SUMMARY: "application/json",
    CSV: "text/csv; charset=utf-8",
    WORKBOOK: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Workbooks up to this size stay in memory while written; bigger ones spill to a temporary file.
_SPOOL_BYTES = 4 * 1024 * 1024
_CAPA_PAGE = 200

Backlog = Callable[[Market, datetime], Mapping[str, Any]]
"""The open backlog of a market now: {"open": n, "overdue": n, "by_age": {band: n}}."""


@dataclass(frozen=True)
class BuiltReport:
    """A report written to the store: its period, its files and how many complaints it covers."""

    period: ReportPeriod
    keys: tuple[str, ...]
    received: int

    def view(self) -> dict[str, Any]:
        p = self.period
        return {
            "market": p.market.value,
            "period": p.kind.value,
            "label": p.label,
            "title": p.title,
            "first_day": p.first_day.isoformat(),
            "last_day": p.last_day.isoformat(),
            "prefix": p.key_prefix,
            "files": list(self.keys),
            "received": self.received,
        }


class PeriodReports:
    """Builds, lists and links the period reports of the report store."""

    def __init__(
        self,
        source: ReportSource,
        store: ReportStore,
        clock: Clock,
        *,
        capa: CapaRegister | None = None,
        backlog: Backlog | None = None,
        workers: int = 8,
        read_ahead: int = 16,
    ) -> None:
        self._source = source
        self._store = store
        self._clock = clock
        self._capa = capa
        self._backlog = backlog
        self._workers = max(1, workers)
        self._read_ahead = max(self._workers, read_ahead)

    def build(self, period: ReportPeriod) -> BuiltReport:
        """Read the period's complaints and (re)write its three files."""
        now = self._clock.now()
        aggregator = PeriodAggregator(period)
        prefix = period.key_prefix
        with self._store.csv(prefix + CSV) as sink:
            sink.write_row(CSV_COLUMNS)
            for row in self.rows(period, now):
                aggregator.add(row)
                sink.write_row(csv_values(row))
        summary = aggregator.summary(
            now,
            backlog=self._backlog(period.market, now) if self._backlog else None,
            capa=self._capa_counts(period, now) if self._capa else None,
        )
        self._write_workbook(prefix + WORKBOOK, summary, now)
        body = json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
        self._store.put(prefix + SUMMARY, body, CONTENT_TYPES[SUMMARY])
        log.info(
            "report %s %s %s written: %d complaints",
            period.market.value,
            period.kind.value,
            period.label,
            aggregator.received,
        )
        return BuiltReport(
            period, tuple(prefix + name for name in (CSV, WORKBOOK, SUMMARY)), aggregator.received
        )

    def build_for(self, market: Market, kind: PeriodKind, day: date) -> BuiltReport:
        """The report of the period of `kind` that holds the local date `day`."""
        return self.build(period_of(market, kind, day))

    def run_scheduled(self, market: Market, now: datetime | None = None) -> list[BuiltReport]:
        """The daily firing: yesterday's report, and the week's and month's when they have just ended."""
        now = now or self._clock.now()
        return [self.build(previous_period(market, kind, now)) for kind in due_runs(market, now)]

    def rows(self, period: ReportPeriod, now: datetime) -> Iterator[ReportRow]:
        """The period's rows in order, read `workers` partitions at a time, at most `read_ahead` ahead."""
        partitions = iter([(day, shard) for day in period.days for shard in range(self._source.shards)])
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="report") as pool:
            pending: deque[Future[list[ReportRow]]] = deque()

            def submit_next() -> None:
                for day, shard in partitions:
                    pending.append(pool.submit(self._source.day_rows, period.market, day, shard, now))
                    return

            for _ in range(self._read_ahead):
                submit_next()
            try:
                while pending:
                    rows = pending.popleft().result()
                    submit_next()
                    yield from rows
            finally:
                for future in pending:
                    future.cancel()

    def list(self, market: Market | None, kind: PeriodKind | None = None) -> list[dict[str, Any]]:
        """The reports in the store, newest period first, each with its files."""
        markets = [market] if market else list(Market)
        reports: list[dict[str, Any]] = []
        for each in markets:
            kinds = [kind] if kind else list(PeriodKind)
            for k in kinds:
                reports.extend(_group(self._store.list(f"reports/{each.value}/{k.value}/"), each, k))
        reports.sort(key=lambda r: (r["market"], r["period"], r["label"]), reverse=True)
        return reports

    def link(self, key: str, expires_seconds: int) -> str:
        return self._store.link(key, expires_seconds)

    def exists(self, key: str) -> bool:
        return self._store.exists(key)

    def _write_workbook(self, key: str, summary: Mapping[str, Any], now: datetime) -> None:
        from chalicelib.adapters.report_files import write_workbook  # XlsxWriter loads only here

        layout = report_workbook(summary)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as stream:
            write_workbook(
                stream,
                title=layout.title,
                language=layout.language,
                summary=layout.figures,
                sections=layout.sections,
                generated_at=now,
            )
            stream.seek(0)
            self._store.put(key, stream, CONTENT_TYPES[WORKBOOK])

    def _capa_counts(self, period: ReportPeriod, now: datetime) -> dict[str, Any]:
        """CAPA actions opened and closed in the period, and those pending past their due day now."""
        assert self._capa is not None
        today = local_day(period.market, now)
        counts = {"opened": 0, "closed": 0, "pending": 0, "overdue": 0}
        start: dict[str, Any] | None = None
        while True:
            actions, start = self._capa.list(period.market, limit=_CAPA_PAGE, start=start)
            for action in actions:
                counts["opened"] += period.contains(action.created_at)
                closed = (
                    action.status not in PENDING
                )  # done, verified or cancelled: its last change closed it
                counts["closed"] += closed and period.contains(action.updated_at)
                if action.status in PENDING:
                    counts["pending"] += 1
                    counts["overdue"] += action.due_on < today
            if start is None:
                break
        return {**counts, "as_of": now.isoformat()}


def _group(files: list[StoredFile], market: Market, kind: PeriodKind) -> list[dict[str, Any]]:
    """Files under reports/<market>/<kind>/<label>/ grouped by label."""
    by_label: dict[str, list[StoredFile]] = {}
    for stored in files:
        rest = stored.key.split("/")
        if len(rest) != 5 or rest[4] not in FILES:
            continue
        by_label.setdefault(rest[3], []).append(stored)
    return [
        {
            "market": market.value,
            "period": kind.value,
            "label": label,
            "complete": any(f.key.endswith("/" + SUMMARY) for f in stored),
            "files": [
                {
                    "key": f.key,
                    "name": f.key.rsplit("/", 1)[1],
                    "size": f.size,
                    "written_at": f.last_modified.isoformat(),
                }
                for f in sorted(stored, key=lambda f: f.key)
            ],
        }
        for label, stored in by_label.items()
    ]
