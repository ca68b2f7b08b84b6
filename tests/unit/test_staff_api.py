"""One complaint's whole handling through HTTP, and the staff's queues and search, over fakes.

The complaint comes in by phone (an agent enters it), is routed, assessed,
waits for the complainant's answer (the clock pauses), is decided,
answered, closed, rated and reopened; every step is an HTTP request made
as the member who would make it, with a real ID token.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime
from typing import Any

import pytest

from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.tracking import new_tracking_code
from tests.conftest import TURKISH_COMPLAINT
from tests.staff_tokens import (
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_TR,
    HANDLER_SERVICES_TR,
    SUPERVISOR_IR,
    SUPERVISOR_TR,
)
from tests.unit.conftest import Desk, body_of, problem_of

#: What the complainant and the staff wrote: none of it may appear outside the personal-data answers.
NAME = "Ayşe İpek Işıkgör"
MOBILE_DIGITS = "5329876543"
EMAIL = "ipek.isikgor@example.net"
NATIONAL_ID = "10000000146"
ADDRESS = "Çınarlı Sokak 7, Moda, İstanbul"
DESCRIPTION = "Kasko dosyam (hasar no 77-ZZ) iki aydır sonuçlanmadı; eksper raporu bana gösterilmedi."
REFERENCE = "CALL-2026-11-23-0099"
ASSESS_REASON = "eksper raporu dosyada yok, müşteri iki kez aradı"
QUESTION = "Eksper raporunun size ulaşan kopyasını gönderir misiniz?"
REPLY = "Rapor elimde yok, sadece servisten aldığım fatura var."
CHECK_NOTE = "poliçe teminatı doğrulandı"
ROOT_CAUSE_NOTE = "eksper raporu sisteme yüklenmemiş"
DECISION_MESSAGE = "Talebiniz kısmen kabul edildi; 1.500,50 TL ödenecektir."
CLOSE_NOTE = "müşteri telefonda teşekkür etti"
COMMENT = "Sonunda ödendi ama çok uzun sürdü."
REOPEN_REASON = "müşteri ödemenin eksik yapıldığını bildirdi"
FREE_TEXTS = [ASSESS_REASON, QUESTION, REPLY, CHECK_NOTE, ROOT_CAUSE_NOTE, CLOSE_NOTE, COMMENT, REOPEN_REASON]
PERSONAL = [NAME, MOBILE_DIGITS, EMAIL, NATIONAL_ID, ADDRESS, DESCRIPTION, REFERENCE, DECISION_MESSAGE]

WEB_COMPLAINT: dict[str, Any] = {
    **copy.deepcopy(TURKISH_COMPLAINT),
    "description": DESCRIPTION,
    "contact": {
        "name": NAME,
        "mobile": "0" + MOBILE_DIGITS,
        "email": EMAIL,
        "national_id": NATIONAL_ID,
        "postal_address": ADDRESS,
        "preferred_channel": "sms",
    },
}
PHONE_COMPLAINT = {**WEB_COMPLAINT, "channel": "phone", "channel_detail": {"reference": REFERENCE}}


def assert_nothing_personal(text: str | bytes) -> None:
    """No personal value and no free text in an answer meant for every role."""
    shown = text.decode() if isinstance(text, bytes) else text
    for value in [*PERSONAL, *FREE_TEXTS]:
        assert value not in shown


def status_of(desk: Desk, code: str) -> dict[str, Any]:
    response = desk.client.http.post(
        "/status", headers={"Content-Type": "application/json"}, body=json.dumps({"tracking_code": code})
    )
    assert response.status_code == 200
    return body_of(response)


def public_post(desk: Desk, path: str, body: dict[str, Any]) -> Any:
    return desk.client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))


def act_ok(desk: Desk, tracking_code: str, action: str, who: Any, /, **fields: Any) -> dict[str, Any]:
    response = desk.act(tracking_code, action, who, **fields)
    assert response.status_code == 200, response.body
    assert_nothing_personal(response.body)
    return body_of(response)


def test_one_complaint_from_the_phone_call_to_its_reopening(desk: Desk) -> None:
    repository, clock = desk.repository, desk.clock
    # An agent takes the call and enters it: 201 with the receipt; the agent is recorded.
    response = desk.post("/staff/complaints", AGENT_TR, PHONE_COMPLAINT)
    assert response.status_code == 201, response.body
    receipt = body_of(response)
    code = receipt["tracking_code"]
    assert set(receipt) == {"tracking_code", "status", "received_at", "expected_response_by"}
    assert desk.view(code, SUPERVISOR_TR)["received_by"] == "agent.tr"

    # The routing queue's handler routes it to claims.
    assert desk.route(code) == "claims"
    case = desk.view(code, HANDLER_CLAIMS_TR)
    assert (case["status"], case["department"]) == ("investigating", "claims")

    # The handler assesses it.
    case = act_ok(
        desk, code, "assess", HANDLER_CLAIMS_TR, urgency="high", importance="high", reason=ASSESS_REASON
    )
    assert (case["status"], case["priority"]) == ("investigating", "high")

    # ...and asks the complainant for the expert's report: the clock stops, the statutory ceiling runs on.
    clock.advance(hours=1)
    due_before_asking = case["expected_response_by"]
    case = act_ok(desk, code, "request_information", HANDLER_CLAIMS_TR, message=QUESTION, channel="sms")
    assert (case["status"], case["clock_paused"], case["overdue"]) == ("awaiting_complainant", True, False)
    assert case["expected_response_by"] > due_before_asking  # due at the ceiling while waiting
    public = status_of(desk, code)
    assert public["status"] == "awaiting_complainant"
    assert public["milestones"][-1]["code"] == "information_requested"

    # A day later the complainant answers on the web; wrong digits and unknown codes are refused first.
    clock.advance(days=1)
    reply = {"tracking_code": code, "mobile_last4": "0000", "message": REPLY}
    body = problem_of(public_post(desk, "/replies", reply), 422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("mobile_last4", "mismatch")]
    body = problem_of(public_post(desk, "/replies", {**reply, "tracking_code": new_tracking_code()}), 404)
    assert set(body) == {"type", "title", "status"}  # nothing about any complaint
    response = public_post(desk, "/replies", {**reply, "mobile_last4": "۶۵۴۳"})  # Persian digits
    assert response.status_code == 200, response.body
    assert body_of(response)["status"] == "investigating"
    assert body_of(response)["milestones"][-1]["code"] == "information_received"
    case = desk.view(code, HANDLER_CLAIMS_TR)
    assert case["clock_paused"] is False
    assert case["expected_response_by"] > due_before_asking  # the paused business day is given back
    # A second reply: nothing was asked for any more.
    body = problem_of(public_post(desk, "/replies", {**reply, "mobile_last4": "6543"}), 409)
    assert body["state"] == "investigating"

    # The handler checks, finds the cause, decides and tells the complainant by SMS.
    act_ok(
        desk,
        code,
        "record_data_check",
        HANDLER_CLAIMS_TR,
        subject="policy",
        result="confirmed",
        text=CHECK_NOTE,
    )
    act_ok(desk, code, "record_root_cause", HANDLER_CLAIMS_TR, code="claims_assessment", text=ROOT_CAUSE_NOTE)
    case = act_ok(
        desk,
        code,
        "decide",
        HANDLER_CLAIMS_TR,
        outcome="partly_upheld",
        remedy="partial payment",
        amount="1500.50",
    )
    assert (case["decision"]["amount"], case["decision"]["currency"]) == ("1500.50", "TRY")
    case = act_ok(
        desk, code, "communicate_decision", HANDLER_CLAIMS_TR, channel="sms", message=DECISION_MESSAGE
    )
    assert case["status"] == "responded"

    # Only a supervisor closes it.
    problem_of(desk.act(code, "close", HANDLER_CLAIMS_TR), 403)
    case = act_ok(desk, code, "close", SUPERVISOR_TR, text=CLOSE_NOTE)
    assert (case["status"], case["closures"]) == ("closed", 1)

    # The complainant rates the handling, once.
    feedback = {"tracking_code": code, "mobile_last4": "6543", "rating": 6, "comment": COMMENT}
    body = problem_of(public_post(desk, "/feedback", feedback), 422)
    assert [e["field"] for e in body["errors"]] == ["rating"]
    response = public_post(desk, "/feedback", {**feedback, "rating": "۴"})
    assert response.status_code == 201, response.body
    assert body_of(response) == {"tracking_code": code, "rating": 4, "thank_you": True}
    problem_of(public_post(desk, "/feedback", {**feedback, "rating": 5}), 409)
    assert desk.view(code, AUDITOR)["satisfaction"]["1"]["rating"] == 4

    # The complainant appeals: a supervisor reopens it, and a new cycle starts.
    clock.advance(days=3)
    case = act_ok(desk, code, "reopen", SUPERVISOR_TR, reason=REOPEN_REASON)
    assert (case["status"], case["decision"]) == ("investigating", None)
    assert status_of(desk, code)["milestones"][-1]["code"] == "reopened"

    # The history: one event per change, in order, each with its actor.
    expected = [
        ("submit", "staff:agent.tr"),
        ("assign", "system:router"),
        ("assess", "staff:handler.claims.tr"),
        ("request_information", "staff:handler.claims.tr"),
        ("receive_information", "public"),
        ("record_data_check", "staff:handler.claims.tr"),
        ("record_root_cause", "staff:handler.claims.tr"),
        ("decide", "staff:handler.claims.tr"),
        ("communicate_decision", "staff:handler.claims.tr"),
        ("close", "staff:supervisor.tr"),
        ("feedback", "public"),
        ("reopen", "staff:supervisor.tr"),
    ]
    audited = desk.get(f"/staff/complaints/{code}/history", AUDITOR)
    assert audited.status_code == 200
    events = body_of(audited)["events"]
    assert [(e["action"], e["actor"]) for e in events] == expected
    assert [e["seq"] for e in events] == list(range(1, len(expected) + 1))
    # The auditor sees that there was text, never the text; nor anything personal.
    assert_nothing_personal(audited.body)
    with_text = [e for e in events if "text" in e]
    assert {e["action"] for e in with_text} >= {"assess", "receive_information", "feedback", "reopen"}
    assert all(e["text"] is None and e["text_withheld"] for e in with_text)
    assert repository.accesses == {}  # an auditor's read reveals nothing, so records nothing

    # A supervisor sees the texts; the read is recorded and shows up in the history.
    supervised = body_of(desk.get(f"/staff/complaints/{code}/history", SUPERVISOR_TR))
    texts = {e["action"]: e["text"] for e in supervised["events"] if "text" in e}
    assert texts["receive_information"] == REPLY
    assert texts["feedback"] == COMMENT
    assert texts["reopen"] == REOPEN_REASON
    assert not any(e["text_withheld"] for e in supervised["events"] if "text" in e)
    reads = body_of(desk.get(f"/staff/complaints/{code}/history", AUDITOR))["personal_data_reads"]
    assert [(r["actor"], r["what"]) for r in reads] == [("staff:supervisor.tr", "history_text")]

    # The case view never carries personal data, whoever asks.
    for who in (AGENT_TR, HANDLER_CLAIMS_TR, SUPERVISOR_TR, AUDITOR):
        response = desk.get(f"/staff/complaints/{code}", who)
        assert response.status_code == 200
        assert_nothing_personal(response.body)
    assert_nothing_personal(json.dumps(status_of(desk, code), ensure_ascii=False))

    # The personal data itself: for the handler, with the read recorded first.
    revealed = desk.post(f"/staff/complaints/{code}/personal-data", HANDLER_CLAIMS_TR, {"reason": "callback"})
    assert revealed.status_code == 200
    personal = body_of(revealed)
    assert personal["contact"]["name"] == NAME
    assert personal["contact"]["mobile"] == "+90" + MOBILE_DIGITS
    assert personal["channel_reference"] == REFERENCE
    assert {QUESTION, DECISION_MESSAGE} <= set(personal["messages"].values())
    last = repository.accesses[code][-1]
    assert (last.actor, last.what, last.reason) == ("staff:handler.claims.tr", "personal_data", "callback")


def test_the_personal_data_read_reason_is_checked_not_dropped(desk: Desk) -> None:
    code = desk.routed()
    path = f"/staff/complaints/{code}/personal-data"
    body = problem_of(desk.post(path, HANDLER_CLAIMS_TR, {"reason": "x" * 501}), 422)
    assert [e["field"] for e in body["errors"]] == ["reason"]
    problem_of(desk.post(path, HANDLER_CLAIMS_TR, {"reason": 42}), 422)
    assert desk.repository.accesses == {}  # a refused read is not a read
    assert desk.call("POST", path, HANDLER_CLAIMS_TR, b"").status_code == 200  # no body, no reason: fine


def test_an_action_the_state_does_not_allow_is_409_with_the_members_allowed_actions(desk: Desk) -> None:
    code = desk.routed()
    body = problem_of(desk.act(code, "close", SUPERVISOR_TR), 409)
    assert body["state"] == "investigating"
    assert "decide" in body["allowed_actions"]
    assert "close" not in body["allowed_actions"]
    # An agent may write a note here, but not record a reply that nobody asked for.
    body = problem_of(desk.act(code, "receive_information", AGENT_TR, text="called in"), 409)
    assert body["allowed_actions"] == ["add_note", "withdraw"]  # what the agent may do, not everyone
    assert desk.repository.complaints[code].version == 2


def test_a_supervisor_moves_a_complaint_and_the_handlers_reach_follows_it(desk: Desk) -> None:
    code = desk.routed()
    case = act_ok(desk, code, "assign", SUPERVISOR_TR, department="customer_services", reason="yanlış birim")
    assert (case["department"], case["assignee"]) == ("customer_services", None)
    problem_of(desk.get(f"/staff/complaints/{code}", HANDLER_CLAIMS_TR), 403)
    case = act_ok(desk, code, "assign", HANDLER_SERVICES_TR, assignee="handler.cs.tr")
    assert (case["department"], case["assignee"]) == ("customer_services", "handler.cs.tr")
    details = desk.repository.events[code][-2].details
    assert details == {"department": "customer_services", "from_department": "claims"}
    # A handler who sends it to another department keeps no reach over it.
    case = act_ok(desk, code, "assign", HANDLER_SERVICES_TR, department="finance")
    assert case["allowed_actions"] == []
    problem_of(desk.get(f"/staff/complaints/{code}", HANDLER_SERVICES_TR), 403)


def test_reopening_after_the_appeal_window_is_409(desk: Desk) -> None:
    code = desk.routed()
    for action, fields in [
        ("decide", {"outcome": "rejected"}),
        ("communicate_decision", {"channel": "phone", "message": "aradım, anlattım"}),
        ("close", {}),
    ]:
        act_ok(desk, code, action, SUPERVISOR_TR, **fields)
    desk.clock.advance(days=31)
    body = problem_of(desk.act(code, "reopen", SUPERVISOR_TR, reason="itiraz"), 409)
    assert (body["state"], body["allowed_actions"]) == ("closed", [])
    assert "appeal window" in body["detail"]


def test_two_actions_on_the_same_version_the_second_is_409_with_state_and_version(desk: Desk) -> None:
    code = desk.routed()
    version = desk.view(code, HANDLER_CLAIMS_TR)["version"]
    first = desk.act(code, "add_note", HANDLER_CLAIMS_TR, text="first look", expected_version=version)
    assert first.status_code == 200
    assert body_of(first)["version"] == version + 1
    second = desk.act(code, "decide", SUPERVISOR_TR, outcome="rejected", expected_version=str(version))
    body = problem_of(second, 409)
    assert (body["state"], body["version"]) == ("investigating", version + 1)
    assert body["type"].endswith(":conflict")
    assert desk.repository.complaints[code].decision is None


def test_a_write_that_names_its_version_and_loses_the_race_is_409_with_what_won(desk: Desk) -> None:
    code = desk.routed()
    writes = desk.repository.calls.count("apply_change")
    desk.repository.fail_next_changes(ConcurrentUpdate(code))
    response = desk.act(code, "add_note", HANDLER_CLAIMS_TR, text="a note", expected_version=2)
    body = problem_of(response, 409)
    assert (body["state"], body["version"]) == ("investigating", 3)
    assert desk.repository.calls.count("apply_change") == writes + 1  # not tried again


def test_a_write_without_a_version_that_loses_a_race_is_taken_again_on_the_complaint_as_it_is(
    desk: Desk,
) -> None:
    """The pipeline recording an SMS between the read and the write is no reason to refuse a note."""
    code = desk.routed()
    writes = desk.repository.calls.count("apply_change")
    desk.repository.fail_next_changes(ConcurrentUpdate(code), ConcurrentUpdate(code))
    response = desk.act(code, "add_note", HANDLER_CLAIMS_TR, text="a note")
    assert response.status_code == 200, response.body
    assert body_of(response)["version"] == 5  # after the two writes that won
    assert desk.repository.calls.count("apply_change") == writes + 3
    assert [e.action for e in desk.repository.events[code]].count("add_note") == 1


def test_a_write_without_a_version_that_keeps_losing_is_409_after_three_tries(desk: Desk) -> None:
    code = desk.routed()
    writes = desk.repository.calls.count("apply_change")
    desk.repository.fail_next_changes(*[ConcurrentUpdate(code)] * 3)
    body = problem_of(desk.act(code, "add_note", HANDLER_CLAIMS_TR, text="a note"), 409)
    assert (body["state"], body["version"]) == ("investigating", 5)
    assert desk.repository.calls.count("apply_change") == writes + 3
    assert "add_note" not in [e.action for e in desk.repository.events[code]]


def test_an_action_taken_again_is_judged_on_the_state_the_race_left(desk: Desk) -> None:
    """The supervisor asks the complainant first: the handler's question, tried again, is refused."""
    code = desk.routed()
    repository = desk.repository
    honest = repository.apply_change

    def supervisor_asks_first(before: Any, after: Any, event: Any) -> None:
        repository.apply_change = honest  # type: ignore[method-assign]
        asked = desk.act(code, "request_information", SUPERVISOR_TR, message="rapor?", channel="sms")
        assert asked.status_code == 200, asked.body
        raise ConcurrentUpdate(code)

    repository.apply_change = supervisor_asks_first  # type: ignore[method-assign]
    response = desk.act(code, "request_information", HANDLER_CLAIMS_TR, message="fatura?", channel="sms")
    body = problem_of(response, 409)
    assert body["state"] == "awaiting_complainant"
    assert [e.action for e in repository.events[code]].count("request_information") == 1


@pytest.mark.parametrize("version", [0, -1, "x", 1.5, True, "۲۲"])
def test_expected_version_must_be_a_whole_number(desk: Desk, version: Any) -> None:
    code = desk.routed()
    response = desk.act(code, "add_note", HANDLER_CLAIMS_TR, text="note", expected_version=version)
    if version == "۲۲":  # Persian digits read as 22: a well-formed, stale version
        assert problem_of(response, 409)["version"] == 2
    else:
        assert [e["field"] for e in problem_of(response, 422)["errors"]] == ["expected_version"]


def test_staff_actions_on_unknown_or_malformed_codes(desk: Desk) -> None:
    problem_of(desk.get(f"/staff/complaints/{new_tracking_code()}", SUPERVISOR_TR), 404)
    body = problem_of(desk.act("NOT-A-CODE", "add_note", SUPERVISOR_TR, text="x"), 422)
    assert [e["field"] for e in body["errors"]] == ["tracking_code"]
    code = desk.routed()
    body = problem_of(desk.act(code, "fly_away", SUPERVISOR_TR), 422)
    assert [e["field"] for e in body["errors"]] == ["action"]
    assert desk.act(code.lower().replace("-", " "), "Add-Note", SUPERVISOR_TR, text="x").status_code == 200


# --- work queues ------------------------------------------------------------------------------------


def _stamp(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["expected_response_by"].replace("Z", "+00:00"))


def _pages(desk: Desk, who: Any, query: str) -> list[list[dict[str, Any]]]:
    """Every page of a queue, following the cursors."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        path = f"/staff/queue?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = desk.get(path, who)
        assert response.status_code == 200, response.body
        body = body_of(response)
        pages.append(body["items"])
        cursor = body["cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor never ends"


GRADES = [("low", "low"), ("high", "high"), ("medium", "medium"), ("high", "low"), ("low", "high")]


@pytest.fixture
def busy_queue(desk: Desk) -> list[str]:
    """31 claims complaints of Turkey in four states, received over two days, of every priority.

    Plus complaints of other departments and of Iran, which the claims queue must not show.
    """
    codes = []
    for i in range(31):
        desk.clock.advance(minutes=47)
        category = "claim_payment_delay" if i % 3 == 0 else "claim_decision"
        code = desk.routed(category=category)
        urgency, importance = GRADES[i % len(GRADES)]
        fields = {"urgency": urgency, "importance": importance, "reason": "triage"}
        assert desk.act(code, "assess", SUPERVISOR_TR, **fields).status_code == 200
        if i % 7 == 1:
            assert desk.act(code, "request_information", SUPERVISOR_TR, message="rapor?").status_code == 200
        elif i % 7 == 5:
            assert desk.act(code, "decide", SUPERVISOR_TR, outcome="rejected").status_code == 200
        codes.append(code)
    desk.routed(category="premium_billing")  # finance
    desk.routed(category="service_quality")  # customer services
    closed = desk.routed()
    for action, fields in [("decide", {"outcome": "rejected"}), ("communicate_decision", {"channel": "sms"})]:
        assert desk.act(closed, action, SUPERVISOR_TR, **fields).status_code == 200
    assert desk.act(closed, "close", SUPERVISOR_TR).status_code == 200  # closed: out of every queue
    persian = {
        "market": "IR",
        "category": "claim_decision",
        "description": "خسارت من رد شد.",
        "contact": {"mobile": "۰۹۱۲۱۲۳۴۵۶۷"},
    }
    desk.routed(persian)
    return codes


def _check_pages(pages: list[list[dict[str, Any]]], expected: set[str], limit: int) -> list[dict[str, Any]]:
    items = [item for page in pages for item in page]
    codes = [item["tracking_code"] for item in items]
    assert len(codes) == len(set(codes)), "a complaint was shown twice"
    assert set(codes) == expected, "a complaint was skipped (or one that does not belong was shown)"
    assert all(len(page) <= limit for page in pages)
    assert all(pages[:-1]), "an empty page before the last"
    due = [_stamp(item) for item in items]
    assert due == sorted(due), "not soonest due first across pages"
    return items


@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_the_claims_queue_pages_through_every_open_complaint_soonest_due_first(
    desk: Desk, busy_queue: list[str], limit: int
) -> None:
    pages = _pages(desk, HANDLER_CLAIMS_TR, f"limit={limit}")
    items = _check_pages(pages, set(busy_queue), limit)
    assert {i["status"] for i in items} == {"investigating", "awaiting_complainant", "decided"}
    assert all(i["department"] == "claims" and i["market"] == "TR" for i in items)
    assert_nothing_personal(json.dumps(items, ensure_ascii=False))


@pytest.mark.parametrize("limit", [2, 5])
@pytest.mark.parametrize(
    "query",
    [
        "priority=low",
        "priority=high",
        "category=claim_payment_delay",
        "priority=medium&category=claim_decision",
        "status=decided",
        "priority=critical",
    ],
)
def test_queue_filters_page_without_skipping_or_repeating(
    desk: Desk, busy_queue: list[str], query: str, limit: int
) -> None:
    wanted = dict(pair.split("=") for pair in query.split("&"))
    expected = {
        code
        for code in busy_queue
        if all(
            getattr(desk.repository.complaints[code], name).value == value for name, value in wanted.items()
        )
    }
    pages = _pages(desk, SUPERVISOR_TR, f"department=claims&limit={limit}&{query}")
    items = _check_pages(pages, expected, limit)
    assert all(item[name] == value for item in items for name, value in wanted.items())


def test_the_overdue_filter_lists_what_is_late_and_what_waits_past_the_statutory_ceiling(
    desk: Desk, busy_queue: list[str]
) -> None:
    desk.clock.advance(days=8)  # past the high-priority targets, not the low ones, nor the ceiling
    complaints = [desk.repository.complaints[code] for code in busy_queue]
    waiting = {c.tracking_code for c in complaints if c.status.value == "awaiting_complainant"}
    assert waiting, "the queue has complaints waiting for the complainant"
    late = {c.tracking_code for c in complaints if c.expected_response_by < desk.clock.now()}
    assert not late & waiting, "a Turkish complaint waiting for the complainant is due at its ceiling"
    assert 0 < len(late) < len(busy_queue)
    items = _check_pages(_pages(desk, HANDLER_CLAIMS_TR, "overdue=true&limit=3"), late, 3)
    assert all(item["overdue"] for item in items)
    # Past the 15 business days of the Turkish ceiling, waiting for the complainant is no excuse.
    desk.clock.advance(days=20)
    owed = {c.tracking_code for c in complaints if c.status.value != "responded"}
    assert waiting <= owed
    items = _check_pages(_pages(desk, HANDLER_CLAIMS_TR, "overdue=true&limit=3"), owed, 3)
    assert all(item["overdue"] for item in items)


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(b'{"closed": "done"}').decode(),
        base64.urlsafe_b64encode(b'{"investigating": {"tracking_code": "X"}}').decode(),
        base64.urlsafe_b64encode(b'{"investigating": 7}').decode(),
        "x" * 5000,
    ],
)
def test_a_tampered_cursor_is_a_field_error(desk: Desk, busy_queue: list[str], cursor: str) -> None:
    body = problem_of(desk.get(f"/staff/queue?cursor={cursor}", HANDLER_CLAIMS_TR), 422)
    assert [e["field"] for e in body["errors"]] == ["cursor"]


def test_a_cursor_of_one_queue_is_refused_by_a_narrower_one(desk: Desk, busy_queue: list[str]) -> None:
    cursor = body_of(desk.get("/staff/queue?limit=2", HANDLER_CLAIMS_TR))["cursor"]
    assert cursor is not None
    problem_of(desk.get(f"/staff/queue?status=decided&cursor={cursor}", HANDLER_CLAIMS_TR), 422)


@pytest.mark.parametrize(
    "query", ["priority=urgent", "limit=0", "limit=201", "limit=ten", "overdue=maybe", "status=closed"]
)
def test_queue_parameters_are_checked(desk: Desk, query: str) -> None:
    body = problem_of(desk.get(f"/staff/queue?{query}", HANDLER_CLAIMS_TR), 422)
    assert [e["field"] for e in body["errors"]] == [query.split("=")[0]]


def test_an_unrouted_complaint_waits_in_the_unassigned_queue_for_supervisors(desk: Desk) -> None:
    code = desk.submit()
    items = body_of(desk.get("/staff/queue?department=unassigned", SUPERVISOR_TR))["items"]
    assert [i["tracking_code"] for i in items] == [code]
    problem_of(desk.get("/staff/queue?department=unassigned", HANDLER_CLAIMS_TR), 403)


# --- contact search ---------------------------------------------------------------------------------


@pytest.fixture
def one_complainants_complaints(desk: Desk) -> list[str]:
    """Three complaints of one person (two to claims, one to customer services), and another person's."""
    codes = [desk.routed(WEB_COMPLAINT)]
    desk.clock.advance(days=1)
    codes.append(desk.routed(WEB_COMPLAINT, category="claim_payment_delay"))
    desk.clock.advance(days=1)
    codes.append(
        desk.routed(WEB_COMPLAINT, category="service_quality", description="Çağrı merkezi kaba davrandı.")
    )
    desk.routed()  # TURKISH_COMPLAINT: someone else
    return codes


@pytest.mark.parametrize(
    "by",
    [
        {"mobile": "0532 987 65 43"},
        {"mobile": "+90 (532) 987-6543"},
        {"mobile": "۰۵۳۲۹۸۷۶۵۴۳"},
        {"email": "IPEK.Isikgor@EXAMPLE.net"},
        {"email": " ipek.isikgor@example.net "},
    ],
)
def test_search_by_mobile_or_email_finds_a_persons_complaints_within_reach(
    desk: Desk, one_complainants_complaints: list[str], by: dict[str, str]
) -> None:
    response = desk.post("/staff/search", SUPERVISOR_TR, by)
    assert response.status_code == 200, response.body
    found = body_of(response)
    assert [i["tracking_code"] for i in found["items"]] == one_complainants_complaints[::-1]  # newest first
    assert "hidden" not in found  # what is out of reach leaves no trace, not even a count
    assert_nothing_personal(response.body)
    claims = body_of(desk.post("/staff/search", HANDLER_CLAIMS_TR, by))
    assert [i["tracking_code"] for i in claims["items"]] == one_complainants_complaints[1::-1]
    services = body_of(desk.post("/staff/search", HANDLER_SERVICES_TR, by))
    assert [i["tracking_code"] for i in services["items"]] == one_complainants_complaints[2:]
    # A number is read in the searcher's market unless it has its country code.
    international = by if "email" in by else {"mobile": "+90 532 987 65 43"}
    elsewhere = body_of(desk.post("/staff/search", SUPERVISOR_IR, international))
    assert elsewhere == {"items": []}


@pytest.mark.parametrize(
    ("by", "field"),
    [
        ({}, "mobile"),
        ({"mobile": "0532 987 65 43", "email": EMAIL}, "mobile"),  # one at a time
        ({"mobile": "12"}, "mobile"),
        ({"email": "not-an-address"}, "email"),
        ({"mobile": ["0532 987 65 43"]}, "mobile"),
    ],
)
def test_search_needs_exactly_one_well_formed_contact_detail(
    desk: Desk, by: dict[str, Any], field: str
) -> None:
    body = problem_of(desk.post("/staff/search", SUPERVISOR_TR, by), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert "0532" not in json.dumps(body)
    assert EMAIL not in json.dumps(body)


def test_search_takes_the_contact_detail_in_the_body_never_in_the_url(
    desk: Desk, one_complainants_complaints: list[str]
) -> None:
    response = desk.get("/staff/search?mobile=05329876543", SUPERVISOR_TR)
    assert response.status_code == 405
    assert "05329876543" not in response.body.decode()
    response = desk.call("POST", "/staff/search?mobile=05329876543", SUPERVISOR_TR, {})
    assert response.status_code == 422  # the query string is not read
