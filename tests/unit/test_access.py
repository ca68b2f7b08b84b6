"""Who may do what to which complaint, what each role sees of it, and who staff are.

The tables below are written out by hand from the rules (access.py's docstring):
they are the specification, not a copy of the code's tables.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import access
from chalicelib.domain import commands as c
from chalicelib.domain import policy as p
from chalicelib.domain.access import Permission
from chalicelib.domain.complaint import Complaint, HistoryEvent
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.domain.handling import handle
from chalicelib.domain.lifecycle import Action, Status, allowed_actions
from chalicelib.domain.lookup import ContactKind, contact_hash, normalised
from chalicelib.domain.staff import Role, StaffMember, staff_from_claims
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.domain.views import ComplaintSummary, case_view, history_view, personal_view, summary_view
from chalicelib.services.submit_complaint import submit_complaint
from tests.conftest import TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock

MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
A, H, S, U = Role.AGENT, Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR
ROLES = [A, H, S, U]

#: Where a complaint lies, seen from a member of the Turkish claims department.
OWN, OTHER_MARKET, OTHER_DEPARTMENT, UNASSIGNED = "own", "other_market", "other_department", "unassigned"
SCOPES = [OWN, OTHER_MARKET, OTHER_DEPARTMENT, UNASSIGNED]

#: The complaints each role reaches.
REACH: dict[Role, set[str]] = {
    A: {OWN, OTHER_DEPARTMENT, UNASSIGNED},  # the whole market
    H: {OWN},  # their own department only
    S: {OWN, OTHER_DEPARTMENT, UNASSIGNED},  # the whole market
    U: {OWN, OTHER_MARKET, OTHER_DEPARTMENT, UNASSIGNED},  # everything
}

#: Every role sees the dashboard (every department's, personal data masked) and the reports.
MARKET_WIDE_READS = {Permission.VIEW_DASHBOARD, Permission.READ_REPORTS}

PERMITTED: dict[Role, set[Permission]] = {
    A: {
        Permission.READ,
        Permission.READ_PERSONAL,
        Permission.READ_HISTORY,  # a clerk taking a follow-up call needs the story
        Permission.INTAKE,
        Permission.SEARCH_CONTACT,
        *MARKET_WIDE_READS,
    },
    H: {
        Permission.READ,
        Permission.READ_PERSONAL,
        Permission.READ_HISTORY,
        Permission.SEARCH_CONTACT,
        Permission.READ_CAPA,
        Permission.MANAGE_CAPA,
        *MARKET_WIDE_READS,
    },
    S: set(Permission),
    U: {
        Permission.READ,
        Permission.READ_HISTORY,
        Permission.READ_CAPA,
        *MARKET_WIDE_READS,
    },  # no personal data
}

ACTING: dict[Role, set[Action]] = {
    A: {Action.RECEIVE_INFORMATION, Action.ADD_NOTE, Action.WITHDRAW},
    H: set(Action) - {Action.CLOSE, Action.REOPEN},
    S: set(Action),
    U: set(),  # changes nothing
}


def member(
    *roles: Role, department: p.Department | None = p.Department.CLAIMS, market: p.Market | None = p.Market.TR
) -> StaffMember:
    return StaffMember("ayse", frozenset(roles), department, market)


def received(**changes: Any) -> Complaint:
    repository = FakeRepository()
    receipt = submit_complaint(
        parse_submission(
            {**copy.deepcopy(TURKISH_COMPLAINT), **changes}, channels=p.STAFF_CHANNELS | {p.Channel.WEB}
        ),
        repository=repository,
        clock=FixedClock(MONDAY),
        new_code=new_tracking_code,
    )
    return repository.complaints[str(receipt.body["tracking_code"])]


BASE = received()


def complaint_in(scope: str, status: Status = Status.INVESTIGATING) -> Complaint:
    changes: dict[str, dict[str, Any]] = {
        OWN: {"department": "claims"},
        OTHER_MARKET: {"department": "claims", "market": p.Market.IR},
        OTHER_DEPARTMENT: {"department": "finance"},
        UNASSIGNED: {"department": None},
    }
    return replace(BASE, status=status, **changes[scope])


# --- the matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", ROLES)
def test_permissions_by_role_and_scope(role: Role, permission: Permission, scope: str) -> None:
    staff, complaint = member(role), complaint_in(scope)
    expected = permission in PERMITTED[role] and scope in REACH[role]
    assert access.may(staff, access.PERMISSIONS[permission], complaint) is expected
    if expected:
        access.require(staff, permission, complaint)
    else:
        with pytest.raises(Forbidden):
            access.require(staff, permission, complaint)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_actions_by_role_and_scope(role: Role, action: Action, scope: str) -> None:
    staff, complaint = member(role), complaint_in(scope)
    if action in ACTING[role] and scope in REACH[role]:
        access.require_action(staff, action, complaint)
    else:
        with pytest.raises(Forbidden) as caught:
            access.require_action(staff, action, complaint)
        assert action.value in str(caught.value)
        assert role.value in str(caught.value)


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", ROLES)
def test_without_a_complaint_only_the_role_counts(role: Role, permission: Permission) -> None:
    allowed = permission in PERMITTED[role]
    assert access.may(member(role, market=None, department=None), access.PERMISSIONS[permission]) is allowed


@pytest.mark.parametrize("scope", SCOPES)
def test_a_member_with_no_roles_may_do_nothing(scope: str) -> None:
    nobody, complaint = member(), complaint_in(scope)
    for permission in Permission:
        with pytest.raises(Forbidden, match="no role"):
            access.require(nobody, permission, complaint)
        with pytest.raises(Forbidden):
            access.require(nobody, permission)
    for action in Action:
        with pytest.raises(Forbidden):
            access.require_action(nobody, action, complaint)
    assert access.actions_for(nobody, complaint) == []
    with pytest.raises(Forbidden):
        access.queue_scope(nobody, p.Market.TR, "claims")


@pytest.mark.parametrize("role", [A, H, S])
def test_a_member_without_a_market_reaches_no_complaint(role: Role) -> None:
    staff = member(role, market=None)
    for scope in SCOPES:
        assert not access.may(staff, access.PERMISSIONS[Permission.READ], complaint_in(scope))


def test_a_handler_without_a_department_reaches_no_complaint_not_even_an_unassigned_one() -> None:
    staff = member(H, department=None)
    for scope in SCOPES:
        assert not access.may(staff, access.PERMISSIONS[Permission.READ], complaint_in(scope))


def test_roles_combine_each_within_its_own_scope() -> None:
    staff = member(H, U)
    elsewhere = complaint_in(OTHER_MARKET)
    access.require(staff, Permission.READ, elsewhere)  # as auditor
    access.require(staff, Permission.READ_HISTORY, elsewhere)
    with pytest.raises(Forbidden):
        access.require(staff, Permission.READ_PERSONAL, elsewhere)  # a handler's right, not out here
    with pytest.raises(Forbidden):
        access.require_action(staff, Action.ADD_NOTE, elsewhere)
    access.require(staff, Permission.READ_PERSONAL, complaint_in(OWN))
    access.require_action(staff, Action.DECIDE, complaint_in(OWN))


def test_only_a_supervisor_overrides_priority() -> None:
    for role in ROLES:
        allowed = access.may(
            member(role), access.PERMISSIONS[Permission.OVERRIDE_PRIORITY], complaint_in(OWN)
        )
        assert allowed is (role is S)


# --- actions_for --------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("role", ROLES)
def test_the_actions_offered_are_the_states_narrowed_by_role_and_scope(
    role: Role, status: Status, scope: str
) -> None:
    complaint = complaint_in(scope, status)
    offered = access.actions_for(member(role), complaint)
    expected = [a.value for a in allowed_actions(status) if a in ACTING[role] and scope in REACH[role]]
    assert offered == expected
    assert set(offered) <= {a.value for a in allowed_actions(status)}


def test_a_supervisor_may_close_a_responded_complaint_and_a_handler_may_not() -> None:
    responded = complaint_in(OWN, Status.RESPONDED)
    assert access.actions_for(member(S), responded) == ["add_note", "close"]
    assert access.actions_for(member(H), responded) == ["add_note"]
    assert access.actions_for(member(A), responded) == ["add_note"]
    assert access.actions_for(member(U), responded) == []


# --- queue_scope --------------------------------------------------------------------------------

QUEUES: list[tuple[Role, p.Market | None, str | None, bool]] = [
    (A, p.Market.TR, "claims", True),
    (A, p.Market.TR, "finance", True),
    (A, p.Market.TR, None, True),
    (A, p.Market.IR, "claims", False),
    (A, None, "claims", False),
    (H, p.Market.TR, "claims", True),
    (H, p.Market.TR, "finance", False),
    (H, p.Market.TR, None, False),
    (H, p.Market.IR, "claims", False),
    (H, None, "claims", False),
    (S, p.Market.TR, "claims", True),
    (S, p.Market.TR, "finance", True),
    (S, p.Market.TR, None, True),
    (S, p.Market.IR, "claims", False),
    (S, None, None, False),
    (U, p.Market.TR, "claims", True),
    (U, p.Market.IR, "finance", True),
    (U, p.Market.IR, None, True),
    (U, None, None, True),
]


@pytest.mark.parametrize(("role", "market", "department", "allowed"), QUEUES)
def test_queue_scope(role: Role, market: p.Market | None, department: str | None, allowed: bool) -> None:
    if allowed:
        access.queue_scope(member(role), market, department)
    else:
        with pytest.raises(Forbidden, match="outside your market or department"):
            access.queue_scope(member(role), market, department)


@pytest.mark.parametrize("role", [A, H, S])
def test_a_member_without_a_market_has_no_queue(role: Role) -> None:
    for market in (p.Market.TR, p.Market.IR, None):
        with pytest.raises(Forbidden):
            access.queue_scope(member(role, market=None), market, "claims")


def test_any_role_that_reaches_a_queue_is_enough() -> None:
    access.queue_scope(member(H, A), p.Market.TR, "finance")
    access.queue_scope(member(H, U), p.Market.IR, "finance")


# --- staff_from_claims --------------------------------------------------------------------------


def test_a_member_from_verified_claims() -> None:
    staff = staff_from_claims(
        {
            "cognito:username": "ayse",
            "cognito:groups": ["handler", "supervisor"],
            "custom:department": "claims",
            "custom:market": "TR",
        }
    )
    assert staff == StaffMember("ayse", frozenset({H, S}), p.Department.CLAIMS, p.Market.TR)
    assert staff.actor == "staff:ayse"
    assert staff.has(A, S)
    assert not staff.has(A, U)


def test_a_single_group_may_come_as_text_and_username_without_prefix() -> None:
    staff = staff_from_claims({"username": "mehmet", "cognito:groups": "agent"})
    assert (staff.username, staff.roles) == ("mehmet", frozenset({A}))
    assert (staff.department, staff.market) == (None, None)


@pytest.mark.parametrize(
    "claims",
    [
        {"cognito:username": "x", "cognito:groups": ["admin", "Supervisor", 3, None]},
        {"cognito:username": "x"},
        {"cognito:username": "x", "cognito:groups": []},
    ],
)
def test_unknown_groups_give_no_roles_not_an_error(claims: dict[str, Any]) -> None:
    assert staff_from_claims(claims).roles == frozenset()


def test_unknown_departments_and_markets_are_ignored() -> None:
    staff = staff_from_claims(
        {
            "cognito:username": "x",
            "cognito:groups": ["handler"],
            "custom:department": "legal",
            "custom:market": "tr",
        }
    )
    assert (staff.department, staff.market) == (None, None)


@pytest.mark.parametrize("claims", [{}, {"cognito:username": ""}, {"cognito:username": 7}, {"sub": "abc"}])
def test_claims_that_name_no_user_are_unauthenticated(claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthenticated):
        staff_from_claims(claims)


# --- what each role sees: views -----------------------------------------------------------------

SECRETS = {
    "name": "Ayşe Işıl Yılmaz",
    "mobile": "+905321234567",
    "email": "ayse.yilmaz@example.com",
    "policy": "KSK-2026/88123",
    "description": "Kasko hasar talebim gerekçesiz reddedildi",
    "remedy_sought": "Hasarın ödenmesi",
    "reference": "ÇAĞRI-4471",
    "address": "Alsancak Mah. 1453 Sok. No 7, İzmir",
    "national_id": "10000000146",
    "request": "Ruhsat fotokopisini SIR-REQ gönderin",
    "reply": "Ruhsat ektedir SIR-REPLY",
    "note": "Müşteri SIR-NOTE ile görüşüldü",
    "phone_summary": "Telefonda SIR-CALL anlatıldı",
    "decision_sms": "Ödemeniz SIR-SMS yapılacak",
    "close": "SIR-CLOSE kapatıldı",
}


def handled_complaint() -> tuple[Complaint, list[HistoryEvent]]:
    """A complaint taken through the whole process, with personal data in every free-text place."""
    complaint = received(
        channel="phone",
        channel_detail={"reference": SECRETS["reference"]},
        contact={
            **TURKISH_COMPLAINT["contact"],
            "national_id": SECRETS["national_id"],
            "postal_address": SECRETS["address"],
        },
    )
    events: list[HistoryEvent] = []
    steps: list[c.Command] = [
        c.Assign(p.Department.CLAIMS, "mehmet"),
        c.RequestInformation(SECRETS["request"]),
        c.ReceiveInformation(SECRETS["reply"], "phone"),
        c.AddNote(SECRETS["note"]),
        c.Decide(p.DecisionOutcome.PARTLY_UPHELD, "Kısmi ödeme", "750.00"),
        c.CommunicateDecision(p.ContactChannel.SMS, SECRETS["decision_sms"]),
        c.Close(SECRETS["close"]),
        c.Reopen("itiraz"),
        c.Decide(p.DecisionOutcome.REJECTED, None, None),
        c.CommunicateDecision(p.ContactChannel.PHONE, SECRETS["phone_summary"]),
    ]
    for step, command in enumerate(steps):
        complaint, event = handle(
            complaint, command, actor="staff:mehmet", now=MONDAY + timedelta(hours=step)
        )
        events.append(event)
    return complaint, events


def test_the_case_view_never_holds_personal_data() -> None:
    complaint, _ = handled_complaint()
    view = case_view(complaint, MONDAY + timedelta(days=1), ["add_note"])
    dumped = json.dumps(view, ensure_ascii=False)
    for name, secret in SECRETS.items():
        assert secret not in dumped, name
    assert "1234567" not in dumped  # not even part of the mobile number
    assert view["personal_data"]["withheld"] is True
    assert set(view["personal_data"]["present"]) == {
        "name",
        "mobile",
        "email",
        "national_id",
        "policy_number",
        "postal_address",
        "preferred_channel",
        "channel_reference",
        "remedy_sought",
        "description",
    }


def test_the_case_view_shows_the_handling() -> None:
    complaint, _ = handled_complaint()
    view = case_view(complaint, MONDAY + timedelta(days=1), ["add_note"])
    assert view["status"] == "responded"
    assert view["version"] == complaint.version == 11
    assert view["decision"]["outcome"] == "rejected"
    assert view["closures"] == 1
    assert view["department"] == "claims"
    assert view["allowed_actions"] == ["add_note"]
    assert [m["code"] for m in view["milestones"]] == [
        "received",
        "under_investigation",
        "information_requested",
        "information_received",
        "decision_sent",
        "closed",
        "reopened",
        "decision_sent",
    ]
    assert view["overdue"] is False
    assert 0 <= view["share_of_time_used"] <= 99


def test_a_queue_row_holds_no_personal_data() -> None:
    complaint, _ = handled_complaint()
    row = summary_view(ComplaintSummary.of(complaint), MONDAY)
    dumped = json.dumps(row, ensure_ascii=False)
    assert not any(secret in dumped for secret in SECRETS.values())
    assert row["tracking_code"] == complaint.tracking_code


def test_the_personal_view_holds_what_the_complainant_gave_and_what_staff_wrote_them() -> None:
    complaint, _ = handled_complaint()
    view = personal_view(complaint)
    assert view["contact"]["name"] == SECRETS["name"]
    assert view["contact"]["national_id"] == SECRETS["national_id"]
    assert view["channel_reference"] == SECRETS["reference"]
    assert sorted(view["messages"].values()) == sorted([SECRETS["request"], SECRETS["decision_sms"]])


@pytest.mark.parametrize("with_text", [True, False])
def test_history_text_is_withheld_unless_allowed(with_text: bool) -> None:
    _, events = handled_complaint()
    views = [history_view(event, with_text=with_text) for event in events]
    dumped = json.dumps(views, ensure_ascii=False)
    for name in ("reply", "note", "phone_summary", "close"):
        assert (SECRETS[name] in dumped) is with_text, name
    for name in ("request", "decision_sms"):  # personal messages are never history text
        assert SECRETS[name] not in dumped
    for event, view in zip(events, views, strict=True):
        if event.text is None:
            assert "text" not in view
            assert "text_withheld" not in view
        else:
            assert view["text"] == (event.text if with_text else None)
            assert view["text_withheld"] is not with_text
    assert [v["seq"] for v in views] == list(range(2, 12))
    assert [v["public"] for v in views] == [True, True, True, False, False, True, True, True, False, True]


def test_a_queue_row_says_whether_the_clock_is_paused_and_whether_the_complaint_is_overdue() -> None:
    complaint = received()
    late = complaint.expected_response_by + timedelta(seconds=1)
    assert summary_view(ComplaintSummary.of(complaint), late)["overdue"] is True
    waiting = replace(complaint, clock=replace(complaint.response_clock, paused_at=MONDAY))
    row = summary_view(ComplaintSummary.of(waiting), late)
    assert (row["clock_paused"], row["overdue"]) == (True, False)


# --- contact lookup keys ------------------------------------------------------------------------

KEY = b"k" * 32


def test_a_contact_hash_is_hmac_sha256_of_the_kind_and_normalised_value() -> None:
    expected = hmac.new(KEY, b"email:ayse.yilmaz@example.com", hashlib.sha256).hexdigest()
    assert contact_hash(KEY, ContactKind.EMAIL, " Ayse.Yilmaz@Example.COM ") == expected
    assert len(expected) == 64


def test_mobile_numbers_are_only_trimmed() -> None:
    assert normalised(ContactKind.MOBILE, " +905321234567 ") == "+905321234567"
    expected = hmac.new(KEY, b"mobile:+905321234567", hashlib.sha256).hexdigest()
    assert contact_hash(KEY, ContactKind.MOBILE, "+905321234567\n") == expected


def test_the_kind_and_the_key_are_bound_in() -> None:
    value = "905321234567"
    assert contact_hash(KEY, ContactKind.MOBILE, value) != contact_hash(KEY, ContactKind.EMAIL, value)
    assert contact_hash(KEY, ContactKind.MOBILE, value) != contact_hash(
        b"other key", ContactKind.MOBILE, value
    )
    assert value not in contact_hash(KEY, ContactKind.MOBILE, value)


# --- market-wide reads: the dashboard and the reports -------------------------------------------


@pytest.mark.parametrize("permission", sorted(MARKET_WIDE_READS | {Permission.BUILD_REPORTS}))
@pytest.mark.parametrize("role", ROLES)
def test_market_scope(role: Role, permission: Permission) -> None:
    staff = member(role)
    if permission not in PERMITTED[role]:
        with pytest.raises(Forbidden, match="not allowed"):
            access.market_scope(staff, permission, None)
        return
    if role is U:  # any market, or every market
        assert access.market_scope(staff, permission, p.Market.IR) is p.Market.IR
        assert access.market_scope(staff, permission, None) is None
        return
    assert access.market_scope(staff, permission, None) is p.Market.TR  # their own
    assert access.market_scope(staff, permission, p.Market.TR) is p.Market.TR
    with pytest.raises(Forbidden, match="your own market"):
        access.market_scope(staff, permission, p.Market.IR)


def test_market_scope_needs_a_market_on_the_account() -> None:
    with pytest.raises(Forbidden, match="no market"):
        access.market_scope(member(S, market=None), Permission.BUILD_REPORTS, None)
