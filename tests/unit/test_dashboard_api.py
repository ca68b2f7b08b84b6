"""The live dashboard over HTTP, on fakes: who sees which market, what the page and its assets carry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from chalicelib.bootstrap import Container, container
from chalicelib.domain.dashboard import DashboardReading
from chalicelib.domain.policy import Market
from chalicelib.services.dashboard import CachedDashboardSource
from tests.conftest import PERSIAN_COMPLAINT, fake_settings
from tests.fakes import FakeDashboardSource
from tests.staff_tokens import (
    AGENT_IR,
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_TR,
    HANDLER_SERVICES_TR,
    NO_ROLE,
    SUPERVISOR_IR,
    SUPERVISOR_TR,
    Member,
    expired,
)
from tests.unit.conftest import Desk, body_of, problem_of


@pytest.fixture
def source(desk: Desk) -> FakeDashboardSource:
    """The dashboard reads the fake repository, as the index queries would read the table."""
    fake = FakeDashboardSource(desk.repository, desk.clock)
    container().dashboard_source = fake  # type: ignore[misc]
    return fake


def dashboard(desk: Desk, who: Member | str | None, query: str = "") -> Any:
    return desk.get(f"/staff/dashboard{query}", who)


def shown(desk: Desk, who: Member, query: str = "") -> dict[str, Any]:
    response = dashboard(desk, who, query)
    assert response.status_code == 200, response.body
    return body_of(response)


def listed_codes(board: dict[str, Any]) -> set[str]:
    lists = (board["at_risk"]["items"], board["overdue"]["items"], board["oldest"]["items"])
    return {item["tracking_code"] for items in lists for item in items}


# --- who sees what ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "query"),
    [
        (AGENT_TR, ""),
        (HANDLER_CLAIMS_TR, ""),
        (HANDLER_SERVICES_TR, ""),
        (SUPERVISOR_TR, ""),
        (SUPERVISOR_TR, "?market=TR"),
        (AUDITOR, "?market=TR"),
    ],
)
def test_every_role_sees_the_whole_dashboard_of_its_market(
    desk: Desk, source: FakeDashboardSource, who: Member, query: str
) -> None:
    claims = desk.routed()
    services = desk.routed(category="service_quality")
    unrouted = desk.submit(category="other")
    desk.submit(PERSIAN_COMPLAINT)
    board = shown(desk, who, query)
    assert board["market"] == "TR"
    assert board["open"]["total"] == 3
    assert board["open"]["by_department"]["claims"]["total"] == 1
    assert board["open"]["by_department"]["customer_services"]["total"] == 1
    assert board["open"]["by_department"]["unassigned"]["by_status"]["received"] == 1
    assert listed_codes(board) == {claims, services, unrouted}
    assert board["intake_today"]["total"] == 3
    assert board["intake_today"]["by_channel"]["web"] == 3
    assert source.reads == [(Market.TR, date(2026, 11, 23))]


def test_a_handler_sees_the_complaints_of_every_department_not_only_their_own(
    desk: Desk, source: FakeDashboardSource
) -> None:
    claims = desk.routed()
    assert desk.get("/staff/queue?department=claims", HANDLER_SERVICES_TR).status_code == 403
    board = shown(desk, HANDLER_SERVICES_TR)
    assert board["open"]["by_department"]["claims"]["total"] == 1
    assert claims in listed_codes(board)


def test_an_auditor_names_the_market_in_any_case(desk: Desk, source: FakeDashboardSource) -> None:
    desk.submit(PERSIAN_COMPLAINT)
    board = shown(desk, AUDITOR, "?market=ir")
    assert board["market"] == "IR"
    assert board["time_zone"] == "Asia/Tehran"
    assert board["open"]["total"] == 1


def test_an_auditor_without_a_market_is_asked_to_name_one(desk: Desk, source: FakeDashboardSource) -> None:
    problem = problem_of(dashboard(desk, AUDITOR), 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("market", "required")]
    assert source.reads == []


def test_an_auditor_whose_account_has_a_market_sees_it_by_default(
    desk: Desk, source: FakeDashboardSource
) -> None:
    auditor_ir = Member("auditor.ir", ["auditor"], None, "IR")
    assert shown(desk, auditor_ir)["market"] == "IR"
    assert shown(desk, auditor_ir, "?market=TR")["market"] == "TR"


def test_an_unknown_market_is_a_field_error(desk: Desk, source: FakeDashboardSource) -> None:
    problem = problem_of(dashboard(desk, SUPERVISOR_TR, "?market=DE"), 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("market", "choice")]


@pytest.mark.parametrize(
    ("who", "query"),
    [(SUPERVISOR_TR, "?market=IR"), (AGENT_IR, "?market=TR"), (HANDLER_CLAIMS_TR, "?market=IR")],
)
def test_another_market_is_forbidden(
    desk: Desk, source: FakeDashboardSource, who: Member, query: str
) -> None:
    problem_of(dashboard(desk, who, query), 403)
    assert source.reads == []


def test_a_member_without_a_role_is_forbidden(desk: Desk, source: FakeDashboardSource) -> None:
    problem_of(dashboard(desk, NO_ROLE), 403)


def test_without_a_valid_token_it_is_401(desk: Desk, source: FakeDashboardSource) -> None:
    for who in (None, "not-a-token", expired("supervisor.tr", ["supervisor"], None, "TR")):
        response = dashboard(desk, who)
        problem_of(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert source.reads == []


def test_the_answer_is_json_that_is_never_stored(desk: Desk, source: FakeDashboardSource) -> None:
    response = dashboard(desk, SUPERVISOR_IR)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_late_complaint_moves_from_the_open_counts_into_the_overdue_list(
    desk: Desk, source: FakeDashboardSource
) -> None:
    code = desk.routed()
    complaint = desk.repository.complaints[code]
    assert shown(desk, SUPERVISOR_TR)["overdue"]["total"] == 0
    desk.clock.moment = complaint.expected_response_by
    at_deadline = shown(desk, SUPERVISOR_TR)
    assert [i["tracking_code"] for i in at_deadline["at_risk"]["items"]] == [code]
    desk.clock.advance(minutes=1)
    late = shown(desk, SUPERVISOR_TR)
    assert [i["tracking_code"] for i in late["overdue"]["items"]] == [code]
    assert late["at_risk"]["total"] == 0
    assert late["intake_today"]["total"] == 0  # received on an earlier day


# --- the cache -------------------------------------------------------------------------------------


class CountingSource:
    def __init__(self) -> None:
        self.reads: list[tuple[Market, date]] = []

    def read(self, market: Market, day: date) -> DashboardReading:
        from datetime import UTC, datetime

        self.reads.append((market, day))
        return DashboardReading(market, day, datetime(2026, 11, 23, tzinfo=UTC), (), ())


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_reading_is_reused_within_its_age_by_every_viewer_of_the_market() -> None:
    inner, timer = CountingSource(), Timer()
    cached = CachedDashboardSource(inner, 10, timer)
    day = date(2026, 11, 23)
    first = cached.read(Market.TR, day)
    timer.now += 9.9
    assert cached.read(Market.TR, day) is first
    assert len(inner.reads) == 1
    cached.read(Market.IR, day)  # another market is read on its own
    assert len(inner.reads) == 2
    timer.now += 0.1
    assert cached.read(Market.TR, day) is not first
    assert len(inner.reads) == 3


def test_a_new_local_day_is_read_afresh_and_zero_seconds_turns_the_cache_off() -> None:
    inner, timer = CountingSource(), Timer()
    cached = CachedDashboardSource(inner, 10, timer)
    cached.read(Market.TR, date(2026, 11, 23))
    cached.read(Market.TR, date(2026, 11, 24))
    assert len(inner.reads) == 2
    uncached = CachedDashboardSource(inner, 0, timer)
    uncached.read(Market.TR, date(2026, 11, 24))
    uncached.read(Market.TR, date(2026, 11, 24))
    assert len(inner.reads) == 4


def test_the_container_keeps_the_dashboards_reads_for_the_configured_seconds() -> None:
    source = Container(fake_settings(dashboard_cache_seconds=3)).dashboard_source
    assert isinstance(source, CachedDashboardSource)
    assert source._max_age == 3


def test_the_cache_setting_defaults_to_ten_seconds_and_is_read_from_the_environment() -> None:
    from chalicelib.settings import ENVIRONMENT, Settings

    environ = {name: f"test-{name.lower()}" for name in ENVIRONMENT}
    assert Settings.from_environ(environ).dashboard_cache_seconds == 10
    assert Settings.from_environ({**environ, "DASHBOARD_CACHE_SECONDS": "0"}).dashboard_cache_seconds == 0


# --- the old page's address ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "lang"), [("fa-IR,fa;q=0.9", "fa"), ("tr-TR", "tr"), ("de-DE", "en"), ("", "en")]
)
def test_the_old_dashboard_address_leads_to_the_console(desk: Desk, accept: str, lang: str) -> None:
    """People see the dashboard in the console, signed in; the token-pasting page is gone."""
    headers = {"Accept-Language": accept} if accept else {}
    response = desk.client.http.get("/dashboard", headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/{lang}/console/dashboard")
    assert response.headers["Vary"] == "Accept-Language"
    assert response.body == b""
    for gone in ("/assets/dashboard.js", "/assets/dashboard.css"):
        assert desk.client.http.get(gone).status_code == 404
