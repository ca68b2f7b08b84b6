"""The staff console as its members use it: every role, in Persian, Turkish and English.

One complaint goes from a phone call to its closing through the console's forms (an agent,
a handler, a supervisor without JavaScript); members out of its scope can neither see it nor
change it, even with a forged post carrying their own valid form token; sign-in and
sign-out; and every screen of the console passes axe-core on a phone. Every page a test
reaches is audited and every tab watched as for the public pages (tests/browser/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import time
from typing import Any

import pytest

from tests.browser.conftest import LANGUAGES, OpenTab, Site, Tab, wait_for_message
from tests.e2e.conftest import REPO, request

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: The console's words in each language, to check what the pages say.
WORDS: dict[str, dict[str, str]] = {
    lang: json.loads(
        (REPO / "chalicelib" / "web" / "catalogs" / "console" / f"{lang}.json").read_text("utf-8")
    )
    for lang in LANGUAGES
}
SESSION_COOKIE = "__Host-cd-session"
RENEW_COOKIE = "__Host-cd-renew"
#: Mobile numbers of this file's complainants: 0533 (the public pages' tests use 0532).
_numbers = itertools.count(int(time.time() * 1000) % 10**6 * 10 + os.getpid() % 10)

#: A phone call to the Turkish market about service: Customer Services' complaint (the demo handler's).
CALLER = {
    "name": "Ali Işık",
    "description": "Kadıköy şubesinde personelin kaba davrandığını söylüyor; telefonla aradı.",
    "reference": "ÇAĞRI-2026-4411",
}

#: A handler's whole work on a complaint, in order: each action's fields as typed (radios by value).
HANDLING: tuple[tuple[str, dict[str, str]], ...] = (
    ("assess", {"urgency": "high", "importance": "medium", "reason": "Tekrar arayan müşteri."}),
    ("assign", {"assignee": "handler", "reason": "Şube işleri bende."}),
    ("request_information", {"message": "Hangi gün ve saatte oldu?", "channel": "sms"}),
    ("receive_information", {"text": "18 Kasım, öğleden sonra.", "via": "phone"}),
    ("record_data_check", {"subject": "Şube kamera kaydı", "result": "confirmed"}),
    ("add_note", {"text": "Şube müdürüyle görüşüldü."}),
    ("record_root_cause", {"code": "staff_conduct", "text": "Personel eğitimi eksik."}),
    ("decide", {"outcome": "upheld", "remedy": "Yazılı özür ve eğitim."}),
    ("communicate_decision", {"channel": "sms", "message": "Çalışanımız uyarıldı, özür dileriz."}),
)


def mobile_number() -> tuple[str, str]:
    """A fresh Turkish mobile number as typed, and as E.164; never ending in 99 (moto's opt-out)."""
    n = next(_numbers) % 10**7
    if n % 100 == 99:
        n -= 1
    return f"0533 {n // 10**4:03d} {n % 10**4:04d}", f"+90533{n:07d}"


def words(tab: Tab, key: str) -> str:
    return WORDS[tab.lang][key]


def sign_in(tab: Tab, username: str, path: str = "queue") -> None:
    """Open a console page, be sent to the sign-in page, sign in, and land on the page."""
    page = tab.page
    tab.goto(f"console/{path}")
    assert page.url.startswith(tab.url("console/sign-in?next=")), page.url
    page.fill("#username", username)
    page.fill("#password", tab.site.staff_password)
    tab.follow("#sign-in")
    assert page.url == tab.url(f"console/{path}")
    assert page.get_attribute("#signed-in-as", "data-username") == username


def find(tab: Tab, code: str) -> None:
    """Find a complaint by its code from the menu's search, and land on its page."""
    tab.follow("#nav-search")
    tab.page.fill("#tracking-code", code)
    tab.follow("#find-submit")
    assert tab.page.url == tab.url(f"console/complaints/{code}")


def form_token(tab: Tab) -> str:
    """The member's own form token, as every form of their pages carries it."""
    return str(tab.page.get_attribute("#sign-out-form input[name=csrf]", "value"))


def post(tab: Tab, path: str, fields: dict[str, str]) -> Any:
    """A post made by hand (no form on the page offers it), in the tab's session; not followed."""
    return tab.page.request.post(tab.url(f"console/{path}"), form=fields, max_redirects=0)


def refused(answer: Any, problem: str = "forbidden") -> None:
    assert answer.status == 403, (answer.status, answer.text()[:500])
    assert f'data-problem="{problem}"' in answer.text()


def wait_in_queue(tab: Tab, code: str, timeout: float = 60.0) -> None:
    """The member's queue, opened again until the complaint is in it (the pipeline routes it)."""
    deadline = time.monotonic() + timeout
    while True:
        tab.goto("console/queue")
        if tab.page.locator(f"#row-{code}").count():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{code} is not in {tab.lang}'s queue after {timeout:.0f} s")
        tab.page.wait_for_timeout(250)


def timeline(tab: Tab) -> list[tuple[str, str, str]]:
    """The complaint page's timeline: each event's id, what happened and who did it."""
    rows = tab.page.evaluate(
        """() => Array.from(document.querySelectorAll('#case-timeline > li')).map(li => [
             li.id, li.querySelector('strong').textContent.trim(),
             li.querySelector('.events__head bdi').textContent.trim()])"""
    )
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def version(tab: Tab) -> int:
    return int(tab.page.get_attribute("#case-details", "data-version") or "-1")


def status(tab: Tab) -> str:
    return str(tab.page.inner_text("#case-status")).strip()


def act(tab: Tab, action: str, fields: dict[str, str]) -> None:
    """One action through its form on the complaint's page: opened, filled in, sent; then `done`."""
    page = tab.page
    ident = action.replace("_", "-")
    code = page.url.split("/complaints/")[1].split("?")[0]
    before = [what for _, what, _ in timeline(tab)]
    page.click(f"#action-{ident}-open")
    for name, value in fields.items():
        field = f"#{ident}-{name.replace('_', '-')}"
        tag = page.eval_on_selector(field, "el => el.tagName")
        if tag == "FIELDSET":
            page.check(f"{field}-{value}")
        elif tag == "SELECT":
            page.select_option(field, value)
        else:
            page.fill(field, value)
    tab.follow(f"#{ident}-submit")
    assert page.url == tab.url(f"console/complaints/{code}?done={action}"), page.url
    assert page.inner_text("#done").strip() == words(tab, f"console.done.{action}")
    after = [what for _, what, _ in timeline(tab)]
    label = words(tab, f"console.event.{action}")
    assert after.count(label) == before.count(label) + 1, f"{action}: the timeline reads {after}"


@pytest.fixture(scope="module")
def routed(site: Site) -> dict[str, str]:
    """A web complaint of the Turkish market for Customer Services, acknowledged and routed."""
    typed, e164 = mobile_number()
    body = {
        "market": "TR",
        "language": "tr",
        "category": "service_quality",
        "description": "Çağrı merkezi üç gündür geri dönmedi; kimse bilgi vermiyor.",
        "contact": {"name": "Deniz Çelik", "mobile": typed},
        "consent": {"contact": True},
    }
    answer, text = request("POST", f"{site.url}/complaints", body)
    assert answer == 201, text
    code = json.loads(text)["tracking_code"]
    deadline = time.monotonic() + 60
    while (
        json.loads(request("POST", f"{site.url}/status", {"tracking_code": code})[1])["status"]
        != "investigating"
    ):
        assert time.monotonic() < deadline, f"{code} was not routed within 60 s"
        time.sleep(0.25)
    wait_for_message(site, code)
    return {"code": code, "name": "Deniz Çelik", "mobile": e164}


def test_a_phone_complaint_goes_from_intake_to_closing(open_tab: OpenTab, site: Site) -> None:
    """An agent (Turkish) takes the call, a handler (Persian) works it, a supervisor closes it (no script)."""
    # The agent takes a complaint by phone, and reads its code out to the caller.
    agent = open_tab("tr", "desktop")
    page = agent.page
    sign_in(agent, "agent", "intake")
    assert page.is_checked("#channel-phone"), "a phone call is the usual channel"
    assert page.input_value("#language") == "tr"
    typed, e164 = mobile_number()
    page.fill("#channel-detail-reference", CALLER["reference"])
    page.select_option("#category", "service_quality")
    page.check("#health-or-safety-no")
    page.fill("#description", CALLER["description"])
    page.fill("#contact-name", CALLER["name"])
    page.fill("#contact-mobile", typed)
    page.check("#consent-contact")
    agent.audit("1-intake")
    agent.follow("#intake-submit")
    code = page.inner_text("#tracking-code").strip()
    assert CODE.fullmatch(code), code
    assert page.inner_text("#due-date").strip()
    agent.audit("2-intake-done")
    acknowledged = wait_for_message(site, code)
    assert (acknowledged["channel"], acknowledged["to"]) == ("sms", e164)

    # A handler of Customer Services finds it in their queue, and by its code typed loosely.
    handler = open_tab("fa", "desktop")
    page = handler.page
    sign_in(handler, "handler")
    wait_in_queue(handler, code)
    row = page.locator(f"#row-{code}")
    assert words(handler, "console.status.investigating") in row.inner_text()
    handler.audit("3-queue")
    handler.follow("#nav-search")
    page.fill("#tracking-code", code.lower().translate(PERSIAN_DIGITS))
    handler.follow("#find-submit")
    assert page.url == handler.url(f"console/complaints/{code}")
    assert page.inner_text("#case-heading bdi[dir=ltr]") == code, "the code, whole, left to right"
    assert status(handler) == words(handler, "console.status.investigating")
    assert not page.locator("#action-close").count(), "only a supervisor closes"
    handler.audit("4-complaint")
    for action, fields in HANDLING:
        act(handler, action, fields)
        if action == "request_information":
            assert status(handler) == words(handler, "console.status.awaiting_complainant")
            assert page.locator("#case-flags [data-flag=paused]").count(), "a paused clock says so"
    assert status(handler) == words(handler, "console.status.responded")
    assert page.inner_text("#case-assignee").strip() == "handler"
    assert not page.locator("#action-close").count(), "only a supervisor closes"
    handler.audit("5-responded")

    # The supervisor closes it with plain form posts.
    supervisor = open_tab("en", "desktop", javascript=False)
    page = supervisor.page
    sign_in(supervisor, "supervisor")
    find(supervisor, code)
    act(supervisor, "close", {"text": "Answered; closed."})
    assert status(supervisor) == "Closed"
    assert page.locator("#action-reopen").count(), "a closed complaint may be reopened"
    supervisor.audit("6-closed")
    people = [(what, who) for _, what, who in timeline(supervisor) if not who.startswith("system")]
    expected = ["submit", *(action for action, _ in HANDLING), "close"]
    assert [what for what, _ in people] == [words(supervisor, f"console.event.{a}") for a in expected]
    assert {who for _, who in people} == {"staff:agent", "staff:handler", "staff:supervisor"}

    # The caller had the acknowledgement, the question and the decision by SMS.
    deadline = time.monotonic() + 60
    while len(sent := [m for m in site.outbox() if m.get("tracking_code") == code]) < 3:
        assert time.monotonic() < deadline, f"the question and the decision were not sent: {sent}"
        time.sleep(0.25)
    assert {(m["channel"], m["to"]) for m in sent} == {("sms", e164)}


def test_no_one_out_of_scope_sees_or_changes_a_complaint(open_tab: OpenTab, routed: dict[str, str]) -> None:
    """Another department's handler, another market's, and an auditor: refused, even with a forged post."""
    code = routed["code"]
    case = f"complaints/{code}"
    # The auditor reads the whole story, and is offered nothing to do and no personal data.
    auditor = open_tab("en", "desktop")
    page = auditor.page
    sign_in(auditor, "auditor")
    find(auditor, code)
    seen, events = version(auditor), timeline(auditor)
    assert events[0][1:] == ("Recorded", "public"), events
    assert ("Assigned", "system:router") in [(what, who) for _, what, who in events]
    assert page.is_visible("#no-actions")
    assert not page.locator("form[id^=action-]").count()
    assert not page.locator("#reveal-form").count()
    assert page.is_visible("#personal-not-yours")
    shown = page.inner_text("body")
    assert routed["name"] not in shown
    assert routed["mobile"][-7:] not in shown
    auditor.audit("1-auditor")

    # A handler of Claims, one of the Iranian market: a 403 page, not in their queue, forged posts refused.
    for lang, username in (("tr", "handler-claims"), ("fa", "handler-ir")):
        other = open_tab(lang, "desktop")
        other.statuses.add(403)
        sign_in(other, username)
        assert not other.page.locator(f"#row-{code}").count()
        other.goto(f"console/{case}")
        assert other.page.get_attribute("#problem", "data-problem") == "forbidden"
        assert other.page.get_attribute("#signed-in-as", "data-username") == username, "still signed in"
        assert other.page.get_attribute("#problem-back", "href") == f"/{lang}/console/queue"
        other.audit(f"2-refused-{username}")
        token = form_token(other)
        note = {"csrf": token, "expected_version": str(seen), "text": "Benim notum."}
        refused(post(other, f"{case}/actions/add_note", note))
        refused(
            post(
                other,
                f"{case}/actions/assess",
                {**note, "urgency": "low", "importance": "low", "reason": "x"},
            )
        )
        refused(post(other, f"{case}/personal-data", {"csrf": token, "reason": "Merak."}))
        refused(post(other, f"{case}/actions/add_note", {**note, "csrf": ""}), "form_token")

    # The auditor's own forged posts, one of each kind, with their valid form token: all refused.
    token = form_token(auditor)
    every_action = {
        "assess": {"urgency": "low", "importance": "low", "reason": "Denetim."},
        "assign": {"assignee": "auditor"},
        "request_information": {"message": "Soru?", "channel": "sms"},
        "receive_information": {"text": "Yanıt.", "via": "phone"},
        "add_note": {"text": "Denetçi notu."},
        "record_data_check": {"subject": "Kayıt", "result": "confirmed"},
        "record_root_cause": {"code": "communication", "text": "Neden."},
        "decide": {"outcome": "rejected", "remedy": "Yok."},
        "communicate_decision": {"channel": "phone", "message": "Arandı."},
        "close": {},
        "reopen": {"reason": "Yeniden."},
        "refer_out": {"reason": "out_of_scope"},
        "withdraw": {"reason": "İstemedi."},
    }
    for action, fields in every_action.items():
        refused(
            post(
                auditor, f"{case}/actions/{action}", {"csrf": token, "expected_version": str(seen), **fields}
            )
        )
    refused(post(auditor, f"{case}/personal-data", {"csrf": token, "reason": "Denetim."}))
    intake = {"csrf": token, "market": "TR", "channel": "phone", "description": "Denetçi şikâyeti deniyor."}
    refused(post(auditor, "intake", {**intake, "contact.mobile": "0533 000 00 00", "consent.contact": "yes"}))
    capa = {"kind": "corrective", "title": "Deneme", "root_causes.communication": "communication"}
    refused(post(auditor, "capa", {"csrf": token, **capa, "department": "claims", "due_on": "2030-01-31"}))
    refused(post(auditor, "reports", {"csrf": token, "period": "monthly", "date": "2026-01-01"}))

    # Nothing changed but the system's own bookkeeping.
    auditor.goto(f"console/{case}")
    after = timeline(auditor)
    assert after[: len(events)] == events
    assert all(who.startswith("system") for _, _, who in after[len(events) :]), after
    assert version(auditor) == seen + len(after) - len(events)
    assert status(auditor) == words(auditor, "console.status.investigating")


def test_signing_in_and_out(open_tab: OpenTab) -> None:
    """A refusal tells nothing about the username; the cookies are guarded; an expired ID token is renewed;
    signing out ends the session."""
    tab = open_tab("tr", "desktop")
    page = tab.page
    tab.goto("console/search")
    assert page.url == tab.url("console/sign-in?next=%2Ftr%2Fconsole%2Fsearch")
    tab.audit("1-sign-in")
    notices = []
    for username, password in (("agent", "Wrong-password-1!"), ("nobody", tab.site.staff_password)):
        page.fill("#username", username)
        page.fill("#password", password)
        tab.follow("#sign-in")
        notices.append(page.inner_text("#error-summary").strip())
        assert page.input_value("#password") == "", "a password is never sent back"
        assert not [c for c in tab.context.cookies() if c["name"] == SESSION_COOKIE]
    assert notices[0] == notices[1]
    assert words(tab, "console.sign_in.refused") in notices[0]
    tab.audit("2-refused")

    page.fill("#username", "agent")
    page.fill("#password", tab.site.staff_password)
    tab.follow("#sign-in")
    assert page.url == tab.url("console/search"), "back to the page asked for"
    (session,) = [c for c in tab.context.cookies() if c["name"] == SESSION_COOKIE]
    assert (session["httpOnly"], session["secure"], session["sameSite"], session["path"]) == (
        True,
        True,
        "Strict",
        "/",
    )
    assert session["expires"] > time.time() + 30 * 60
    (renewal,) = [c for c in tab.context.cookies() if c["name"] == RENEW_COOKIE]
    assert (renewal["httpOnly"], renewal["secure"], renewal["sameSite"]) == (True, True, "Strict")
    assert renewal["expires"] > time.time() + 11 * 3600, "a working day"
    assert page.evaluate("document.cookie") == "", "no cookie a script can read"

    # The ID token's cookie expires (the browser drops it): the next page renews it and carries on.
    tab.context.clear_cookies(name=SESSION_COOKIE)
    tab.goto("console/queue")
    assert page.url == tab.url("console/queue")
    assert page.get_attribute("#signed-in-as", "data-username") == "agent"
    assert [c for c in tab.context.cookies() if c["name"] == SESSION_COOKIE]

    tab.follow("#sign-out")
    assert page.url == tab.url("console/sign-in?reason=signed_out")
    assert page.inner_text("#sign-in-notice").strip() == words(tab, "console.sign_in.signed_out")
    assert not [c for c in tab.context.cookies() if c["name"] in (SESSION_COOKIE, RENEW_COOKIE)]
    tab.goto("console/queue")
    assert page.url.startswith(tab.url("console/sign-in?next=")), "the next page asks to sign in again"
    tab.audit("3-signed-out")


def test_every_screen_passes_axe_on_a_phone(open_tab: OpenTab, site: Site) -> None:
    """A supervisor in Persian, on a phone: every screen of the console, its problems too, audited."""
    tab = open_tab("fa", "mobile")
    tab.statuses.add(403)
    page = tab.page
    tab.goto("console")
    assert page.url == tab.url("console/sign-in")
    tab.audit("01-sign-in")
    page.fill("#username", "supervisor")
    page.fill("#password", "Wrong-password-1!")
    tab.follow("#sign-in")
    tab.audit("02-sign-in-refused")
    page.fill("#password", site.staff_password)
    tab.follow("#sign-in")
    assert page.url == tab.url("console/queue")

    # A new complaint: the blank form, refused by the server (no way to reach the caller), then taken.
    tab.follow("#nav-intake")
    tab.audit("03-intake")
    typed, e164 = mobile_number()
    page.select_option("#category", "service_quality")
    page.fill("#description", CALLER["description"])
    page.fill("#contact-name", CALLER["name"])
    tab.follow("#intake-submit")
    assert page.locator("#error-summary-list a[href='#contact-mobile']").count()
    tab.audit("04-intake-errors")
    page.fill("#contact-mobile", typed.translate(PERSIAN_DIGITS))
    page.check("#consent-contact")
    tab.follow("#intake-submit")
    code = page.inner_text("#tracking-code").strip()
    assert CODE.fullmatch(code), code
    tab.audit("05-intake-done")

    # Finding: nobody by an e-mail address; the caller by their mobile number.
    tab.follow("#nav-search")
    page.fill("#email", "nobody@example.com")
    tab.follow("#contact-submit")
    assert page.is_visible("#no-results")
    tab.audit("06-search-none")
    page.fill("#mobile", typed)
    tab.follow("#contact-submit")
    assert page.locator(f"#results-table #row-{code}").count()
    assert typed not in page.content(), "the number is never shown again"
    assert e164 not in page.content()
    tab.audit("07-search-results")

    # The queue, once the pipeline has routed it, and the complaint with a refused decision open.
    wait_in_queue(tab, code)
    tab.audit("08-queue")
    tab.follow(f"#row-{code} a")
    page.click("#action-decide-open")
    page.check("#decide-outcome-upheld")
    page.fill("#decide-amount", "1500,50")
    tab.follow("#decide-submit")
    assert page.get_attribute("#action-decide", "open") is not None
    assert page.get_attribute("#decide-amount", "aria-invalid") == "true"
    tab.audit("09-complaint-refused-action")

    # Its personal data, asked for with a reason.
    page.fill("#reveal-reason", "Müşteri yeniden aradı.")
    tab.follow("#reveal-submit")
    assert page.inner_text("#revealed-name").strip() == CALLER["name"]
    assert page.inner_text("#revealed-description").strip() == CALLER["description"]
    tab.audit("10-personal-data")

    # A change made meanwhile (here by a post of the same member's): a 409 that keeps what was typed.
    tab.follow("#back-to-case")
    meanwhile = {"csrf": form_token(tab), "expected_version": str(version(tab)), "text": "Önce yazıldı."}
    assert post(tab, f"complaints/{code}/actions/add_note", meanwhile).status == 303
    page.click("#action-add-note-open")
    page.fill("#add-note-text", "Benim notum.")
    tab.follow("#add-note-submit")
    assert page.input_value("#add-note-text") == "Benim notum."
    assert page.is_visible("#error-summary")
    tab.audit("11-conflict")

    tab.follow("#nav-dashboard")
    assert page.is_visible("#dashboard-board")
    tab.audit("12-dashboard")
    tab.follow("#nav-reports")
    assert page.is_visible("#build-form")
    tab.audit("13-reports")

    # The CAPA register, a new action's form, and the action opened with it.
    tab.follow("#nav-capa")
    tab.audit("14-capa")
    tab.follow("#new-capa")
    tab.audit("15-capa-new")
    page.check("#kind-corrective")
    page.fill("#title", "Şube personeline iletişim eğitimi")
    page.check("#root-causes-staff-conduct")
    page.fill("#complaints", code)
    page.fill("#due-on", (dt.date.today() + dt.timedelta(days=30)).isoformat())
    tab.follow("#capa-submit")
    assert page.is_visible("#done")
    assert page.locator("#capa-change-form").count()
    tab.audit("16-capa-action")

    # Another market's queue: the 403 page.
    tab.goto("console/queue?market=IR")
    assert page.get_attribute("#problem", "data-problem") == "forbidden"
    tab.audit("17-forbidden")
