"""The register of corrective and preventive actions (ISO 10002 8.6).

Rules:

- An action answers one or more root causes (the taxonomy of the reports) and
  may name the complaints that revealed them (at most 200 tracking codes).
- It belongs to one market (its author's) and one department (its owner's). A
  handler manages only their own department's actions; a supervisor every
  action of their market; an auditor reads every market and changes nothing.
- Its status moves only as `MOVES` allows. An effectiveness check (effective
  or not, with a note) is recorded exactly when a done action is verified; an
  ineffective one is reopened with a due date that is not yet past.
- Verified-effective and cancelled actions are final: nothing about them changes.
- Dates are market-local calendar days; a due date is never set in the past.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import access
from chalicelib.domain.calendar import MARKET_TIMEZONES
from chalicelib.domain.commands import expected_version
from chalicelib.domain.errors import (
    FieldError,
    Forbidden,
    IllegalTransition,
    InvalidTrackingCode,
    ValidationFailed,
)
from chalicelib.domain.policy import Department, Market, RootCause
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.text import ascii_digits
from chalicelib.domain.tracking import parse_tracking_code
from chalicelib.domain.validation import Fields

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
NOTE_MAX = 2000
COMPLAINTS_MAX = 200
#: The furthest ahead a due date may be set, in days: beyond it is a typo, not a plan.
DUE_HORIZON_DAYS = 3 * 366
#: Unknown fields reported at most, so a hostile body cannot make a huge answer.
UNKNOWN_REPORTED = 10

_USERNAME = re.compile(r"^[\w.@+-]{1,128}$")
_ISO_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ID = re.compile(rf"^CAPA-({'|'.join(Market)})-[0-9]{{8}}T[0-9]{{12}}Z-[0-9A-HJKMNP-TV-Z]{{4}}$")
_SEPARATORS = re.compile(r"[,،;\n]+")
_ROOT_CAUSES = {cause.value: cause for cause in RootCause}


class CapaKind(StrEnum):
    CORRECTIVE = "corrective"  # removes the cause of a problem that happened
    PREVENTIVE = "preventive"  # removes the cause of a problem that could happen


class CapaStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"  # carried out; its effect not yet checked
    VERIFIED_EFFECTIVE = "verified_effective"
    VERIFIED_INEFFECTIVE = "verified_ineffective"  # to be reopened, or replaced by another action
    CANCELLED = "cancelled"


St = CapaStatus

#: Where each status may move to.
MOVES: dict[CapaStatus, tuple[CapaStatus, ...]] = {
    St.OPEN: (St.IN_PROGRESS, St.DONE, St.CANCELLED),
    St.IN_PROGRESS: (St.DONE, St.CANCELLED),
    St.DONE: (St.VERIFIED_EFFECTIVE, St.VERIFIED_INEFFECTIVE),
    St.VERIFIED_INEFFECTIVE: (St.IN_PROGRESS, St.CANCELLED),
    St.VERIFIED_EFFECTIVE: (),
    St.CANCELLED: (),
}
#: Statuses in which the work is still to be done, so a passed due date makes the action overdue.
PENDING: frozenset[CapaStatus] = frozenset({St.OPEN, St.IN_PROGRESS})
VERIFIED: frozenset[CapaStatus] = frozenset({St.VERIFIED_EFFECTIVE, St.VERIFIED_INEFFECTIVE})
FINAL: frozenset[CapaStatus] = frozenset(s for s, targets in MOVES.items() if not targets)

_CREATE_FIELDS = frozenset(
    {"market", "kind", "title", "description", "root_causes", "complaints", "department", "owner", "due_on"}
)
_UPDATE_FIELDS = _CREATE_FIELDS - {"market"} | {"status", "effectiveness", "expected_version"}


@dataclass(frozen=True)
class Effectiveness:
    """The check that a done action removed its cause (ISO 10002 8.6)."""

    effective: bool
    note: str
    checked_at: datetime
    checked_by: str


@dataclass(frozen=True)
class CapaAction:
    """One entry of the register; `version` rises by one with every change."""

    capa_id: str
    market: Market
    kind: CapaKind
    title: str
    description: str  # "" when none was given
    root_causes: tuple[RootCause, ...]
    complaints: tuple[str, ...]  # canonical tracking codes
    department: Department  # the owner's department
    owner: str  # a staff username
    due_on: date
    status: CapaStatus
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 1
    effectiveness: Effectiveness | None = None


@dataclass(frozen=True)
class CapaDraft:
    """A checked request to open an action."""

    market: Market
    kind: CapaKind
    title: str
    description: str
    root_causes: tuple[RootCause, ...]
    complaints: tuple[str, ...]
    department: Department
    owner: str
    due_on: date


@dataclass(frozen=True)
class Verdict:
    """An effectiveness check as asked for: effective or not, and why."""

    effective: bool
    note: str


@dataclass(frozen=True)
class CapaUpdate:
    """A checked change; None leaves a field as it is ("" clears the description)."""

    kind: CapaKind | None = None
    title: str | None = None
    description: str | None = None
    root_causes: tuple[RootCause, ...] | None = None
    complaints: tuple[str, ...] | None = None
    department: Department | None = None
    owner: str | None = None
    due_on: date | None = None
    status: CapaStatus | None = None
    verdict: Verdict | None = None
    expected_version: int | None = None


def new_capa_id(market: Market, now: datetime) -> str:
    """A fresh id that sorts by creation time within its market: `CAPA-TR-20261123T073000123456Z-7KQM`."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(4))
    return f"CAPA-{market.value}-{stamp}-{suffix}"


def parse_capa_id(text: str) -> tuple[Market, str]:
    """The market and canonical id of an id as typed (case and Persian digits forgiven)."""
    canonical = ascii_digits(text.strip()).upper() if isinstance(text, str) and len(text) <= 64 else ""
    match = _ID.fullmatch(canonical)
    if match is None:
        raise ValidationFailed([FieldError("capa_id", "format", "is not the id of an action")])
    return Market(match[1]), canonical


def local_today(market: Market, now: datetime) -> date:
    """The calendar day it is in the market."""
    return now.astimezone(ZoneInfo(MARKET_TIMEZONES[market.value])).date()


def is_overdue(action: CapaAction, today: date) -> bool:
    """An action is overdue when its work is still pending after its due date."""
    return action.status in PENDING and action.due_on < today


def parse_new_capa(payload: Mapping[str, Any], staff: StaffMember, *, now: datetime) -> CapaDraft:
    """A draft from a request body, or ValidationFailed listing every fault.

    The market is the author's; the department and owner default to the author's own.
    """
    f = Fields(payload)
    _refuse_unknown(f, _CREATE_FIELDS)
    market = f.choice("market", Market, staff.market)
    kind = f.choice("kind", CapaKind)
    title = _required(f, "title", TITLE_MAX, multiline=False)
    description = f.text("description", max_len=DESCRIPTION_MAX, multiline=True) or ""
    root_causes = _root_causes(f)
    if root_causes is None and not f.failed("root_causes"):
        f.fail("root_causes", "required", "name at least one root cause")
    complaints = _complaints(f) or ()
    department = f.choice("department", Department, staff.department)
    owner = _owner(f) or staff.username
    due_on = _due_on(f)
    if due_on is None and not f.failed("due_on"):
        f.fail("due_on", "required", "is required (YYYY-MM-DD)")
    problem = _due_problem(due_on, local_today(market, now)) if due_on and market else None
    if problem is not None:
        f.fail("due_on", *problem)
    if f.errors or not (market and kind and title and root_causes and department and due_on):
        raise ValidationFailed(f.errors)
    return CapaDraft(market, kind, title, description, root_causes, complaints, department, owner, due_on)


def parse_capa_update(payload: Mapping[str, Any]) -> CapaUpdate:
    """A change from a request body (only the fields it names), or ValidationFailed listing every fault."""
    f = Fields(payload)
    _refuse_unknown(f, _UPDATE_FIELDS)
    title = _required(f, "title", TITLE_MAX, multiline=False) if "title" in payload else None
    description = None
    if "description" in payload:
        description = f.text("description", max_len=DESCRIPTION_MAX, multiline=True) or ""
    root_causes = _root_causes(f)
    if "root_causes" in payload and root_causes is None and not f.failed("root_causes"):
        f.fail("root_causes", "required", "name at least one root cause")
    complaints = (_complaints(f) or ()) if "complaints" in payload else None
    status = f.choice("status", CapaStatus, required=False)
    verdict = _verdict(f, status)
    if status in VERIFIED and payload.get("effectiveness") is None:
        f.fail("effectiveness", "required", "record the effectiveness check: effective and note")
    update = CapaUpdate(
        kind=f.choice("kind", CapaKind, required=False),
        title=title,
        description=description,
        root_causes=root_causes,
        complaints=complaints,
        department=f.choice("department", Department, required=False),
        owner=_owner(f),
        due_on=_due_on(f),
        status=status,
        verdict=verdict,
    )
    try:
        expected = expected_version(payload)
    except ValidationFailed as exc:
        f.errors.extend(exc.errors)
        expected = None
    if f.errors:
        raise ValidationFailed(f.errors)
    return replace(update, expected_version=expected)


def open_capa(draft: CapaDraft, *, capa_id: str, staff: StaffMember, now: datetime) -> CapaAction:
    """A new action, open, as its author drafted it."""
    return CapaAction(
        capa_id=capa_id,
        market=draft.market,
        kind=draft.kind,
        title=draft.title,
        description=draft.description,
        root_causes=draft.root_causes,
        complaints=draft.complaints,
        department=draft.department,
        owner=draft.owner,
        due_on=draft.due_on,
        status=CapaStatus.OPEN,
        created_at=now,
        created_by=staff.actor,
        updated_at=now,
        updated_by=staff.actor,
    )


def revise(action: CapaAction, update: CapaUpdate, *, staff: StaffMember, now: datetime) -> CapaAction:
    """The action after a change; the same action if the change changes nothing.

    Raises IllegalTransition for a status move `MOVES` does not allow, for an
    effectiveness check outside the verification of a done action, and for
    any change to a final action.
    """
    target = update.status or action.status
    if update.verdict is not None and update.status is None:
        target = St.VERIFIED_EFFECTIVE if update.verdict.effective else St.VERIFIED_INEFFECTIVE
    allowed = tuple(s.value for s in MOVES[action.status])
    if target is not action.status and target not in MOVES[action.status]:
        raise IllegalTransition(action.status.value, target.value, allowed)
    if update.verdict is not None and not (action.status is St.DONE and target in VERIFIED):
        raise IllegalTransition(action.status.value, "check_effectiveness", allowed)
    changes = {name: value for name, value in _changes(update) if value != getattr(action, name)}
    if target is not action.status:
        changes["status"] = target
    if not changes:
        return action
    if action.status in FINAL:
        raise IllegalTransition(action.status.value, "edit", ())
    reopened = action.status is St.VERIFIED_INEFFECTIVE and target is St.IN_PROGRESS
    if "due_on" in changes or reopened:
        problem = _due_problem(changes.get("due_on", action.due_on), local_today(action.market, now))
        if problem is not None:
            raise ValidationFailed([FieldError("due_on", *problem)])
    if update.verdict is not None:
        verdict = update.verdict
        changes["effectiveness"] = Effectiveness(verdict.effective, verdict.note, now, staff.actor)
    return replace(action, **changes, updated_at=now, updated_by=staff.actor, version=action.version + 1)


def require_capa_scope(
    staff: StaffMember, subject: CapaAction | Department | None, market: Market | None = None
) -> None:
    """Refuse (403) unless the member may manage actions of this department in this market.

    `subject` is an action (its department and market count) or a department.
    """
    department = subject.department if isinstance(subject, CapaAction) else subject
    market = subject.market if isinstance(subject, CapaAction) else market
    for role in staff.roles & access.PERMISSIONS[access.Permission.MANAGE_CAPA]:
        if staff.market is None or staff.market is not market:
            continue
        if role is Role.HANDLER and (staff.department is None or staff.department is not department):
            continue
        return
    raise Forbidden("this action belongs to another market or department")


def require_capa_reader(staff: StaffMember, market: Market) -> None:
    """Refuse (403) unless the member may read the register of this market."""
    access.require(staff, access.Permission.READ_CAPA)
    if Role.AUDITOR in staff.roles or staff.market is market:
        return
    raise Forbidden("the register of another market is not yours to read")


def _changes(update: CapaUpdate) -> Iterator[tuple[str, Any]]:
    for name in ("kind", "title", "description", "root_causes", "complaints", "department", "owner"):
        value = getattr(update, name)
        if value is not None:
            yield name, value
    if update.due_on is not None:
        yield "due_on", update.due_on


def _refuse_unknown(f: Fields, known: frozenset[str]) -> None:
    unknown = [str(name) for name in f.data if name not in known]
    for name in unknown[:UNKNOWN_REPORTED]:
        f.fail(name[:64], "unknown", "is not a field of a corrective or preventive action")


def _required(f: Fields, name: str, max_len: int, *, multiline: bool) -> str | None:
    value = f.text(name, max_len=max_len, multiline=multiline)
    if value is None and not f.failed(name):
        f.fail(name, "required", "is required")
    return value


def _items(f: Fields, name: str) -> list[Any] | None:
    """A list, or text listing items by line or separated by commas or semicolons (as a form sends it)."""
    raw = f.data.get(name)
    if raw is None or raw in ("", []):
        return None
    if isinstance(raw, str):
        items: list[Any] = [part.strip() for part in _SEPARATORS.split(raw) if part.strip()]
    elif isinstance(raw, list):
        items = raw
    else:
        f.fail(name, "type", "must be a list")
        return None
    if len(items) > COMPLAINTS_MAX:
        f.fail(name, "too_many", f"must list at most {COMPLAINTS_MAX}")
        return None
    return items


def _root_causes(f: Fields) -> tuple[RootCause, ...] | None:
    items = _items(f, "root_causes")
    if items is None:
        return None
    found: list[RootCause] = []
    for i, raw in enumerate(items):
        code = _ROOT_CAUSES.get(raw.strip().casefold()) if isinstance(raw, str) else None
        if code is None:
            f.fail(f"root_causes.{i}", "choice", f"must be one of: {', '.join(RootCause)}")
        elif code not in found:
            found.append(code)
    return tuple(found) if found and not f.failed("root_causes") else None


def _complaints(f: Fields) -> tuple[str, ...] | None:
    items = _items(f, "complaints")
    if items is None:
        return None
    codes: list[str] = []
    for i, raw in enumerate(items):
        try:
            code = parse_tracking_code(raw)
        except InvalidTrackingCode as exc:
            f.fail(f"complaints.{i}", "invalid", str(exc))
            continue
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _owner(f: Fields) -> str | None:
    owner = f.text("owner", max_len=128)
    if owner is not None and not _USERNAME.match(owner):
        f.fail("owner", "format", "must be a staff username")
        return None
    return owner


def _due_on(f: Fields) -> date | None:
    raw = f.text("due_on", max_len=32)
    if raw is None:
        return None
    match = _ISO_DAY.fullmatch(ascii_digits(raw))
    if match is None:
        f.fail("due_on", "format", "must be a date as YYYY-MM-DD")
        return None
    if int(match[1]) < 1900:
        f.fail("due_on", "calendar", "give the date in the Gregorian calendar, as YYYY-MM-DD")
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        f.fail("due_on", "format", "is not a date of the calendar")
        return None


def _due_problem(due_on: date, today: date) -> tuple[str, str] | None:
    """What is wrong with a due date being set today: (code, message), or None."""
    if due_on < today:
        return "past", "must be today or later"
    if (due_on - today).days > DUE_HORIZON_DAYS:
        return "range", f"must be within {DUE_HORIZON_DAYS} days"
    return None


def _verdict(f: Fields, status: CapaStatus | None) -> Verdict | None:
    if f.data.get("effectiveness") is None:
        return None
    check = f.nested("effectiveness")
    if check.data.get("effective") in (None, ""):
        check.fail("effective", "required", "say whether the action was effective: true or false")
    effective = check.flag("effective")
    note = _required(check, "note", NOTE_MAX, multiline=True)
    if status is not None and status not in VERIFIED:
        check.fail("effective", "not_allowed", "an effectiveness check comes with verifying a done action")
    elif status is not None and (status is St.VERIFIED_EFFECTIVE) != effective:
        check.fail("effective", "mismatch", f"does not agree with the status {status.value}")
    if check.failed("effective", "note") or note is None:
        return None
    return Verdict(effective, note)
