"""Staff work on one complaint (ISO 10002 7.5 to 7.9): read it, reveal its personal data, act on it.

An action is one read and one transactional write: the complaint's update,
conditioned on the version read, and its history event. A caller that names
the version it saw (`expected_version`) gets 409 with the state the complaint
is in now if anyone changed it since. A caller that names none asks for the
action on the complaint as it is: a write that loses a race to another writer
(often the pipeline recording a message it sent) is read, decided and written
again, up to ATTEMPTS times, and the action must still be allowed then. Every
staff read of personal data is recorded in the history before the data is
answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain import access
from chalicelib.domain import commands as c
from chalicelib.domain.access import Permission
from chalicelib.domain.complaint import AccessEvent, Complaint
from chalicelib.domain.errors import ComplaintNotFound, ConcurrentUpdate, IllegalTransition
from chalicelib.domain.handling import handle
from chalicelib.domain.lifecycle import Action
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.tracking import parse_tracking_code
from chalicelib.domain.views import case_view, history_view, personal_view
from chalicelib.services.ports import Clock, ComplaintRepository

#: Reads, decisions and writes of an action that names no version, before it answers 409.
ATTEMPTS = 3


def load(tracking_code: str, repository: ComplaintRepository) -> Complaint:
    """The complaint of a code as typed (forgiving), or ComplaintNotFound."""
    code = parse_tracking_code(tracking_code)
    complaint = repository.get(code)
    if complaint is None:
        raise ComplaintNotFound(code)
    return complaint


def view_complaint(
    tracking_code: str, *, staff: StaffMember, repository: ComplaintRepository, clock: Clock
) -> dict[str, Any]:
    """The complaint without its personal data, with the actions this member may take now."""
    complaint = load(tracking_code, repository)
    access.require(staff, Permission.READ, complaint)
    return case_view(complaint, clock.now(), access.actions_for(staff, complaint))


def reveal_personal_data(
    tracking_code: str,
    *,
    staff: StaffMember,
    repository: ComplaintRepository,
    clock: Clock,
    reason: str | None = None,
) -> dict[str, Any]:
    """The complaint's personal data, for a role that may see it; the read is recorded first."""
    complaint = load(tracking_code, repository)
    access.require(staff, Permission.READ_PERSONAL, complaint)
    repository.record_access(
        AccessEvent(complaint.tracking_code, clock.now(), staff.actor, "personal_data", reason)
    )
    return personal_view(complaint)


def complaint_history(
    tracking_code: str,
    *,
    staff: StaffMember,
    repository: ComplaintRepository,
    clock: Clock,
    text: bool = True,
) -> dict[str, Any]:
    """Who did what and when; the free text only for roles that see personal data (and recorded).

    With `text=False` the free text is withheld from everyone and no read is
    recorded: a timeline shown beside the case, where nobody asked for it.
    """
    complaint = load(tracking_code, repository)
    return _history_of(complaint, staff=staff, repository=repository, clock=clock, text=text)


def view_with_timeline(
    tracking_code: str, *, staff: StaffMember, repository: ComplaintRepository, clock: Clock
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The complaint's view and its timeline without free text, from one read of the complaint."""
    complaint = load(tracking_code, repository)
    access.require(staff, Permission.READ, complaint)
    view = case_view(complaint, clock.now(), access.actions_for(staff, complaint))
    history = _history_of(complaint, staff=staff, repository=repository, clock=clock, text=False)
    return view, history


def reveal_with_history(
    tracking_code: str,
    *,
    staff: StaffMember,
    repository: ComplaintRepository,
    clock: Clock,
    reason: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The personal data and the history with its free text, from one read; both reads recorded first."""
    complaint = load(tracking_code, repository)
    access.require(staff, Permission.READ_PERSONAL, complaint)
    repository.record_access(
        AccessEvent(complaint.tracking_code, clock.now(), staff.actor, "personal_data", reason)
    )
    history = _history_of(complaint, staff=staff, repository=repository, clock=clock, text=True)
    return personal_view(complaint), history


def _history_of(
    complaint: Complaint, *, staff: StaffMember, repository: ComplaintRepository, clock: Clock, text: bool
) -> dict[str, Any]:
    access.require(staff, Permission.READ_HISTORY, complaint)
    with_text = text and access.may(staff, access.PERMISSIONS[Permission.READ_PERSONAL], complaint)
    changes, reads = repository.history(complaint.tracking_code)
    if with_text and any(event.text is not None for event in changes):
        now = clock.now()
        repository.record_access(AccessEvent(complaint.tracking_code, now, staff.actor, "history_text"))
    return {
        "tracking_code": complaint.tracking_code,
        "events": [history_view(event, with_text=with_text) for event in changes],
        "personal_data_reads": [
            {"at": r.at.isoformat(), "actor": r.actor, "what": r.what, "reason": r.reason} for r in reads
        ],
    }


def perform_action(
    tracking_code: str,
    action: Action,
    payload: Mapping[str, Any],
    *,
    staff: StaffMember,
    repository: ComplaintRepository,
    clock: Clock,
    reopen_window_days: int,
) -> dict[str, Any]:
    """Take one lifecycle action; the complaint as it is after it."""
    command = None
    for attempt in range(1, ATTEMPTS + 1):
        complaint = load(tracking_code, repository)
        # Who may act comes first: a member refused the action learns that, not what their body lacks.
        access.require(staff, Permission.READ, complaint)
        access.require_action(staff, action, complaint)
        if command is None:
            command = c.parse_command(action, payload)
            expected = c.expected_version(payload)
        if isinstance(command, c.Assess) and command.priority is not None:
            access.require(staff, Permission.OVERRIDE_PRIORITY, complaint)
        if expected is not None and expected != complaint.version:
            raise _stale(complaint, f"the complaint changed since version {expected}")
        now = clock.now()
        try:
            after, event = handle(
                complaint, command, actor=staff.actor, now=now, reopen_window_days=reopen_window_days
            )
        except IllegalTransition as exc:
            # The state's actions narrowed to this member's, as the case view offers them.
            mine = set(access.actions_for(staff, complaint))
            allowed = tuple(a for a in exc.allowed if a in mine)
            raise IllegalTransition(exc.state, exc.action, allowed) from exc
        try:
            repository.apply_change(complaint, after, event)
        except ConcurrentUpdate as exc:
            if expected is None and attempt < ATTEMPTS:
                continue
            current = repository.get(complaint.tracking_code)
            if current is None:
                raise
            raise _stale(current, "someone else changed this complaint first") from exc
        return case_view(after, now, access.actions_for(staff, after))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _stale(current: Complaint, message: str) -> ConcurrentUpdate:
    return ConcurrentUpdate(
        f"{message}; it is now {current.status.value} at version {current.version}",
        state=current.status.value,
        version=current.version,
    )
