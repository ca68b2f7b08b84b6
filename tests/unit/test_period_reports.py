"""Period reports over fakes: which partitions are read, in what order, and which files are written."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import policy as p
from chalicelib.domain.capa import CapaAction, CapaKind, CapaStatus
from chalicelib.domain.periods import PeriodKind, period_of
from chalicelib.domain.reports import CSV_COLUMNS
from chalicelib.services.period_reports import PeriodReports
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock
from tests.report_fakes import FakeReportSource, FakeReportStore
from tests.unit.test_handling import received

NOVEMBER_TR = period_of("TR", PeriodKind.MONTHLY, date(2026, 11, 1))
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
PLANTED = {
    "name": "Zerrin Çağlayan-Öztürkİı",
    "mobile": "0532 987 65 43",
    "email": "zerrin.planted@example.com",
    "policy_number": "PLANT-77123",
}


def store_complaints(repository: FakeRepository, *complaints: Any) -> None:
    for complaint in complaints:
        repository.complaints[complaint.tracking_code] = complaint


def reports(
    repository: FakeRepository, store: FakeReportStore | None = None, **kwargs: Any
) -> tuple[PeriodReports, FakeReportSource, FakeReportStore]:
    source = FakeReportSource(repository, shards=3)
    store = store or FakeReportStore()
    return PeriodReports(source, store, FixedClock(NOW), workers=2, read_ahead=4, **kwargs), source, store


def november(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def month(repository: FakeRepository) -> FakeRepository:
    """Turkish complaints on several days of November, one on 30 November late in the (local) evening,
    one in October and one in December, and one Iranian complaint in November."""
    store_complaints(
        repository,
        *(received(at=november(day)) for day in (2, 2, 9, 15, 27)),
        received(at=datetime(2026, 11, 30, 20, 50, tzinfo=UTC)),  # 23:50 in Istanbul: still November
        received(at=datetime(2026, 10, 31, 20, 59, tzinfo=UTC)),  # 23:59 in Istanbul: October
        received(at=datetime(2026, 11, 30, 21, 0, tzinfo=UTC)),  # 00:00 on 1 December in Istanbul
        received(PERSIAN_COMPLAINT, at=november(10)),
    )
    return repository


def test_a_month_reads_every_shard_of_every_local_day_and_writes_three_files(month: FakeRepository) -> None:
    service, source, store = reports(month)
    built = service.build(NOVEMBER_TR)
    assert built.received == 6
    assert sorted(source.reads) == sorted(
        f"DAY#TR#{day.isoformat()}#{shard}" for day in NOVEMBER_TR.days for shard in range(3)
    )
    prefix = "reports/TR/monthly/2026-11/"
    assert store.writes == [prefix + "complaints.csv", prefix + "report.xlsx", prefix + "summary.json"]
    summary = json.loads(store.text(prefix + "summary.json"))
    assert summary["received"]["total"] == 6
    assert summary["period"]["label"] == "2026-11"
    rows = list(csv.reader(io.StringIO(store.text(prefix + "complaints.csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 7
    received_at = [row[CSV_COLUMNS.index("received_at")] for row in rows[1:]]
    assert received_at == sorted(received_at), "day by day, oldest first within a day"
    assert received_at[-1].startswith("2026-11-30T23:50:00+03:00")


def test_the_csv_and_the_summary_agree_and_the_workbook_opens(month: FakeRepository) -> None:
    service, _, store = reports(month)
    service.build(NOVEMBER_TR)
    prefix = NOVEMBER_TR.key_prefix
    rows = list(csv.DictReader(io.StringIO(store.text(prefix + "complaints.csv"))))
    summary = json.loads(store.text(prefix + "summary.json"))
    by_channel = summary["received"]["by_channel"]
    assert sum(by_channel.values()) == len(rows)
    for channel, count in by_channel.items():
        assert count == sum(r["channel"] == channel for r in rows)
    workbook = zipfile.ZipFile(io.BytesIO(store.objects[prefix + "report.xlsx"].body))
    names = workbook.namelist()
    assert "xl/workbook.xml" in names
    assert any(name.startswith("xl/charts/chart") for name in names), "native charts"
    assert "Kanala göre" in workbook.read("xl/workbook.xml").decode(), "Turkish sheet names"


def test_a_rerun_rewrites_the_same_keys_with_the_late_change(month: FakeRepository) -> None:
    service, _, store = reports(month)
    service.build(NOVEMBER_TR)
    late = received(at=november(20))
    store_complaints(month, late)
    service.build(NOVEMBER_TR)
    assert set(store.objects) == {
        NOVEMBER_TR.key_prefix + name for name in ("complaints.csv", "report.xlsx", "summary.json")
    }
    assert json.loads(store.text(NOVEMBER_TR.key_prefix + "summary.json"))["received"]["total"] == 7
    assert late.tracking_code in store.text(NOVEMBER_TR.key_prefix + "complaints.csv")


def test_no_personal_data_reaches_any_file(repository: FakeRepository) -> None:
    planted = {**TURKISH_COMPLAINT, "contact": {**TURKISH_COMPLAINT["contact"], **PLANTED}}
    planted["description"] = "Planted description: Kadıköy, Moda Caddesi No 77, İstanbul"
    store_complaints(repository, *(received(planted, at=november(day)) for day in (3, 4)))
    service, _, store = reports(repository)
    service.build(NOVEMBER_TR)
    needles = [*PLANTED.values(), "905329876543", "Moda Caddesi", "Planted description"]
    for key, stored in store.objects.items():
        blobs = [stored.body]
        if key.endswith(".xlsx"):
            archive = zipfile.ZipFile(io.BytesIO(stored.body))
            blobs += [archive.read(name) for name in archive.namelist()]
        for blob in blobs:
            for needle in needles:
                assert needle.encode("utf-8") not in blob, (key, needle)


def test_a_failed_read_leaves_no_csv_and_no_summary(month: FakeRepository) -> None:
    service, source, store = reports(month)
    source.failing.add("DAY#TR#2026-11-15#1")
    with pytest.raises(ConnectionError):
        service.build(NOVEMBER_TR)
    assert store.aborted == [NOVEMBER_TR.key_prefix + "complaints.csv"]
    assert store.objects == {}


def test_a_failed_rerun_keeps_the_last_complete_report(month: FakeRepository) -> None:
    service, source, store = reports(month)
    service.build(NOVEMBER_TR)
    before = dict(store.objects)
    source.failing.add("DAY#TR#2026-11-02#0")
    with pytest.raises(ConnectionError):
        service.build(NOVEMBER_TR)
    assert store.objects == before


def test_reads_run_in_parallel_but_never_further_ahead_than_allowed(repository: FakeRepository) -> None:
    source = FakeReportSource(repository, shards=8)
    service = PeriodReports(source, FakeReportStore(), FixedClock(NOW), workers=4, read_ahead=6)
    assert list(service.rows(NOVEMBER_TR, NOW)) == []
    assert len(source.reads) == 30 * 8
    assert source.most_in_flight <= 4


def test_read_ahead_is_bounded_while_the_consumer_waits(repository: FakeRepository) -> None:
    store_complaints(repository, *(received(at=november(1, hour)) for hour in range(6, 14)))
    source = FakeReportSource(repository, shards=1)
    service = PeriodReports(source, FakeReportStore(), FixedClock(NOW), workers=2, read_ahead=3)
    rows = service.rows(NOVEMBER_TR, NOW)
    next(rows)  # the first partition consumed; the reader may be at most 3 partitions ahead
    time.sleep(0.2)
    assert len(source.reads) <= 1 + 3
    rows.close()


def test_capa_counts_come_from_the_register(month: FakeRepository) -> None:
    class Register:
        def __init__(self, actions: list[CapaAction]) -> None:
            self.actions = actions
            self.pages = 0

        def list(self, market: p.Market, *, limit: int, start: dict[str, Any] | None = None, **_: Any) -> Any:
            self.pages += 1
            offset = int(start["offset"]) if start else 0
            page = [a for a in self.actions if a.market is market][offset : offset + limit]
            more = offset + limit < len([a for a in self.actions if a.market is market])
            return page, ({"offset": offset + limit} if more else None)

    def action(n: int, status: CapaStatus, created: datetime, due: date, updated: datetime) -> CapaAction:
        return CapaAction(
            capa_id=f"CAPA-{n}",
            market=p.Market.TR,
            kind=CapaKind.CORRECTIVE,
            title="t",
            description="",
            root_causes=(),
            complaints=(),
            department=p.Department.CLAIMS,
            owner="o",
            due_on=due,
            status=status,
            created_at=created,
            created_by="s",
            updated_at=updated,
            updated_by="s",
        )

    actions = [
        action(1, CapaStatus.OPEN, november(3), date(2026, 11, 20), november(3)),  # opened, overdue
        action(2, CapaStatus.DONE, november(4), date(2026, 12, 20), november(25)),  # opened and closed
        action(3, CapaStatus.IN_PROGRESS, datetime(2026, 10, 2, tzinfo=UTC), date(2027, 1, 1), november(5)),
        *(
            action(
                10 + n,
                CapaStatus.CANCELLED,
                datetime(2026, 9, 1, tzinfo=UTC),
                date(2026, 9, 30),
                datetime(2026, 9, 2, tzinfo=UTC),
            )
            for n in range(250)
        ),
    ]
    register = Register(actions)
    service, _, store = reports(month, capa=register)
    service.build(NOVEMBER_TR)
    capa = json.loads(store.text(NOVEMBER_TR.key_prefix + "summary.json"))["capa"]
    assert {k: capa[k] for k in ("opened", "closed", "pending", "overdue")} == {
        "opened": 2,
        "closed": 1,
        "pending": 2,
        "overdue": 1,
    }
    assert register.pages == 2, "every page of the register is read"


@pytest.mark.parametrize(
    ("now", "kinds"),
    [
        (datetime(2026, 11, 24, 21, 30, tzinfo=UTC), ["daily"]),  # Wednesday 00:30 Istanbul
        (datetime(2026, 11, 22, 21, 30, tzinfo=UTC), ["daily", "weekly"]),  # Monday 00:30
        (datetime(2026, 11, 30, 21, 30, tzinfo=UTC), ["daily", "monthly"]),  # Tuesday 1 December
    ],
)
def test_a_scheduled_run_builds_what_has_just_ended(
    month: FakeRepository, now: datetime, kinds: list[str]
) -> None:
    service, _, _ = reports(month)
    built = service.run_scheduled(p.Market.TR, now)
    assert [b.period.kind.value for b in built] == kinds
    assert all(b.period.end <= now for b in built)
    assert built[0].period.first_day == (now + timedelta(hours=3)).date() - timedelta(days=1)


def test_the_list_groups_files_by_period_newest_first(month: FakeRepository) -> None:
    service, _, store = reports(month)
    service.build(NOVEMBER_TR)
    service.build(period_of("TR", PeriodKind.DAILY, date(2026, 11, 2)))
    service.build(period_of("TR", PeriodKind.DAILY, date(2026, 11, 9)))
    store.put("reports/TR/daily/2026-11-09/stray.txt", b"x", "text/plain")  # not a report file
    listed = service.list(p.Market.TR)
    assert [(r["period"], r["label"]) for r in listed] == [
        ("monthly", "2026-11"),
        ("daily", "2026-11-09"),
        ("daily", "2026-11-02"),
    ]
    assert all(r["complete"] for r in listed)
    assert [f["name"] for f in listed[0]["files"]] == ["complaints.csv", "report.xlsx", "summary.json"]
    assert service.list(p.Market.IR) == []
    assert len(service.list(None)) == 3


def test_the_backlog_counts_open_complaints_by_age_and_overdue(repository: FakeRepository) -> None:
    from dataclasses import replace

    from chalicelib.domain.dashboard import OpenComplaint, backlog
    from chalicelib.domain.lifecycle import Status

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    base = OpenComplaint.of(received(at=now))
    ages = [timedelta(hours=2), timedelta(days=1), timedelta(days=2, hours=23), timedelta(days=40)]
    complaints = [replace(base, received_at=now - age) for age in ages]
    late = replace(base, received_at=now - timedelta(days=20), expected_response_by=now - timedelta(days=1))
    waiting = replace(late, status=Status.AWAITING_COMPLAINANT)  # the complainant owes an answer: not late
    result = backlog([*complaints, late, waiting], now)
    assert result["open"] == 6
    assert result["overdue"] == 1
    assert result["by_age"] == {"0-1d": 1, "1-3d": 2, "3-7d": 0, "7-15d": 0, "15-30d": 2, "30d+": 1}


def test_the_backlog_reaches_the_summary_and_the_workbook(month: FakeRepository) -> None:
    service, _, store = reports(
        month, backlog=lambda market, now: {"open": 4, "overdue": 1, "by_age": {"0-1d": 4}, "as_of": "x"}
    )
    service.build(NOVEMBER_TR)
    assert json.loads(store.text(NOVEMBER_TR.key_prefix + "summary.json"))["backlog"]["open"] == 4
    workbook = zipfile.ZipFile(io.BytesIO(store.objects[NOVEMBER_TR.key_prefix + "report.xlsx"].body))
    assert "Yaşa göre" in workbook.read("xl/workbook.xml").decode()
