"""Random staff work on one complaint, checked against a model of the rules after every step.

A state machine drives `perform_action` (parse, access, version check, `handle`,
one versioned write) with random actions, bodies, members and pauses, and
mixes in the complainant's feedback and the escalation schedule. After each
step the complaint and its history must be exactly what the rules allow.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import Phase, settings
from hypothesis import event as tally
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chalicelib.domain import policy as p
from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.complaint import Complaint
from chalicelib.domain.deadlines import is_overdue, share_used, statutory_deadline
from chalicelib.domain.errors import ConcurrentUpdate, Forbidden, IllegalTransition, ValidationFailed
from chalicelib.domain.handling import escalate, escalation_levels, record_feedback
from chalicelib.domain.lifecycle import TRANSITIONS, Action, Status, allowed_actions
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.handle_complaint import perform_action
from chalicelib.services.submit_complaint import submit_complaint
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock

START = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
WINDOW_DAYS = 30
SECRET = "QQSECRETQQ"  # in every free text staff write, except the remedy granted (the case view shows it)
A, H, S, U = Role.AGENT, Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR

#: Who may take which action (access.py's rules, written out again as the model).
ACTING: dict[Role, set[Action]] = {
    A: {Action.RECEIVE_INFORMATION, Action.ADD_NOTE, Action.WITHDRAW},
    H: set(Action) - {Action.CLOSE, Action.REOPEN},
    S: set(Action),
    U: set(),
}

#: The actions that always add a public milestone; an assignment adds one the first time.
MILESTONE_ACTIONS = {
    Action.REQUEST_INFORMATION,
    Action.RECEIVE_INFORMATION,
    Action.COMMUNICATE_DECISION,
    Action.CLOSE,
    Action.REOPEN,
    Action.REFER_OUT,
    Action.WITHDRAW,
}

DEPARTMENTS = ["claims", "finance"]
texts = st.sampled_from([f"{SECRET} not", f"{SECRET} ödeme İzmir'de ılık", f"{SECRET} پرداخت ۱۲۳ 😡"])
levels = st.sampled_from([level.value for level in p.Level])


def _with(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in required.items()},
        optional={k: v if isinstance(v, st.SearchStrategy) else st.just(v) for k, v in optional.items()},
    )


def _decisions() -> st.SearchStrategy[dict[str, Any]]:
    rejected = _with({"outcome": "rejected"}, {"text": texts})
    upheld = _with(
        {"outcome": st.sampled_from(["upheld", "partly_upheld"]), "remedy": "Hasar ödenecek"},
        {"amount": st.sampled_from(["1500", "۱۲۳۴٫۵۰", "1,250.75"]), "text": texts},
    )
    return rejected | upheld


#: A good body for each action (faults are added apart, through the expected version).
BODIES: dict[Action, st.SearchStrategy[dict[str, Any]]] = {
    Action.ASSESS: _with(
        {"urgency": levels, "importance": levels, "reason": texts},
        {"priority": st.sampled_from([x.value for x in p.Priority])},
    ),
    Action.ASSIGN: st.one_of(
        _with({"department": st.sampled_from(DEPARTMENTS)}, {"assignee": "mehmet", "reason": texts}),
        _with({"assignee": st.sampled_from(["mehmet", "zeynep"])}, {"reason": texts}),
    ),
    Action.REQUEST_INFORMATION: _with({"message": texts}, {"channel": st.sampled_from(["sms", "email"])}),
    Action.RECEIVE_INFORMATION: _with({"text": texts}, {"via": st.sampled_from(["phone", "email", "post"])}),
    Action.ADD_NOTE: _with({"text": texts}, {}),
    Action.RECORD_DATA_CHECK: _with(
        {"subject": "policy", "result": st.sampled_from(["confirmed", "discrepancy"])}, {"text": texts}
    ),
    Action.RECORD_ROOT_CAUSE: _with(
        {"code": st.sampled_from([x.value for x in p.RootCause]), "text": texts}, {}
    ),
    Action.DECIDE: _decisions(),
    Action.COMMUNICATE_DECISION: _with(
        {"channel": st.sampled_from(["sms", "email", "phone"]), "message": texts}, {}
    ),
    Action.CLOSE: _with({}, {"text": texts}),
    Action.REOPEN: _with({"reason": texts}, {}),
    Action.REFER_OUT: _with(
        {"reason": st.sampled_from([x.value for x in p.ReferralReason])}, {"text": texts}
    ),
    Action.WITHDRAW: _with({}, {"reason": texts}),
}

requests = st.sampled_from(list(Action)).flatmap(lambda action: st.tuples(st.just(action), BODIES[action]))
#: Members, weighted towards those who may act so that complaints get far in their lives.
members = st.tuples(
    st.sampled_from([(S,), (S,), (S,), (H, S), (H,), (H,), (A,), (U,), ()]),
    st.sampled_from(["same", "same", "same", "other"]),  # the member's market, as the complaint's
    st.sampled_from(["claims", "claims", "finance", None]),
)
versions = st.sampled_from(["none", "none", "none", "current", "stale", "garbage"])
waits = st.sampled_from(
    [
        timedelta(0),
        timedelta(minutes=1),
        timedelta(hours=2),
        timedelta(days=1),
        timedelta(days=4),
        timedelta(days=31),
    ]
)


class ComplaintLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.repository = FakeRepository()
        self.clock = FixedClock(START)
        self.code = ""
        self.accepted = 0

    @initialize(market=st.sampled_from(["TR", "IR"]), health=st.booleans())
    def submit(self, market: str, health: bool) -> None:
        payload = copy.deepcopy(TURKISH_COMPLAINT if market == "TR" else PERSIAN_COMPLAINT)
        payload["health_or_safety"] = health
        receipt = submit_complaint(
            parse_submission(payload),
            repository=self.repository,
            clock=self.clock,
            new_code=new_tracking_code,
        )
        self.code = str(receipt.body["tracking_code"])

    @property
    def complaint(self) -> Complaint:
        return self.repository.complaints[self.code]

    def _unchanged(self, before: Complaint, events: int) -> None:
        assert self.complaint == before
        assert len(self.repository.events[self.code]) == events

    # --- staff actions ---------------------------------------------------------------------------

    @rule(request=requests, who=members, version=versions, wait=waits)
    def act(
        self,
        request: tuple[Action, dict[str, Any]],
        who: tuple[tuple[Role, ...], str, str | None],
        version: str,
        wait: timedelta,
    ) -> None:
        """Anything, by anyone: most of it is refused."""
        self._attempt(request, who, version, wait)

    @rule(data=st.data(), wait=waits)
    def move_on(self, data: st.DataObject, wait: timedelta) -> None:
        """What the state allows, by a supervisor of the market: the complaint gets on in its life."""
        status = self.complaint.status
        allowed = [a for a in allowed_actions(status) if a not in (Action.REFER_OUT, Action.WITHDRAW)]
        if not allowed:
            return
        allowed += [a for a in allowed if TRANSITIONS[a][status] is not status] * 4  # moving on is likelier
        action = data.draw(st.sampled_from(allowed), label="action")
        body = data.draw(BODIES[action], label="body")
        self._attempt((action, body), ((S,), "same", None), "none", wait)

    def _attempt(
        self,
        request: tuple[Action, dict[str, Any]],
        who: tuple[tuple[Role, ...], str, str | None],
        version: str,
        wait: timedelta,
    ) -> None:
        self.clock.advance(seconds=wait.total_seconds())
        now = self.clock.now()
        action, body = request
        before = self.complaint
        events_before = len(self.repository.events[self.code])
        roles, market_choice, department = who
        other = p.Market.IR if before.market is p.Market.TR else p.Market.TR
        staff = StaffMember(
            "ayse",
            frozenset(roles),
            p.Department(department) if department else None,
            before.market if market_choice == "same" else other,
        )
        body = dict(body)
        if version != "none":
            stale = before.version - 1 if before.version > 1 else before.version + 1
            body["expected_version"] = {"current": before.version, "stale": stale, "garbage": "v?"}[version]

        faults = self._faults(before, action, body, staff, version, now)
        refused: Exception | None = None
        view: dict[str, Any] = {}
        try:
            view = perform_action(
                self.code,
                action,
                body,
                staff=staff,
                repository=self.repository,
                clock=self.clock,
                reopen_window_days=WINDOW_DAYS,
            )
        except (ValidationFailed, Forbidden, IllegalTransition, ConcurrentUpdate) as exc:
            refused = exc
        tally(f"{action.value}: {type(refused).__name__ if refused else 'done'}")
        if refused is not None:
            assert type(refused) in faults, (action.value, before.status.value, roles, refused, faults)
            self._unchanged(before, events_before)
            return
        assert not faults, (action.value, before.status.value, roles, faults)
        self.accepted += 1

        after = self.complaint
        recorded = self.repository.events[self.code][-1]
        assert after.status is TRANSITIONS[action][before.status]
        assert (recorded.action, recorded.from_status, recorded.to_status) == (
            action.value,
            before.status,
            after.status,
        )
        assert (recorded.actor, recorded.at) == ("staff:ayse", now)
        added = len(after.milestones) - len(before.milestones)
        first_assignment = action is Action.ASSIGN and not any(
            m.code.value == "under_investigation" for m in before.milestones
        )
        assert added == int(action in MILESTONE_ACTIONS or first_assignment)
        assert recorded.public is (added == 1)
        assert SECRET not in json.dumps(view, ensure_ascii=False), "the case view holds no personal data"
        if action is Action.REOPEN:
            assert after.response_clock.started_at == now
            assert after.decision is None
            assert after.cycle == after.closures == before.closures

    def _faults(
        self,
        before: Complaint,
        action: Action,
        body: dict[str, Any],
        staff: StaffMember,
        version: str,
        now: datetime,
    ) -> set[type[Exception]]:
        """Every reason the rules give to refuse this request; none: it must succeed."""

        def reaches(role: Role) -> bool:
            if role is U:
                return True
            if staff.market is not before.market:
                return False
            return role is not H or (
                staff.department is not None and staff.department.value == before.department
            )

        faults: set[type[Exception]] = set()
        if version == "garbage":
            faults.add(ValidationFailed)
        if version == "stale":
            faults.add(ConcurrentUpdate)
        if not any(action in ACTING[role] and reaches(role) for role in staff.roles):
            faults.add(Forbidden)
        if action is Action.ASSESS and "priority" in body and not (S in staff.roles and reaches(S)):
            faults.add(Forbidden)
        if before.status not in TRANSITIONS[action]:
            faults.add(IllegalTransition)
        elif action is Action.REOPEN:
            assert before.closed_at is not None
            if now - before.closed_at > timedelta(days=WINDOW_DAYS):
                faults.add(IllegalTransition)
        elif action is Action.ASSIGN and "department" not in body and before.department is None:
            faults.add(ValidationFailed)
        return faults

    # --- the complainant and the schedule --------------------------------------------------------

    @rule(rating=st.integers(min_value=1, max_value=5), wait=waits)
    def give_feedback(self, rating: int, wait: timedelta) -> None:
        self.clock.advance(seconds=wait.total_seconds())
        before = self.complaint
        events_before = len(self.repository.events[self.code])
        allowed = before.status is Status.CLOSED and str(before.closures) not in before.satisfaction
        try:
            after, event = record_feedback(before, rating, f"{SECRET} yorum", now=self.clock.now())
        except IllegalTransition:
            tally("feedback: IllegalTransition")
            assert not allowed
            self._unchanged(before, events_before)
            return
        tally("feedback: done")
        assert allowed
        self.repository.apply_change(before, after, event)
        self.accepted += 1
        assert not event.public

    @rule(wait=waits)
    def run_the_escalation_schedule(self, wait: timedelta) -> None:
        self.clock.advance(seconds=wait.total_seconds())
        before, now = self.complaint, self.clock.now()
        reached = escalation_levels(share_used(before, now), (0.8, 1.0))
        new = [level for level in reached if f"{before.cycle}:{level}" not in before.escalations]
        change = escalate(before, reached, ("department_supervisor", "head_of_complaints"), now=now)
        if not new:
            assert change is None
            return
        tally(f"escalation: levels {','.join(map(str, new))} of cycle {before.cycle}")
        assert change is not None
        after, event = change
        assert set(after.escalations) - set(before.escalations) == {
            f"{before.cycle}:{level}" for level in new
        }
        self.repository.apply_change(before, after, event)
        self.accepted += 1
        assert escalate(after, reached, (), now=now) is None, "each level once per cycle"

    # --- after every step ------------------------------------------------------------------------

    @invariant()
    def the_history_has_one_event_per_accepted_step(self) -> None:
        if not self.code:
            return
        events = self.repository.events[self.code]
        assert events[0].action == "submit"
        assert len(events) == 1 + self.accepted
        assert [event.seq for event in events] == list(range(1, len(events) + 1))
        assert self.complaint.version == len(events)

    @invariant()
    def public_events_are_exactly_the_milestones(self) -> None:
        if not self.code:
            return
        events = self.repository.events[self.code]
        assert sum(event.public for event in events) == len(self.complaint.milestones)
        assert [m.at for m in self.complaint.milestones] == [e.at for e in events if e.public]

    @invariant()
    def a_turkish_deadline_never_passes_the_statutory_ceiling(self) -> None:
        if not self.code or self.complaint.market is not p.Market.TR:
            return
        complaint = self.complaint
        ceiling = calendar_for("TR").add_business_days(complaint.response_clock.started_at, 15)
        assert complaint.expected_response_by <= ceiling

    @invariant()
    def a_paused_complaint_is_overdue_only_past_a_statutory_ceiling(self) -> None:
        if not self.code:
            return
        complaint, now = self.complaint, self.clock.now()
        is_paused = complaint.response_clock.paused_at is not None
        if complaint.status is Status.AWAITING_COMPLAINANT:
            assert is_paused
        if is_paused:
            assert complaint.status in (Status.AWAITING_COMPLAINANT, Status.WITHDRAWN)
            ceiling = statutory_deadline(complaint.market, complaint.response_clock)
            if ceiling is None or complaint.status is Status.WITHDRAWN:
                assert not is_overdue(complaint, now)
                assert not is_overdue(complaint, now + timedelta(days=3650))
            else:  # Turkey, waiting for the complainant: due at the ceiling, which runs on
                assert complaint.expected_response_by == ceiling
                assert is_overdue(complaint, now) == (now > ceiling)
                assert is_overdue(complaint, ceiling + timedelta(minutes=1))


# No explain phase: it costs minutes on a failure and adds little to the shrunk steps.
ComplaintLifecycle.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
TestComplaintLifecycle = ComplaintLifecycle.TestCase
