"""Who may call which staff route: the role x route matrix, over fakes, with real token checks.

The rules are chalicelib/domain/access.py. Read the tables below as the
spec of what each member gets:

- no valid ID token (missing, forged, expired, for another app client, an
  access token, from another pool): 401 with WWW-Authenticate, on every
  staff route, before anything else is looked at;
- a valid token, but the role does not allow it, the complaint is of another
  department (handlers) or another market: 403;
- otherwise 2xx.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.domain.lifecycle import Action
from chalicelib.domain.tracking import new_tracking_code
from tests.conftest import TURKISH_COMPLAINT
from tests.staff_tokens import (
    AGENT_IR,
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_IR,
    HANDLER_CLAIMS_TR,
    HANDLER_SERVICES_TR,
    NO_ROLE,
    OMIT,
    SUPERVISOR_IR,
    SUPERVISOR_TR,
    Member,
    expired,
    for_another_client,
    forged,
    mint,
)
from tests.unit.conftest import Desk, body_of, problem_of

ASSESS = {"urgency": "high", "importance": "medium", "reason": "the claim file is complete"}
#: The public complaint each target is: claims (its category routes there) or customer services.
TARGETS = {
    "claims": {},
    "services": {
        "category": "service_quality",
        "description": "Çağrı merkezi üç gündür geri dönmedi, kayıt numarası verilmedi.",
        "contact": {**TURKISH_COMPLAINT["contact"], "mobile": "0533 765 43 21", "email": "cs@example.com"},
    },
}


@dataclass(frozen=True)
class Route:
    """One staff route: how to call it, and the state the target complaint must be in."""

    method: str
    path: str  # {code} and {department} are the target's
    body: dict[str, Any] | None = None
    state: str = "investigating"
    headers: dict[str, str] = field(default_factory=dict)


INTAKE = {
    **copy.deepcopy(TURKISH_COMPLAINT),
    "channel": "phone",
    "channel_detail": {"reference": "CALL-2026-11-23-0042"},
}

ROUTES: dict[str, Route] = {
    "intake": Route("POST", "/staff/complaints", INTAKE),
    "read": Route("GET", "/staff/complaints/{code}"),
    "personal_data": Route("POST", "/staff/complaints/{code}/personal-data", {"reason": "callback"}),
    "history": Route("GET", "/staff/complaints/{code}/history"),
    "add_note": Route("POST", "/staff/complaints/{code}/actions/add_note", {"text": "called back"}),
    "assess": Route("POST", "/staff/complaints/{code}/actions/assess", ASSESS),
    "override_priority": Route(
        "POST", "/staff/complaints/{code}/actions/assess", {**ASSESS, "priority": "critical"}
    ),
    "decide": Route(
        "POST", "/staff/complaints/{code}/actions/decide", {"outcome": "upheld", "remedy": "pay the claim"}
    ),
    "close": Route("POST", "/staff/complaints/{code}/actions/close", {}, state="responded"),
    "reopen": Route("POST", "/staff/complaints/{code}/actions/reopen", {"reason": "appeal"}, state="closed"),
    "queue": Route("GET", "/staff/queue?market=TR&department={department}"),
    "search": Route("POST", "/staff/search", {"mobile": "+90 532 123 45 67"}),
}

#: CAPA is another engineer's work in progress: here only "no valid token, no entry".
CAPA_ROUTES: dict[str, Route] = {
    "capa_list": Route("GET", "/staff/capa"),
    "capa_create": Route("POST", "/staff/capa", {}),
    "capa_get": Route("GET", "/staff/capa/CAPA-1"),
    "capa_update": Route("POST", "/staff/capa/CAPA-1", {}),
}

#: Reports: "no valid token, no entry" here; roles and markets in test_report_routes.py.
REPORT_ROUTES: dict[str, Route] = {
    "reports_list": Route("GET", "/staff/reports"),
    "reports_request": Route("POST", "/staff/reports", {"period": "daily", "date": "2026-11-20"}),
    "report_link": Route("GET", "/staff/reports/TR/daily/2026-11-20/summary.json"),
}

A_CODE = new_tracking_code()


def _bad_tokens() -> dict[str, tuple[str | None, str]]:
    """Every way a supervisor's (otherwise all-powerful) request fails to authenticate, and why."""
    who = ("supervisor.tr", ["supervisor"], None, "TR")
    return {
        "no Authorization": (None, "no Authorization header"),
        "not Bearer": ("Basic c3VwZXJ2aXNvcjpzZWNyZXQ=", "not 'Bearer <token>'"),
        "not a JWT": ("Bearer not.a.token", "malformed"),
        "forged (same kid)": (f"Bearer {forged(*who)}", "signature is not valid"),
        "expired": (f"Bearer {expired(*who)}", "expired"),
        "another audience": (f"Bearer {for_another_client(*who)}", "another client"),
        "an access token": (
            f"Bearer {mint(*who, token_use='access', aud=OMIT, client_id='x')}",
            "not an ID token",
        ),
        "another pool": (
            f"Bearer {mint(*who, iss='https://cognito-idp.eu-central-1.amazonaws.com/other')}",
            "another issuer",
        ),
        "no expiry": (f"Bearer {mint(*who, exp=OMIT)}", "no expiry"),
    }


BAD_TOKENS = _bad_tokens()


@pytest.mark.parametrize(
    "route",
    [*ROUTES.values(), *CAPA_ROUTES.values(), *REPORT_ROUTES.values()],
    ids=[*ROUTES, *CAPA_ROUTES, *REPORT_ROUTES],
)
@pytest.mark.parametrize(("authorization", "reason"), BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_no_valid_token_is_401_with_a_challenge_on_every_staff_route(
    desk: Desk, route: Route, authorization: str | None, reason: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    path = route.path.format(code=A_CODE, department="claims")
    response = desk.call(route.method, path, None, route.body, headers)
    body = problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert body["type"].endswith(":unauthenticated")
    assert reason in body["detail"]
    if authorization:
        token = authorization.split()[-1]
        assert token not in response.body.decode()
        assert token.split(".")[0] not in response.body.decode()  # not even the token's header
    assert desk.repository.calls == []  # nothing was read before the caller was known


# Rows: route, member, target complaint (claims or customer services, Turkish market), status.
# A member of another market stands for "another market"; HANDLER_SERVICES_TR on a claims
# complaint (or HANDLER_CLAIMS_TR on a customer-services one) stands for "another department".
MATRIX: list[tuple[str, Member, str, int]] = [
    # intake: agents and supervisors, of the complaint's market
    ("intake", AGENT_TR, "claims", 201),
    ("intake", SUPERVISOR_TR, "claims", 201),
    ("intake", HANDLER_CLAIMS_TR, "claims", 403),  # role
    ("intake", AUDITOR, "claims", 403),  # role
    ("intake", NO_ROLE, "claims", 403),  # a valid token naming no known group
    ("intake", AGENT_IR, "claims", 403),  # market
    ("intake", SUPERVISOR_IR, "claims", 403),  # market
    # read the case (no personal data): everyone in scope; the auditor everywhere
    ("read", AGENT_TR, "claims", 200),
    ("read", HANDLER_CLAIMS_TR, "claims", 200),
    ("read", HANDLER_SERVICES_TR, "services", 200),
    ("read", SUPERVISOR_TR, "claims", 200),
    ("read", AUDITOR, "claims", 200),
    ("read", NO_ROLE, "claims", 403),  # role
    ("read", HANDLER_SERVICES_TR, "claims", 403),  # department
    ("read", HANDLER_CLAIMS_TR, "services", 403),  # department
    ("read", HANDLER_CLAIMS_IR, "claims", 403),  # market
    ("read", AGENT_IR, "claims", 403),  # market
    ("read", SUPERVISOR_IR, "claims", 403),  # market
    # personal data: agents, handlers, supervisors in scope; never the auditor
    ("personal_data", AGENT_TR, "claims", 200),
    ("personal_data", HANDLER_CLAIMS_TR, "claims", 200),
    ("personal_data", SUPERVISOR_TR, "services", 200),
    ("personal_data", AUDITOR, "claims", 403),  # role
    ("personal_data", NO_ROLE, "claims", 403),  # role
    ("personal_data", HANDLER_CLAIMS_TR, "services", 403),  # department
    ("personal_data", SUPERVISOR_IR, "claims", 403),  # market
    # history: agents (their market), handlers, supervisors, auditors
    ("history", HANDLER_CLAIMS_TR, "claims", 200),
    ("history", SUPERVISOR_TR, "claims", 200),
    ("history", AUDITOR, "services", 200),
    ("history", AGENT_TR, "claims", 200),  # a clerk taking a follow-up call
    ("history", HANDLER_SERVICES_TR, "claims", 403),  # department
    ("history", HANDLER_CLAIMS_IR, "claims", 403),  # market
    ("history", SUPERVISOR_IR, "claims", 403),  # market
    # a note: agents, handlers, supervisors in scope
    ("add_note", AGENT_TR, "claims", 200),
    ("add_note", HANDLER_CLAIMS_TR, "claims", 200),
    ("add_note", SUPERVISOR_TR, "claims", 200),
    ("add_note", AUDITOR, "claims", 403),  # role
    ("add_note", HANDLER_SERVICES_TR, "claims", 403),  # department
    ("add_note", AGENT_IR, "claims", 403),  # market
    # assess: handlers and supervisors; overriding the priority: supervisors only
    ("assess", HANDLER_CLAIMS_TR, "claims", 200),
    ("assess", SUPERVISOR_TR, "claims", 200),
    ("assess", AGENT_TR, "claims", 403),  # role
    ("assess", HANDLER_CLAIMS_TR, "services", 403),  # department
    ("assess", HANDLER_CLAIMS_IR, "claims", 403),  # market
    ("override_priority", SUPERVISOR_TR, "claims", 200),
    ("override_priority", HANDLER_CLAIMS_TR, "claims", 403),  # role
    ("override_priority", SUPERVISOR_IR, "claims", 403),  # market
    # decide: handlers and supervisors
    ("decide", HANDLER_CLAIMS_TR, "claims", 200),
    ("decide", SUPERVISOR_TR, "services", 200),
    ("decide", AGENT_TR, "claims", 403),  # role
    ("decide", HANDLER_SERVICES_TR, "claims", 403),  # department
    ("decide", SUPERVISOR_IR, "claims", 403),  # market
    # close and reopen: supervisors only
    ("close", SUPERVISOR_TR, "claims", 200),
    ("close", HANDLER_CLAIMS_TR, "claims", 403),  # role
    ("close", AGENT_TR, "claims", 403),  # role
    ("close", AUDITOR, "claims", 403),  # role
    ("close", SUPERVISOR_IR, "claims", 403),  # market
    ("reopen", SUPERVISOR_TR, "claims", 200),
    ("reopen", HANDLER_CLAIMS_TR, "claims", 403),  # role
    ("reopen", AGENT_TR, "claims", 403),  # role
    ("reopen", SUPERVISOR_IR, "claims", 403),  # market
    # work queues: handlers their department's; the others their market's; auditors all
    ("queue", HANDLER_CLAIMS_TR, "claims", 200),
    ("queue", AGENT_TR, "claims", 200),
    ("queue", SUPERVISOR_TR, "services", 200),
    ("queue", AUDITOR, "claims", 200),
    ("queue", NO_ROLE, "claims", 403),  # role
    ("queue", HANDLER_CLAIMS_TR, "services", 403),  # department
    ("queue", HANDLER_CLAIMS_IR, "claims", 403),  # market
    ("queue", SUPERVISOR_IR, "claims", 403),  # market
    # contact search: agents, handlers, supervisors (out-of-scope hits are hidden, see below)
    ("search", AGENT_TR, "claims", 200),
    ("search", HANDLER_CLAIMS_TR, "claims", 200),
    ("search", SUPERVISOR_TR, "claims", 200),
    ("search", AUDITOR, "claims", 403),  # role
    ("search", NO_ROLE, "claims", 403),  # role
]


def prepare(desk: Desk, target: str, state: str) -> str:
    """A routed Turkish complaint of the target's department, brought to `state` by a supervisor."""
    code = desk.routed(**TARGETS[target])
    if state in ("responded", "closed"):
        for action, fields in [
            ("decide", {"outcome": "rejected"}),
            ("communicate_decision", {"channel": "sms", "message": "Talebiniz incelendi."}),
            *([("close", {})] if state == "closed" else []),
        ]:
            assert desk.act(code, action, SUPERVISOR_TR, **fields).status_code == 200
    assert desk.repository.complaints[code].status.value == state
    return code


@pytest.mark.parametrize(
    ("name", "who", "target", "status"),
    MATRIX,
    ids=[f"{name}-{who}-{target}-{status}" for name, who, target, status in MATRIX],
)
def test_role_matrix(desk: Desk, name: str, who: Member, target: str, status: int) -> None:
    route = ROUTES[name]
    code = prepare(desk, target, route.state) if name != "intake" else ""
    department = desk.repository.complaints[code].department if code else None
    before = dict(desk.repository.complaints)
    response = desk.call(route.method, route.path.format(code=code, department=department), who, route.body)
    if status >= 400:
        body = problem_of(response, status)
        assert body["type"].endswith(":forbidden")
        assert desk.repository.complaints == before  # a refusal changes nothing
        assert not desk.repository.accesses  # nor reads personal data
    else:
        assert response.status_code == status, response.body


@pytest.mark.parametrize("action", list(Action))
def test_an_auditor_may_take_no_action_whatever_the_body(desk: Desk, action: Action) -> None:
    code = prepare(desk, "claims", "investigating")
    body = problem_of(desk.act(code, action.value, AUDITOR), 403)
    assert "auditor" in body["detail"]
    assert desk.repository.complaints[code].version == 2  # submitted, routed: nothing since


def test_an_auditor_reads_the_case_and_its_history_but_no_personal_data(desk: Desk) -> None:
    code = prepare(desk, "claims", "investigating")
    case = desk.view(code, AUDITOR)
    assert case["allowed_actions"] == []
    assert case["personal_data"]["withheld"] is True
    history = desk.get(f"/staff/complaints/{code}/history", AUDITOR)
    assert history.status_code == 200
    assert [e["action"] for e in body_of(history)["events"]] == ["submit", "assign"]
    problem_of(desk.post(f"/staff/complaints/{code}/personal-data", AUDITOR), 403)
    assert desk.repository.accesses == {}


def test_an_auditor_reads_every_market_and_department(desk: Desk, persian_complaint: dict[str, Any]) -> None:
    codes = [desk.routed(), desk.routed(**TARGETS["services"]), desk.routed(persian_complaint)]
    for code in codes:
        assert desk.view(code, AUDITOR)["tracking_code"] == code
    queue = desk.get("/staff/queue?market=IR&department=claims", AUDITOR)
    assert [i["tracking_code"] for i in body_of(queue)["items"]] == [codes[2]]


INVESTIGATING_ACTIONS = [
    "assess",
    "assign",
    "request_information",
    "add_note",
    "record_data_check",
    "record_root_cause",
    "decide",
    "refer_out",
    "withdraw",
]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (AGENT_TR, ["add_note", "withdraw"]),
        (HANDLER_CLAIMS_TR, INVESTIGATING_ACTIONS),
        (SUPERVISOR_TR, INVESTIGATING_ACTIONS),
        (AUDITOR, []),
    ],
)
def test_the_case_view_offers_only_the_actions_the_member_may_take(
    desk: Desk, who: Member, expected: list[str]
) -> None:
    assert desk.view(prepare(desk, "claims", "investigating"), who)["allowed_actions"] == expected


def test_only_a_supervisor_is_offered_close_and_reopen(desk: Desk) -> None:
    responded = prepare(desk, "claims", "responded")
    assert "close" in desk.view(responded, SUPERVISOR_TR)["allowed_actions"]
    assert "close" not in desk.view(responded, HANDLER_CLAIMS_TR)["allowed_actions"]
    closed = prepare(desk, "claims", "closed")
    assert desk.view(closed, SUPERVISOR_TR)["allowed_actions"] == ["reopen"]
    assert desk.view(closed, HANDLER_CLAIMS_TR)["allowed_actions"] == []
    assert desk.view(closed, AGENT_TR)["allowed_actions"] == []


INTAKE_CHANNELS: list[tuple[str, dict[str, Any]]] = [
    ("phone", {"reference": "CALL-0042"}),
    ("fax", {"reference": "+90 212 555 01 02"}),
    ("post", {"reference": "PTT RR123456789TR"}),
    ("email", {"reference": "<msg-7781@mail.example.com>"}),
    ("social_media", {"network": "x", "reference": "https://x.com/someone/status/1"}),
    ("in_person", {"reference": "Kadıköy şubesi, masa 3"}),
]


@pytest.mark.parametrize(("channel", "detail"), INTAKE_CHANNELS, ids=[c for c, _ in INTAKE_CHANNELS])
def test_an_agent_enters_a_complaint_from_every_staff_channel(
    desk: Desk, channel: str, detail: dict[str, Any]
) -> None:
    body = {**copy.deepcopy(TURKISH_COMPLAINT), "channel": channel, "channel_detail": detail}
    if channel == "post":  # a letter may come with nothing but an address
        body["contact"] = {"name": "Ayşe Yılmaz", "postal_address": "Moda Cad. 12, Kadıköy, İstanbul"}
    response = desk.post("/staff/complaints", AGENT_TR, body)
    assert response.status_code == 201, response.body
    code = body_of(response)["tracking_code"]
    case = desk.view(code, AGENT_TR)
    assert (case["channel"], case["received_by"]) == (channel, "agent.tr")
    assert case["social_network"] == detail.get("network")
    assert "channel_reference" in case["personal_data"]["present"]
    revealed = body_of(desk.post(f"/staff/complaints/{code}/personal-data", AGENT_TR, {"reason": "check"}))
    assert revealed["channel_reference"] == detail["reference"]
    assert desk.repository.events[code][0].actor == "staff:agent.tr"


def test_staff_cannot_enter_a_web_complaint_nor_a_social_one_without_its_network(desk: Desk) -> None:
    web = problem_of(desk.post("/staff/complaints", AGENT_TR, {**TURKISH_COMPLAINT, "channel": "web"}), 422)
    assert [e["field"] for e in web["errors"]] == ["channel"]
    social = {**TURKISH_COMPLAINT, "channel": "social_media", "channel_detail": {"reference": "@x"}}
    errors = problem_of(desk.post("/staff/complaints", AGENT_TR, social), 422)["errors"]
    assert [e["field"] for e in errors] == ["channel_detail.network"]


def test_a_valid_token_naming_no_group_is_forbidden_not_unauthenticated(desk: Desk) -> None:
    code = prepare(desk, "claims", "investigating")
    stranger = Member("visitor", ["admins", "Supervisor"], "claims", "TR")  # unknown and mis-cased groups
    problem_of(desk.get(f"/staff/complaints/{code}", stranger), 403)


@pytest.mark.parametrize(
    ("who", "visible", "hidden"),
    [
        (AGENT_TR, 1, 0),
        (HANDLER_CLAIMS_TR, 1, 0),
        (SUPERVISOR_TR, 1, 0),
        (HANDLER_SERVICES_TR, 0, 1),  # another department: neither shown nor counted
        (SUPERVISOR_IR, 0, 1),  # another market
        (AGENT_IR, 0, 1),
    ],
)
def test_contact_search_shows_only_complaints_within_reach(
    desk: Desk, who: Member, visible: int, hidden: int
) -> None:
    prepare(desk, "claims", "investigating")
    response = desk.post("/staff/search", who, {"mobile": "+905321234567"})
    assert response.status_code == 200, response.body
    body = body_of(response)
    assert len(body["items"]) == visible
    assert set(body) == {"items"}, f"{hidden} out of reach must leave no trace"
