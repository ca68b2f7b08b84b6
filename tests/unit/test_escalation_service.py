"""The escalation schedule over fakes: a Turkish complaint waiting for the complainant runs against its
statutory ceiling and is escalated like a running one; an Iranian one, with no ceiling, waits freely."""

from __future__ import annotations

from chalicelib.services.escalate_deadlines import escalate_deadlines
from tests.conftest import PERSIAN_COMPLAINT
from tests.staff_tokens import HANDLER_CLAIMS_TR, SUPERVISOR_IR
from tests.unit.conftest import Desk

CHAIN = ("department_supervisor", "head_of_complaints")
THRESHOLDS = (0.8, 1.0)


def _asked(desk: Desk, code: str, who: object) -> None:
    answer = desk.act(code, "request_information", who, message="Belge?", channel="sms")
    assert answer.status_code == 200, answer.body


def _run(desk: Desk) -> list[str]:
    run = escalate_deadlines(repository=desk.repository, clock=desk.clock, chain=CHAIN, thresholds=THRESHOLDS)
    return run.escalated


def test_a_turkish_complaint_waiting_past_its_ceiling_is_escalated_an_iranian_one_is_not(desk: Desk) -> None:
    turkish = desk.routed()
    iranian = desk.routed(PERSIAN_COMPLAINT)
    assert desk.repository.complaints[iranian].department is not None
    _asked(desk, turkish, HANDLER_CLAIMS_TR)
    _asked(desk, iranian, SUPERVISOR_IR)
    assert _run(desk) == []  # just asked: nothing is near any deadline
    desk.clock.advance(days=40)  # far past the Turkish ceiling of 15 business days
    assert _run(desk) == [turkish]
    escalated = desk.repository.complaints[turkish]
    assert set(escalated.escalations) == {"0:1", "0:2"}
    assert escalated.status.value == "awaiting_complainant"  # still waiting; the escalation only tells
    assert desk.repository.complaints[iranian].escalations == {}
    assert _run(desk) == []  # each level once
    # Once the answer comes, the Turkish complaint is still due at its ceiling, and so still overdue.
    reply = desk.act(turkish, "receive_information", HANDLER_CLAIMS_TR, text="belge geldi")
    assert reply.status_code == 200, reply.body
    assert desk.view(turkish, HANDLER_CLAIMS_TR)["overdue"] is True
    desk.clock.advance(hours=1)
    assert _run(desk) == []
