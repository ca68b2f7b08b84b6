"""What each lifecycle action does to a complaint, and the history event that records it."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import commands as c
from chalicelib.domain import policy as p
from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.complaint import Complaint, Decision, HistoryEvent, MilestoneCode, Referral
from chalicelib.domain.deadlines import due_at, is_overdue
from chalicelib.domain.errors import IllegalTransition, ValidationFailed
from chalicelib.domain.handling import (
    MILESTONE_OF,
    escalate,
    escalation_levels,
    handle,
    record_feedback,
)
from chalicelib.domain.lifecycle import Action, Status
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.submit_complaint import submit_complaint
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock

MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 10:30 in Istanbul, 11:00 in Tehran
ACTOR = "staff:ayse"


def received(
    payload: Mapping[str, Any] = TURKISH_COMPLAINT, *, at: datetime = MONDAY, **changes: Any
) -> Complaint:
    """A complaint as submission records it."""
    repository = FakeRepository()
    receipt = submit_complaint(
        parse_submission({**copy.deepcopy(dict(payload)), **changes}),
        repository=repository,
        clock=FixedClock(at),
        new_code=new_tracking_code,
    )
    return repository.complaints[str(receipt.body["tracking_code"])]


def act(
    complaint: Complaint, command: c.Command, at: datetime, **kwargs: Any
) -> tuple[Complaint, HistoryEvent]:
    """One action, with the invariants every action keeps."""
    after, event = handle(complaint, command, actor=ACTOR, now=at, **kwargs)
    assert after.version == complaint.version + 1 == event.seq
    assert (after.updated_at, event.at, event.actor) == (at, at, ACTOR)
    assert (event.from_status, event.to_status) == (complaint.status, after.status)
    assert event.tracking_code == complaint.tracking_code
    added = after.milestones[len(complaint.milestones) :]
    assert after.milestones[: len(complaint.milestones)] == complaint.milestones
    assert event.public == bool(added), "an event is public exactly when it adds a public milestone"
    return after, event


def run(complaint: Complaint, *commands: c.Command, at: datetime) -> Complaint:
    for command in commands:
        complaint, _ = act(complaint, command, at)
    return complaint


ASSIGN_CLAIMS = c.Assign(p.Department.CLAIMS, "mehmet", None)
DECIDE_UPHELD = c.Decide(p.DecisionOutcome.UPHELD, "Hasar ödenecek", "1500.50")
TELL_BY_SMS = c.CommunicateDecision(p.ContactChannel.SMS, "Hasarınız ödenecek.")


def investigating(at: datetime = MONDAY, payload: Mapping[str, Any] = TURKISH_COMPLAINT) -> Complaint:
    return run(received(payload, at=at), ASSIGN_CLAIMS, at=at)


def closed(at: datetime = MONDAY, payload: Mapping[str, Any] = TURKISH_COMPLAINT) -> Complaint:
    return run(investigating(at, payload), DECIDE_UPHELD, TELL_BY_SMS, c.Close(), at=at)


def istanbul(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=calendar_for("TR").tz)


# --- assess -------------------------------------------------------------------------------------


def test_assessing_a_received_complaint_sets_its_priority_and_deadline() -> None:
    complaint = received()
    assert complaint.priority is p.Priority.HIGH  # claim decision: medium urgency, high importance
    after, event = act(complaint, c.Assess(p.Level.LOW, p.Level.LOW, "Bilgi amaçlı"), MONDAY)
    assert after.status is Status.ASSESSED
    assert after.priority is p.Priority.LOW
    assert after.expected_response_by == calendar_for("TR").add_business_days(MONDAY, 15)
    assert (after.triage.urgency, after.triage.importance) == (p.Level.LOW, p.Level.LOW)
    assert event.details == {
        "urgency": "low",
        "importance": "low",
        "priority": "low",
        "category": "claim_decision",
    }
    assert event.text == "Bilgi amaçlı"
    assert not event.public


@pytest.mark.parametrize(("levels", "priority"), list(p.PRIORITY_MATRIX.items()))
def test_the_priority_is_urgency_times_importance(
    levels: tuple[p.Level, p.Level], priority: p.Priority
) -> None:
    after, _ = act(received(), c.Assess(*levels, "matris"), MONDAY)
    assert after.priority is priority
    days = p.RESPONSE_TARGET_DAYS[priority]
    assert after.expected_response_by == calendar_for("TR").add_business_days(MONDAY, days)


def test_reassessing_keeps_the_state_and_may_change_the_category() -> None:
    complaint = investigating()
    after, event = act(
        complaint,
        c.Assess(p.Level.HIGH, p.Level.HIGH, "yeniden", category=p.Category.PREMIUM_BILLING),
        MONDAY,
    )
    assert after.status is Status.INVESTIGATING
    assert after.category is p.Category.PREMIUM_BILLING
    assert event.details["category"] == "premium_billing"


def test_a_health_complaint_stays_critical_whatever_the_levels() -> None:
    complaint = received(health_or_safety=True)
    assert complaint.priority is p.Priority.CRITICAL
    after, event = act(complaint, c.Assess(p.Level.LOW, p.Level.LOW, "düşük görünüyor"), MONDAY)
    assert after.priority is p.Priority.CRITICAL
    assert after.health_or_safety
    assert after.expected_response_by == calendar_for("TR").add_business_days(MONDAY, 1)
    assert "override" not in event.details


def test_only_an_explicit_override_lowers_a_health_complaint() -> None:
    complaint = received(health_or_safety=True)
    command = c.Assess(p.Level.LOW, p.Level.LOW, "sağlıkla ilgisi yok", priority=p.Priority.LOW)
    after, event = act(complaint, command, MONDAY)
    assert after.priority is p.Priority.LOW
    assert after.health_or_safety  # the flag stays: it is a fact about what was reported
    assert event.details["override"] == "true"
    assert event.details["priority"] == "low"


def test_an_override_may_raise_an_ordinary_complaint_to_critical() -> None:
    command = c.Assess(p.Level.LOW, p.Level.LOW, "acil", priority=p.Priority.CRITICAL)
    after, _ = act(received(), command, MONDAY)
    assert after.priority is p.Priority.CRITICAL


# --- assign -------------------------------------------------------------------------------------


def test_the_first_assignment_puts_the_complaint_under_investigation_publicly() -> None:
    complaint = received()
    after, event = act(complaint, ASSIGN_CLAIMS, MONDAY)
    assert after.status is Status.INVESTIGATING
    assert (after.department, after.assignee) == ("claims", "mehmet")
    assert [m.code for m in after.milestones] == [MilestoneCode.RECEIVED, MilestoneCode.UNDER_INVESTIGATION]
    assert event.public
    assert event.details == {"department": "claims", "assignee": "mehmet"}


def test_reassigning_to_another_department_clears_the_handler_and_adds_no_milestone() -> None:
    complaint = investigating()
    after, event = act(complaint, c.Assign(p.Department.FINANCE, None, "prim konusu"), MONDAY)
    assert (after.department, after.assignee) == ("finance", None)
    assert after.milestones == complaint.milestones
    assert not event.public
    assert event.details == {"department": "finance", "from_department": "claims"}
    assert event.text == "prim konusu"


def test_reassigning_the_handler_keeps_the_department() -> None:
    after, event = act(investigating(), c.Assign(None, "zeynep"), MONDAY)
    assert (after.department, after.assignee) == ("claims", "zeynep")
    assert event.details == {"department": "claims", "assignee": "zeynep"}


def test_naming_the_same_department_again_keeps_the_handler() -> None:
    after, _ = act(investigating(), c.Assign(p.Department.CLAIMS, None), MONDAY)
    assert after.assignee == "mehmet"


def test_a_handler_alone_cannot_be_assigned_before_the_complaint_has_a_department() -> None:
    with pytest.raises(ValidationFailed) as caught:
        handle(received(), c.Assign(None, "mehmet"), actor=ACTOR, now=MONDAY)
    assert [(e.field, e.code) for e in caught.value.errors] == [("department", "required")]


# --- information requests and the clock ---------------------------------------------------------


def test_requesting_information_pauses_the_clock_and_keeps_the_message_as_personal_data() -> None:
    complaint = investigating()
    asked_at = istanbul(2026, 11, 24, 10)
    command = c.RequestInformation("Ekspertiz raporunu gönderir misiniz?", p.ContactChannel.EMAIL)
    after, event = act(complaint, command, asked_at)
    assert after.status is Status.AWAITING_COMPLAINANT
    assert after.response_clock.paused_at == asked_at
    # The ordinary deadline stops with the clock; only the Turkish ceiling runs on, so it is due then.
    ceiling = calendar_for("TR").add_business_days(complaint.response_clock.started_at, 15)
    assert after.expected_response_by == ceiling > complaint.expected_response_by
    assert after.personal.messages == {f"information_request:{after.version}:email": command.message}
    assert complaint.personal.messages == {}  # the complaint before is untouched
    assert event.details == {"channel": "email"}
    assert event.text is None  # the message is personal data, not history text
    assert after.milestones[-1].code is MilestoneCode.INFORMATION_REQUESTED
    assert not is_overdue(after, ceiling)
    assert is_overdue(after, ceiling + timedelta(minutes=1))  # a year's wait would not excuse it


def test_without_a_channel_the_request_goes_the_complainants_way() -> None:
    after, event = act(investigating(), c.RequestInformation("?"), MONDAY)
    assert list(after.personal.messages) == [f"information_request:{after.version}:auto"]
    assert event.details == {"channel": "auto"}


def test_the_reply_resumes_the_clock_and_moves_the_deadline_by_the_paused_business_time() -> None:
    complaint = investigating()
    assert complaint.expected_response_by == istanbul(2026, 11, 30, 18)  # high priority: 5 business days
    waiting, _ = act(complaint, c.RequestInformation("?"), istanbul(2026, 11, 24, 10))
    after, event = act(waiting, c.ReceiveInformation("Rapor ekte.", "email"), istanbul(2026, 11, 26, 10))
    assert after.status is Status.INVESTIGATING
    assert after.response_clock.paused_at is None
    assert after.response_clock.paused_seconds == 2 * 9 * 3600  # Tuesday 10:00 to Thursday 10:00
    assert after.response_clock.started_at == MONDAY
    assert after.expected_response_by == istanbul(2026, 12, 2, 18)  # two business days later
    assert (event.details, event.text) == ({"via": "email"}, "Rapor ekte.")
    assert after.milestones[-1].code is MilestoneCode.INFORMATION_RECEIVED


def test_a_pause_over_a_weekend_moves_the_deadline_only_by_its_business_time() -> None:
    complaint = investigating()
    waiting, _ = act(complaint, c.RequestInformation("?"), istanbul(2026, 11, 27, 17))  # Friday 17:00
    after, _ = act(
        waiting, c.ReceiveInformation("cevap", "phone"), istanbul(2026, 11, 30, 10)
    )  # Monday 10:00
    assert after.response_clock.paused_seconds == 2 * 3600
    assert after.expected_response_by == istanbul(2026, 12, 1, 11)  # Monday 18:00 + 2 business hours


def test_pauses_add_up() -> None:
    complaint = investigating()
    for day in (24, 25):
        complaint, _ = act(complaint, c.RequestInformation("?"), istanbul(2026, 11, day, 9))
        complaint, _ = act(complaint, c.ReceiveInformation("!", "phone"), istanbul(2026, 11, day, 12))
    assert complaint.response_clock.paused_seconds == 6 * 3600
    assert complaint.expected_response_by == istanbul(2026, 12, 1, 15)


def test_a_turkish_deadline_never_passes_fifteen_business_days_however_long_the_pause() -> None:
    complaint = investigating()
    waiting, _ = act(complaint, c.RequestInformation("?"), istanbul(2026, 11, 24, 9))
    after, _ = act(waiting, c.ReceiveInformation("!", "phone"), istanbul(2027, 1, 25, 9))
    ceiling = calendar_for("TR").add_business_days(MONDAY, 15)
    assert after.expected_response_by == ceiling == istanbul(2026, 12, 14, 18)


def test_an_iranian_deadline_moves_with_the_whole_pause() -> None:
    complaint = investigating(payload=PERSIAN_COMPLAINT)
    calendar = calendar_for("IR")
    tehran = calendar.tz
    waiting, _ = act(complaint, c.RequestInformation("؟"), datetime(2026, 11, 24, 8, tzinfo=tehran))
    answered_at = datetime(2027, 1, 25, 8, tzinfo=tehran)
    after, _ = act(waiting, c.ReceiveInformation("پاسخ", "phone"), answered_at)
    paused = calendar.business_seconds_between(datetime(2026, 11, 24, 8, tzinfo=tehran), answered_at)
    assert after.response_clock.paused_seconds == paused
    assert after.expected_response_by == calendar.add_business_seconds(complaint.expected_response_by, paused)
    assert after.expected_response_by > answered_at


# --- facts that keep the state ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "details", "text"),
    [
        (c.AddNote("Eksper aranacak"), {}, "Eksper aranacak"),
        (
            c.RecordDataCheck("policy", "confirmed", "poliçe geçerli"),
            {"subject": "policy", "result": "confirmed"},
            "poliçe geçerli",
        ),
        (
            c.RecordRootCause(p.RootCause.PROCESS_DELAY, "dosya bekledi"),
            {"root_cause": "process_delay"},
            "dosya bekledi",
        ),
    ],
)
def test_notes_checks_and_root_causes_keep_the_state_and_stay_internal(
    command: c.Command, details: dict[str, str], text: str
) -> None:
    complaint = investigating()
    after, event = act(complaint, command, MONDAY)
    assert after.status is Status.INVESTIGATING
    assert (event.details, event.text, event.public) == (details, text, False)
    assert after.milestones == complaint.milestones
    assert after.expected_response_by == complaint.expected_response_by


def test_a_root_cause_is_kept_on_the_complaint_for_the_reports() -> None:
    after, _ = act(investigating(), c.RecordRootCause(p.RootCause.COMMUNICATION, "x"), MONDAY)
    assert after.root_cause is p.RootCause.COMMUNICATION


def test_a_note_may_be_added_while_waiting_for_the_complainant_and_the_clock_stays_paused() -> None:
    waiting, _ = act(investigating(), c.RequestInformation("?"), MONDAY)
    after, _ = act(waiting, c.AddNote("aradım, açmadı"), MONDAY + timedelta(hours=2))
    assert after.status is Status.AWAITING_COMPLAINANT
    assert after.response_clock == waiting.response_clock


# --- decision and its communication -------------------------------------------------------------


@pytest.mark.parametrize(("payload", "currency"), [(TURKISH_COMPLAINT, "TRY"), (PERSIAN_COMPLAINT, "IRR")])
def test_a_decision_with_an_amount_is_in_the_markets_currency(
    payload: Mapping[str, Any], currency: str
) -> None:
    decided_at = MONDAY + timedelta(days=2)
    after, event = act(investigating(payload=payload), DECIDE_UPHELD, decided_at)
    assert after.status is Status.DECIDED
    assert after.decision == Decision(
        p.DecisionOutcome.UPHELD, decided_at, "Hasar ödenecek", "1500.50", currency
    )
    assert event.details == {"outcome": "upheld", "amount": "1500.50", "currency": currency}
    assert not event.public


def test_a_decision_without_an_amount_has_no_currency() -> None:
    after, event = act(
        investigating(), c.Decide(p.DecisionOutcome.REJECTED, None, None, "kapsam dışı"), MONDAY
    )
    assert after.decision == Decision(p.DecisionOutcome.REJECTED, MONDAY, None, None, None)
    assert (event.details, event.text) == ({"outcome": "rejected"}, "kapsam dışı")


@pytest.mark.parametrize("channel", [p.ContactChannel.SMS, p.ContactChannel.EMAIL])
def test_a_decision_written_to_the_complainant_is_a_personal_message_with_its_intent(
    channel: p.ContactChannel,
) -> None:
    decided = run(investigating(), DECIDE_UPHELD, at=MONDAY)
    after, event = act(decided, c.CommunicateDecision(channel, "Ödeme 3 gün içinde."), MONDAY)
    assert after.status is Status.RESPONDED
    assert after.personal.messages == {
        f"decision:{after.version}:{channel.value}:upheld": "Ödeme 3 gün içinde."
    }
    assert event.text is None
    assert event.details == {"channel": channel.value}
    assert event.public
    assert after.milestones[-1].code is MilestoneCode.DECISION_SENT


def test_a_decision_told_by_phone_keeps_the_summary_in_the_history_not_as_a_message() -> None:
    decided = run(investigating(), DECIDE_UPHELD, at=MONDAY)
    after, event = act(decided, c.CommunicateDecision(p.ContactChannel.PHONE, "Aradım, anlattım."), MONDAY)
    assert after.personal.messages == {}
    assert (event.text, event.details) == ("Aradım, anlattım.", {"channel": "phone"})
    assert after.milestones[-1].code is MilestoneCode.DECISION_SENT


def test_messages_of_earlier_steps_are_kept() -> None:
    complaint = run(
        investigating(),
        c.RequestInformation("?", p.ContactChannel.SMS),
        c.ReceiveInformation("!", "web"),
        DECIDE_UPHELD,
        TELL_BY_SMS,
        at=MONDAY,
    )
    assert sorted(complaint.personal.messages) == ["decision:6:sms:upheld", "information_request:3:sms"]


# --- closing, reopening -------------------------------------------------------------------------


def test_closing_counts_the_closure_and_records_when() -> None:
    responded = run(investigating(), DECIDE_UPHELD, TELL_BY_SMS, at=MONDAY)
    closed_at = MONDAY + timedelta(days=3)
    after, event = act(responded, c.Close("müşteri memnun"), closed_at)
    assert after.status is Status.CLOSED
    assert (after.closures, after.closed_at, after.cycle) == (1, closed_at, 0)
    assert event.text == "müşteri memnun"
    assert after.milestones[-1].code is MilestoneCode.CLOSED


def test_a_reopening_within_the_window_starts_a_new_cycle_with_a_new_clock() -> None:
    complaint = closed()
    reopened_at = istanbul(2026, 12, 21, 11)  # within 30 days of the closing
    after, event = act(complaint, c.Reopen("itiraz"), reopened_at)
    assert after.status is Status.INVESTIGATING
    assert after.response_clock.started_at == reopened_at
    assert (after.response_clock.paused_at, after.response_clock.paused_seconds) == (None, 0)
    assert after.expected_response_by == due_at(p.Market.TR, after.priority, after.response_clock)
    assert after.expected_response_by == istanbul(2026, 12, 28, 18)
    assert after.decision is None
    assert (after.closures, after.cycle) == (1, 1)
    assert event.text == "itiraz"
    assert after.milestones[-1].code is MilestoneCode.REOPENED


def test_the_last_moment_of_the_window_still_reopens() -> None:
    act(closed(), c.Reopen("itiraz"), MONDAY + timedelta(days=30))
    act(closed(), c.Reopen("itiraz"), MONDAY + timedelta(days=10), reopen_window_days=10)


def test_a_reopening_after_the_window_is_an_illegal_transition() -> None:
    complaint = closed()
    with pytest.raises(IllegalTransition) as caught:
        handle(complaint, c.Reopen("geç itiraz"), actor=ACTOR, now=MONDAY + timedelta(days=30, seconds=1))
    assert caught.value.state == "closed"
    assert "2026-12-23" in caught.value.action  # the day the window closed
    assert "reopen" not in caught.value.allowed
    with pytest.raises(IllegalTransition):
        handle(complaint, c.Reopen("x"), actor=ACTOR, now=MONDAY + timedelta(days=8), reopen_window_days=7)


def test_a_second_reopening_is_a_third_cycle() -> None:
    complaint = run(closed(), c.Reopen("1"), DECIDE_UPHELD, TELL_BY_SMS, c.Close(), c.Reopen("2"), at=MONDAY)
    assert (complaint.closures, complaint.cycle) == (2, 2)


# --- referral and withdrawal --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "body"),
    [(TURKISH_COMPLAINT, "Sigorta Tahkim Komisyonu"), (PERSIAN_COMPLAINT, p.EXTERNAL_RECOURSE[p.Market.IR])],
)
def test_a_referral_to_external_recourse_names_the_markets_body(
    payload: Mapping[str, Any], body: str
) -> None:
    after, event = act(received(payload), c.ReferOut(p.ReferralReason.EXTERNAL_RECOURSE, "tahkim"), MONDAY)
    assert after.status is Status.REFERRED_OUT
    assert after.referral == Referral(p.ReferralReason.EXTERNAL_RECOURSE, body)
    assert event.details == {"reason": "external_recourse", "body": body}
    assert after.milestones[-1].code is MilestoneCode.REFERRED_OUT


def test_the_iranian_body_is_the_central_insurance() -> None:
    assert "Central Insurance of Iran" in p.EXTERNAL_RECOURSE[p.Market.IR]


def test_an_out_of_scope_referral_names_no_body() -> None:
    after, event = act(investigating(), c.ReferOut(p.ReferralReason.OUT_OF_SCOPE), MONDAY)
    assert after.referral == Referral(p.ReferralReason.OUT_OF_SCOPE, None)
    assert event.details == {"reason": "out_of_scope"}


def test_a_complaint_withdrawn_while_waiting_is_never_overdue() -> None:
    waiting, _ = act(investigating(), c.RequestInformation("?"), MONDAY)
    after, event = act(waiting, c.Withdraw("vazgeçti"), MONDAY + timedelta(days=1))
    assert after.status is Status.WITHDRAWN
    assert event.text == "vazgeçti"
    assert not is_overdue(after, MONDAY + timedelta(days=400))


# --- illegal actions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "status"),
    [
        (c.Close(), Status.RECEIVED),
        (DECIDE_UPHELD, Status.RECEIVED),
        (c.ReceiveInformation("!", "phone"), Status.INVESTIGATING),
        (c.Reopen("x"), Status.INVESTIGATING),
        (TELL_BY_SMS, Status.INVESTIGATING),
    ],
)
def test_an_action_the_state_forbids_changes_nothing(command: c.Command, status: Status) -> None:
    complaint = received() if status is Status.RECEIVED else investigating()
    snapshot = copy.deepcopy(complaint)
    with pytest.raises(IllegalTransition):
        handle(complaint, command, actor=ACTOR, now=MONDAY)
    assert complaint == snapshot


def test_the_actions_that_always_add_a_public_milestone() -> None:
    assert set(MILESTONE_OF) == {
        Action.REQUEST_INFORMATION,
        Action.RECEIVE_INFORMATION,
        Action.COMMUNICATE_DECISION,
        Action.CLOSE,
        Action.REOPEN,
        Action.REFER_OUT,
        Action.WITHDRAW,
    }


# --- feedback -----------------------------------------------------------------------------------


def test_feedback_is_recorded_once_per_closing() -> None:
    complaint = closed()
    rated_at = MONDAY + timedelta(days=1)
    after, event = record_feedback(complaint, 4, "hızlıydı", now=rated_at)
    assert after.version == complaint.version + 1 == event.seq
    assert after.satisfaction["1"].rating == 4
    assert after.satisfaction["1"].at == rated_at
    assert (event.action, event.actor, event.public, event.text) == ("feedback", "public", False, "hızlıydı")
    assert event.details == {"rating": "4", "closing": "1"}
    assert (event.from_status, event.to_status) == (Status.CLOSED, Status.CLOSED)
    with pytest.raises(IllegalTransition) as caught:
        record_feedback(after, 1, None, now=rated_at)
    assert "already rated" in caught.value.action


def test_feedback_before_closing_is_refused() -> None:
    with pytest.raises(IllegalTransition) as caught:
        record_feedback(investigating(), 5, None, now=MONDAY)
    assert "not closed" in caught.value.action


def test_feedback_while_reopened_is_refused_and_the_next_closing_may_be_rated_again() -> None:
    rated, _ = record_feedback(closed(), 2, None, now=MONDAY)
    reopened = run(rated, c.Reopen("itiraz"), at=MONDAY)
    with pytest.raises(IllegalTransition):
        record_feedback(reopened, 3, None, now=MONDAY)
    closed_again = run(reopened, DECIDE_UPHELD, TELL_BY_SMS, c.Close(), at=MONDAY)
    after, event = record_feedback(closed_again, 5, None, now=MONDAY)
    assert {key: f.rating for key, f in after.satisfaction.items()} == {"1": 2, "2": 5}
    assert event.details["closing"] == "2"


# --- escalation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "levels"),
    [(0.0, []), (0.79, []), (0.8, [1]), (0.99, [1]), (1.0, [1, 2]), (float("inf"), [1, 2])],
)
def test_escalation_levels_are_the_thresholds_reached(share: float, levels: list[int]) -> None:
    assert escalation_levels(share, (0.8, 1.0)) == levels


CHAIN = ("department_supervisor", "head_of_complaints")


def test_each_level_is_escalated_once_per_cycle() -> None:
    complaint = investigating()
    first = escalate(complaint, [1], CHAIN, now=MONDAY)
    assert first is not None
    after, event = first
    assert after.escalations == {"0:1": MONDAY}
    assert after.version == complaint.version + 1 == event.seq
    assert (event.action, event.actor, event.public) == ("escalate", "system:escalation", False)
    assert event.details == {"levels": "1", "audience": "department_supervisor", "cycle": "0"}
    assert escalate(after, [1], CHAIN, now=MONDAY + timedelta(hours=1)) is None
    second = escalate(after, [1, 2], CHAIN, now=MONDAY + timedelta(hours=2))
    assert second is not None
    later, event = second
    assert later.escalations == {"0:1": MONDAY, "0:2": MONDAY + timedelta(hours=2)}
    assert event.details == {"levels": "2", "audience": "head_of_complaints", "cycle": "0"}
    assert escalate(later, [1, 2], CHAIN, now=MONDAY) is None


def test_no_levels_is_no_escalation() -> None:
    assert escalate(investigating(), [], CHAIN, now=MONDAY) is None


def test_a_reopened_complaint_escalates_again_in_its_new_cycle() -> None:
    complaint = closed()
    escalated = escalate(complaint, [1, 2], CHAIN, now=MONDAY)
    assert escalated is not None
    assert set(escalated[0].escalations) == {"0:1", "0:2"}  # the closed cycle is still cycle 0
    reopened = run(escalated[0], c.Reopen("itiraz"), at=MONDAY)
    again = escalate(reopened, [1], CHAIN, now=MONDAY + timedelta(days=1))
    assert again is not None
    assert set(again[0].escalations) == {"0:1", "0:2", "1:1"}
    assert again[1].details["cycle"] == "1"


def test_levels_beyond_the_chain_go_to_its_last_member_and_no_chain_to_a_supervisor() -> None:
    complaint = investigating()
    deep = escalate(complaint, [3], CHAIN, now=MONDAY)
    assert deep is not None
    assert deep[1].details["audience"] == "head_of_complaints"
    bare = escalate(complaint, [1], (), now=MONDAY)
    assert bare is not None
    assert bare[1].details["audience"] == "supervisor"
