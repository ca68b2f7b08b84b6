"""The ISO 10002 lifecycle of a complaint, as a state machine.

A complaint moves only by actions that its current state allows. Actions that
record facts (a note, a data check, a root cause) keep the state. Closed,
referred-out and withdrawn complaints are out of every work queue.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.errors import IllegalTransition


class Status(StrEnum):
    """Where a complaint stands in its handling."""

    RECEIVED = "received"  # 7.2 recorded, awaiting initial assessment
    ASSESSED = "assessed"  # 7.5 prioritised, awaiting a department
    INVESTIGATING = "investigating"  # 7.6 with a department
    AWAITING_COMPLAINANT = "awaiting_complainant"  # 7.6 information requested; clock paused
    DECIDED = "decided"  # 7.7 decision made, not yet told
    RESPONDED = "responded"  # 7.8 decision communicated
    CLOSED = "closed"  # 7.9
    REFERRED_OUT = "referred_out"  # out of scope, or external recourse named
    WITHDRAWN = "withdrawn"  # at the complainant's request


class Action(StrEnum):
    """Something a person or the system does to a complaint."""

    ASSESS = "assess"
    ASSIGN = "assign"
    REQUEST_INFORMATION = "request_information"
    RECEIVE_INFORMATION = "receive_information"
    ADD_NOTE = "add_note"
    RECORD_DATA_CHECK = "record_data_check"
    RECORD_ROOT_CAUSE = "record_root_cause"
    DECIDE = "decide"
    COMMUNICATE_DECISION = "communicate_decision"
    CLOSE = "close"
    REOPEN = "reopen"
    REFER_OUT = "refer_out"
    WITHDRAW = "withdraw"


S = Status

#: Every state in which the complaint still needs work.
OPEN_STATES: frozenset[Status] = frozenset(
    {S.RECEIVED, S.ASSESSED, S.INVESTIGATING, S.AWAITING_COMPLAINANT, S.DECIDED, S.RESPONDED}
)

#: States in which the response clock does not run.
PAUSED_STATES: frozenset[Status] = frozenset({S.AWAITING_COMPLAINANT})

#: States in which the insurer owes the response and its clock runs: only these
#: can be overdue or escalated (a responded complaint has had its answer).
RUNNING_STATES: tuple[Status, ...] = (S.RECEIVED, S.ASSESSED, S.INVESTIGATING, S.DECIDED)

_WORKING = frozenset({S.ASSESSED, S.INVESTIGATING, S.AWAITING_COMPLAINANT})


def _to(target: Status, *sources: Status | frozenset[Status]) -> dict[Status, Status]:
    return {source: target for source in _flatten(sources)}


def _stay(*sources: Status | frozenset[Status]) -> dict[Status, Status]:
    return {source: source for source in _flatten(sources)}


def _flatten(sources: tuple[Status | frozenset[Status], ...]) -> list[Status]:
    flat: list[Status] = []
    for item in sources:
        flat.extend([item] if isinstance(item, Status) else sorted(item))
    return flat


#: For each action, the state it moves each allowed source state to.
TRANSITIONS: dict[Action, dict[Status, Status]] = {
    Action.ASSESS: _to(S.ASSESSED, S.RECEIVED) | _stay(S.ASSESSED, S.INVESTIGATING),
    Action.ASSIGN: _to(S.INVESTIGATING, S.RECEIVED, S.ASSESSED, S.INVESTIGATING),
    Action.REQUEST_INFORMATION: _to(S.AWAITING_COMPLAINANT, S.INVESTIGATING),
    Action.RECEIVE_INFORMATION: _to(S.INVESTIGATING, S.AWAITING_COMPLAINANT),
    Action.ADD_NOTE: _stay(OPEN_STATES),
    Action.RECORD_DATA_CHECK: _stay(_WORKING),
    Action.RECORD_ROOT_CAUSE: _stay(_WORKING, S.DECIDED),
    Action.DECIDE: _to(S.DECIDED, S.INVESTIGATING),
    Action.COMMUNICATE_DECISION: _to(S.RESPONDED, S.DECIDED),
    Action.CLOSE: _to(S.CLOSED, S.RESPONDED),
    Action.REOPEN: _to(S.INVESTIGATING, S.CLOSED),
    Action.REFER_OUT: _to(S.REFERRED_OUT, S.RECEIVED, S.ASSESSED, S.INVESTIGATING),
    Action.WITHDRAW: _to(S.WITHDRAWN, OPEN_STATES - {S.RESPONDED}),
}


def allowed_actions(status: Status) -> tuple[Action, ...]:
    """The actions a complaint in this state may take, in a stable order."""
    return tuple(action for action, moves in TRANSITIONS.items() if status in moves)


def apply(status: Status, action: Action) -> Status:
    """The state after the action; an action the state forbids is refused."""
    moves = TRANSITIONS[action]
    if status not in moves:
        raise IllegalTransition(status.value, action.value, tuple(a.value for a in allowed_actions(status)))
    return moves[status]


def is_open(status: Status) -> bool:
    """Whether the complaint still belongs in a work queue."""
    return status in OPEN_STATES
