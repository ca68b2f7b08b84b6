"""The console's screens over fakes: every screen for every role, who sees and does what, lists, and
what a page may show of a person (nothing, but on the page that reveals it, which is recorded)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.lifecycle import Action
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.staff_tokens import (
    AGENT_IR,
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_TR,
    HANDLER_SERVICES_TR,
    NO_ROLE,
    SUPERVISOR_IR,
    SUPERVISOR_TR,
    Member,
)
from tests.unit.conftest import Desk
from tests.unit.test_console import (  # the console's fixtures, shared
    ROLES,
    Browser,
    browser,
    capa_register,
    form_fields,
    page_of,
    problem,
    report_requests,
    sign_in_service,
)
from tests.unit.test_pages import HOSTILE

__all__ = ["browser", "capa_register", "report_requests", "sign_in_service"]  # fixtures used here

#: Personal data planted in a complaint: none of it may appear on any page but the reveal page.
PERSONAL = {
    "name": "Gülşen Öztürk-Planted",
    "mobile": "0532 987 65 43",
    "stored_mobile": "+905329876543",
    "email": "gulsen.planted@example.com",
    "policy_number": "PLANTED-77/2026",
    "postal_address": "Planted Sokak 9, Kadıköy",
    "national_id": "10000000146",
    "description": "Planted description: hasar talebim gerekçesiz reddedildi, kimse aramadı.",
    "remedy_sought": "Planted remedy: ödeme yapılsın",
}
NOTE = "Planted note: müşteri 14:00'te aradı, eşi hastanede."


def planted(desk: Desk, **changes: Any) -> str:
    """A complaint full of recognisable personal data, routed to Claims, with a note in its history."""
    document = copy.deepcopy(TURKISH_COMPLAINT)
    document["contact"] = {
        "name": PERSONAL["name"],
        "mobile": PERSONAL["mobile"],
        "email": PERSONAL["email"],
        "policy_number": PERSONAL["policy_number"],
        "postal_address": PERSONAL["postal_address"],
        "national_id": PERSONAL["national_id"],
    }
    document["description"] = PERSONAL["description"]
    document["remedy_sought"] = PERSONAL["remedy_sought"]
    code = desk.routed(document, **changes)
    assert desk.act(code, "add_note", SUPERVISOR_TR, text=NOTE).status_code == 200
    return code


def readable(response: Any) -> str:
    return str(response.body.decode("utf-8"))


# --- every screen, every role --------------------------------------------------------------------

#: Screen -> the roles it serves (the others get the 403 page).
SCREENS: dict[str, set[str]] = {
    "queue": {"agent.tr", "handler.claims.tr", "supervisor.tr", "auditor"},
    "search": {"agent.tr", "handler.claims.tr", "supervisor.tr", "auditor"},
    "intake": {"agent.tr", "supervisor.tr"},
    "dashboard": {"agent.tr", "handler.claims.tr", "supervisor.tr", "auditor"},
    "reports": {"agent.tr", "handler.claims.tr", "supervisor.tr", "auditor"},
    "capa": {"handler.claims.tr", "supervisor.tr", "auditor"},
    "capa/new": {"handler.claims.tr", "supervisor.tr"},
}


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
@pytest.mark.parametrize("member", ROLES, ids=str)
def test_every_screen_renders_for_every_role_in_every_language(
    browser: Callable[..., Browser], desk: Desk, member: Member, language: str
) -> None:
    code = desk.routed()
    visitor = browser(member, language)
    for screen, allowed in SCREENS.items():
        answer = visitor.get(screen)
        if member.username in allowed:
            document = page_of(answer)
            html = document.all("html")[0]
            assert html.attrs["lang"] == language
            assert html.attrs["dir"] == ("rtl" if language == "fa" else "ltr")
            assert document.by_id("signed-in-as").attrs["data-username"] == member.username
        else:
            assert problem(answer, 403) == "forbidden", screen
    page_of(visitor.get(f"complaints/{code}"))


def test_the_menu_offers_what_the_role_may_use(browser: Callable[..., Browser]) -> None:
    def menu(member: Member) -> list[str]:
        links = browser(member).open("queue").all("a", class_="primary__link")
        return [str(link.attrs["id"]) for link in links]

    everyone = ["nav-queue", "nav-search", "nav-dashboard", "nav-reports"]
    assert menu(AGENT_TR) == ["nav-queue", "nav-search", "nav-intake", "nav-dashboard", "nav-reports"]
    assert menu(HANDLER_CLAIMS_TR) == [*everyone, "nav-capa"]
    assert menu(SUPERVISOR_TR) == [
        "nav-queue",
        "nav-search",
        "nav-intake",
        "nav-dashboard",
        "nav-reports",
        "nav-capa",
    ]
    assert menu(AUDITOR) == [*everyone, "nav-capa"]


def test_a_member_without_a_role_sees_only_refusals(browser: Callable[..., Browser], desk: Desk) -> None:
    code = desk.routed()
    nobody = browser(NO_ROLE)
    for path in ("queue", "dashboard", "reports", "capa", f"complaints/{code}"):
        assert problem(nobody.get(path), 403) == "forbidden", path


# --- a handler and another department's complaint ------------------------------------------------


def test_a_handler_cannot_see_or_act_on_another_departments_complaint(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()  # Claims
    own = browser(HANDLER_CLAIMS_TR)
    case = own.open(f"complaints/{code}")
    other = browser(HANDLER_SERVICES_TR)
    refused = other.get(f"complaints/{code}")
    assert problem(refused, 403) == "forbidden"
    # The refusal is a page of the session: who is signed in, the menu, sign-out and a way back.
    document = page_of(refused, 403)
    assert document.by_id("signed-in-as").attrs["data-username"] == HANDLER_SERVICES_TR.username
    assert document.has_id("nav-queue")
    assert document.has_id("sign-out")
    before = list(desk.repository.events[code])
    for action, fields in [
        ("add_note", {"text": "Bizim değil."}),
        ("assign", {"department": "customer_services"}),
    ]:
        answer = other.post(f"complaints/{code}/actions/{action}", {**fields, "csrf": other.token()})
        assert problem(answer, 403) == "forbidden"
    answer = other.post(f"complaints/{code}/personal-data", {"reason": "merak", "csrf": other.token()})
    assert problem(answer, 403) == "forbidden"
    assert desk.repository.events[code] == before
    assert desk.repository.accesses.get(code, []) == []
    # Their queue is their own department's; another's is refused.
    assert problem(other.get("queue?department=claims"), 403) == "forbidden"
    assert case.has_id("action-add-note")


def test_another_markets_complaint_is_refused_even_to_a_supervisor(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed(PERSIAN_COMPLAINT)
    assert problem(browser(SUPERVISOR_TR).get(f"complaints/{code}"), 403) == "forbidden"
    page_of(browser(SUPERVISOR_IR, "fa").get(f"complaints/{code}"))
    assert problem(browser(AGENT_TR).get(f"complaints/{code}"), 403) == "forbidden"
    page_of(browser(AGENT_IR).get(f"complaints/{code}"))


# --- the auditor ---------------------------------------------------------------------------------


def test_an_auditor_reads_the_whole_history_and_is_offered_nothing_to_change(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = planted(desk)
    auditor = browser(AUDITOR)
    case = auditor.open(f"complaints/{code}")
    events = case.by_id("case-timeline").all("li")
    assert [e.attrs["id"] for e in events] == [f"event-{event.seq}" for event in desk.repository.events[code]]
    assert case.has_id("no-actions")
    assert not case.has_id("reveal-form")
    assert not [
        f for f in case.all("form") if f.attrs.get("method") == "post" and f.attrs["id"] != "sign-out-form"
    ]
    assert case.has_id("personal-not-yours")


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("complaints/{code}/actions/add_note", {"text": "Denetçi notu"}),
        ("complaints/{code}/actions/close", {}),
        ("complaints/{code}/personal-data", {"reason": "denetim"}),
        ("intake", {"market": "TR", "channel": "phone", "description": "Denetçi şikâyet giremez, deneme."}),
        ("capa", {"kind": "corrective", "title": "x", "root_causes.communication": "communication"}),
        ("reports", {"period": "daily", "date": "2026-11-20"}),
        ("search", {"mobile": "0532 987 65 43"}),
    ],
)
def test_every_post_of_an_auditor_is_refused_and_changes_nothing(
    browser: Callable[..., Browser], desk: Desk, report_requests: Any, path: str, fields: dict[str, str]
) -> None:
    code = planted(desk)
    auditor = browser(AUDITOR)
    before = (len(desk.repository.complaints), list(desk.repository.events[code]))
    answer = auditor.post(path.format(code=code), {**fields, "csrf": auditor.token()})
    assert problem(answer, 403) == "forbidden"
    assert (len(desk.repository.complaints), desk.repository.events[code]) == before
    assert desk.repository.accesses.get(code, []) == []
    assert report_requests.requests == []


# --- only the actions the role allows ------------------------------------------------------------


#: What an investigating complaint offers a handler of its department, and a supervisor.
WORKING = {
    "assess",
    "assign",
    "request_information",
    "add_note",
    "record_data_check",
    "record_root_cause",
    "decide",
    "refer_out",
    "withdraw",
}


@pytest.mark.parametrize(
    ("member", "offered"),
    [
        (AGENT_TR, {"add_note", "withdraw"}),
        (HANDLER_CLAIMS_TR, WORKING),
        (SUPERVISOR_TR, WORKING),
        (AUDITOR, set()),
    ],
    ids=["agent", "handler", "supervisor", "auditor"],
)
def test_the_complaint_offers_exactly_the_actions_of_the_role_and_state(
    browser: Callable[..., Browser], desk: Desk, member: Member, offered: set[str]
) -> None:
    code = desk.routed()  # investigating, in Claims
    case = browser(member).open(f"complaints/{code}")
    shown = {str(d.attrs["id"]).removeprefix("action-").replace("-", "_") for d in case.all("details")}
    assert shown == offered
    for action in offered:
        _, fields = form_fields(case, f"action-{action.replace('_', '-')}-form")
        assert fields["expected_version"] == str(desk.repository.complaints[code].version)


def test_only_a_supervisor_is_offered_the_priority_override(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    assert browser(SUPERVISOR_TR).open(f"complaints/{code}").has_id("assess-priority")
    assert not browser(HANDLER_CLAIMS_TR).open(f"complaints/{code}").has_id("assess-priority")


def test_every_action_form_has_a_label_for_every_field(browser: Callable[..., Browser], desk: Desk) -> None:
    """All thirteen actions, across the states that offer them, for a supervisor."""
    seen: set[str] = set()
    supervisor = browser(SUPERVISOR_TR)
    code = desk.routed()
    desk.act(code, "request_information", SUPERVISOR_TR, message="Dekont?")
    states = [desk.submit(), code]
    closed = desk.routed()
    for action, fields in [
        ("decide", {"outcome": "rejected"}),
        ("communicate_decision", {"channel": "sms", "message": "Red."}),
        ("close", {}),
    ]:
        desk.act(closed, action, SUPERVISOR_TR, **fields)
    responded = desk.routed()
    desk.act(responded, "decide", SUPERVISOR_TR, outcome="rejected")
    desk.act(responded, "communicate_decision", SUPERVISOR_TR, channel="phone", message="Arandı.")
    decided = desk.routed()
    desk.act(decided, "decide", SUPERVISOR_TR, outcome="rejected")
    for each in (*states, closed, responded, decided, desk.routed()):
        case = supervisor.open(f"complaints/{each}")
        for details in case.all("details"):
            seen.add(str(details.attrs["id"]))
            for control in details.walk():
                if control.tag in ("input", "textarea", "select") and control.attrs.get("type") != "hidden":
                    assert case.all("label", for_=str(control.attrs["id"])), control.attrs
    assert seen == {f"action-{a.value.replace('_', '-')}" for a in Action}


# --- lists ---------------------------------------------------------------------------------------


def test_the_queue_pages_through_many_complaints_soonest_due_first_each_once(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    codes = set()
    for i in range(130):
        code = desk.submit(category="service_quality", description=f"Şubede bekletildim, kayıt {i:03d}.")
        desk.route(code)
        codes.add(code)
        desk.clock.advance(minutes=7)
    handler = browser(HANDLER_SERVICES_TR)
    seen: list[str] = []
    pages = 0
    address = "queue?limit=25"
    while address:
        document = handler.open(address)
        pages += 1
        rows = document.by_id("queue-table").all("tr", class_="complaints__row")
        seen += [str(r.attrs["data-code"]) for r in rows]
        following = document.all("a", id="next-page")
        address = str(following[0].attrs["href"]) if following else ""
        if pages > 1:
            assert document.by_id("first-page").attrs["href"].startswith("/en/console/queue?")  # type: ignore[union-attr]
    assert pages == 6
    assert len(seen) == len(set(seen)) == 130
    assert set(seen) == codes
    due = [desk.repository.complaints[code].expected_response_by for code in seen]
    assert due == sorted(due)


def test_overdue_and_health_complaints_stand_out_in_words(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    health = desk.submit(category="health_claim", description="Kemoterapi ödemem yapılmadı, tedavim durdu.")
    desk.route(health)
    late = desk.routed(category="claim_decision")
    desk.clock.advance(days=40)
    handler_health = browser(Member("hh", ["handler"], "health_claims", "TR"))
    row = handler_health.open("queue").by_id(f"row-{health}")
    assert "complaints__row--health" in str(row.attrs["class"])
    flags = {str(f.attrs["data-flag"]): f.words() for f in row.all("li")}
    assert flags["health"] == "Health or safety"
    assert flags["overdue"] == "Overdue"
    overdue_only = browser(HANDLER_CLAIMS_TR).open("queue?overdue=true")
    assert overdue_only.by_id(f"row-{late}").all("li", **{"data-flag": "overdue"})
    assert "checked" in overdue_only.by_id("overdue").attrs


def test_a_broken_queue_address_is_a_refused_filter_not_an_error(browser: Callable[..., Browser]) -> None:
    handler = browser(HANDLER_CLAIMS_TR)
    document = page_of(handler.get("queue?cursor=not-a-cursor&priority=urgentest"), 422)
    assert {a.attrs["href"] for a in document.by_id("error-summary").all("a")} == {"#priority"}
    assert "cursor" in document.by_id("error-summary").words().casefold() or document.by_id("error-summary")


def test_search_by_code_opens_the_complaint_and_by_contact_lists_without_repeating_it(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = planted(desk)
    agent = browser(AGENT_TR)
    typed = code.replace("-", " ").lower()
    answer = agent.get(f"search?tracking_code={typed}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/en/console/complaints/{code}"
    missing = page_of(agent.get("search?tracking_code=ZNVZ-BJ1C-JAHZ-F0"), 404)
    assert missing.by_id("tracking-code").attrs["aria-invalid"] == "true"
    page = agent.open("search")
    found = page_of(agent.send(page, "contact-form", mobile="۰۵۳۲ ۹۸۷ ۶۵ ۴۳"))
    assert [r.attrs["data-code"] for r in found.all("tr", class_="complaints__row")] == [code]
    assert "987" not in readable(agent.last)
    assert found.by_id("mobile").attrs["value"] == ""
    both = page_of(agent.send(page, "contact-form", mobile="05329876543", email=PERSONAL["email"]), 422)
    assert PERSONAL["email"] not in readable(agent.last)
    assert both.by_id("mobile").attrs["aria-invalid"] == "true"


def test_an_auditor_finds_by_code_but_is_not_offered_a_contact_search(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    auditor = browser(AUDITOR)
    assert not auditor.open("search").has_id("contact-form")
    assert auditor.get(f"search?tracking_code={code}").headers["Location"].endswith(code)


# --- personal data -------------------------------------------------------------------------------


def _every_page(visitor: Browser, code: str) -> list[Any]:
    answers = [
        visitor.get(path)
        for path in (
            "queue",
            "queue?department=claims",
            "search",
            f"search?tracking_code={code}",
            "intake",
            "dashboard",
            "reports",
            "capa",
            f"complaints/{code}",
            f"/fa/console/complaints/{code}",
            f"complaints/{code}?done=add_note",
        )
    ]
    return [a for a in answers if a.status_code != 303]


@pytest.mark.parametrize("member", [AGENT_TR, HANDLER_CLAIMS_TR, SUPERVISOR_TR, AUDITOR], ids=str)
def test_no_page_shows_personal_data_and_viewing_records_no_read(
    browser: Callable[..., Browser], desk: Desk, member: Member
) -> None:
    code = planted(desk)
    visitor = browser(member)
    for answer in _every_page(visitor, code):
        html = readable(answer)
        for name, value in {**PERSONAL, "note": NOTE}.items():
            assert value not in html, (name, answer.status_code)
        assert "9876543" not in html
        assert "987 65 43" not in html
    assert desk.repository.accesses.get(code, []) == []


def test_the_reveal_page_shows_it_after_recording_who_why_and_when(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = planted(desk)
    handler = browser(HANDLER_CLAIMS_TR)
    case = handler.open(f"complaints/{code}")
    withheld = case.by_id("personal-withheld").words()
    assert "Mobile number" in withheld
    assert "What they wrote" in withheld
    answer = handler.send(case, "reveal-form", reason="Müşteri telefonda, kimlik doğrulaması")
    document = page_of(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    assert document.by_id("revealed-name").words() == PERSONAL["name"]
    assert document.by_id("revealed-mobile").words() == PERSONAL["stored_mobile"]
    assert document.by_id("revealed-description").text() == PERSONAL["description"]
    assert NOTE in document.by_id("revealed-notes").words()
    reads = desk.repository.accesses[code]
    assert [(r.actor, r.what, r.reason) for r in reads] == [
        (f"staff:{HANDLER_CLAIMS_TR.username}", "personal_data", "Müşteri telefonda, kimlik doğrulaması"),
        (f"staff:{HANDLER_CLAIMS_TR.username}", "history_text", None),
    ]
    again = handler.open(f"complaints/{code}")
    assert "Müşteri telefonda" in again.by_id("case-reads").words()


def test_a_complaint_page_and_the_reveal_read_the_complaint_once(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    """The case and its timeline come from one read of the complaint and one of its history."""
    code = planted(desk)
    handler = browser(HANDLER_CLAIMS_TR)
    desk.repository.calls.clear()
    case = handler.open(f"complaints/{code}")
    assert desk.repository.calls == ["get", "history"]
    desk.repository.calls.clear()
    page_of(handler.send(case, "reveal-form", reason="kimlik doğrulandı"))
    assert desk.repository.calls == ["get", "record_access", "history", "record_access"]


def test_revealing_needs_a_reason(browser: Callable[..., Browser], desk: Desk) -> None:
    code = planted(desk)
    agent = browser(AGENT_TR)
    case = agent.open(f"complaints/{code}")
    refused = page_of(agent.send(case, "reveal-form", reason="   "), 422)
    assert refused.by_id("reveal-reason").attrs["aria-invalid"] == "true"
    assert refused.by_id("error-summary").all("a")[0].attrs["href"] == "#reveal-reason"
    assert desk.repository.accesses.get(code, []) == []
    assert PERSONAL["name"] not in readable(agent.last)


def test_the_personal_data_address_without_a_post_goes_back_to_the_complaint(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = planted(desk)
    answer = browser(AGENT_TR).get(f"complaints/{code}/personal-data")
    assert answer.headers["Location"] == f"/en/console/complaints/{code}"
    assert desk.repository.accesses.get(code, []) == []


# --- hostile and multilingual input --------------------------------------------------------------


def test_hostile_text_is_shown_inert_wherever_it_appears(browser: Callable[..., Browser], desk: Desk) -> None:
    code = desk.routed(description=HOSTILE, contact={"name": "<b>Ali</b> Işık", "mobile": "05321112233"})
    supervisor = browser(SUPERVISOR_TR)
    case = supervisor.open(f"complaints/{code}")
    answer = supervisor.send(case, "action-add-note-form", text=HOSTILE)
    assert answer.status_code == 303
    revealed = supervisor.send(supervisor.open(f"complaints/{code}"), "reveal-form", reason=HOSTILE[:400])
    html = readable(revealed)
    assert "<script>" not in html
    assert "<img src=x>" not in html
    assert "<b>Ali</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    document = page_of(revealed)
    assert document.by_id("revealed-description").attrs["dir"] == "auto"
    assert "İstanbul ılık 🙂 ۱۲۳" in document.by_id("revealed-description").text()
    after = supervisor.open(f"complaints/{code}")
    reads = after.by_id("case-reads").text()
    assert "<script>alert(1)</script>" in reads
    assert "İstanbul ılık 🙂 ۱۲۳ <img src=x>" in reads
    assert "<script>" not in readable(supervisor.last)


def test_persian_pages_write_persian_digits_and_jalali_dates(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed(PERSIAN_COMPLAINT)
    case = browser(SUPERVISOR_IR, "fa").open(f"complaints/{code}")
    received = case.by_id("case-received").words()
    assert "۱۴۰۵" in received
    assert "2026" not in received


def test_an_auditor_of_one_market_may_still_choose_any_market(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed(PERSIAN_COMPLAINT)
    auditor = browser(Member("auditor.tr", ["auditor"], None, "TR"))
    queue = auditor.open("queue")
    assert queue.by_id("market").attrs["name"] == "market"
    iranian = auditor.open("queue?market=IR&department=claims")
    assert iranian.has_id(f"row-{code}")
    assert auditor.open("dashboard").has_id("market")
    assert not browser(SUPERVISOR_TR).open("queue").has_id("market")


def test_a_handlers_queue_starts_with_their_own_department(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    claims = desk.routed()
    services = desk.routed(category="service_quality")
    queue = browser(HANDLER_CLAIMS_TR).open("queue")
    assert queue.has_id(f"row-{claims}")
    assert not queue.has_id(f"row-{services}")
    assert "selected" in queue.by_id("department").all("option", value="claims")[0].attrs
