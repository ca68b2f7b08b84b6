"""What each lifecycle action does to a complaint: the new complaint and its history event.

`handle` is pure: the state machine (`lifecycle.apply`) decides whether the
action is allowed, and this module works out everything else that changes
(triage, deadline, clock, milestones, the messages owed). The caller writes
the result in one transaction conditioned on the version it read.

Free text (notes, replies, the staff's reasons) goes into the event's `text`
or the complaint's personal messages, never into fields that reports or the
public view read.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain import commands as c
from chalicelib.domain.complaint import (
    Complaint,
    Decision,
    Feedback,
    HistoryEvent,
    Milestone,
    MilestoneCode,
    Referral,
    ResponseClock,
    Triage,
    change_event,
)
from chalicelib.domain.deadlines import due_at, paused, resumed, statutory_deadline
from chalicelib.domain.errors import FieldError, IllegalTransition, ValidationFailed
from chalicelib.domain.lifecycle import Action, Status, allowed_actions, apply
from chalicelib.domain.policy import (
    CURRENCIES,
    EXTERNAL_RECOURSE,
    PRIORITY_MATRIX,
    Priority,
    ReferralReason,
)

#: Which command performs which action.
ACTION_OF: dict[type, Action] = {
    c.Assess: Action.ASSESS,
    c.Assign: Action.ASSIGN,
    c.RequestInformation: Action.REQUEST_INFORMATION,
    c.ReceiveInformation: Action.RECEIVE_INFORMATION,
    c.AddNote: Action.ADD_NOTE,
    c.RecordDataCheck: Action.RECORD_DATA_CHECK,
    c.RecordRootCause: Action.RECORD_ROOT_CAUSE,
    c.Decide: Action.DECIDE,
    c.CommunicateDecision: Action.COMMUNICATE_DECISION,
    c.Close: Action.CLOSE,
    c.Reopen: Action.REOPEN,
    c.ReferOut: Action.REFER_OUT,
    c.Withdraw: Action.WITHDRAW,
}

#: The public milestone each action adds, if any; an event that adds a milestone is public.
MILESTONE_OF: dict[Action, MilestoneCode] = {
    Action.REQUEST_INFORMATION: MilestoneCode.INFORMATION_REQUESTED,
    Action.RECEIVE_INFORMATION: MilestoneCode.INFORMATION_RECEIVED,
    Action.COMMUNICATE_DECISION: MilestoneCode.DECISION_SENT,
    Action.CLOSE: MilestoneCode.CLOSED,
    Action.REOPEN: MilestoneCode.REOPENED,
    Action.REFER_OUT: MilestoneCode.REFERRED_OUT,
    Action.WITHDRAW: MilestoneCode.WITHDRAWN,
}

INFORMATION_REQUEST = "information_request"
DECISION = "decision"
SURVEY = "survey"
ESCALATION = "escalation"


def handle(
    complaint: Complaint, command: c.Command, *, actor: str, now: datetime, reopen_window_days: int = 30
) -> tuple[Complaint, HistoryEvent]:
    """The complaint after the command, and the event that records it; IllegalTransition if not allowed."""
    action = ACTION_OF[type(command)]
    status = apply(complaint.status, action)
    seq = complaint.version + 1
    after = replace(complaint, status=status, updated_at=now, version=seq, clock=complaint.response_clock)
    details: dict[str, str] = {}
    text: str | None = None

    match command:
        case c.Assess():
            after, details = _assess(after, command)
            text = command.reason
        case c.Assign():
            after, details = _assign(after, command, now)
            text = command.reason
        case c.RequestInformation():
            channel = command.channel.value if command.channel else "auto"
            intent = f"{INFORMATION_REQUEST}:{seq}:{channel}"
            messages = {**after.personal.messages, intent: command.message}
            clock = paused(after.response_clock, now)
            after = replace(
                after,
                clock=clock,
                # Only a statutory ceiling runs on while the complainant is asked (deadlines.py).
                expected_response_by=statutory_deadline(after.market, clock) or after.expected_response_by,
                personal=replace(after.personal, messages=messages),
            )
            details = {"channel": channel}
        case c.ReceiveInformation():
            clock = resumed(after.market, after.response_clock, now)
            after = replace(
                after, clock=clock, expected_response_by=due_at(after.market, after.priority, clock)
            )
            details, text = {"via": command.via}, command.text
        case c.AddNote():
            text = command.text
        case c.RecordDataCheck():
            details, text = {"subject": command.subject, "result": command.result}, command.text
        case c.RecordRootCause():
            after = replace(after, root_cause=command.code)
            details, text = {"root_cause": command.code.value}, command.text
        case c.Decide():
            currency = CURRENCIES[after.market] if command.amount else None
            decision = Decision(command.outcome, now, command.remedy, command.amount, currency)
            after = replace(after, decision=decision)
            details = {"outcome": command.outcome.value}
            details.update(
                {"amount": command.amount, "currency": currency} if command.amount and currency else {}
            )
            text = command.text
        case c.CommunicateDecision():
            details = {"channel": command.channel.value}
            if command.channel.value == "phone":
                text = command.message
            else:
                # The outcome travels in the intent: a reopening clears the decision before it is sent.
                outcome = after.decision.outcome.value if after.decision else "none"
                intent = f"{DECISION}:{seq}:{command.channel.value}:{outcome}"
                messages = {**after.personal.messages, intent: command.message or ""}
                after = replace(after, personal=replace(after.personal, messages=messages))
        case c.Close():
            after = replace(after, closures=after.closures + 1, closed_at=now)
            text = command.text
        case c.Reopen():
            _check_reopen_window(complaint, now, reopen_window_days)
            clock = ResponseClock(started_at=now)
            after = replace(
                after,
                clock=clock,
                decision=None,
                expected_response_by=due_at(after.market, after.priority, clock),
            )
            text = command.reason
        case c.ReferOut():
            body = (
                EXTERNAL_RECOURSE[after.market]
                if command.reason is ReferralReason.EXTERNAL_RECOURSE
                else None
            )
            after = replace(after, referral=Referral(command.reason, body))
            details = {"reason": command.reason.value, **({"body": body} if body else {})}
            text = command.text
        case c.Withdraw():
            text = command.reason

    milestone = MILESTONE_OF.get(action)
    if milestone is not None:
        after = replace(after, milestones=(*after.milestones, Milestone(milestone, now)))
    # Public exactly when the complainant sees a new step: the first assignment adds one too.
    public = len(after.milestones) > len(complaint.milestones)
    event = change_event(
        complaint, after, actor=actor, action=action.value, at=now, public=public, details=details, text=text
    )
    return after, event


def _assess(after: Complaint, command: c.Assess) -> tuple[Complaint, dict[str, str]]:
    matrix = PRIORITY_MATRIX[(command.urgency, command.importance)]
    # A health or safety concern stays critical unless a supervisor overrides it explicitly.
    priority = command.priority or (Priority.CRITICAL if after.health_or_safety else matrix)
    triage = Triage(
        command.urgency, command.importance, priority, after.health_or_safety, after.triage.reason
    )
    category = command.category or after.category
    clock = after.response_clock
    after = replace(
        after, triage=triage, category=category, expected_response_by=due_at(after.market, priority, clock)
    )
    details = {
        "urgency": command.urgency.value,
        "importance": command.importance.value,
        "priority": priority.value,
        "category": category.value,
    }
    if command.priority:
        details["override"] = "true"
    return after, details


def _assign(after: Complaint, command: c.Assign, now: datetime) -> tuple[Complaint, dict[str, str]]:
    department = command.department.value if command.department else after.department
    if department is None:
        raise ValidationFailed([FieldError("department", "required", "the complaint has no department yet")])
    moved = department != after.department
    assignee = command.assignee if command.assignee or moved else after.assignee
    milestones = after.milestones
    if MilestoneCode.UNDER_INVESTIGATION not in {m.code for m in milestones}:
        milestones = (*milestones, Milestone(MilestoneCode.UNDER_INVESTIGATION, now))
    details = {"department": department}
    if assignee:
        details["assignee"] = assignee
    if moved and after.department:
        details["from_department"] = after.department
    return replace(after, department=department, assignee=assignee, milestones=milestones), details


def _check_reopen_window(complaint: Complaint, now: datetime, days: int) -> None:
    closed = complaint.closed_at or complaint.updated_at
    if now - closed > timedelta(days=days):
        allowed = tuple(a.value for a in allowed_actions(complaint.status) if a is not Action.REOPEN)
        raise IllegalTransition(
            complaint.status.value,
            f"reopen (the {days}-day appeal window closed on {_day(closed + timedelta(days=days))})",
            allowed,
        )


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def record_feedback(
    complaint: Complaint, rating: int, comment: str | None, *, now: datetime
) -> tuple[Complaint, HistoryEvent]:
    """The complainant's rating of the handling just closed; one answer per closing."""
    key = str(complaint.closures)
    if complaint.status is not Status.CLOSED or key in complaint.satisfaction:
        reason = "already rated" if key in complaint.satisfaction else "not closed"
        raise IllegalTransition(complaint.status.value, f"feedback ({reason})", ())
    after = replace(
        complaint,
        satisfaction={**complaint.satisfaction, key: Feedback(rating, now)},
        version=complaint.version + 1,
    )
    details = {"rating": str(rating), "closing": key}
    return after, change_event(
        complaint, after, actor="public", action="feedback", at=now, details=details, text=comment
    )


def escalation_levels(share: float, thresholds: tuple[float, ...]) -> list[int]:
    """The escalation levels (1-based) a complaint has reached at this share of its time used."""
    return [level for level, threshold in enumerate(thresholds, start=1) if share >= threshold]


def escalate(
    complaint: Complaint, levels: list[int], chain: tuple[str, ...], *, now: datetime
) -> tuple[Complaint, HistoryEvent] | None:
    """Record the levels reached in this cycle that are not recorded yet; None if there are none.

    The key "<cycle>:<level>" on the complaint is what makes an escalation
    happen once however often the schedule runs, and its notification go out
    once through the event pipeline.
    """
    cycle = complaint.cycle
    new = [level for level in levels if f"{cycle}:{level}" not in complaint.escalations]
    if not new:
        return None
    after = replace(
        complaint,
        escalations={**complaint.escalations, **{f"{cycle}:{level}": now for level in new}},
        version=complaint.version + 1,
    )
    details = {
        "levels": ",".join(map(str, new)),
        "audience": audience_of(max(new), chain),
        "cycle": str(cycle),
    }
    return after, change_event(
        complaint, after, actor="system:escalation", action="escalate", at=now, details=details
    )


def audience_of(level: int, chain: tuple[str, ...]) -> str:
    """Who an escalation level tells: its place in the chain, the last for any level beyond it."""
    return chain[min(level, len(chain)) - 1] if chain else "supervisor"
