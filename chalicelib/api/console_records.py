"""The console's records: the period reports with their downloads, and the CAPA register.

Rules:

- Reports are listed, linked and asked for through the staff API's report
  functions, in process, with the session's token: the same markets for the
  same roles. A download is a console address that answers with a redirect
  (303) to a link valid for REPORT_LINK_SECONDS, made when it is followed.
- Only supervisors see the form that asks for a report to be built; a
  request answers with a redirect to the list, which says it is queued.
- The CAPA register is the staff API's use cases: a market's actions newest
  first, a page at a time; a new action; one action and the change of its
  status, guarded by the version it was drawn from (409 otherwise).
"""

from __future__ import annotations

import json
import re
from typing import Any

from chalice.app import Response

from chalicelib.api.body import JSON
from chalicelib.api.console_pages import Visit, date_time, label, page, pager, redirect
from chalicelib.api.forms import Form, flatten
from chalicelib.domain import capa as cp
from chalicelib.domain import errors as e
from chalicelib.domain import policy as p
from chalicelib.domain.access import Permission
from chalicelib.domain.errors import FieldError
from chalicelib.domain.periods import PeriodKind
from chalicelib.domain.policy import Market

REPORT_FILTERS = ("market", "period")
BUILD_FIELDS = ("period", "date")
#: A file's catalog key by its name.
REPORT_FILES = {"summary.json": "summary", "complaints.csv": "csv", "report.xlsx": "workbook"}
_LABEL = re.compile(r"[0-9]{4}-(?:[0-9]{2}(?:-[0-9]{2})?|W[0-9]{2})")

CAPA_FILTERS = ("market", "status", "root_cause", "overdue")
CAPA_NEW_FIELDS = (
    "kind",
    "title",
    "description",
    "root_causes",
    "complaints",
    "department",
    "owner",
    "due_on",
)
CAPA_CHANGE_FIELDS = ("status", "effectiveness.effective", "effectiveness.note", "owner", "due_on")
CAPA_LIMITS = {
    "title": {"max": cp.TITLE_MAX},
    "description": {"max": cp.DESCRIPTION_MAX},
    "effectiveness.note": {"max": cp.NOTE_MAX},
    "complaints": {"max": cp.COMPLAINTS_MAX},
}
NEW = "new"


def _bearer(visit: Visit) -> dict[str, str]:
    """The headers of an in-process call of a staff API function, as this member."""
    assert visit.session is not None
    return {"authorization": f"Bearer {visit.session.token}", "content-type": JSON}


# --- reports -------------------------------------------------------------------------------------


def reports(visit: Visit) -> Response:
    """GET: the reports of the member's market (an auditor's choice); POST: a supervisor asks for one."""
    from chalicelib.api import reports as api

    c, texts = visit.container, visit.texts
    if visit.is_post:
        payload = {name: value for name, value in visit.posted.items() if value not in (None, "")}
        try:
            answer = api.request_report(json.dumps(payload), _bearer(visit), c)
        except e.ValidationFailed as exc:
            build = Form(texts, BUILD_FIELDS, flatten(visit.posted), exc.errors)
            return _reports_page(visit, build_form=build, status=422)
        queued = json.loads(answer.body)
        return redirect(visit.link("reports", {"queued": queued["label"]}))
    return _reports_page(visit)


def _reports_page(visit: Visit, *, build_form: Form | None = None, status: int = 200) -> Response:
    from chalicelib.api import reports as api

    c, texts = visit.container, visit.texts
    filters = {name: visit.params[name] for name in REPORT_FILTERS if visit.params.get(name)}
    filter_form = Form(texts, REPORT_FILTERS, filters)
    listed: list[dict[str, Any]] = []
    try:
        answer = api.list_reports(filters, _bearer(visit), c)
        listed = json.loads(answer.body)["reports"]
    except e.ValidationFailed as exc:
        filter_form, status = Form(texts, REPORT_FILTERS, filters, exc.errors), 422
    queued = visit.params.get("queued", "")
    market = visit.market()
    return page(
        visit,
        "console/reports.html",
        texts("console.reports.title"),
        status=status,
        form=build_form if build_form is not None and build_form.error_count else filter_form,
        current="reports",
        here="/reports",
        filter_form=filter_form,
        build_form=(build_form or Form(texts, BUILD_FIELDS)) if visit.may(Permission.BUILD_REPORTS) else None,
        queued=queued if _LABEL.fullmatch(queued) else None,
        reports=[_report(visit, report, market) for report in listed],
        market_options=[(m.value, texts(f"console.market.{m.value}")) for m in Market],
        period_options=[(k.value, texts(f"console.period.{k.value}")) for k in PeriodKind],
        choose_market=visit.chooses_market,
    )


def _report(visit: Visit, report: dict[str, Any], market: Market) -> dict[str, Any]:
    texts = visit.texts
    path = f"reports/{report['market']}/{report['period']}/{report['label']}"
    return {
        "id": f"report-{report['market']}-{report['period']}-{report['label']}",
        "market": label(texts, "console.market", report["market"]),
        "period": label(texts, "console.period", report["period"]),
        "label": report["label"],
        "complete": report["complete"],
        "files": [
            {
                "name": stored["name"],
                "label": label(texts, "console.report_file", REPORT_FILES.get(stored["name"])),
                "href": visit.link(f"{path}/{stored['name']}"),
                "size": texts("console.size.kb", size=max(1, round(int(stored["size"]) / 1024))),
                "written": date_time(texts, stored["written_at"], market),
            }
            for stored in report["files"]
        ],
    }


def report_file(visit: Visit, market: str, period: str, label: str, name: str) -> Response:
    """GET: to the file itself (303), by a link made now and valid for a few minutes."""
    from chalicelib.api import reports as api

    answer = api.report_link(market, period, label, name, _bearer(visit), visit.container)
    return redirect(json.loads(answer.body)["url"])


# --- the CAPA register ---------------------------------------------------------------------------


def register(visit: Visit) -> Response:
    """GET: a page of the market's register, newest first; POST: a new action (then to its page)."""
    from chalicelib.services import capa as use

    c, texts, staff = visit.container, visit.texts, visit.staff
    if visit.is_post:
        payload = _capa_payload(visit.posted)
        try:
            created = use.create_capa(payload, staff=staff, register=c.capa, clock=c.clock)
        except e.ValidationFailed as exc:
            form = Form(
                texts, CAPA_NEW_FIELDS, flatten(visit.posted), _grouped(exc.errors), limits=CAPA_LIMITS
            )
            return _new_capa_page(visit, form, 422)
        return redirect(visit.link(f"capa/{created['capa_id']}", {"done": "created"}))
    chosen = {name: visit.params[name] for name in (*CAPA_FILTERS, "cursor") if visit.params.get(name)}
    if staff.market is None:
        chosen.setdefault("market", visit.market().value)
    filters = {name: value for name, value in chosen.items() if name != "cursor"}
    try:
        found = use.list_capa(chosen, staff=staff, register=c.capa, clock=c.clock)
    except e.ValidationFailed as exc:
        return _register_page(visit, Form(texts, CAPA_FILTERS, filters, exc.errors), [], None, None, 422)
    rows = [_capa_row(visit, item) for item in found["items"]]
    first, following = pager(visit, "capa", filters, found["cursor"], paged="cursor" in chosen)
    return _register_page(visit, Form(texts, CAPA_FILTERS, filters), rows, following, first)


def _register_page(
    visit: Visit,
    form: Form,
    rows: list[dict[str, Any]],
    following: str | None,
    first: str | None,
    status: int = 200,
) -> Response:
    texts = visit.texts
    return page(
        visit,
        "console/capa.html",
        texts("console.capa.title"),
        status=status,
        form=form,
        current="capa",
        rows=rows,
        next_page=following,
        first_page=first,
        new_href=visit.link(f"capa/{NEW}") if visit.may(Permission.MANAGE_CAPA) else None,
        choose_market=visit.chooses_market,
        market_options=[(m.value, texts(f"console.market.{m.value}")) for m in Market],
        status_options=[(s.value, texts(f"console.capa_status.{s.value}")) for s in cp.CapaStatus],
        cause_options=[(r.value, texts(f"console.root_cause.{r.value}")) for r in p.RootCause],
    )


def _capa_row(visit: Visit, item: dict[str, Any]) -> dict[str, Any]:
    """One action of the register's list: what it is, whose, until when, and where it stands."""
    texts = visit.texts
    return {
        "id": item["capa_id"],
        "href": visit.link(f"capa/{item['capa_id']}"),
        "kind": label(texts, "console.capa_kind", item["kind"]),
        "title": item["title"],
        "department": label(texts, "console.department", item["department"]),
        "owner": item["owner"],
        "due": item["due_on"],
        "status": label(texts, "console.capa_status", item["status"]),
        "overdue": bool(item["overdue"]),
    }


def capa_action(visit: Visit, capa_id: str) -> Response:
    """GET: one action (or the form of a new one); POST: its change."""
    from chalicelib.domain.access import require
    from chalicelib.services import capa as use

    c, texts, staff = visit.container, visit.texts, visit.staff
    if capa_id == NEW:
        if visit.is_post:
            return redirect(visit.link("capa"))
        require(staff, Permission.MANAGE_CAPA)
        preset = {"owner": staff.username}
        if staff.department:
            preset["department"] = staff.department.value
        return _new_capa_page(visit, Form(texts, CAPA_NEW_FIELDS, preset, limits=CAPA_LIMITS))
    if not visit.is_post:
        action = use.get_capa(capa_id, staff=staff, register=c.capa, clock=c.clock)
        done = visit.params.get("done")
        return _capa_page(
            visit,
            action,
            None,
            notice=f"console.capa.done.{done}" if done in ("created", "updated") else None,
        )
    payload = _capa_payload(visit.posted)
    try:
        changed = use.update_capa(capa_id, payload, staff=staff, register=c.capa, clock=c.clock)
    except e.ValidationFailed as exc:
        action = use.get_capa(capa_id, staff=staff, register=c.capa, clock=c.clock)
        form = Form(
            texts, CAPA_CHANGE_FIELDS, flatten(visit.posted), _grouped(exc.errors), limits=CAPA_LIMITS
        )
        return _capa_page(visit, action, form, status=422)
    except (e.ConcurrentUpdate, e.IllegalTransition) as exc:
        action = use.get_capa(capa_id, staff=staff, register=c.capa, clock=c.clock)
        why = "console.capa.conflict" if isinstance(exc, e.ConcurrentUpdate) else "console.capa.not_now"
        form = Form(texts, CAPA_CHANGE_FIELDS, flatten(visit.posted), notices=[why], limits=CAPA_LIMITS)
        return _capa_page(visit, action, form, status=409)
    return redirect(visit.link(f"capa/{changed['capa_id']}", {"done": "updated"}))


def _new_capa_page(visit: Visit, form: Form, status: int = 200) -> Response:
    texts = visit.texts
    chosen = {cause for cause in p.RootCause if form.values.get(f"root_causes.{cause.value}")}
    return page(
        visit,
        "console/capa_new.html",
        texts("console.capa.new.title"),
        status=status,
        form=form,
        current="capa",
        here=f"/capa/{NEW}",
        kind_options=[(k.value, texts(f"console.capa_kind.{k.value}")) for k in cp.CapaKind],
        cause_options=[(r.value, texts(f"console.root_cause.{r.value}"), r in chosen) for r in p.RootCause],
        department_options=[(d.value, texts(f"console.department.{d.value}")) for d in p.Department],
        limits=CAPA_LIMITS,
    )


def _capa_page(
    visit: Visit, action: dict[str, Any], form: Form | None, *, status: int = 200, notice: str | None = None
) -> Response:
    texts = visit.texts
    market = Market(action["market"])
    current = {"status": action["status"], "owner": action["owner"], "due_on": action["due_on"]}
    change = form or Form(texts, CAPA_CHANGE_FIELDS, current, limits=CAPA_LIMITS)
    may_change = visit.may(Permission.MANAGE_CAPA) and bool(action["next_statuses"])
    statuses = [action["status"], *action["next_statuses"]]
    check = action["effectiveness"]
    return page(
        visit,
        "console/capa_action.html",
        texts("console.capa.action.title", id=action["capa_id"]),
        status=status,
        form=form,
        current="capa",
        here=f"/capa/{action['capa_id']}",
        action=action,
        notice=notice,
        facts=[
            ("kind", label(texts, "console.capa_kind", action["kind"])),
            ("status", label(texts, "console.capa_status", action["status"])),
            ("overdue", texts("console.yes") if action["overdue"] else texts("console.no")),
            ("department", label(texts, "console.department", action["department"])),
            ("owner", action["owner"]),
            ("due", action["due_on"]),
            ("created", date_time(texts, action["created_at"], market)),
            ("created-by", action["created_by"]),
            ("updated", date_time(texts, action["updated_at"], market)),
            ("updated-by", action["updated_by"]),
        ],
        causes=[label(texts, "console.root_cause", cause) for cause in action["root_causes"]],
        complaints=[(code, visit.link(f"complaints/{code}")) for code in action["complaints"]],
        check=None
        if check is None
        else {
            "effective": texts("console.yes") if check["effective"] else texts("console.no"),
            "note": check["note"],
            "at": date_time(texts, check["checked_at"], market),
            "by": check["checked_by"],
        },
        change=change if may_change else None,
        status_options=[(s, texts(f"console.capa_status.{s}")) for s in statuses],
        verifies=cp.CapaStatus.DONE.value == action["status"],
        effective_options=[("true", texts("console.yes")), ("false", texts("console.no"))],
        limits_note=cp.NOTE_MAX,
    )


def _capa_payload(posted: dict[str, Any]) -> dict[str, Any]:
    """A CAPA form as the register's use cases read it.

    The root causes come as one box each (`root_causes.<code>`), an unused
    effectiveness check as two empty fields, and the version as typed.
    """
    payload = dict(posted)
    causes = payload.get("root_causes")
    if isinstance(causes, dict):
        payload["root_causes"] = [value for value in causes.values() if value]
    check = payload.get("effectiveness")
    if isinstance(check, dict) and not any(check.values()):
        payload.pop("effectiveness")
    for name in ("owner", "due_on", "status"):
        if payload.get(name) == "":
            payload.pop(name)
    return payload


def _grouped(errors: list[FieldError]) -> list[FieldError]:
    """Errors of one item of a list (`root_causes.2`) shown against the list."""
    return [
        FieldError(error.field.split(".")[0], error.code, error.message)
        if error.field.split(".")[0] in ("root_causes", "complaints")
        else error
        for error in errors
    ]
