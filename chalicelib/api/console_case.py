"""One complaint in the console: its details and timeline, its personal data on demand, its actions.

Rules:

- The complaint's page shows the case as the staff API's case view has it,
  with no personal data, and the timeline without its free text: nobody
  asked to read it, so nothing is recorded.
- The personal data and the timeline's free text are on one page, answered
  to a post with a reason; both reads are recorded in the history first.
- Each action the member may take now (the case view's `allowed_actions`,
  from the domain's access rules) is a form carrying the version it was
  drawn from. A change made meanwhile by someone else answers 409 with the
  complaint as it is now and what was typed kept.
- A successful action answers with a redirect to the complaint (303), so a
  reload never sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.api.console_pages import Visit, date_time, label, page, redirect
from chalicelib.api.forms import Form, field_id, flatten
from chalicelib.api.render import bdi
from chalicelib.domain import errors as e
from chalicelib.domain import policy as p
from chalicelib.domain.access import Permission
from chalicelib.domain.commands import DATA_CHECK_RESULTS, expected_version, parse_action
from chalicelib.domain.lifecycle import Action
from chalicelib.domain.policy import Market
from chalicelib.domain.validation import Fields

if TYPE_CHECKING:
    from markupsafe import Markup

    from chalicelib.api.render import Texts

log = logging.getLogger("complaintdesk.console")


@dataclass(frozen=True)
class Spec:
    """One field of an action's form."""

    name: str
    widget: str  # "input", "textarea", "select" or "radios"
    options: tuple[str, ...] = ()
    labels: str = ""  # the catalog prefix of the options' labels
    required: bool = False
    max: int | None = None
    #: Offered only to roles with this permission (the service refuses the others anyway).
    permission: Permission | None = None


def _values(values: Iterable[StrEnum | str]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def _choice(
    name: str, widget: str, values: Iterable[StrEnum | str], labels: str, *, required: bool = False
) -> Spec:
    return Spec(name, widget, _values(values), labels, required)


def _text(name: str, max_len: int, *, required: bool = False, widget: str = "textarea") -> Spec:
    return Spec(name, widget, required=required, max=max_len)


#: The fields of each action's form, in the order they are asked (domain/commands.py reads them).
ACTION_FIELDS: dict[Action, tuple[Spec, ...]] = {
    Action.ASSESS: (
        _choice("urgency", "radios", p.Level, "console.level", required=True),
        _choice("importance", "radios", p.Level, "console.level", required=True),
        _choice("category", "select", p.Category, "category"),
        Spec(
            "priority",
            "select",
            _values(p.Priority),
            "console.priority",
            permission=Permission.OVERRIDE_PRIORITY,
        ),
        _text("reason", p.REASON_MAX, required=True),
    ),
    Action.ASSIGN: (
        _choice("department", "select", p.Department, "console.department"),
        _text("assignee", 128, widget="input"),
        _text("reason", p.REASON_MAX),
    ),
    Action.REQUEST_INFORMATION: (
        _text("message", p.MESSAGE_MAX, required=True),
        _choice(
            "channel", "radios", (p.ContactChannel.SMS, p.ContactChannel.EMAIL), "console.contact_channel"
        ),
    ),
    Action.RECEIVE_INFORMATION: (
        _text("text", p.REPLY_MAX, required=True),
        _choice("via", "select", sorted(p.STAFF_CHANNELS), "console.channel", required=True),
    ),
    Action.ADD_NOTE: (_text("text", p.NOTE_MAX, required=True),),
    Action.RECORD_DATA_CHECK: (
        _text("subject", p.SHORT_TEXT_MAX, required=True, widget="input"),
        _choice("result", "radios", DATA_CHECK_RESULTS, "console.data_check", required=True),
        _text("text", p.NOTE_MAX),
    ),
    Action.RECORD_ROOT_CAUSE: (
        _choice("code", "select", p.RootCause, "console.root_cause", required=True),
        _text("text", p.NOTE_MAX, required=True),
    ),
    Action.DECIDE: (
        _choice("outcome", "radios", p.DecisionOutcome, "console.outcome", required=True),
        _text("remedy", p.REASON_MAX),
        _text("amount", 32, widget="input"),
        _text("text", p.NOTE_MAX),
    ),
    Action.COMMUNICATE_DECISION: (
        _choice("channel", "radios", p.DECISION_CHANNELS, "console.contact_channel", required=True),
        _text("message", p.NOTE_MAX),
    ),
    Action.CLOSE: (_text("text", p.NOTE_MAX),),
    Action.REOPEN: (_text("reason", p.REASON_MAX, required=True),),
    Action.REFER_OUT: (
        _choice("reason", "radios", p.ReferralReason, "console.referral", required=True),
        _text("text", p.NOTE_MAX),
    ),
    Action.WITHDRAW: (_text("reason", p.REASON_MAX),),
}
#: What an action's form shows before anything is typed: a reply is mostly taken by phone.
ACTION_DEFAULTS: dict[Action, dict[str, str]] = {Action.RECEIVE_INFORMATION: {"via": p.Channel.PHONE.value}}
REVEAL_FIELDS = ("reason",)
REVEAL_PREFIX = "reveal-"
#: History details whose values are taxonomy codes, and the catalog prefix of their labels.
_DETAIL_LABELS: dict[str, tuple[str, ...]] = {
    "channel": ("console.channel", "console.notice_channel"),
    "via": ("console.channel",),
    "priority": ("console.priority",),
    "urgency": ("console.level",),
    "importance": ("console.level",),
    "category": ("category",),
    "department": ("console.department",),
    "from_department": ("console.department",),
    "root_cause": ("console.root_cause",),
    "outcome": ("console.outcome",),
    "result": ("console.data_check",),
    "status": ("console.notice_status",),
    "intent": ("console.intent",),
    "topic": ("console.intent",),
    "reason": ("console.referral",),
}
#: History details never shown: the triage's reasons are English sentences of the domain.
_HIDDEN_DETAILS = frozenset({"triage"})


def prefix_of(action: Action) -> str:
    """The start of the element ids of an action's form: `add-note-` (its field `text` is `add-note-text`)."""
    return field_id(action.value) + "-"


def action_form(
    texts: Texts, action: Action, values: dict[str, str] | None = None, errors: Any = (), notices: Any = ()
) -> Form:
    """An action's form: what was typed (or the action's defaults) and what is wrong with it."""
    specs = ACTION_FIELDS[action]
    limits = {spec.name: {"max": spec.max} for spec in specs if spec.max}
    names = tuple(spec.name for spec in specs)
    shown = ACTION_DEFAULTS.get(action, {}) if values is None else values
    return Form(texts, names, shown, errors, notices=notices, limits=limits, id_prefix=prefix_of(action))


def reveal_form(texts: Texts, values: dict[str, str] | None = None, errors: Any = ()) -> Form:
    limits = {"reason": {"max": p.REASON_MAX}}
    return Form(texts, REVEAL_FIELDS, values, errors, limits=limits, id_prefix=REVEAL_PREFIX)


# --- the views -----------------------------------------------------------------------------------


def complaint(visit: Visit, code: str) -> Response:
    """GET: the complaint, its timeline and the forms of the actions the member may take now."""
    return case_page(visit, code)


def reveal(visit: Visit, code: str) -> Response:
    """POST with a reason: the personal data and the timeline's free text; both reads are recorded."""
    from chalicelib.services.handle_complaint import reveal_with_history

    if not visit.is_post:
        return redirect(visit.link(f"complaints/{code}"))
    fields = Fields(visit.posted)
    reason = fields.text("reason", max_len=p.REASON_MAX, multiline=True)
    if reason is None and not fields.failed("reason"):
        fields.fail("reason", "required", "say why")
    if fields.errors:
        form = reveal_form(visit.texts, flatten(visit.posted), fields.errors)
        return case_page(visit, code, status=422, failed=form)
    c, staff = visit.container, visit.staff
    data, history = reveal_with_history(
        code, staff=staff, repository=c.repository, clock=c.clock, reason=reason
    )
    log.info("personal data of %s read by %s in the console", data["tracking_code"], staff.actor)
    market, texts = visit.market(), visit.texts  # the member's market: none but theirs is revealed to them
    return page(
        visit,
        "console/reveal.html",
        texts("console.reveal.title", code=data["tracking_code"]),
        shown_heading=texts("console.reveal.title", code=bdi(data["tracking_code"], "ltr")),
        here=f"/complaints/{data['tracking_code']}",
        code=data["tracking_code"],
        case_href=visit.link(f"complaints/{data['tracking_code']}"),
        contact=[
            {
                "name": name,
                "label": texts(f"console.personal.{name}"),
                "value": _contact_value(texts, name, value),
            }
            for name, value in data["contact"].items()
            if value
        ],
        description=data["description"],
        remedy=data["remedy_sought"],
        reference=data["channel_reference"],
        messages=[
            {"label": label(texts, "console.intent", intent.split(":")[0]), "text": text}
            for intent, text in sorted(data["messages"].items(), key=lambda item: _seq(item[0]))
        ],
        events=[_event(texts, event, market) for event in history["events"] if event.get("text")],
    )


def act(visit: Visit, code: str, action: str) -> Response:
    """POST: one lifecycle action; back to the complaint (303), or the complaint with what went wrong."""
    if not visit.is_post:
        return redirect(visit.link(f"complaints/{code}"))
    try:
        chosen = parse_action(action)
    except e.ValidationFailed as exc:
        raise e.ComplaintNotFound("no such action") from exc
    texts = visit.texts
    typed = flatten(visit.posted)
    try:
        body = _perform(visit, code, chosen, visit.posted)
    except e.ValidationFailed as exc:
        refused = action_form(texts, chosen, typed, exc.errors)
        return case_page(visit, code, status=422, failed=refused, open=chosen)
    except e.ConcurrentUpdate:
        kept = action_form(texts, chosen, typed, notices=["console.case.conflict"])
        return case_page(visit, code, status=409, failed=kept, open=chosen)
    except e.IllegalTransition:
        kept = action_form(texts, chosen, typed, notices=["console.case.not_now"])
        return case_page(visit, code, status=409, failed=kept, open=chosen)
    log.info("%s on %s by %s in the console", chosen.value, body["tracking_code"], visit.staff.actor)
    return redirect(visit.link(f"complaints/{body['tracking_code']}", {"done": chosen.value}))


def _perform(visit: Visit, code: str, action: Action, payload: dict[str, Any]) -> dict[str, Any]:
    """The action, guarded by the version the form was drawn from.

    The system's own bookkeeping (a message sent, a flag, an escalation) does
    not count as someone else's change: it follows a request for information
    or a decision within seconds, and the person would otherwise find every
    next form refused. The action is then taken on the version as it is now,
    once; any change of state, or by a person, is still a 409.
    """
    from chalicelib.services.handle_complaint import complaint_history, perform_action

    c, staff = visit.container, visit.staff

    def perform(sent: dict[str, Any]) -> dict[str, Any]:
        return perform_action(
            code,
            action,
            sent,
            staff=staff,
            repository=c.repository,
            clock=c.clock,
            reopen_window_days=c.settings.reopen_window_days,
        )

    try:
        return perform(payload)
    except e.ConcurrentUpdate:
        seen = expected_version(payload)
        if seen is None:
            raise
        history = complaint_history(code, staff=staff, repository=c.repository, clock=c.clock, text=False)
        since = [event for event in history["events"] if event["seq"] > seen]
        if not since or not all(_bookkeeping(event) for event in since):
            raise
        return perform({**payload, "expected_version": str(since[-1]["seq"])})


def _bookkeeping(event: dict[str, Any]) -> bool:
    """Whether a history event is the system's own, leaving the state as it was."""
    return str(event["actor"]).startswith("system") and event["from_status"] == event["to_status"]


# --- the complaint's page ------------------------------------------------------------------------


def case_page(
    visit: Visit, code: str, *, status: int = 200, failed: Form | None = None, open: Action | None = None
) -> Response:
    """The complaint's page; `failed` is a refused form (an action's or the reveal's), with its problems."""
    from chalicelib.services.handle_complaint import view_with_timeline

    c, texts, staff = visit.container, visit.texts, visit.staff
    view, history = view_with_timeline(code, staff=staff, repository=c.repository, clock=c.clock)
    market = Market(view["market"])
    actions = []
    for name in view["allowed_actions"]:
        action = Action(name)
        form = failed if open is action and failed is not None else action_form(texts, action)
        specs = [s for s in ACTION_FIELDS[action] if s.permission is None or visit.may(s.permission)]
        actions.append(
            {
                "name": name,
                "id": field_id(name),
                "href": visit.link(f"complaints/{view['tracking_code']}/actions/{name}"),
                "form": form,
                "title": texts(f"console.action.{name}"),
                "submit": texts(f"console.action.{name}.submit"),
                "fields": [_field(texts, action, spec) for spec in specs],
                "open": open is action,
            }
        )
    done = visit.params.get("done", "")
    revealing = failed if failed is not None and failed.id_prefix == REVEAL_PREFIX else reveal_form(texts)
    return page(
        visit,
        "console/complaint.html",
        texts("console.case.title", code=view["tracking_code"]),
        # The heading isolates the code alone: around the whole title, a Persian word before a code
        # that starts with a digit took the digit ("شکایت 9TVJ-..." read "TVJ-...", the word, "9").
        shown_heading=texts("console.case.title", code=bdi(view["tracking_code"], "ltr")),
        status=status,
        form=failed,
        here=f"/complaints/{view['tracking_code']}",
        code=view["tracking_code"],
        version=view["version"],
        facts=_facts(texts, view, market),
        flags=_flags(view),
        withheld=[texts(f"console.personal.{name}") for name in view["personal_data"]["present"]],
        reveal_href=visit.link(f"complaints/{view['tracking_code']}/personal-data"),
        reveal_form=revealing if visit.may(Permission.READ_PERSONAL) else None,
        actions=actions,
        done=f"console.done.{done}" if done in {a.value for a in Action} else None,
        events=[_event(texts, event, market) for event in history["events"]],
        reads=[_read(texts, read, market) for read in history["personal_data_reads"]],
        notices=[_notice(texts, intent, notice) for intent, notice in sorted(view["notices"].items())],
        attention=[
            label(texts, "console.intent", topic.split(":")[0]) for topic in sorted(view["attention"])
        ],
        milestones=[
            {"label": label(texts, "console.milestone", m["code"]), "at": date_time(texts, m["at"], market)}
            for m in view["milestones"]
        ],
    )


def _field(texts: Texts, action: Action, spec: Spec) -> dict[str, Any]:
    """What the template needs to draw one field of an action's form."""
    key = f"console.field.{action.value}.{spec.name}"
    hint = f"{key}.hint"
    return {
        "name": spec.name,
        "widget": spec.widget,
        "label": texts(key),
        "hint": texts(hint, max=spec.max) if hint in texts else None,
        "options": [(value, texts(f"{spec.labels}.{value}")) for value in spec.options],
        "required": "required" if spec.required else None,
        "max": spec.max,
    }


def _facts(texts: Texts, view: dict[str, Any], market: Market) -> list[dict[str, Any]]:
    """The case's details: an element id (`case-<name>`), a label and a value each."""
    yes_no = {True: texts("console.yes"), False: texts("console.no")}
    none = texts("console.none")
    clock = "console.case.clock_paused" if view["clock_paused"] else "console.case.clock_running"
    rows: list[tuple[str, str, Any]] = [
        ("status", "status", label(texts, "console.status", view["status"])),
        ("priority", "priority", label(texts, "console.priority", view["priority"])),
        ("health", "health", yes_no[bool(view["health_or_safety"])]),
        ("kind", "kind", label(texts, "console.kind", view["kind"])),
        ("category", "category", label(texts, "category", view["category"])),
        ("market", "market", label(texts, "console.market", view["market"])),
        ("language", "language", label(texts, "console.language", view["language"])),
        ("channel", "channel", label(texts, "console.channel", view["channel"])),
        ("department", "department", label(texts, "console.department", view["department"] or "unassigned")),
        ("assignee", "assignee", view["assignee"] or none),
        ("received-by", "received_by", view["received_by"] or none),
        ("received", "received", date_time(texts, view["received_at"], market)),
        ("due", "due", date_time(texts, view["expected_response_by"], market)),
        ("time-used", "time_used", texts("console.percent", value=round(100 * view["share_of_time_used"]))),
        ("clock", "clock", texts(clock)),
        ("urgency", "urgency", label(texts, "console.level", view["triage"]["urgency"])),
        ("importance", "importance", label(texts, "console.level", view["triage"]["importance"])),
        ("consent-contact", "consent_contact", yes_no[bool(view["consent"]["contact"])]),
        ("consent-disclose", "consent_disclose", yes_no[bool(view["consent"]["disclose"])]),
        ("root-cause", "root_cause", label(texts, "console.root_cause", view["root_cause"]) or none),
    ]
    decision = view["decision"]
    if decision:
        rows += [
            ("outcome", "outcome", label(texts, "console.outcome", decision["outcome"])),
            ("decided", "decided", date_time(texts, decision["decided_at"], market)),
            ("remedy", "remedy", decision["remedy"] or none),
        ]
        if decision["amount"]:
            amount = texts("console.amount", amount=decision["amount"], currency=decision["currency"])
            rows.append(("amount", "amount", amount))
    referral = view["referral"]
    if referral:
        rows.append(("referral", "referral", label(texts, "console.referral", referral["reason"])))
        if referral.get("body"):
            rows.append(("referral-body", "referral_body", referral["body"]))
    if view["closed_at"]:
        rows.append(("closed", "closed", date_time(texts, view["closed_at"], market)))
    rows.append(("closures", "closures", texts.number(int(view["closures"]))))
    for key, at in view["escalations"].items():
        cycle, _, level = key.partition(":")
        text = texts("console.case.escalation", level=level, at=date_time(texts, at, market))
        rows.append((f"escalation-{cycle}-{level}", "escalation", text))
    for key, rating in view["satisfaction"].items():
        text = texts(
            "console.case.rating", rating=int(rating["rating"]), at=date_time(texts, rating["at"], market)
        )
        rows.append((f"rating-{key}", "rating", text))
    return [
        {"id": f"case-{name}", "label": texts(f"console.fact.{key}"), "value": value}
        for name, key, value in rows
    ]


def _flags(view: dict[str, Any]) -> dict[str, bool]:
    return {
        "overdue": bool(view["overdue"]),
        "health": bool(view["health_or_safety"]),
        "paused": bool(view["clock_paused"]),
        "attention": bool(view["attention"]),
    }


def _event(texts: Texts, event: dict[str, Any], market: Market) -> dict[str, Any]:
    details = [
        {"label": label(texts, "console.detail", name), "value": _detail(texts, name, value)}
        for name, value in sorted(event["details"].items())
        if name not in _HIDDEN_DETAILS
    ]
    moved = event["from_status"] not in (None, event["to_status"])
    return {
        "seq": event["seq"],
        "at": date_time(texts, event["at"], market),
        "actor": event["actor"],
        "action": label(texts, "console.event", event["action"]),
        "before": label(texts, "console.status", event["from_status"]) if moved else None,
        "after": label(texts, "console.status", event["to_status"]),
        "public": event["public"],
        "details": details,
        "withheld": bool(event.get("text_withheld")),
        "text": event.get("text"),
    }


def _detail(texts: Texts, name: str, value: str) -> Markup | str:
    """A history detail's value: a taxonomy code by its label (an intent by its kind), else as written."""
    code = value.split(":")[0] if name in ("intent", "topic") else value
    for prefix in _DETAIL_LABELS.get(name, ()):
        if f"{prefix}.{code}" in texts:
            return texts(f"{prefix}.{code}")
    return value


def _read(texts: Texts, read: dict[str, Any], market: Market) -> dict[str, Any]:
    return {
        "at": date_time(texts, read["at"], market),
        "actor": read["actor"],
        "what": label(texts, "console.read", read["what"]),
        "reason": read["reason"] or "",
    }


def _notice(texts: Texts, intent: str, notice: dict[str, Any]) -> dict[str, Any]:
    return {
        "what": label(texts, "console.intent", intent.split(":")[0]),
        "status": label(texts, "console.notice_status", notice["status"]),
        "channel": label(texts, "console.notice_channel", notice["channel"]) if notice["channel"] else "",
    }


def _contact_value(texts: Texts, name: str, value: str) -> Markup | str:
    return label(texts, "console.contact_channel", value) if name == "preferred_channel" else value


def _seq(intent: str) -> int:
    parts = intent.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
