"""No personal data in any log record, on any staff or complainant path, success or failure.

Unique values are planted in every personal field and every free text, one
complaint is handled from intake to withdrawal through the API with every
logger at DEBUG (the root logger, and Chalice's app logger, which does not
propagate), and every record is rendered whole: its message, its arguments,
its `extra` attributes (everything in `record.__dict__`) and any traceback.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.api.staff import escalation_run
from chalicelib.bootstrap import container
from tests.conftest import TURKISH_COMPLAINT
from tests.staff_tokens import (
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_TR,
    SUPERVISOR_TR,
    Member,
    expired,
    for_another_client,
    forged,
    mint,
)
from tests.unit.conftest import Desk, body_of, problem_of

NAME = "İlkay Işıltı Çağlar‌زاده"  # Turkish İ and ı, Persian with a zero-width non-joiner
MOBILE = "0532 765 12 98"
MOBILE_E164 = "+905327651298"
EMAIL = "ilkay.planted.4471@example.org"
NATIONAL_ID = "38471926550"
ADDRESS = "Gizli Çıkmazı No 13, Üsküdar, İstanbul"
POLICY = "KSK-PLANTED/55501"
DESCRIPTION = "Poliçem PLANTED-DESC-9 iptal edildi, primim iade edilmedi; ıslak imzalı dilekçe verdim."
REMEDY = "PLANTED-REMEDY: primin iadesi"
REFERENCE = "PLANTED-CALLREF-31"
TEXTS = {
    "note": "PLANTED-NOTE müşteri öfkeli, İlkay Hanım",
    "assess": "PLANTED-ASSESS gerekçe",
    "question": "PLANTED-QUESTION dekontu gönderir misiniz?",
    "reply": "PLANTED-REPLY dekont ektedir, بسیار ممنون",
    "check": "PLANTED-CHECK tahsilat kaydı",
    "cause": "PLANTED-CAUSE fatura hatası",
    "decision": "PLANTED-DECISION gerekçeli karar",
    "message": "PLANTED-SMS iadeniz yapılacaktır",
    "close": "PLANTED-CLOSE teşekkür etti",
    "comment": "PLANTED-COMMENT geç oldu 😞",
    "reopen": "PLANTED-REOPEN eksik ödeme",
    "withdraw": "PLANTED-WITHDRAW vazgeçti",
    "read": "PLANTED-READ-REASON geri arama",
}
PLANTED = [
    NAME,
    "Işıltı",
    "زاده",
    MOBILE,
    MOBILE_E164,
    "5327651298",
    "765 12 98",
    EMAIL,
    "ilkay.planted",
    NATIONAL_ID,
    ADDRESS,
    POLICY,
    DESCRIPTION,
    REMEDY,
    REFERENCE,
    "PLANTED",
    *TEXTS.values(),
]

COMPLAINT: dict[str, Any] = {
    **TURKISH_COMPLAINT,
    "category": "cancellation_refund",  # finance
    "channel": "phone",
    "channel_detail": {"reference": REFERENCE},
    "description": DESCRIPTION,
    "remedy_sought": REMEDY,
    "contact": {
        "name": NAME,
        "mobile": MOBILE,
        "email": EMAIL,
        "national_id": NATIONAL_ID,
        "postal_address": ADDRESS,
        "policy_number": POLICY,
    },
}
FINANCE_HANDLER = Member("handler.finance.tr", ["handler"], "finance", "TR")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG and above: the root's and the app logger's (which does not propagate)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="complaintdesk")
    app_log = logging.getLogger("complaintdesk")
    app_log.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        app_log.removeHandler(caplog.handler)


def rendered(record: logging.LogRecord) -> str:
    """A record as any handler or formatter could show it: every attribute, the traceback too."""
    parts = [logging.Formatter("%(name)s %(levelname)s %(message)s").format(record), repr(record.args)]
    for name, value in vars(record).items():
        parts.append(f"{name}={value!s} {value!r}")
    return "\n".join(parts)


def assert_no_planted_value(records: list[logging.LogRecord], extra: list[str] | None = None) -> None:
    for record in records:
        text = rendered(record)
        for value in [*PLANTED, *(extra or [])]:
            escaped = json.dumps(value)[1:-1]  # as a JSON log formatter would write it
            assert value not in text, f"{value!r} logged by {record.name}"
            assert escaped not in text, f"{escaped!r} logged by {record.name}"


def public(desk: Desk, path: str, body: Any) -> Any:
    return desk.client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.body
    return body_of(response)


def test_a_whole_handling_logs_nothing_personal(desk: Desk, logs: pytest.LogCaptureFixture) -> None:
    code = ok(desk.post("/staff/complaints", AGENT_TR, COMPLAINT), 201)["tracking_code"]
    assert desk.route(code) == "finance"
    ok(desk.act(code, "add_note", AGENT_TR, text=TEXTS["note"]))
    ok(desk.act(code, "assess", FINANCE_HANDLER, urgency="high", importance="high", reason=TEXTS["assess"]))
    ok(desk.act(code, "request_information", FINANCE_HANDLER, message=TEXTS["question"], channel="email"))
    ok(public(desk, "/status", {"tracking_code": code}))
    problem_of(public(desk, "/replies", {"tracking_code": code, "mobile_last4": "1111", "message": "x"}), 422)
    ok(public(desk, "/replies", {"tracking_code": code, "mobile_last4": "۱۲۹۸", "message": TEXTS["reply"]}))
    ok(
        desk.act(
            code,
            "record_data_check",
            FINANCE_HANDLER,
            subject="payment",
            result="confirmed",
            text=TEXTS["check"],
        )
    )
    ok(desk.act(code, "record_root_cause", FINANCE_HANDLER, code="billing_error", text=TEXTS["cause"]))
    ok(desk.act(code, "decide", FINANCE_HANDLER, outcome="upheld", remedy="refund", text=TEXTS["decision"]))
    ok(desk.act(code, "communicate_decision", FINANCE_HANDLER, channel="sms", message=TEXTS["message"]))
    ok(desk.act(code, "close", SUPERVISOR_TR, text=TEXTS["close"]))
    feedback = {"tracking_code": code, "email": EMAIL.upper(), "rating": 2, "comment": TEXTS["comment"]}
    ok(public(desk, "/feedback", feedback), 201)
    problem_of(public(desk, "/feedback", feedback), 409)
    ok(desk.act(code, "reopen", SUPERVISOR_TR, reason=TEXTS["reopen"]))
    desk.clock.advance(days=20)
    escalated = escalation_run(container())  # the 15-minute schedule: overdue, so escalated
    assert escalated["escalated"] == 1
    ok(desk.act(code, "withdraw", AGENT_TR, reason=TEXTS["withdraw"]))
    # the reads
    ok(desk.post(f"/staff/complaints/{code}/personal-data", FINANCE_HANDLER, {"reason": TEXTS["read"]}))
    ok(desk.get(f"/staff/complaints/{code}/history", SUPERVISOR_TR))
    ok(desk.get(f"/staff/complaints/{code}/history", AUDITOR))
    ok(desk.get(f"/staff/complaints/{code}", AUDITOR))
    ok(desk.get("/staff/queue?department=finance&overdue=true", SUPERVISOR_TR))
    assert ok(desk.post("/staff/search", AGENT_TR, {"mobile": MOBILE}))["items"]
    assert ok(desk.post("/staff/search", AGENT_TR, {"email": EMAIL}))["items"]

    names = {record.name for record in logs.records}
    assert {"complaintdesk.staff"} <= names, "the capture must see the app's own loggers"
    actions = [
        r for r in logs.records if r.name == "complaintdesk.staff" and f" on {code} by " in r.getMessage()
    ]
    assert len(actions) == 10
    assert_no_planted_value(logs.records)


def _bad_tokens() -> dict[str, str]:
    """Tokens that fail verification, each carrying personal values in its claims."""
    planted = {"email": EMAIL, "name": NAME, "phone_number": MOBILE_E164}
    who = (EMAIL, ["supervisor"], None, "TR")
    payload = base64.urlsafe_b64encode(json.dumps(planted).encode()).decode().rstrip("=")
    return {
        "forged": forged(*who),
        "expired": expired(*who),
        "another audience": for_another_client(*who),
        "not an ID token": mint(*who, token_use="access"),
        "garbage with a payload": f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln",
        "alg none": f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.",
    }


@pytest.mark.parametrize(("kind", "token"), _bad_tokens().items(), ids=_bad_tokens().keys())
def test_a_bad_token_is_neither_logged_nor_echoed(
    desk: Desk, logs: pytest.LogCaptureFixture, kind: str, token: str
) -> None:
    code = desk.routed()
    for method, path, body in [
        ("GET", f"/staff/complaints/{code}", None),
        ("POST", f"/staff/complaints/{code}/actions/add_note", {"text": TEXTS["note"]}),
        ("POST", "/staff/search", {"mobile": MOBILE}),
        ("POST", "/staff/complaints", COMPLAINT),
    ]:
        response = desk.call(method, path, token, body)
        assert response.status_code == 401
        shown = response.body.decode()
        for part in [token, *token.split(".")[:2]]:
            assert part not in shown
        for value in PLANTED:
            assert value not in shown
    assert_no_planted_value(logs.records, [token, token.split(".")[1]])


INVALID = {
    "mobile": "PLANTEDMOBILE 0532 765 12 9",
    "email": "planted.invalid.İlkay@@example..org",
    "national_id": "38471926551",  # the check digit is wrong
    "name": "PLANTED-NAME\u202eevil",  # a bidi override in a single-line field
}


def test_field_errors_neither_log_nor_echo_what_was_typed(desk: Desk, logs: pytest.LogCaptureFixture) -> None:
    extra = [*INVALID.values(), "38471926551", "planted.invalid"]
    contact = {**COMPLAINT["contact"], **INVALID}
    intake = problem_of(desk.post("/staff/complaints", AGENT_TR, {**COMPLAINT, "contact": contact}), 422)
    assert {e["field"] for e in intake["errors"]} == {f"contact.{name}" for name in INVALID}
    code = desk.routed()
    responses = [
        intake,
        problem_of(desk.act(code, "add_note", HANDLER_CLAIMS_TR, text=TEXTS["note"] * 200), 422),
        problem_of(
            desk.act(code, "assess", HANDLER_CLAIMS_TR, urgency=NAME, importance="x", reason="r"), 422
        ),
        problem_of(desk.post("/staff/search", AGENT_TR, {"email": INVALID["email"]}), 422),
        problem_of(desk.post("/staff/search", AGENT_TR, {"mobile": INVALID["mobile"]}), 422),
        problem_of(desk.get(f"/staff/queue?department={EMAIL}", SUPERVISOR_TR), 422),
        problem_of(
            public(
                desk, "/replies", {"tracking_code": code, "mobile_last4": MOBILE, "message": TEXTS["reply"]}
            ),
            422,
        ),
        problem_of(
            public(
                desk, "/feedback", {"tracking_code": code, "email": EMAIL, "rating": NAME, "comment": "x"}
            ),
            422,
        ),
        problem_of(public(desk, "/replies", {"tracking_code": EMAIL, "email": EMAIL, "message": "x"}), 422),
    ]
    for body in responses:
        shown = json.dumps(body, ensure_ascii=False)
        for value in [*PLANTED, *extra]:
            assert value not in shown
    assert_no_planted_value(logs.records, extra)


def test_a_server_error_logs_its_traceback_but_nothing_personal(
    desk: Desk, logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = ok(desk.post("/staff/complaints", AGENT_TR, COMPLAINT), 201)["tracking_code"]
    desk.route(code)

    def broken(*args: Any) -> None:
        raise RuntimeError("the store broke")

    monkeypatch.setattr(desk.repository, "apply_change", broken)
    response = desk.act(code, "add_note", FINANCE_HANDLER, text=TEXTS["note"])
    assert problem_of(response, 500)["title"] == "Something went wrong on our side"
    errors = [r for r in logs.records if r.levelno >= logging.ERROR]
    assert errors  # the failure itself is logged, with its traceback...
    assert errors[-1].exc_info is not None
    assert "the store broke" in rendered(errors[-1])
    assert_no_planted_value(logs.records)  # ...but nothing of the person
