"""The console's records over fakes: the live dashboard, the reports with their downloads and build
requests, and the CAPA register (list, open, change, verify)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from chalicelib.bootstrap import container
from chalicelib.domain.periods import PeriodKind, period_of
from chalicelib.services.period_reports import PeriodReports
from tests.fakes import FakeRepository, FixedClock
from tests.report_fakes import FakeReportRequests, FakeReportSource, FakeReportStore
from tests.staff_tokens import AGENT_TR, AUDITOR, HANDLER_CLAIMS_TR, HANDLER_SERVICES_TR, SUPERVISOR_TR
from tests.unit.conftest import Desk
from tests.unit.test_capa import FakeCapaRegister
from tests.unit.test_console import (  # the console's fixtures, shared
    Browser,
    browser,
    capa_register,
    form_fields,
    location_of,
    page_of,
    problem,
    report_requests,
    sign_in_service,
)

__all__ = ["browser", "capa_register", "report_requests", "sign_in_service"]  # fixtures used here


# --- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_is_drawn_on_the_server_and_refreshes_itself_when_asked(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    desk.routed()
    desk.submit()
    late = desk.routed(category="service_quality")
    desk.clock.advance(days=30)
    handler = browser(HANDLER_CLAIMS_TR)
    document = handler.open("dashboard")
    assert not [m for m in document.all("meta") if m.attrs.get("http-equiv") == "refresh"]
    assert document.by_id("dashboard-board").attrs["data-refresh"] == "30"  # the script asks again
    assert "hidden" in document.by_id("dashboard-pause").attrs  # shown by the script
    wall = handler.open(str(document.by_id("dashboard-auto").attrs["href"]))
    (refresh,) = [m for m in wall.all("meta") if m.attrs.get("http-equiv") == "refresh"]
    assert refresh.attrs["content"] == "30"
    assert wall.by_id("dashboard-stop").attrs["href"] == "/en/console/dashboard"
    assert "data-refresh" not in wall.by_id("dashboard-board").attrs
    assert all("src" in script.attrs for script in document.all("script")), "no inline script"
    totals = document.by_id("dashboard-open").all("tfoot")[0].all("td")
    assert totals[-1].words() == "3"
    assert document.by_id("open-unassigned").all("td")[-1].words() == "1"
    overdue = document.by_id("dashboard-overdue")
    assert late in overdue.words()
    assert document.by_id("intake-web").words() == "0"  # the day has moved on


def test_an_auditor_chooses_the_market_of_the_dashboard(browser: Callable[..., Browser], desk: Desk) -> None:
    auditor = browser(AUDITOR, "fa")
    document = auditor.open("dashboard")
    assert document.by_id("market").attrs["name"] == "market"
    assert "ایران" in document.by_id("dashboard-as-of").words()
    assert "ترکیه" in auditor.open("dashboard?market=TR").by_id("dashboard-as-of").words()
    refused = page_of(auditor.get("dashboard?market=XX"), 422)
    assert refused.by_id("market").attrs["aria-invalid"] == "true"


def test_a_member_cannot_ask_for_another_markets_dashboard(browser: Callable[..., Browser]) -> None:
    assert problem(browser(AGENT_TR).get("dashboard?market=IR"), 403) == "forbidden"


# --- reports -------------------------------------------------------------------------------------

NOVEMBER = period_of("TR", PeriodKind.MONTHLY, date(2026, 11, 1))


@pytest.fixture
def built(repository: FakeRepository, clock: FixedClock) -> FakeReportStore:
    """November's Turkish report, built into the container's store."""
    store = FakeReportStore()
    service = PeriodReports(FakeReportSource(repository), store, clock, workers=2)
    service.build(NOVEMBER)
    container().period_reports = service
    return store


def test_the_report_list_links_each_file_through_the_console(
    browser: Callable[..., Browser], built: FakeReportStore
) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    document = handler.open("reports")
    row = document.by_id("report-TR-monthly-2026-11")
    links = [str(a.attrs["href"]) for a in row.all("a")]
    assert links == [
        "/en/console/reports/TR/monthly/2026-11/complaints.csv",
        "/en/console/reports/TR/monthly/2026-11/report.xlsx",
        "/en/console/reports/TR/monthly/2026-11/summary.json",
    ]
    answer = handler.get(links[1])
    assert location_of(answer)[0] == "/reports/TR/monthly/2026-11/report.xlsx"
    assert answer.headers["Location"].startswith("https://reports.invalid/")
    assert answer.headers["Cache-Control"] == "no-store"
    assert not document.has_id("build-form"), "only supervisors ask for a build"


def test_a_missing_or_foreign_report_file_is_a_page_not_a_redirect(
    browser: Callable[..., Browser], built: FakeReportStore
) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    assert problem(handler.get("reports/TR/daily/2026-11-03/summary.json"), 404) == "report_not_found"
    assert problem(handler.get("reports/IR/monthly/1405-09/summary.json"), 403) == "forbidden"
    assert problem(handler.get("reports/TR/monthly/2026-11/passwords.txt"), 422) == "invalid"


def test_a_supervisor_asks_for_a_report_and_is_told_it_is_queued(
    browser: Callable[..., Browser], built: FakeReportStore, report_requests: FakeReportRequests
) -> None:
    supervisor = browser(SUPERVISOR_TR)
    document = supervisor.open("reports")
    answer = supervisor.send(document, "build-form", period="weekly", date="۲۰۲۶-۱۱-۱۸")
    assert location_of(answer) == ("/en/console/reports", {"queued": ["2026-W47"]})
    assert supervisor.open(answer.headers["Location"]).by_id("report-queued").words().count("2026-W47") == 1
    assert report_requests.requests == [
        {"market": "TR", "period": "weekly", "date": "2026-11-18", "requested_by": "staff:supervisor.tr"}
    ]
    refused = page_of(supervisor.send(document, "build-form", period="weekly", date="2027-01-01"), 422)
    assert refused.by_id("date").attrs["aria-invalid"] == "true"
    assert len(report_requests.requests) == 1


def test_a_made_up_queued_notice_is_not_shown(
    browser: Callable[..., Browser], built: FakeReportStore
) -> None:
    document = browser(AGENT_TR).open("reports?queued=Your+account+is+suspended")
    assert not document.has_id("report-queued")


def test_a_handler_cannot_ask_for_a_build(
    browser: Callable[..., Browser], built: FakeReportStore, report_requests: FakeReportRequests
) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    answer = handler.post("reports", {"period": "daily", "date": "2026-11-20", "csrf": handler.token()})
    assert problem(answer, 403) == "forbidden"
    assert report_requests.requests == []


# --- the CAPA register ---------------------------------------------------------------------------


def _open_action(visitor: Browser, **fields: str) -> str:
    form = visitor.open("capa/new")
    values = {
        "kind": "corrective",
        "title": "Red yazılarında gerekçe eksik",
        "root_causes.communication": "communication",
        "root_causes.claims_assessment": "claims_assessment",
        "due_on": "2026-12-15",
        **fields,
    }
    answer = visitor.send(form, "capa-form", **values)
    path, query = location_of(answer)
    assert query == {"done": ["created"]}
    return path.rsplit("/", 1)[1]


def test_a_handler_opens_an_action_and_moves_it_to_done_and_a_supervisor_verifies_it(
    browser: Callable[..., Browser], desk: Desk, capa_register: FakeCapaRegister
) -> None:
    code = desk.routed()
    handler = browser(HANDLER_CLAIMS_TR)
    capa_id = _open_action(handler, complaints=f"{code}\n")
    action = handler.open(f"capa/{capa_id}")
    assert action.by_id("capa-status").words() == "Open"
    assert action.by_id("capa-department").words() == "Claims"
    assert [a.attrs["href"] for a in action.by_id("capa-complaints").all("a")] == [
        f"/en/console/complaints/{code}"
    ]
    answer = handler.send(action, "capa-change-form", status="done")
    assert location_of(answer)[1] == {"done": ["updated"]}
    supervisor = browser(SUPERVISOR_TR)
    done = supervisor.open(f"capa/{capa_id}")
    answer = supervisor.send(
        done,
        "capa-change-form",
        status="verified_effective",
        **{"effectiveness.effective": "true", "effectiveness.note": "Üç ayda tekrar etmedi."},
    )
    verified = supervisor.open(answer.headers["Location"])
    assert verified.by_id("capa-status").words() == "Verified effective"
    assert "Üç ayda tekrar etmedi." in verified.by_id("capa-check").words()
    assert not verified.has_id("capa-change-form"), "a verified-effective action is final"
    listed = supervisor.open("capa").by_id("capa-table")
    assert capa_id in str(listed.all("a")[0].attrs["href"])


def test_a_refused_new_action_names_each_field(
    browser: Callable[..., Browser], capa_register: FakeCapaRegister
) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    form = handler.open("capa/new")
    refused = page_of(
        handler.send(
            form, "capa-form", kind="corrective", title="", due_on="2020-01-01", complaints="NOT-A-CODE"
        ),
        422,
    )
    anchors = {a.attrs["href"] for a in refused.by_id("error-summary").all("a")}
    assert anchors == {"#title", "#root-causes", "#complaints", "#due-on"}
    assert capa_register.actions == {}


def test_a_stale_change_of_an_action_is_a_409_and_changes_nothing(
    browser: Callable[..., Browser], capa_register: FakeCapaRegister
) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    capa_id = _open_action(handler)
    stale = handler.open(f"capa/{capa_id}")
    handler.send(handler.open(f"capa/{capa_id}"), "capa-change-form", status="in_progress")
    before = dict(capa_register.actions)
    answer = handler.send(stale, "capa-change-form", status="cancelled")
    conflict = page_of(answer, 409)
    assert "changed this action first" in conflict.by_id("error-summary").words()
    assert capa_register.actions == before


def test_the_register_is_read_only_for_an_auditor_and_closed_to_an_agent(
    browser: Callable[..., Browser], capa_register: FakeCapaRegister
) -> None:
    capa_id = _open_action(browser(HANDLER_CLAIMS_TR))
    auditor = browser(AUDITOR)
    assert auditor.open("capa").by_id("capa-table")
    action = auditor.open(f"capa/{capa_id}")
    assert not action.has_id("capa-change-form")
    assert not auditor.open("capa").has_id("new-capa")
    assert problem(auditor.get("capa/new"), 403) == "forbidden"
    answer = auditor.post(f"capa/{capa_id}", {"status": "cancelled", "csrf": auditor.token()})
    assert problem(answer, 403) == "forbidden"
    assert problem(browser(AGENT_TR).get("capa"), 403) == "forbidden"


def test_a_handler_cannot_change_another_departments_action(
    browser: Callable[..., Browser], capa_register: FakeCapaRegister
) -> None:
    capa_id = _open_action(browser(HANDLER_CLAIMS_TR))
    other = browser(HANDLER_SERVICES_TR)
    page = other.open(f"capa/{capa_id}")
    _, fields = form_fields(page, "capa-change-form")
    answer = other.post(f"capa/{capa_id}", {**fields, "status": "cancelled"})
    assert problem(answer, 403) == "forbidden"


def test_an_unknown_action_id_is_a_page(
    browser: Callable[..., Browser], capa_register: FakeCapaRegister
) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    assert problem(handler.get("capa/CAPA-TR-20261123T073000000000Z-ABCD"), 404) == "capa_not_found"
    assert problem(handler.get("capa/nonsense"), 422) == "invalid"


def test_the_register_pages_through_its_actions(browser: Callable[..., Browser], desk: Desk) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    made = {_open_action(handler, title=f"Eylem {i}") for i in range(55)}
    first = handler.open("capa")
    seen = [
        str(tr.attrs["id"]).removeprefix("capa-")
        for tr in first.by_id("capa-table").all("tr")
        if tr.attrs.get("id")
    ]
    second = handler.open(str(first.by_id("next-page").attrs["href"]))
    seen += [
        str(tr.attrs["id"]).removeprefix("capa-")
        for tr in second.by_id("capa-table").all("tr")
        if tr.attrs.get("id")
    ]
    assert len(seen) == 55
    assert set(seen) == made
    assert not second.has_id("next-page")
