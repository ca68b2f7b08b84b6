"""The console's daily work: the queue, finding a complaint, staff intake and the live dashboard.

Rules:

- The queue is the staff API's: one department's open complaints in one
  market, soonest due first, read from the queues' index a page at a time;
  its opaque cursor is the next page's address. The member's market and
  department are the defaults (a member without them starts with the
  language's market and Customer Services).
- An overdue, health or safety, paused or flagged complaint says so in
  words, not only by colour.
- A search by mobile number or e-mail is posted, never put in a URL, and
  the page never shows the detail searched for again.
- Staff intake goes through the staff API's intake (`POST /staff/complaints`)
  with the form's own idempotency key: the same checks, and the same form
  sent twice records one complaint.
- The dashboard is the staff API's, drawn on the server, and asks again
  every 30 seconds by itself (no script needed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.api.body import JSON
from chalicelib.api.console_pages import Visit, date_time, label, page, pager, redirect
from chalicelib.api.forms import KEY_FIELD, LIMITS, Form, flatten, new_key
from chalicelib.domain import errors as e
from chalicelib.domain import policy as p
from chalicelib.domain.errors import FieldError
from chalicelib.domain.lifecycle import OPEN_STATES, Status
from chalicelib.domain.policy import Market

if TYPE_CHECKING:
    from markupsafe import Markup

    from chalicelib.api.render import Texts

QUEUE_FIELDS = ("market", "department", "status", "priority", "category", "overdue", "limit")
PAGE_SIZES = ("25", "50", "100", "200")
SEARCH_FIELDS = ("mobile", "email")
FIND_FIELDS = ("tracking_code",)
INTAKE_FIELDS = (
    "channel",
    "channel_detail.reference",
    "channel_detail.network",
    "language",
    "kind",
    "category",
    "health_or_safety",
    "description",
    "remedy_sought",
    "contact.name",
    "contact.mobile",
    "contact.email",
    "contact.national_id",
    "contact.policy_number",
    "contact.preferred_channel",
    "contact.postal_address",
    "consent.contact",
    "consent.disclose",
)
INTAKE_LIMITS = {**LIMITS, "channel_detail.reference": {"max": p.SHORT_TEXT_MAX}}
UNASSIGNED = "unassigned"


# --- the queue -----------------------------------------------------------------------------------


def queue(visit: Visit) -> Response:
    """GET: one page of a department's open complaints, with the filters as a form."""
    from chalicelib.services.work_queues import DEFAULT_LIMIT, parse_queue_query, work_queue

    c, texts, staff = visit.container, visit.texts, visit.staff
    chosen = {
        name: value for name, value in visit.params.items() if name in (*QUEUE_FIELDS, "cursor") and value
    }
    defaults = {
        "market": (staff.market or visit.market()).value,
        "department": staff.department.value if staff.department else p.Department.CUSTOMER_SERVICES.value,
        "limit": str(DEFAULT_LIMIT),
    }
    query = {**defaults, **chosen}
    filters = {name: value for name, value in query.items() if name != "cursor"}
    try:
        asked = parse_queue_query(query, staff)
        found = work_queue(asked, staff=staff, repository=c.repository, clock=c.clock)
    except e.ValidationFailed as exc:
        form = Form(texts, QUEUE_FIELDS, filters, exc.errors)
        return _queue_page(visit, form, [], None, None, status=422)
    market = Market(found["market"])
    rows = [row(visit, item, market) for item in found["items"]]
    first, following = pager(visit, "queue", filters, found["cursor"], paged="cursor" in chosen)
    return _queue_page(visit, Form(texts, QUEUE_FIELDS, filters), rows, following, first)


def _queue_page(
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
        "console/queue.html",
        texts("console.queue.title"),
        status=status,
        form=form,
        current="queue",
        choose_market=visit.chooses_market,
        rows=rows,
        next_page=following,
        first_page=first,
        market_options=_options(texts, "console.market", [m.value for m in Market]),
        department_options=_options(
            texts, "console.department", [*(d.value for d in p.Department), UNASSIGNED]
        ),
        status_options=_options(texts, "console.status", [s.value for s in Status if s in OPEN_STATES]),
        priority_options=_options(texts, "console.priority", [x.value for x in p.Priority]),
        category_options=_options(texts, "category", [x.value for x in p.Category]),
        size_options=[(size, texts.number(int(size))) for size in PAGE_SIZES],
    )


def row(visit: Visit, item: Mapping[str, Any], market: Market) -> dict[str, Any]:
    """One complaint of a list: its code and link, taxonomy, times and flags; nothing about the person."""
    texts = visit.texts
    return {
        "code": item["tracking_code"],
        "href": visit.link(f"complaints/{item['tracking_code']}"),
        "status": label(texts, "console.status", item["status"]),
        "priority": label(texts, "console.priority", item["priority"]),
        "category": label(texts, "category", item["category"]),
        "channel": label(texts, "console.channel", item["channel"]),
        "department": label(texts, "console.department", item["department"] or UNASSIGNED),
        "assignee": item["assignee"] or "",
        "received": date_time(texts, item["received_at"], market),
        "due": date_time(texts, item["expected_response_by"], market),
        "overdue": bool(item["overdue"]),
        "health": bool(item["health_or_safety"]),
        "paused": bool(item["clock_paused"]),
        "attention": bool(item["attention"]),
    }


# --- finding a complaint -------------------------------------------------------------------------


def search(visit: Visit) -> Response:
    """GET ?tracking_code=: to the complaint; POST: a complainant's complaints by mobile or e-mail."""
    from chalicelib.services.handle_complaint import view_complaint
    from chalicelib.services.work_queues import search_by_contact

    c, texts, staff = visit.container, visit.texts, visit.staff
    find = Form(texts, FIND_FIELDS)
    contact = Form(texts, SEARCH_FIELDS)
    if visit.is_post:
        try:
            found = search_by_contact(visit.posted, staff=staff, repository=c.repository, clock=c.clock)
        except e.ValidationFailed as exc:
            # What was typed is personal data: it is not shown again, only what is wrong with it.
            return _search_page(visit, find, Form(texts, SEARCH_FIELDS, {}, exc.errors), None, 422)
        return _search_page(
            visit, find, contact, [row(visit, item, visit.market()) for item in found["items"]]
        )
    typed = visit.params.get("tracking_code", "").strip()
    if not typed:
        return _search_page(visit, find, contact, None)
    try:
        view = view_complaint(typed, staff=staff, repository=c.repository, clock=c.clock)
    except (e.InvalidTrackingCode, e.ComplaintNotFound) as exc:
        code = "invalid" if isinstance(exc, e.InvalidTrackingCode) else "not_found"
        refused = Form(
            texts, FIND_FIELDS, {"tracking_code": typed[:64]}, [FieldError("tracking_code", code, "")]
        )
        return _search_page(visit, refused, contact, None, 404 if code == "not_found" else 422)
    return redirect(visit.link(f"complaints/{view['tracking_code']}"))


def _search_page(
    visit: Visit, find: Form, contact: Form, results: list[dict[str, Any]] | None, status: int = 200
) -> Response:
    from chalicelib.domain.access import Permission

    failed = find if find.error_count else contact
    return page(
        visit,
        "console/search.html",
        visit.texts("console.search.title"),
        status=status,
        form=failed,
        current="search",
        here="/search",
        find=find,
        contact=contact if visit.may(Permission.SEARCH_CONTACT) else None,
        results=results,
    )


# --- staff intake --------------------------------------------------------------------------------


def intake(visit: Visit) -> Response:
    """GET: the form of a complaint taken by another channel; POST: recorded, with its tracking code."""
    from chalicelib.api.public import submit
    from chalicelib.domain.access import Permission, require

    c, texts, staff = visit.container, visit.texts, visit.staff
    if not visit.is_post:
        require(staff, Permission.INTAKE)  # the form is for those who may send it; the post is checked anyway
        language = p.DEFAULT_LANGUAGE.get(staff.market or visit.market(), p.Language.EN)
        preset = {"channel": p.Channel.PHONE.value, "language": language.value}
        return _intake_form(visit, Form(texts, INTAKE_FIELDS, preset, key=new_key(), limits=INTAKE_LIMITS))
    payload = dict(visit.posted)
    sent_key = payload.pop(KEY_FIELD, None)
    key = sent_key if isinstance(sent_key, str) and sent_key else new_key()
    values = flatten(payload)
    headers = {"content-type": JSON, "idempotency-key": key}
    try:
        answer = submit(json.dumps(payload, ensure_ascii=False), headers, c, staff=staff)
    except e.ValidationFailed as exc:
        refused = any(error.field.startswith("header.") for error in exc.errors)
        form = Form(
            texts, INTAKE_FIELDS, values, exc.errors, key=new_key() if refused else key, limits=INTAKE_LIMITS
        )
        return _intake_form(visit, form, 422)
    except e.IdempotencyConflict:
        notices = ["console.intake.conflict"]
        form = Form(texts, INTAKE_FIELDS, values, key=new_key(), notices=notices, limits=INTAKE_LIMITS)
        return _intake_form(visit, form, 422)
    receipt = json.loads(answer.body)
    market = staff.market or visit.market()
    code = receipt["tracking_code"]
    return page(
        visit,
        "console/intake_done.html",
        texts("console.intake.done.title"),
        current="intake",
        here="/intake",
        code=code,
        due=date_time(texts, receipt["expected_response_by"], market),
        case_href=visit.link(f"complaints/{code}"),
    )


def _intake_form(visit: Visit, form: Form, status: int = 200) -> Response:
    texts, staff = visit.texts, visit.staff
    market = staff.market or visit.market()
    return page(
        visit,
        "console/intake.html",
        texts("console.intake.title"),
        status=status,
        form=form,
        current="intake",
        market=market.value,
        market_label=label(texts, "console.market", market.value),
        channel_options=_options(texts, "console.channel", sorted(c.value for c in p.STAFF_CHANNELS)),
        network_options=_options(texts, "console.network", [n.value for n in p.SocialNetwork]),
        language_options=_options(texts, "console.language", [lang.value for lang in p.Language]),
        kind_options=_options(texts, "console.kind", [k.value for k in p.Kind]),
        category_options=_options(texts, "category", [x.value for x in p.Category]),
        health_options=_options(texts, "answer", ("yes", "no")),
        preferred_options=_options(texts, "console.contact_channel", [x.value for x in p.ContactChannel]),
        limits=INTAKE_LIMITS,
    )


# --- the live dashboard --------------------------------------------------------------------------


def dashboard(visit: Visit) -> Response:
    """GET: the market's live figures, drawn on the server, asked for again every 30 seconds."""
    from chalicelib.domain.dashboard import DEPARTMENTS, STATES
    from chalicelib.services.dashboard import live_dashboard

    c, texts, staff = visit.container, visit.texts, visit.staff
    requested = visit.params.get("market") or (None if staff.market else visit.market().value)
    try:
        board = live_dashboard(
            requested,
            staff=staff,
            source=c.dashboard_source,
            clock=c.clock,
            at_risk_share=c.settings.escalation_thresholds[0],
        )
    except e.ValidationFailed as exc:
        form = Form(texts, ("market",), {"market": (requested or "")[:8]}, exc.errors)
        return _dashboard_page(visit, form, None, 422)
    market = Market(board["market"])
    counts = board["open"]
    departments = [
        d for d in counts["by_department"] if d in DEPARTMENTS or counts["by_department"][d]["total"]
    ]
    view = {
        "market": market.value,
        "market_label": label(texts, "console.market", market.value),
        "as_of": date_time(texts, board["as_of"], market),
        "refresh": board["refresh_seconds"],
        "states": [(s.value, label(texts, "console.status", s.value)) for s in STATES],
        "total": counts["total"],
        "by_status": counts["by_status"],
        "departments": [
            {
                "id": department,
                "label": label(texts, "console.department", department),
                "total": counts["by_department"][department]["total"],
                "by_status": counts["by_department"][department]["by_status"],
            }
            for department in departments
        ],
        "at_risk": _listed(visit, board["at_risk"], market),
        "overdue": _listed(visit, board["overdue"], market),
        "intake": {
            "total": board["intake_today"]["total"],
            "by_channel": [
                (channel, label(texts, "console.channel", channel), count)
                for channel, count in board["intake_today"]["by_channel"].items()
            ],
        },
        "oldest": [_board_row(visit, item, market) for item in board["oldest"]["items"]],
    }
    return _dashboard_page(visit, Form(texts, ("market",), {"market": market.value}), view)


def _dashboard_page(visit: Visit, form: Form, board: dict[str, Any] | None, status: int = 200) -> Response:
    """The page; it refreshes itself by script, or without one on a wall display that asks for it.

    A page that reloads itself on a timer is what WCAG 2.2.1 (and axe-core's
    meta-refresh rule) asks to leave to the reader: the meta refresh is only
    on the address that asks for it (`?refresh=on`), which the page links to.
    """
    texts = visit.texts
    auto = visit.params.get("refresh") == "on" and board is not None
    query = {"market": board["market"]} if board and visit.staff.market is None else {}
    return page(
        visit,
        "console/dashboard.html",
        texts("console.dashboard.title"),
        status=status,
        form=form,
        current="dashboard",
        refresh=board["refresh"] if auto and board else None,
        board=board,
        auto=auto,
        plain_href=visit.link("dashboard", query),
        auto_href=visit.link("dashboard", {**query, "refresh": "on"}),
        market_options=_options(texts, "console.market", [m.value for m in Market]),
        choose_market=visit.chooses_market,
    )


def _listed(visit: Visit, listed: Mapping[str, Any], market: Market) -> dict[str, Any]:
    return {"total": listed["total"], "items": [_board_row(visit, item, market) for item in listed["items"]]}


def _board_row(visit: Visit, item: Mapping[str, Any], market: Market) -> dict[str, Any]:
    texts = visit.texts
    return {
        "code": item["tracking_code"],
        "href": visit.link(f"complaints/{item['tracking_code']}"),
        "status": label(texts, "console.status", item["status"]),
        "department": label(texts, "console.department", item["department"]),
        "category": label(texts, "category", item["category"]),
        "priority": label(texts, "console.priority", item["priority"]),
        "due": date_time(texts, item["expected_response_by"], market),
        "age": age(texts, int(item["age_seconds"])),
        "used": texts("console.percent", value=round(100 * float(item["share_used"]))),
        "paused": bool(item["clock_paused"]),
    }


def age(texts: Texts, seconds: int) -> Markup:
    """How long a complaint has waited: days and hours, or hours and minutes under a day."""
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return texts("console.age.days", days=days, hours=hours)
    return texts("console.age.hours", hours=hours, minutes=minutes)


def _options(texts: Texts, prefix: str, values: list[str] | tuple[str, ...]) -> list[tuple[str, Markup]]:
    return [(value, texts(f"{prefix}.{value}")) for value in values]
