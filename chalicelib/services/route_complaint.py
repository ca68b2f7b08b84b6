"""Send a new complaint to the department that resolves it (ISO 10002 7.6).

Routing happens once: a redelivered message finds the department set and
changes nothing. The department is told through the dispatch path, which the
assignment's own change triggers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.complaint import Complaint, HistoryEvent, Milestone, MilestoneCode, change_event
from chalicelib.domain.errors import ComplaintNotFound, ConcurrentUpdate
from chalicelib.domain.lifecycle import TRANSITIONS, Action, apply
from chalicelib.domain.routing import department_for
from chalicelib.services.ports import Clock, ComplaintRepository

ATTEMPTS = 5


def route_complaint(tracking_code: str, *, repository: ComplaintRepository, clock: Clock) -> str | None:
    """Assign the complaint's department; the department, or None if it needs no routing."""
    for _ in range(ATTEMPTS):
        current = repository.get(tracking_code)
        if current is None:
            raise ComplaintNotFound(tracking_code)
        if current.department:
            return current.department
        if current.status not in TRANSITIONS[Action.ASSIGN]:
            return None  # withdrawn or referred before it was routed
        after, event = _assigned(current, clock.now())
        try:
            repository.apply_change(current, after, event)
            return after.department
        except ConcurrentUpdate:
            continue
    raise ConcurrentUpdate(f"could not route {tracking_code}: it keeps changing")


def _assigned(current: Complaint, now: datetime) -> tuple[Complaint, HistoryEvent]:
    department = department_for(current).value
    status = apply(current.status, Action.ASSIGN)
    after = replace(
        current,
        department=department,
        status=status,
        milestones=(*current.milestones, Milestone(MilestoneCode.UNDER_INVESTIGATION, now)),
        attention={k: v for k, v in current.attention.items() if k != "routing"},
        updated_at=now,
        version=current.version + 1,
    )
    event = change_event(
        current,
        after,
        actor="system:router",
        action=Action.ASSIGN.value,
        at=now,
        public=True,
        details={"department": department},
    )
    return after, event
