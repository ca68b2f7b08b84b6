"""Work queues and contact search for staff: from the indexes, never a scan.

A queue is a department's open complaints, soonest due first. The by-queue
index keeps one partition per department and state; a queue over several
states reads each partition in due order and merges them, and the cursor
remembers where each partition stands, so that no complaint is skipped or
shown twice across pages however the filters thin them out.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain import access
from chalicelib.domain.access import Permission
from chalicelib.domain.deadlines import watched
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.lifecycle import OPEN_STATES, Status
from chalicelib.domain.lookup import ContactKind
from chalicelib.domain.policy import Category, Department, Market, Priority
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.views import ComplaintSummary, queue_partition, stamp, summary_view
from chalicelib.services.ports import Clock, ComplaintRepository

UNASSIGNED = "unassigned"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: The order a queue over every open state lists its partitions in (ties go by due time anyway).
QUEUE_STATES: tuple[Status, ...] = tuple(s for s in Status if s in OPEN_STATES)
_DONE = "done"


@dataclass(frozen=True)
class QueueQuery:
    """Which queue, which filters, which page."""

    market: Market
    department: str | None  # None: complaints not yet routed
    statuses: tuple[Status, ...]
    priority: Priority | None = None
    category: Category | None = None
    overdue: bool = False
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


def parse_queue_query(params: Mapping[str, str], staff: StaffMember) -> QueueQuery:
    """A queue query from URL parameters; the member's market and department are the defaults."""
    errors: list[FieldError] = []

    def choice(name: str, values: Sequence[str]) -> str | None:
        raw = (params.get(name) or "").strip().casefold()
        if not raw:
            return None
        if raw not in values:
            errors.append(FieldError(name, "choice", f"must be one of: {', '.join(values)}"))
            return None
        return raw

    market = choice("market", [m.value.casefold() for m in Market])
    if market is None and staff.market is None:
        errors.append(FieldError("market", "required", "is required"))
    departments = [d.value for d in Department] + [UNASSIGNED]
    department = choice("department", departments)
    if department is None:
        department = staff.department.value if staff.department else None
        if department is None:
            errors.append(FieldError("department", "required", "is required"))
    status = choice("status", [s.value for s in QUEUE_STATES])
    priority = choice("priority", [p.value for p in Priority])
    category = choice("category", [c.value for c in Category])
    overdue = choice("overdue", ["true", "false", "1", "0", "yes", "no"]) in ("true", "1", "yes")
    limit = DEFAULT_LIMIT
    raw_limit = (params.get("limit") or "").strip()
    if raw_limit:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            errors.append(FieldError("limit", "range", f"must be a whole number from 1 to {MAX_LIMIT}"))
        else:
            limit = int(raw_limit)
    cursor = params.get("cursor") or None
    if cursor is not None and len(cursor) > 4096:
        errors.append(FieldError("cursor", "invalid", "is not a cursor this service gave"))
    if errors:
        raise ValidationFailed(errors)
    return QueueQuery(
        market=Market(market.upper()) if market else staff.market or Market.TR,
        department=None if department == UNASSIGNED else department,
        statuses=(Status(status),) if status else QUEUE_STATES,
        priority=Priority(priority) if priority else None,
        category=Category(category) if category else None,
        overdue=overdue,
        limit=limit,
        cursor=cursor,
    )


def work_queue(
    query: QueueQuery, *, staff: StaffMember, repository: ComplaintRepository, clock: Clock
) -> dict[str, Any]:
    """One page of a queue: soonest due first, with the cursor of the next page (None at the end)."""
    access.queue_scope(staff, query.market, query.department)
    now = clock.now()
    positions = _decode(query.cursor, query.statuses)
    while True:
        page = _next_page(query, positions, now, repository)
        more = any(positions.get(s.value) != _DONE for s in query.statuses)
        # Filters can thin out every item read: read on rather than answer an empty page mid-queue.
        if page or not more:
            break
    return {
        "market": query.market.value,
        "department": query.department or UNASSIGNED,
        "statuses": [s.value for s in query.statuses],
        "items": [summary_view(item, now) for item in page],
        "cursor": _encode(positions) if more else None,
    }


def _next_page(
    query: QueueQuery, positions: dict[str, Any], now: datetime, repository: ComplaintRepository
) -> list[ComplaintSummary]:
    """Read each partition from where it stands, merge, and move `positions` past what the page shows."""
    candidates: list[tuple[ComplaintSummary, Status]] = []
    slices = {}
    for status in query.statuses:
        position = positions.get(status.value)
        if position == _DONE:
            continue
        if query.overdue and not watched(query.market, status):
            # Answered, or waiting for the complainant where no statutory ceiling runs: never overdue.
            positions[status.value] = _DONE
            continue
        found = repository.queue_slice(
            query.market,
            query.department,
            status,
            limit=query.limit,
            due_before=now if query.overdue else None,
            priority=query.priority,
            category=query.category,
            start=position if isinstance(position, dict) else None,
        )
        slices[status] = found
        candidates.extend((item, status) for item in found.items)
    # A partition with more to read bounds the page: its next complaint may be due before anything
    # after the last one it read. The sort is stable and by due time only, so each partition's items
    # keep the index's own order (ties included), and a position is always after a prefix of them.
    bounds = [found.next_key["due_at"]["S"] for found in slices.values() if found.next_key]
    bound = min(bounds, default=None)
    candidates.sort(key=lambda pair: _stamp(pair[0]))
    page = [pair for pair in candidates if bound is None or _stamp(pair[0]) <= bound][: query.limit]
    for status, found in slices.items():
        mine = [item for item, s in page if s is status]
        if len(mine) == len(found.items):
            positions[status.value] = found.next_key if found.next_key else _DONE
        elif mine:
            positions[status.value] = _key_of(mine[-1], query.market, query.department, status)
    return [item for item, _ in page]


def _visible(item: ComplaintSummary, staff: StaffMember) -> bool:
    """Whether any of the member's roles reaches this complaint."""
    return any(access.in_scope(staff, role, item.market, item.department) for role in staff.roles)


def _stamp(item: ComplaintSummary) -> str:
    """The due time as the index's sort key writes it."""
    return stamp(item.expected_response_by)


def _key_of(item: ComplaintSummary, market: Market, department: str | None, status: Status) -> dict[str, Any]:
    """The index key of a listed complaint, as DynamoDB's LastEvaluatedKey has it."""
    return {
        "tracking_code": {"S": item.tracking_code},
        "queue_key": {"S": queue_partition(market, department, status)},
        "due_at": {"S": _stamp(item)},
    }


def _encode(positions: dict[str, Any]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, statuses: Sequence[Status]) -> dict[str, Any]:
    if cursor is None:
        return {}
    bad = ValidationFailed([FieldError("cursor", "invalid", "is not a cursor of this queue")])
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise bad from exc
    if not isinstance(data, dict) or set(data) - {s.value for s in statuses}:
        raise bad
    for value in data.values():
        if value == _DONE:
            continue
        if not isinstance(value, dict) or set(value) != {"tracking_code", "queue_key", "due_at"}:
            raise bad
        if not all(isinstance(v, dict) and isinstance(v.get("S"), str) for v in value.values()):
            raise bad
    return data


def search_by_contact(
    payload: Mapping[str, Any], *, staff: StaffMember, repository: ComplaintRepository, clock: Clock
) -> dict[str, Any]:
    """A complainant's complaints by mobile number or e-mail address, within the member's reach."""
    from chalicelib.domain.validation import Fields, contact_detail

    access.require(staff, Permission.SEARCH_CONTACT)
    f = Fields(payload)
    kind, value = contact_detail(f, staff.market)
    if f.errors or kind is None or value is None:
        raise ValidationFailed(f.errors)
    now = clock.now()
    found = repository.find_by_contact(ContactKind(kind), value)
    visible = [item for item in found if _visible(item, staff)]
    # Complaints outside the member's reach are left out without a trace: not even a count.
    return {"items": [summary_view(item, now) for item in visible]}
