"""The CAPA register's use cases: open an action, change it, read one, list a market's.

A change is one read and one write conditioned on the version read: if
someone else changed the action in between, nothing is written and the
caller learns the status and version it has now (409). A list is one page of
a market's partition, newest first, with an opaque cursor to the next page.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from chalicelib.domain import access
from chalicelib.domain import capa as c
from chalicelib.domain.access import Permission
from chalicelib.domain.errors import CapaNotFound, ConcurrentUpdate, FieldError, ValidationFailed
from chalicelib.domain.policy import Market, RootCause
from chalicelib.domain.public import iso
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.text import ascii_digits
from chalicelib.services.ports import Clock

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_MAX = 1024
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


class CapaRegister(Protocol):
    """Where corrective and preventive actions are kept."""

    def add(self, action: c.CapaAction) -> None:
        """Record a new action; ConcurrentUpdate if its id is taken (nothing is written then)."""

    def get(self, market: Market, capa_id: str) -> c.CapaAction | None:
        """The action as last written, or None."""

    def save(self, before: c.CapaAction, after: c.CapaAction) -> None:
        """Write `after` if the action is still at `before`'s version; else ConcurrentUpdate."""

    def list(
        self,
        market: Market,
        *,
        status: c.CapaStatus | None = None,
        root_cause: RootCause | None = None,
        due_before: date | None = None,
        limit: int = DEFAULT_LIMIT,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[c.CapaAction], dict[str, Any] | None]:
        """Up to `limit` actions of a market, newest first, from `start` (a key the last page gave).

        `due_before` keeps only the actions still pending that were due before that day.
        """
        ...


@dataclass(frozen=True)
class CapaQuery:
    """Which market's register, which filters, which page."""

    market: Market
    status: c.CapaStatus | None = None
    root_cause: RootCause | None = None
    overdue: bool = False
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def create_capa(
    payload: Mapping[str, Any], *, staff: StaffMember, register: CapaRegister, clock: Clock
) -> dict[str, Any]:
    """Open an action in the author's market; the action as recorded."""
    access.require(staff, Permission.MANAGE_CAPA)
    now = clock.now()
    draft = c.parse_new_capa(payload, staff, now=now)
    c.require_capa_scope(staff, draft.department, draft.market)
    action = c.open_capa(draft, capa_id=c.new_capa_id(draft.market, now), staff=staff, now=now)
    register.add(action)
    return capa_view(action, c.local_today(action.market, now))


def update_capa(
    capa_id: str,
    payload: Mapping[str, Any],
    *,
    staff: StaffMember,
    register: CapaRegister,
    clock: Clock,
) -> dict[str, Any]:
    """Change an action, its status included; the action as it is after the change."""
    access.require(staff, Permission.MANAGE_CAPA)
    market, canonical = c.parse_capa_id(capa_id)
    c.require_capa_reader(staff, market)
    update = c.parse_capa_update(payload)
    before = _load(register, market, canonical)
    c.require_capa_scope(staff, before)
    if update.expected_version is not None and update.expected_version != before.version:
        raise _stale(before, f"the action changed since version {update.expected_version}")
    now = clock.now()
    after = c.revise(before, update, staff=staff, now=now)
    if after is not before:
        c.require_capa_scope(staff, after)  # a handler cannot hand an action to another department
        try:
            register.save(before, after)
        except ConcurrentUpdate as exc:
            current = register.get(market, canonical)
            if current is None:
                raise
            raise _stale(current, "someone else changed this action first") from exc
    return capa_view(after, c.local_today(after.market, now))


def get_capa(capa_id: str, *, staff: StaffMember, register: CapaRegister, clock: Clock) -> dict[str, Any]:
    """One action, for a member who may read its market's register."""
    market, canonical = c.parse_capa_id(capa_id)
    c.require_capa_reader(staff, market)
    action = _load(register, market, canonical)
    return capa_view(action, c.local_today(market, clock.now()))


def list_capa(
    params: Mapping[str, str] | None, *, staff: StaffMember, register: CapaRegister, clock: Clock
) -> dict[str, Any]:
    """One page of a market's register, newest first, with the cursor of the next page (None at the end)."""
    access.require(staff, Permission.READ_CAPA)
    query = parse_capa_query(params or {}, staff)
    c.require_capa_reader(staff, query.market)
    today = c.local_today(query.market, clock.now())
    items, next_key = register.list(
        query.market,
        status=query.status,
        root_cause=query.root_cause,
        due_before=today if query.overdue else None,
        limit=query.limit,
        start=_decode(query.cursor, query.market),
    )
    return {
        "market": query.market.value,
        "status": query.status.value if query.status else None,
        "root_cause": query.root_cause.value if query.root_cause else None,
        "overdue": query.overdue,
        "items": [capa_view(action, today) for action in items],
        "cursor": _encode(next_key) if next_key else None,
    }


def parse_capa_query(params: Mapping[str, str], staff: StaffMember) -> CapaQuery:
    """A list query from URL parameters; the member's market is the default (an auditor has none)."""
    errors: list[FieldError] = []

    def choice(name: str, values: list[str]) -> str | None:
        raw = (params.get(name) or "").strip().casefold()
        if raw and raw not in values:
            errors.append(FieldError(name, "choice", f"must be one of: {', '.join(values)}"))
            return None
        return raw or None

    market = choice("market", [m.value.casefold() for m in Market])
    chosen = Market(market.upper()) if market else staff.market
    if chosen is None and not errors:
        errors.append(FieldError("market", "required", "is required"))
    status = choice("status", [s.value for s in c.CapaStatus])
    root_cause = choice("root_cause", [r.value for r in RootCause])
    overdue = choice("overdue", [*_TRUE, *_FALSE]) in _TRUE
    limit = ascii_digits(params.get("limit") or "").strip() or str(DEFAULT_LIMIT)
    if not (re.fullmatch(r"[0-9]{1,3}", limit) and 1 <= int(limit) <= MAX_LIMIT):
        errors.append(FieldError("limit", "range", f"must be a whole number from 1 to {MAX_LIMIT}"))
    cursor = params.get("cursor") or None
    if cursor is not None and len(cursor) > CURSOR_MAX:
        errors.append(_bad_cursor())
    if errors or chosen is None:
        raise ValidationFailed(errors)
    return CapaQuery(
        market=chosen,
        status=c.CapaStatus(status) if status else None,
        root_cause=RootCause(root_cause) if root_cause else None,
        overdue=overdue,
        limit=int(limit),
        cursor=cursor,
    )


def capa_view(action: c.CapaAction, today: date) -> dict[str, Any]:
    """An action as staff see it, with whether it is overdue and where its status may move."""
    check = action.effectiveness
    return {
        "capa_id": action.capa_id,
        "market": action.market.value,
        "kind": action.kind.value,
        "title": action.title,
        "description": action.description,
        "root_causes": [cause.value for cause in action.root_causes],
        "complaints": list(action.complaints),
        "department": action.department.value,
        "owner": action.owner,
        "due_on": action.due_on.isoformat(),
        "status": action.status.value,
        "next_statuses": [s.value for s in c.MOVES[action.status]],
        "overdue": c.is_overdue(action, today),
        "effectiveness": _check_view(check) if check else None,
        "created_at": iso(action.created_at),
        "created_by": action.created_by,
        "updated_at": iso(action.updated_at),
        "updated_by": action.updated_by,
        "version": action.version,
    }


def _check_view(check: c.Effectiveness) -> dict[str, Any]:
    return {
        "effective": check.effective,
        "note": check.note,
        "checked_at": iso(check.checked_at),
        "checked_by": check.checked_by,
    }


def _load(register: CapaRegister, market: Market, capa_id: str) -> c.CapaAction:
    action = register.get(market, capa_id)
    if action is None:
        raise CapaNotFound(capa_id)
    return action


def _stale(current: c.CapaAction, message: str) -> ConcurrentUpdate:
    return ConcurrentUpdate(
        f"{message}; it is now {current.status.value} at version {current.version}",
        state=current.status.value,
        version=current.version,
    )


def _encode(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, market: Market) -> dict[str, Any] | None:
    """The key a cursor carries, if it is one this register gave for this market's partition."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (
            isinstance(key, dict)
            and set(key) == {"market", "capa_id"}
            and key["market"] == {"S": market.value}
            and isinstance(key["capa_id"], dict)
            and set(key["capa_id"]) == {"S"}
            and c.parse_capa_id(key["capa_id"]["S"]) == (market, key["capa_id"]["S"])
        )
    except (binascii.Error, ValueError, RecursionError, ValidationFailed) as exc:
        raise ValidationFailed([_bad_cursor()]) from exc
    if not valid:
        raise ValidationFailed([_bad_cursor()])
    return dict(key)


def _bad_cursor() -> FieldError:
    return FieldError("cursor", "invalid", "is not a cursor of this register")
