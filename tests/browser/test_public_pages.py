"""The public pages as a policyholder uses them: in Persian, Turkish and English, on a phone and a desktop.

Every page a test reaches is audited (tests/browser/conftest.py): its `lang` and `dir`,
nothing wider than the window, axe-core's WCAG 2.0/2.1/2.2 A and AA rules and best
practices, and a screenshot. Every tab is watched for requests off the stack,
Content-Security-Policy violations, script errors and a tracking code in a URL.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import AXE_SIZES, LANGUAGES, SIZES, OpenTab, Site, Tab, wait_for_message

pytestmark = pytest.mark.browser

BOTH_SIZES = [pytest.param(lang, size, id=f"{lang}-{size}") for lang in LANGUAGES for size in SIZES]
CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_numbers = itertools.count(int(time.time() * 1000) % 10**6 * 10 + os.getpid() % 10)

#: What a complainant in each language writes, and the market of their policy.
PEOPLE: dict[str, dict[str, str]] = {
    "fa": {
        "market": "IR",
        "name": "مریم احمدی",
        "description": "هزینه بستری پدرم در بیمارستان پس از دو ماه هنوز پرداخت نشده است.",
    },
    "tr": {
        "market": "TR",
        "name": "Ayşe Işıl Yılmaz",
        "description": "Kasko hasar talebim gerekçesiz reddedildi; İzmir şubesi yanıt vermiyor.",
    },
    "en": {
        "market": "TR",
        "name": "Jane Doe",
        "description": "My claim for storm damage was turned down without any reason given.",
    },
}


def mobile_number(market: str) -> tuple[str, str]:
    """A fresh mobile number as a person types it, and as E.164; never ending in 99 (moto's opt-out)."""
    n = next(_numbers) % 10**7
    if n % 100 == 99:
        n -= 1
    if market == "IR":
        typed = f"0912 {n:07d}".translate(PERSIAN_DIGITS)
        return typed, f"+98912{n:07d}"
    return f"0532 {n // 10**4:03d} {n % 10**4:04d}", f"+90532{n:07d}"


def fill_complaint(tab: Tab, description: str | None = None) -> str:
    """Fill the complaint form as the person of the tab's language; the mobile number as E.164."""
    page, person = tab.page, PEOPLE[tab.lang]
    typed, e164 = mobile_number(person["market"])
    page.check(f"#market-{person['market']}")
    page.select_option("#category", "claim_decision")
    page.check("#health-or-safety-no")
    page.fill("#description", description or person["description"])
    page.fill("#contact-name", person["name"])
    page.fill("#contact-mobile", typed)
    page.check("#consent-contact")
    return e164


def submitted(tab: Tab, send: Callable[[], Any] | None = None) -> str:
    """Send the form (by clicking its button, unless told how) and read the code off the confirmation."""
    page = tab.page
    with page.expect_navigation():
        if send is None:
            page.click("#submit")
        else:
            send()
    code = page.inner_text("#tracking-code").strip()
    assert CODE.fullmatch(code), code
    tab.codes.append(code)
    assert page.url == tab.url("complain")
    return code


def loosely(code: str, lang: str) -> str:
    """The code as a person may type it: in Persian digits and small letters in Persian, spaced in Turkish."""
    if lang == "fa":
        return code.lower().translate(PERSIAN_DIGITS)
    if lang == "tr":
        return code.replace("-", " ").lower()
    return code


def tab_to(tab: Tab, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if tab.page.evaluate("s => Boolean(document.activeElement?.matches(s))", selector):
            return
        tab.page.keyboard.press(key)
    pytest.fail(f"{key} never reached {selector}; the focus is on #{tab.focused()}")


def described_errors(tab: Tab) -> dict[str, str]:
    """Each invalid field's id and the text of the error its aria-describedby names."""
    return dict(
        tab.page.evaluate(
            """() => Array.from(document.querySelectorAll('[aria-invalid], fieldset[aria-describedby]'))
                .map(el => {
                  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/);
                  const error = ids.map(id => document.getElementById(id))
                                   .find(node => node && node.classList.contains('field-error'));
                  return error ? [el.id, error.textContent] : null;
                }).filter(Boolean)"""
        )
    )


def summary_links(tab: Tab) -> list[tuple[str, str]]:
    """The error summary's links: target id and text."""
    links = tab.page.locator("#error-summary-list a")
    return [
        (str(links.nth(i).get_attribute("href")).removeprefix("#"), links.nth(i).inner_text())
        for i in range(links.count())
    ]


def assert_summary_matches_fields(tab: Tab, expected: set[str]) -> None:
    """The summary names exactly the expected fields, and each field is described by its message."""
    links = summary_links(tab)
    assert {target for target, _ in links} == expected, links
    errors = described_errors(tab)
    for target, text in links:
        assert target in errors, f"#{target} is not described by its error ({errors})"
        assert text.strip() in errors[target], (text, errors[target])


@pytest.mark.parametrize(("lang", "size"), BOTH_SIZES)
def test_a_complaint_is_made_and_looked_up(open_tab: OpenTab, site: Site, lang: str, size: str) -> None:
    """How to complain, the form, the confirmation with the code, the status, then replies and the survey."""
    tab = open_tab(lang, size)
    page = tab.page
    page.goto(f"{site.url}/")  # to the reader's language, by Accept-Language
    assert page.url == tab.url()
    tab.audit("1-howto")

    tab.follow("#start-complaint")
    assert page.url == tab.url("complain")
    tab.audit("2-form")
    e164 = fill_complaint(tab)
    code = submitted(tab)
    assert page.inner_text("#your-description").strip() == PEOPLE[lang]["description"]
    page.click("#copy-code")
    copied = page.get_attribute("#copy-code", "data-copied")
    page.wait_for_function("t => document.getElementById('copy-status').textContent === t", arg=copied)
    assert page.evaluate("navigator.clipboard.readText()") == code, "the copy button copies the code"
    assert page.inner_text("#due-date").strip()
    tab.audit("3-confirmation")

    tab.follow("#next ~ p a.button")
    assert page.url == tab.url("status")
    tab.audit("4-status")
    page.fill("#tracking-code", loosely(code, lang))
    tab.follow("#submit")
    assert page.inner_text("#status-code").strip() == code
    # Received, then assessed and with a department as the pipeline routes it.
    assert page.get_attribute("#status-label", "data-status") in {"received", "assessed", "investigating"}
    assert page.inner_text("#status-milestones").strip()
    tab.audit("5-status-result")

    if size in AXE_SIZES:  # forms of the same parts, audited where axe-core runs
        tab.follow("a.primary__link[href$='/reply']")
        tab.audit("6-reply")
        tab.follow("a.primary__link[href$='/feedback']")
        tab.audit("7-feedback")

    message = wait_for_message(site, code)
    assert (message["channel"], message["to"]) == ("sms", e164)
    assert code in message["body"]


@pytest.mark.parametrize(("lang", "size"), BOTH_SIZES)
def test_errors_are_found_and_fixed_with_the_keyboard_only(open_tab: OpenTab, lang: str, size: str) -> None:
    """Tab, Shift+Tab, typing, Space and Enter: the summary takes the focus, its links lead to the fields."""
    tab = open_tab(lang, size)
    page, keyboard, person = tab.page, tab.page.keyboard, PEOPLE[lang]
    tab.goto("complain")
    keyboard.press("Tab")  # the skip link comes first, and shows itself
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    keyboard.press("Enter")
    assert tab.focused() == "main"

    # A description too short and a malformed e-mail address, sent with Enter.
    if lang == "en":  # no market is chosen for an English reader
        tab_to(tab, "input[name=market]")
        if tab.focused() != f"market-{person['market']}":
            keyboard.press("ArrowRight" if tab.focused() == "market-IR" else "ArrowLeft")
        keyboard.press("Space")
    tab_to(tab, "#description")
    keyboard.type("Short")
    tab_to(tab, "#contact-email")
    keyboard.type("not-an-address")
    tab_to(tab, "#submit")
    keyboard.press("Enter")
    page.wait_for_selector("#error-summary:not([hidden])")
    assert tab.focused() == "error-summary", "the script moves the focus to the summary"
    assert page.title().startswith(("(2", "(۲")), page.title()
    assert_summary_matches_fields(tab, {"description", "contact-email"})
    assert page.url == tab.url("complain#main"), "nothing was sent"
    tab.audit("1-errors-found-by-the-script")

    # The first link leads to the description; more words fix it.
    keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#description"
    keyboard.press("Enter")
    assert tab.focused() == "description", "a summary link moves the focus to its field"
    keyboard.press("End")
    keyboard.type(" " + person["description"])
    keyboard.press("Tab")  # leaving the field checks it again
    assert page.get_attribute("#description", "aria-invalid") is None
    assert not page.locator("#description-error").count()

    # Back up to the summary's second link, to the e-mail field: emptied, it leaves no way to reach us.
    tab_to(tab, "#error-summary-list a[href='#contact-email']", backwards=True)
    keyboard.press("Enter")
    assert tab.focused() == "contact-email"
    keyboard.press("End")
    for _ in "not-an-address":
        keyboard.press("Backspace")
    tab_to(tab, "#submit")
    with page.expect_navigation():
        keyboard.press("Enter")

    # The server refuses it (no mobile number, no e-mail): its summary takes the focus too.
    assert page.url == tab.url("complain")
    assert tab.focused() == "error-summary"
    assert page.title().startswith(("(1", "(۱")), page.title()
    assert_summary_matches_fields(tab, {"contact-mobile"})
    assert page.input_value("#description").endswith(person["description"]), "what was typed is kept"
    tab.audit("2-errors-found-by-the-server")

    keyboard.press("Tab")
    keyboard.press("Enter")
    assert tab.focused() == "contact-mobile"
    typed, _ = mobile_number(person["market"])
    keyboard.type(typed)
    tab_to(tab, "#consent-contact")  # a refused form never keeps the consent boxes ticked
    assert not page.is_checked("#consent-contact")
    keyboard.press("Space")
    assert page.is_checked("#consent-contact")
    tab_to(tab, "#submit")
    submitted(tab, lambda: keyboard.press("Enter"))
    tab.audit("3-confirmation", axe=False)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_form_works_without_javascript(open_tab: OpenTab, lang: str) -> None:
    """Plain form posts: the server's summary and messages, then the code."""
    tab = open_tab(lang, "desktop", javascript=False)
    page = tab.page
    tab.goto("complain")
    tab.follow("#submit")
    assert page.is_visible("#error-summary")
    expected = {"description", "contact-mobile"} | ({"market"} if lang == "en" else set())
    assert_summary_matches_fields(tab, expected)
    tab.audit("1-errors", axe=False)  # the same page as the server's refusal in the keyboard test

    fill_complaint(tab)
    code = submitted(tab)
    assert page.is_hidden("#copy-code"), "no copy button without a script to copy"
    tab.audit("2-confirmation", axe=False)
    assert code


HOSTILE_WORD = "ب" * 150 + "W" * 150
HOSTILE = (
    f'<script>alert("x")</script> <img src=x onerror=alert(1)> \u202eevil\u202c {HOSTILE_WORD}'
    " 😀👩‍👩‍👧 ۰۱۲۳۴۵۶۷۸۹"
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_input_is_shown_inert_and_fits_a_phone(open_tab: OpenTab, lang: str) -> None:
    """Script tags, a bidi override, a 300-letter word, emoji and Persian digits: text, within the window."""
    tab = open_tab(lang, "mobile")
    page = tab.page
    tab.goto("complain")
    fill_complaint(tab, description=HOSTILE)
    page.fill("#remedy-sought", HOSTILE)
    # A one-line field refuses a bidi control outright: the form comes back with it, as typed.
    page.fill("#contact-name", "\u202e<b>Mallory</b>")
    tab.follow("#submit")
    assert_summary_matches_fields(tab, {"contact-name"})
    assert page.input_value("#contact-name") == "\u202e<b>Mallory</b>"
    assert page.input_value("#description") == HOSTILE
    tab.audit("1-refused", axe=False)

    page.fill("#contact-name", "<b>Mallory</b>")
    page.check("#consent-contact")
    submitted(tab)
    shown = page.inner_text("#your-description")
    assert '<script>alert("x")</script>' in shown
    assert HOSTILE_WORD in shown
    assert "\u202e" not in shown, "bidi overrides are removed from stored text"
    assert page.evaluate("document.scripts.length") == 1, "only the site's own script"
    assert not page.locator("main img, main b").count()
    tab.audit("2-confirmation", axe=False)

    tab.follow("#next ~ p a.button")
    page.fill("#tracking-code", HOSTILE)
    # One click: the field's message shown as it loses the focus must not move the button away.
    page.click("#submit")  # the script refuses it before sending
    assert tab.focused() == "error-summary"
    assert page.input_value("#tracking-code") == HOSTILE
    tab.audit("3-status-refused", axe=False)


def test_a_double_click_sends_one_complaint(open_tab: OpenTab, site: Site) -> None:
    """The script sends the form once, with a key it made; the stack records one complaint."""
    tab = open_tab("tr", "desktop")
    page = tab.page
    tab.goto("complain")
    e164 = fill_complaint(tab)
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    code = submitted(tab, lambda: page.dblclick("#submit"))
    assert len(sent) == 1, [(r.url, r.post_data) for r in sent]
    key = re.search(r"idempotency_key=([^&]*)", sent[0].post_data or "")
    assert key, "the form carries its key"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", key.group(1))
    wait_for_message(site, code)
    time.sleep(1.0)  # a second complaint would have been acknowledged with the first
    to_them = [m for m in site.outbox() if m["to"] == e164]
    assert {m["tracking_code"] for m in to_them} == {code}, to_them


def test_the_watch_catches_what_the_tier_forbids(open_tab: OpenTab, site: Site) -> None:
    """The guards themselves: an inline script is a CSP violation; another origin is aborted."""
    tab = open_tab("en", "desktop")
    page = tab.page
    tab.goto()
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.head.appendChild(s); }"
    )
    deadline = time.monotonic() + 5
    while not tab.csp and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert tab.csp, "an inline script is reported"
    assert page.evaluate("window.x") is None, "and it did not run"
    other = "http://127.0.0.2:9/"  # loopback, but not the stack
    with pytest.raises(Exception, match="ERR_FAILED"):
        page.goto(other)
    assert tab.stray == [other]
    assert site.url.startswith("http://127.0.0.1:")
    tab.csp.clear()
    tab.stray.clear()
