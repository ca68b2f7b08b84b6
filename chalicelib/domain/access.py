"""Who may do what to which complaint: roles, markets and departments.

- agent: enters complaints from other channels and reads those of their market;
- handler: works the complaints of their own department, in their market;
- supervisor: everything in their market, including reassigning, overriding
  priority, closing and reopening;
- auditor: reads everything, in every market, including the history; changes
  nothing and does not see personal data (auditing the handling needs none).

Everything not granted here is refused (403).
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.complaint import Complaint
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.lifecycle import Action, allowed_actions
from chalicelib.domain.policy import Market
from chalicelib.domain.staff import Role, StaffMember

A, H, S, U = Role.AGENT, Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR


class Permission(StrEnum):
    """What a staff request does, apart from the lifecycle actions."""

    READ = "read"  # a complaint without its personal data; the work queues
    READ_PERSONAL = "read_personal"  # its personal data and the free text of its history
    READ_HISTORY = "read_history"
    INTAKE = "intake"  # record a complaint received by phone, fax, post, e-mail, social media, in person
    SEARCH_CONTACT = "search_contact"  # find complaints by a mobile number or e-mail address
    READ_CAPA = "read_capa"
    MANAGE_CAPA = "manage_capa"
    OVERRIDE_PRIORITY = "override_priority"
    VIEW_DASHBOARD = "view_dashboard"  # the live view of every department, personal data masked
    READ_REPORTS = "read_reports"  # list period reports and download them
    BUILD_REPORTS = "build_reports"  # build any period's report on request


PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.READ: frozenset({A, H, S, U}),
    Permission.READ_PERSONAL: frozenset({A, H, S}),
    Permission.READ_HISTORY: frozenset({A, H, S, U}),  # a clerk taking a follow-up call needs the story
    Permission.INTAKE: frozenset({A, S}),
    Permission.SEARCH_CONTACT: frozenset({A, H, S}),
    Permission.READ_CAPA: frozenset({H, S, U}),
    Permission.MANAGE_CAPA: frozenset({H, S}),
    Permission.OVERRIDE_PRIORITY: frozenset({S}),
    Permission.VIEW_DASHBOARD: frozenset({A, H, S, U}),  # the Turkish policy: every department sees all
    Permission.READ_REPORTS: frozenset({A, H, S, U}),
    Permission.BUILD_REPORTS: frozenset({S}),
}


def market_scope(staff: StaffMember, permission: Permission, market: Market | None) -> Market | None:
    """The market a market-wide read covers: the member's own; an auditor may name any, or none for all.

    Refuses (403) a role without the permission, and another market for anyone but an auditor.
    """
    roles = [role for role in staff.roles if role in PERMISSIONS[permission]]
    if not roles:
        raise Forbidden(_refusal(staff, permission.value, PERMISSIONS[permission], None))
    if Role.AUDITOR in roles:
        return market
    if staff.market is None:
        raise Forbidden("your account has no market")
    if market is not None and market is not staff.market:
        raise Forbidden(f"{permission.value!r} covers your own market ({staff.market.value}) only")
    return staff.market


#: The roles that may take each lifecycle action (on a complaint in their scope).
ACTIONS: dict[Action, frozenset[Role]] = {
    Action.ASSESS: frozenset({H, S}),
    Action.ASSIGN: frozenset({H, S}),
    Action.REQUEST_INFORMATION: frozenset({H, S}),
    Action.RECEIVE_INFORMATION: frozenset({A, H, S}),  # a reply taken by phone or at the desk
    Action.ADD_NOTE: frozenset({A, H, S}),
    Action.RECORD_DATA_CHECK: frozenset({H, S}),
    Action.RECORD_ROOT_CAUSE: frozenset({H, S}),
    Action.DECIDE: frozenset({H, S}),
    Action.COMMUNICATE_DECISION: frozenset({H, S}),
    Action.CLOSE: frozenset({S}),
    Action.REOPEN: frozenset({S}),
    Action.REFER_OUT: frozenset({H, S}),
    Action.WITHDRAW: frozenset({A, H, S}),  # at the complainant's request, often by phone
}


def in_scope(staff: StaffMember, role: Role, market: Market, department: str | None) -> bool:
    """Whether a member acting in `role` may touch a complaint of this market and department."""
    if role is Role.AUDITOR:
        return True
    if staff.market is not market:
        return False
    if role is Role.HANDLER:
        return staff.department is not None and department == staff.department.value
    return True


def may(staff: StaffMember, granted: frozenset[Role], complaint: Complaint | None = None) -> bool:
    """Whether any of the member's roles is granted and (for a complaint) covers it."""
    roles = [role for role in staff.roles if role in granted]
    if complaint is None:
        return bool(roles)
    return any(in_scope(staff, role, complaint.market, complaint.department) for role in roles)


def require(staff: StaffMember, permission: Permission, complaint: Complaint | None = None) -> None:
    """Refuse (403) unless the member has the permission, for this complaint if one is given."""
    if not may(staff, PERMISSIONS[permission], complaint):
        raise Forbidden(_refusal(staff, permission.value, PERMISSIONS[permission], complaint))


def require_action(staff: StaffMember, action: Action, complaint: Complaint) -> None:
    """Refuse (403) unless the member may take this action on this complaint."""
    if not may(staff, ACTIONS[action], complaint):
        raise Forbidden(_refusal(staff, action.value, ACTIONS[action], complaint))


def actions_for(staff: StaffMember, complaint: Complaint) -> list[str]:
    """The actions this member may take on this complaint now: the state's, narrowed by role."""
    return [a.value for a in allowed_actions(complaint.status) if may(staff, ACTIONS[a], complaint)]


def queue_scope(staff: StaffMember, market: Market | None, department: str | None) -> None:
    """Refuse (403) a queue outside the member's reach; a handler sees only their department's."""
    for role in staff.roles:
        if role not in PERMISSIONS[Permission.READ]:
            continue
        if role is Role.AUDITOR:
            return
        if market is None or market is not staff.market:  # a queue over every market: auditors only
            continue
        if role is Role.HANDLER and (staff.department is None or department != staff.department.value):
            continue
        return
    raise Forbidden("this queue is outside your market or department")


def _refusal(staff: StaffMember, what: str, granted: frozenset[Role], complaint: Complaint | None) -> str:
    """Why: the role cannot do it at all, or can but not on a complaint of another market or department."""
    roles = ", ".join(sorted(r.value for r in staff.roles)) or "no role"
    if complaint is not None and any(role in granted for role in staff.roles):
        return f"{what!r} is allowed for {roles} only on complaints of your own market and department"
    return f"{what!r} is not allowed for {roles}"
