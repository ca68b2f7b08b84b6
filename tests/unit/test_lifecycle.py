"""The ISO 10002 lifecycle: which actions each state allows, and where they lead."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import IllegalTransition
from chalicelib.domain.lifecycle import (
    OPEN_STATES,
    TRANSITIONS,
    Action,
    Status,
    allowed_actions,
    apply,
    is_open,
)

HAPPY_PATH = [
    (Action.ASSESS, Status.ASSESSED),
    (Action.ASSIGN, Status.INVESTIGATING),
    (Action.REQUEST_INFORMATION, Status.AWAITING_COMPLAINANT),
    (Action.RECEIVE_INFORMATION, Status.INVESTIGATING),
    (Action.RECORD_ROOT_CAUSE, Status.INVESTIGATING),
    (Action.DECIDE, Status.DECIDED),
    (Action.COMMUNICATE_DECISION, Status.RESPONDED),
    (Action.CLOSE, Status.CLOSED),
    (Action.REOPEN, Status.INVESTIGATING),
]


def test_a_complaint_walks_the_whole_iso_10002_process_from_receipt_to_reopening() -> None:
    status = Status.RECEIVED
    for action, expected in HAPPY_PATH:
        status = apply(status, action)
        assert status is expected, action


def test_assessing_a_received_complaint_moves_it_on_but_reassessing_keeps_the_state() -> None:
    assert apply(Status.RECEIVED, Action.ASSESS) is Status.ASSESSED
    assert apply(Status.INVESTIGATING, Action.ASSESS) is Status.INVESTIGATING


def test_a_complaint_cannot_be_closed_before_the_decision_is_communicated() -> None:
    with pytest.raises(IllegalTransition) as caught:
        apply(Status.INVESTIGATING, Action.CLOSE)
    assert caught.value.state == "investigating"
    assert "decide" in caught.value.allowed
    assert "close" not in caught.value.allowed


@pytest.mark.parametrize("final", [Status.REFERRED_OUT, Status.WITHDRAWN])
def test_referred_and_withdrawn_complaints_take_no_further_action(final: Status) -> None:
    assert allowed_actions(final) == ()
    assert not is_open(final)


def test_only_a_closed_complaint_can_be_reopened() -> None:
    sources = set(TRANSITIONS[Action.REOPEN])
    assert sources == {Status.CLOSED}


def test_a_complaint_awaiting_the_complainant_cannot_be_decided_until_they_reply() -> None:
    assert Action.DECIDE not in allowed_actions(Status.AWAITING_COMPLAINANT)
    assert Action.RECEIVE_INFORMATION in allowed_actions(Status.AWAITING_COMPLAINANT)


def test_every_state_is_reachable_from_received() -> None:
    assert _reachable(Status.RECEIVED) == set(Status)


def test_every_open_state_can_still_reach_an_end() -> None:
    ends = {Status.CLOSED, Status.REFERRED_OUT, Status.WITHDRAWN}
    for start in OPEN_STATES:
        assert _reachable(start) & ends, start


def _reachable(start: Status) -> set[Status]:
    seen, frontier = {start}, [start]
    while frontier:
        status = frontier.pop()
        for action in allowed_actions(status):
            target = apply(status, action)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


@given(st.lists(st.sampled_from(list(Action)), max_size=40))
def test_random_actions_never_reach_a_state_the_machine_forbids(actions: list[Action]) -> None:
    status = Status.RECEIVED
    for action in actions:
        allowed = allowed_actions(status)
        if action in allowed:
            status = apply(status, action)
            assert status in TRANSITIONS[action].values()
        else:
            with pytest.raises(IllegalTransition):
                apply(status, action)
        assert isinstance(status, Status)
