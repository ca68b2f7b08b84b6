"""The report routes over fakes: who lists, downloads and asks for which market's reports; bad input."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.api.reports import requested_reports, scheduled_reports
from chalicelib.bootstrap import container
from chalicelib.domain import policy as p
from chalicelib.domain.periods import PeriodKind, period_of
from chalicelib.services.period_reports import PeriodReports
from tests.fakes import FakeRepository, FixedClock
from tests.report_fakes import FakeReportRequests, FakeReportSource, FakeReportStore
from tests.staff_tokens import (
    AGENT_IR,
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_TR,
    NO_ROLE,
    SUPERVISOR_IR,
    SUPERVISOR_TR,
    Member,
)
from tests.unit.conftest import Desk, body_of, problem_of

NOVEMBER_TR = period_of("TR", PeriodKind.MONTHLY, date(2026, 11, 1))
AZAR_IR = period_of("IR", PeriodKind.MONTHLY, date(2026, 11, 22))


@functools.cache
def _built_once() -> dict[str, Any]:
    """November's Turkish and Azar's Iranian reports (of no complaints), built once: workbooks take time."""
    store = FakeReportStore()
    service = PeriodReports(FakeReportSource(FakeRepository()), store, FixedClock(), workers=2)
    service.build(NOVEMBER_TR)
    service.build(AZAR_IR)
    return store.objects


@pytest.fixture
def shelf(
    desk: Desk, repository: FakeRepository, clock: FixedClock
) -> tuple[FakeReportStore, FakeReportRequests]:
    """The container's reports over fakes, with November's Turkish and Azar's Iranian reports built."""
    store, requests = FakeReportStore(objects=dict(_built_once())), FakeReportRequests()
    service = PeriodReports(FakeReportSource(repository), store, clock, workers=2)
    container().period_reports = service  # type: ignore[misc]
    container().report_requests = requests  # type: ignore[misc]
    return store, requests


@pytest.mark.parametrize(
    ("who", "markets"),
    [(AGENT_TR, {"TR"}), (HANDLER_CLAIMS_TR, {"TR"}), (SUPERVISOR_IR, {"IR"}), (AUDITOR, {"IR", "TR"})],
)
def test_every_role_lists_its_markets_reports(desk: Desk, shelf: Any, who: Member, markets: set[str]) -> None:
    response = desk.get("/staff/reports", who)
    assert response.status_code == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    assert {r["market"] for r in body_of(response)["reports"]} == markets


def test_the_list_filters_by_period_and_an_auditor_by_market(desk: Desk, shelf: Any) -> None:
    listed = body_of(desk.get("/staff/reports?market=IR&period=monthly", AUDITOR))["reports"]
    assert [(r["market"], r["label"]) for r in listed] == [("IR", AZAR_IR.label)]
    assert body_of(desk.get("/staff/reports?period=daily", AUDITOR))["reports"] == []


def test_another_market_is_forbidden(desk: Desk, shelf: Any) -> None:
    problem = problem_of(desk.get("/staff/reports?market=IR", SUPERVISOR_TR), 403)
    assert "your own market" in problem["detail"]
    problem_of(desk.get(f"/staff/reports/IR/monthly/{AZAR_IR.label}/summary.json", AGENT_TR), 403)


def test_no_role_no_reports(desk: Desk, shelf: Any) -> None:
    problem_of(desk.get("/staff/reports", NO_ROLE), 403)
    problem_of(desk.get("/staff/reports"), 401)


@pytest.mark.parametrize(
    "query",
    ["market=XX", "period=yearly", "market=tr", "colour=red", "market=" + "İ" * 300],
)
def test_a_bad_list_query_names_the_field(desk: Desk, shelf: Any, query: str) -> None:
    problem = problem_of(desk.get(f"/staff/reports?{query}", AUDITOR), 422)
    assert problem["errors"], problem


def test_a_link_downloads_one_file_for_a_short_while(desk: Desk, shelf: Any) -> None:
    response = desk.get("/staff/reports/TR/monthly/2026-11/report.xlsx", HANDLER_CLAIMS_TR)
    assert response.status_code == 200, response.body
    body = body_of(response)
    assert body["key"] == "reports/TR/monthly/2026-11/report.xlsx"
    assert body["expires_in"] == 300
    assert body["url"].endswith("reports/TR/monthly/2026-11/report.xlsx?expires=300")


def test_a_link_to_a_report_not_built_is_404(desk: Desk, shelf: Any) -> None:
    problem = problem_of(desk.get("/staff/reports/TR/daily/2026-11-03/summary.json", AGENT_TR), 404)
    assert "2026-11-03" in problem["detail"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/staff/reports/XX/monthly/2026-11/summary.json", "market"),
        ("/staff/reports/TR/hourly/2026-11/summary.json", "period"),
        ("/staff/reports/TR/monthly/..%2F..%2Fsecrets/summary.json", "label"),
        ("/staff/reports/TR/monthly/۲۰۲۶-۱۱/summary.json", "label"),
        ("/staff/reports/TR/monthly/2026-11/passwords.txt", "name"),
        ("/staff/reports/TR/monthly/2026-11/%3Cscript%3E", "name"),
    ],
)
def test_a_bad_link_names_the_field(desk: Desk, shelf: Any, path: str, field: str) -> None:
    problem = problem_of(desk.get(path, AUDITOR), 422)
    assert field in {e["field"] for e in problem["errors"]}


def test_a_supervisor_asks_for_a_report_and_it_is_queued(desk: Desk, shelf: Any) -> None:
    _, requests = shelf
    response = desk.post("/staff/reports", SUPERVISOR_TR, {"period": "weekly", "date": "2026-11-18"})
    assert response.status_code == 202, response.body
    body = body_of(response)
    assert body["label"] == "2026-W47"
    assert body["prefix"] == "reports/TR/weekly/2026-W47/"
    assert requests.requests == [
        {
            "market": "TR",
            "period": "weekly",
            "date": "2026-11-18",
            "requested_by": f"staff:{SUPERVISOR_TR.username}",
        }
    ]


@pytest.mark.parametrize("who", [AGENT_TR, HANDLER_CLAIMS_TR, AUDITOR, AGENT_IR])
def test_only_a_supervisor_asks_for_a_build(desk: Desk, shelf: Any, who: Member) -> None:
    _, requests = shelf
    problem_of(
        desk.post("/staff/reports", who, {"market": "TR", "period": "daily", "date": "2026-11-18"}), 403
    )
    # Who may ask comes before what the form lacks: a malformed request is refused just the same.
    problem_of(desk.post("/staff/reports", who, {"period": "hourly", "date": "yesterday"}), 403)
    assert requests.requests == []


def test_a_supervisor_builds_only_their_market(desk: Desk, shelf: Any) -> None:
    problem_of(
        desk.post("/staff/reports", SUPERVISOR_IR, {"market": "TR", "period": "daily", "date": "2026-11-18"}),
        403,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-11-18"}, "period"),
        ({"period": "daily"}, "date"),
        ({"period": "daily", "date": "2026-02-30"}, "date"),
        ({"period": "daily", "date": "18.11.2026"}, "date"),
        ({"period": "daily", "date": "۱۴۰۵-۰۸-۲۷"}, "date"),  # a Jalali date: the API takes Gregorian
        ({"period": "daily", "date": 20261118}, "date"),
        ({"period": "daily", "date": "2026-11-24"}, "date"),  # tomorrow in Istanbul
        ({"period": "daily", "date": "1999-12-31"}, "date"),
        ({"period": "daily", "date": "2026-11-18", "market": "ZZ"}, "market"),
        ({"period": "daily", "date": "2026-11-18", "format": "pdf"}, "format"),
        ({"period": '=HYPERLINK("x")', "date": "2026-11-18"}, "period"),
    ],
)
def test_a_bad_request_names_the_field(desk: Desk, shelf: Any, body: dict[str, Any], field: str) -> None:
    _, requests = shelf
    problem = problem_of(desk.post("/staff/reports", SUPERVISOR_TR, body), 422)
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert requests.requests == []


def test_a_date_typed_with_persian_digits_is_read(desk: Desk, shelf: Any) -> None:
    _, requests = shelf
    response = desk.post("/staff/reports", SUPERVISOR_IR, {"period": "daily", "date": "۲۰۲۶-۱۱-۱۸"})
    assert response.status_code == 202, response.body
    assert requests.requests[0]["date"] == "2026-11-18"


def test_a_request_body_that_is_not_json_or_too_big_is_refused(desk: Desk, shelf: Any) -> None:
    problem_of(desk.post("/staff/reports", SUPERVISOR_TR, "{not json"), 400)
    huge = {"period": "daily", "date": "2026-11-18", "x": "ی" * 70_000}
    assert desk.post("/staff/reports", SUPERVISOR_TR, huge).status_code == 413


def test_the_queue_handler_builds_each_request_and_reports_failures(
    desk: Desk, shelf: Any, repository: FakeRepository, clock: FixedClock
) -> None:
    store, _ = shelf
    source = FakeReportSource(repository)
    container().period_reports = PeriodReports(source, store, clock, workers=1)  # type: ignore[misc]
    source.failing.add("DAY#TR#2026-11-18#0")

    def record(n: int, body: Any) -> dict[str, Any]:
        return {"messageId": f"m{n}", "body": body if isinstance(body, str) else json.dumps(body)}

    event = {
        "Records": [
            record(1, {"market": "TR", "period": "daily", "date": "2026-11-17"}),
            record(2, {"market": "TR", "period": "daily", "date": "2026-11-18"}),  # its read fails
            record(3, "not json"),  # dropped: a retry cannot fix it
            record(4, {"market": "XX", "period": "daily", "date": "2026-11-17"}),
            record(5, {"market": "TR", "period": "daily", "date": "2026-11-17"}),  # the same again
        ]
    }
    result = requested_reports(event, container())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert store.exists("reports/TR/daily/2026-11-17/summary.json")
    assert not store.exists("reports/TR/daily/2026-11-18/summary.json")


@pytest.mark.parametrize(
    ("market", "kind", "fired", "label"),
    [
        ("TR", "daily", "2026-11-24T21:30:00Z", "2026-11-24"),
        ("TR", "weekly", "2026-11-22T21:30:00Z", "2026-W47"),
        ("TR", "monthly", "2026-11-30T21:30:00Z", "2026-11"),
        ("IR", "daily", "2026-11-24T21:00:00Z", "2026-11-24"),
        ("IR", "weekly", "2026-11-27T21:00:00Z", "1405-W36"),  # Saturday 28 November, 00:30 in Tehran
        ("IR", "monthly", "2026-11-21T21:00:00Z", "1405-08"),  # 1 Azar (22 November): Aban has ended
    ],
)
def test_each_schedule_builds_the_period_just_ended(
    desk: Desk, shelf: Any, market: str, kind: str, fired: str, label: str
) -> None:
    result = scheduled_reports(p.Market(market), PeriodKind(kind), fired, container())
    assert [b["label"] for b in result["built"]] == [label]


@pytest.mark.parametrize(
    ("market", "kind", "fired"),
    [
        ("TR", "monthly", "2026-11-27T21:30:00Z"),  # a candidate night that is not the month's end
        ("IR", "monthly", "2026-11-24T21:00:00Z"),
        ("TR", "weekly", "2026-11-24T21:30:00Z"),
    ],
)
def test_a_schedule_firing_on_another_day_builds_nothing(
    desk: Desk, shelf: Any, market: str, kind: str, fired: str
) -> None:
    store, _ = shelf
    before = dict(store.objects)
    result = scheduled_reports(p.Market(market), PeriodKind(kind), fired, container())
    assert result["built"] == []
    assert store.objects == before


def test_the_schedules_fire_at_half_past_midnight_local() -> None:
    from zoneinfo import ZoneInfo

    from app import app

    crons = {
        source.name: source.schedule_expression.to_string()
        for source in app.event_sources
        if source.name.startswith("reports_")
    }
    assert set(crons) == {f"reports_{k}_{m}" for k in ("daily", "weekly", "monthly") for m in ("ir", "tr")}
    for name, expression in crons.items():
        minute, hour = (int(x) for x in expression.removeprefix("cron(").split()[:2])
        zone = ZoneInfo("Asia/Tehran" if name.endswith("_ir") else "Europe/Istanbul")
        local = datetime(2026, 11, 24, hour, minute, tzinfo=UTC).astimezone(zone)
        assert (local.hour, local.minute) == (0, 30), name
