"""The staff console's session over fakes: signing in and out, its cookie, form tokens, expiry and `next`.

The helpers at the top (a browser with a cookie jar, Cognito's sign-in as a
fake, reading a page's forms) serve the other console tests too.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from chalice.test import Client

from chalicelib.adapters.sign_in import REFUSED, SignedIn
from chalicelib.api.console_session import SESSION_COOKIE, SIGN_IN_COOKIE, form_token, safe_next
from chalicelib.bootstrap import container
from chalicelib.domain.errors import TooManyAttempts, Unauthenticated
from tests.fakes import FakeDashboardSource, FakeRepository, FixedClock
from tests.report_fakes import FakeReportRequests, FakeReportSource, FakeReportStore
from tests.staff_tokens import (
    AGENT_IR,
    AGENT_TR,
    AUDITOR,
    HANDLER_CLAIMS_IR,
    HANDLER_CLAIMS_TR,
    HANDLER_SERVICES_TR,
    NO_ROLE,
    SUPERVISOR_IR,
    SUPERVISOR_TR,
    Member,
    expired,
    forged,
)
from tests.unit.conftest import Desk
from tests.unit.test_capa import FakeCapaRegister
from tests.unit.test_pages import PAGE_HEADERS, Element, parse

PASSWORD = "Right-Pass-2026!"
MEMBERS = (
    AGENT_TR,
    AGENT_IR,
    HANDLER_CLAIMS_TR,
    HANDLER_SERVICES_TR,
    HANDLER_CLAIMS_IR,
    SUPERVISOR_TR,
    SUPERVISOR_IR,
    AUDITOR,
    NO_ROLE,
)
#: One member of each role, for the tests that go through every role.
ROLES = (AGENT_TR, HANDLER_CLAIMS_TR, SUPERVISOR_TR, AUDITOR)
KEY = b"console form-token key for tests"
FORM = "application/x-www-form-urlencoded"
COOKIE_ATTRIBUTES = "Path=/; Secure; HttpOnly; SameSite=Strict"


# --- helpers shared by the console tests ---------------------------------------------------------


class FakeSignIn:
    """Cognito's InitiateAuth over the test pool: the members above, one password, each refusal alike."""

    def __init__(self) -> None:
        self.members = {member.username: member for member in MEMBERS}
        self.tried: list[str] = []
        # Cognito gives every sign-in its own token (jti, origin_jti, event_id): so does this fake.
        self.answer: Callable[[Member], str] = lambda member: member.token(jti=str(uuid.uuid4()))
        self.failure: Exception | None = None

    def sign_in(self, username: str, password: str) -> SignedIn:
        self.tried.append(username)
        if self.failure is not None:
            raise self.failure
        member = self.members.get(username)
        if member is None or password != PASSWORD:
            raise Unauthenticated(REFUSED)
        return SignedIn(self.answer(member), 3600)


class Browser:
    """A browser on the console: it keeps cookies as a browser would, and reads and sends forms."""

    def __init__(self, client: Client, language: str = "en") -> None:
        self.client = client
        self.language = language
        self.jar: dict[str, str] = {}
        self.last: Any = None

    def url(self, path: str) -> str:
        """A console address in this browser's language: `queue` is /en/console/queue."""
        return path if path.startswith("/") else f"/{self.language}/console/{path}"

    def request(
        self, method: str, path: str, fields: Any = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        sent = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.jar.items())}
        body = b""
        if fields is not None:
            sent["Content-Type"] = FORM
            body = fields if isinstance(fields, bytes) else urlencode(fields).encode()
        sent.update(headers or {})
        response = self.client.http.request(method, self.url(path), headers=sent, body=body)
        self._keep(response)
        self.last = response
        return response

    def _keep(self, response: Any) -> None:
        for cookie in set_cookies(response):
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in cookie:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, fields: Any) -> Any:
        return self.request("POST", path, fields)

    def open(self, path: str, status: int = 200) -> Element:
        """A page that must answer `status`, parsed."""
        return page_of(self.get(path), status)

    def follow(self, response: Any) -> Any:
        """Where a redirect leads (a 303 is followed with GET, as browsers do)."""
        assert response.status_code == 303, (response.status_code, response.body[:500])
        return self.get(response.headers["Location"])

    def sign_in(self, member: Member, password: str = PASSWORD, next_path: str | None = None) -> Any:
        """The sign-in form filled in and sent; the answer to the post."""
        query = f"?{urlencode({'next': next_path})}" if next_path else ""
        form = self.open(f"sign-in{query}")
        return self.send(form, "sign-in-form", username=member.username, password=password)

    def as_(self, member: Member) -> Browser:
        """Signed in as `member`."""
        answer = self.sign_in(member)
        assert answer.status_code == 303, answer.body[:500]
        return self

    def send(self, document: Element, form_id: str, /, **fields: str) -> Any:
        """A form of the page sent as a browser sends it: its fields as they are, changed by `fields`."""
        action, values = form_fields(document, form_id)
        values.update(fields)
        return self.request("POST", action, {k: v for k, v in values.items() if v is not None})

    def token(self) -> str:
        """The form token of this browser's session."""
        return form_token(KEY, self.jar[SESSION_COOKIE])


def set_cookies(response: Any) -> list[str]:
    cookies = response.headers.get("Set-Cookie") or []
    return [cookies] if isinstance(cookies, str) else list(cookies)


def page_of(response: Any, status: int = 200) -> Element:
    assert response.status_code == status, (response.status_code, response.body[:1500])
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value, name
    return parse(response.body)


def form_fields(document: Element, form_id: str) -> tuple[str, dict[str, str]]:
    """A form's address and what it would send untouched: hidden fields, filled inputs, ticked choices."""
    form = document.by_id(form_id)
    values: dict[str, str] = {}
    for element in form.walk():
        name = element.attrs.get("name")
        if not name:
            continue
        kind = element.attrs.get("type", "")
        if element.tag == "input" and kind in ("radio", "checkbox"):
            if "checked" in element.attrs:
                values[name] = element.attrs.get("value") or "on"
        elif element.tag == "input":
            values[name] = element.attrs.get("value") or ""
        elif element.tag == "textarea":
            values[name] = element.text()
        elif element.tag == "select":
            chosen = [o for o in element.all("option") if "selected" in o.attrs] or element.all("option")[:1]
            values[name] = (chosen[0].attrs.get("value") or "") if chosen else ""
    return str(form.attrs["action"]), values


def problem(response: Any, status: int) -> str:
    """The problem page's kind (`data-problem`), checked for its status and headers."""
    document = page_of(response, status)
    return str(document.by_id("problem").attrs["data-problem"])


def location_of(response: Any) -> tuple[str, dict[str, list[str]]]:
    assert response.status_code == 303, (response.status_code, response.body[:500])
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


@pytest.fixture
def sign_in_service() -> FakeSignIn:
    return FakeSignIn()


@pytest.fixture
def capa_register() -> FakeCapaRegister:
    return FakeCapaRegister()


@pytest.fixture
def report_requests() -> FakeReportRequests:
    return FakeReportRequests()


@pytest.fixture
def browser(
    desk: Desk,
    repository: FakeRepository,
    clock: FixedClock,
    sign_in_service: FakeSignIn,
    capa_register: FakeCapaRegister,
    report_requests: FakeReportRequests,
) -> Callable[..., Browser]:
    """Browsers on the console over fakes: `browser()`, `browser(HANDLER_CLAIMS_TR)`, `browser(lang="fa")`."""
    from chalicelib.services.period_reports import PeriodReports

    c = container()
    c.sign_in = sign_in_service  # type: ignore[assignment]
    c.console_key = KEY
    c.capa = capa_register  # type: ignore[assignment]
    c.dashboard_source = FakeDashboardSource(repository, clock)
    store = FakeReportStore()
    c.period_reports = PeriodReports(FakeReportSource(repository), store, clock, workers=2)
    c.report_requests = report_requests

    def make(member: Member | None = None, lang: str = "en") -> Browser:
        opened = Browser(desk.client, lang)
        if member is None:
            return opened
        sign_in_service.members.setdefault(member.username, member)
        return opened.as_(member)

    return make


# --- signing in ----------------------------------------------------------------------------------


def test_the_sign_in_page_asks_for_a_username_and_password_with_a_form_token(
    browser: Callable[..., Browser],
) -> None:
    visitor = browser()
    page = visitor.open("sign-in")
    assert page.by_id("username").attrs["autocomplete"] == "username"
    assert page.by_id("password").attrs["type"] == "password"
    assert page.by_id("password").attrs["value"] == ""
    _, fields = form_fields(page, "sign-in-form")
    assert fields["csrf"]
    assert fields["next"] == "/en/console/queue"
    (cookie,) = set_cookies(visitor.last)
    assert re.fullmatch(rf"{SIGN_IN_COOKIE}=[\w-]{{32}}; Max-Age=1800; {COOKIE_ATTRIBUTES}", cookie)


def test_signing_in_sets_the_session_cookie_with_exact_flags_and_goes_to_the_queue(
    browser: Callable[..., Browser],
) -> None:
    visitor = browser()
    answer = visitor.sign_in(HANDLER_CLAIMS_TR)
    assert location_of(answer) == ("/en/console/queue", {})
    session, spent = set_cookies(answer)
    token = visitor.jar[SESSION_COOKIE]
    assert token.count(".") == 2  # the ID token itself: verified on every request
    max_age = int(re.search(r"Max-Age=(\d+)", session).group(1))  # type: ignore[union-attr]
    assert 3400 < max_age <= 3600
    assert session == f"{SESSION_COOKIE}={token}; Max-Age={max_age}; {COOKIE_ATTRIBUTES}"
    assert spent == f"{SIGN_IN_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}"
    queue = visitor.open("queue")
    assert queue.by_id("signed-in-as").attrs["data-username"] == HANDLER_CLAIMS_TR.username
    assert token not in visitor.last.body.decode(), "the ID token is never in a page"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (HANDLER_CLAIMS_TR.username, "wrong password"),
        ("nobody-at-all", PASSWORD),
        ("nobody-at-all", "wrong password"),
    ],
)
def test_a_refused_sign_in_says_the_same_whether_the_user_exists_or_not(
    browser: Callable[..., Browser], username: str, password: str
) -> None:
    visitor = browser()
    page = visitor.open("sign-in")
    answer = visitor.send(page, "sign-in-form", username=username, password=password)
    refused = page_of(answer, 422)
    summary = refused.by_id("error-summary").words()
    assert "could not sign you in with this username and password" in summary
    assert refused.by_id("username").attrs["value"] == username
    assert refused.by_id("password").attrs["value"] == ""
    assert "aria-invalid" not in refused.by_id("username").attrs
    assert SESSION_COOKIE not in visitor.jar
    assert password not in answer.body.decode()


def test_every_refusal_of_cognito_is_the_same_message(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    """A user who must set a new password, is not confirmed, or is locked: the adapter says 'refused'."""
    visitor = browser()
    bodies = set()
    for _username in ("must-change-password", "not-confirmed", HANDLER_CLAIMS_TR.username):
        sign_in_service.failure = Unauthenticated(REFUSED)
        page = visitor.open("sign-in")
        answer = visitor.send(page, "sign-in-form", username="x", password="y")
        bodies.add(page_of(answer, 422).by_id("error-summary").words())
    assert len(bodies) == 1


def test_an_empty_username_or_password_is_named_without_asking_cognito(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    visitor = browser()
    page = visitor.open("sign-in")
    refused = page_of(visitor.send(page, "sign-in-form", username=" ", password=""), 422)
    assert refused.by_id("username").attrs["aria-invalid"] == "true"
    assert refused.by_id("password-error").words().endswith("Enter your password.")
    assert sign_in_service.tried == []


def test_throttled_sign_in_is_a_429_page_with_retry_after(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    visitor = browser()
    sign_in_service.failure = TooManyAttempts("throttled", 60)
    page = visitor.open("sign-in")
    answer = visitor.send(page, "sign-in-form", username="x", password="y")
    assert problem(answer, 429) == "too_many"
    assert answer.headers["Retry-After"] == "60"


@pytest.mark.parametrize("token", ["", "not-the-token", None])
def test_a_sign_in_post_without_its_form_token_is_refused_before_cognito_is_asked(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn, token: str | None
) -> None:
    visitor = browser()
    page = visitor.open("sign-in")
    answer = visitor.send(page, "sign-in-form", username=AGENT_TR.username, password=PASSWORD, csrf=token)  # type: ignore[arg-type]
    assert problem(answer, 403) == "sign_in_expired"
    assert sign_in_service.tried == []


def test_a_sign_in_post_without_its_cookie_is_refused(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    """Another site cannot sign a browser in: it has neither the cookie nor the token bound to it."""
    visitor = browser()
    page = visitor.open("sign-in")
    visitor.jar.clear()
    answer = visitor.send(page, "sign-in-form", username=AGENT_TR.username, password=PASSWORD)
    assert problem(answer, 403) == "sign_in_expired"
    assert sign_in_service.tried == []


def test_a_token_for_another_client_does_not_open_a_session(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    sign_in_service.answer = lambda member: forged(member.username, member.groups)
    visitor = browser()
    page_of(visitor.sign_in(AGENT_TR), 422)
    assert SESSION_COOKIE not in visitor.jar


def test_a_signed_in_member_opening_the_sign_in_page_goes_on(browser: Callable[..., Browser]) -> None:
    visitor = browser(AGENT_TR)
    assert location_of(visitor.get("sign-in?next=%2Fen%2Fconsole%2Fintake")) == ("/en/console/intake", {})


def test_the_console_root_leads_to_the_queue_or_to_signing_in(browser: Callable[..., Browser]) -> None:
    assert location_of(browser().get("/tr/console"))[0] == "/tr/console/sign-in"
    assert location_of(browser(AGENT_TR, "tr").get("/tr/console"))[0] == "/tr/console/queue"


# --- sessions that end ---------------------------------------------------------------------------


def test_without_a_session_a_page_leads_to_signing_in_and_back(browser: Callable[..., Browser]) -> None:
    visitor = browser()
    path, query = location_of(visitor.get("queue?department=claims&status=received"))
    assert path == "/en/console/sign-in"
    assert query == {"next": ["/en/console/queue?department=claims&status=received"]}
    page = visitor.open(f"{path}?{urlencode({'next': query['next'][0]})}")
    assert page.all("p", id="sign-in-notice") == [], "no session is not an ended one"
    answer = visitor.send(page, "sign-in-form", username=HANDLER_CLAIMS_TR.username, password=PASSWORD)
    assert location_of(answer) == ("/en/console/queue", {"department": ["claims"], "status": ["received"]})


@pytest.mark.parametrize("token", [expired, forged])
def test_an_expired_or_forged_session_is_cleared_and_leads_to_signing_in_with_a_message(
    browser: Callable[..., Browser], token: Callable[..., str]
) -> None:
    visitor = browser()
    visitor.jar[SESSION_COOKIE] = token(AGENT_TR.username, AGENT_TR.groups, AGENT_TR.department, "TR")
    answer = visitor.get("/fa/console/search")
    path, query = location_of(answer)
    assert (path, query) == ("/fa/console/sign-in", {"next": ["/fa/console/search"], "reason": ["expired"]})
    assert set_cookies(answer) == [f"{SESSION_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}"]
    notice = visitor.open(answer.headers["Location"]).by_id("sign-in-notice")
    assert notice.attrs["role"] == "status"


def test_a_post_after_the_session_ended_comes_back_to_its_page_not_its_action(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    visitor = browser()
    visitor.jar[SESSION_COOKIE] = expired(SUPERVISOR_TR.username, SUPERVISOR_TR.groups, None, "TR")
    answer = visitor.post(f"complaints/{code}/actions/add_note", {"text": "x", "csrf": "x"})
    assert location_of(answer)[1]["next"] == [f"/en/console/complaints/{code}"]
    assert desk.repository.events[code][-1].action == "assign"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/en/console/queue",
        "//evil.example/en/console/queue",
        "/\\evil.example",
        "/en/console//evil.example",
        "/en/console/../../evil",
        "/en/other",
        "/en/console/queue\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
        "/de/console/queue",
        "/en/console/sign-out",
        "/en/console/queue?" + "x" * 2000,
    ],
)
def test_next_never_leads_outside_the_console(browser: Callable[..., Browser], target: str) -> None:
    assert safe_next(target) is None
    visitor = browser()
    page = visitor.open(f"sign-in?{urlencode({'next': target})}")
    _, fields = form_fields(page, "sign-in-form")
    assert fields["next"] == "/en/console/queue"
    answer = visitor.send(page, "sign-in-form", username=AGENT_TR.username, password=PASSWORD, next=target)
    assert answer.headers["Location"] == "/en/console/queue"


@pytest.mark.parametrize(
    "target",
    ["/en/console/queue", "/fa/console/complaints/ZNVZ-BJ1C-JAHZ-F0", "/tr/console/capa?status=open"],
)
def test_next_may_be_any_page_of_the_console(target: str) -> None:
    assert safe_next(target) == target


# --- form tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong", "ÿ" * 43])
def test_a_post_without_its_session_token_is_refused_and_changes_nothing(
    browser: Callable[..., Browser], desk: Desk, token: str | None
) -> None:
    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    before = list(desk.repository.events[code])
    case = supervisor.open(f"complaints/{code}")
    answer = supervisor.send(case, "action-add-note-form", text="Bu not kaydedilmemeli.", csrf=token)  # type: ignore[arg-type]
    assert problem(answer, 403) == "form_token"
    assert desk.repository.events[code] == before
    page = page_of(answer, 403)
    assert page.by_id("problem-back").attrs["href"] == f"/en/console/complaints/{code}"


def test_a_token_of_another_session_is_refused(browser: Callable[..., Browser], desk: Desk) -> None:
    code = desk.routed()
    first, second = browser(SUPERVISOR_TR), browser(SUPERVISOR_TR)
    case = first.open(f"complaints/{code}")
    answer = second.send(case, "action-add-note-form", text="Başka oturumun formu.")
    assert problem(answer, 403) == "form_token"
    assert desk.repository.events[code][-1].action == "assign"


def test_every_post_form_of_the_console_carries_the_token(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    for path in ("queue", "search", "intake", f"complaints/{code}", "reports", "capa", "capa/new"):
        document = supervisor.open(path)
        for form in document.all("form"):
            if form.attrs.get("method") == "post":
                (token,) = [i for i in form.all("input") if i.attrs.get("name") == "csrf"]
                assert token.attrs["value"] == supervisor.token(), (path, form.attrs.get("id"))


# --- signing out ---------------------------------------------------------------------------------


def test_signing_out_clears_the_cookie_and_the_session_is_gone(browser: Callable[..., Browser]) -> None:
    visitor = browser(AGENT_TR)
    queue = visitor.open("queue")
    answer = visitor.send(queue, "sign-out-form")
    assert location_of(answer) == ("/en/console/sign-in", {"reason": ["signed_out"]})
    assert set_cookies(answer) == [f"{SESSION_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}"]
    assert visitor.open(answer.headers["Location"]).by_id("sign-in-notice").words() == "You have signed out."
    assert location_of(visitor.get("queue"))[0] == "/en/console/sign-in"


def test_signing_out_needs_the_session_token(browser: Callable[..., Browser]) -> None:
    visitor = browser(AGENT_TR)
    answer = visitor.post("sign-out", {"csrf": "forged"})
    assert problem(answer, 403) == "form_token"
    assert SESSION_COOKIE in visitor.jar


def test_signing_out_of_an_ended_session_just_clears_it(browser: Callable[..., Browser]) -> None:
    visitor = browser()
    visitor.jar[SESSION_COOKIE] = expired(AGENT_TR.username, AGENT_TR.groups)
    answer = visitor.post("sign-out", {})
    assert location_of(answer)[0] == "/en/console/sign-in"
    assert SESSION_COOKIE not in visitor.jar


# --- the pages' headers --------------------------------------------------------------------------


def test_console_pages_and_assets_carry_the_security_headers(browser: Callable[..., Browser]) -> None:
    page_of(browser().get("sign-in"))
    visitor = browser(SUPERVISOR_TR)
    for path in ("queue", "/fa/console/intake", "/tr/console/capa"):
        page_of(visitor.get(path))
    redirect = visitor.get("sign-in")
    assert redirect.status_code == 303
    for name in ("Cache-Control", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy"):
        assert redirect.headers[name] == PAGE_HEADERS[name]
    document = visitor.open("queue")
    links = [e.attrs["href"] for e in document.all("link")] + [e.attrs["src"] for e in document.all("script")]
    for asset in links:
        answer = visitor.get(str(asset))
        assert answer.status_code == 200, asset
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["Content-Security-Policy"] == PAGE_HEADERS["Content-Security-Policy"]


def test_an_unknown_language_is_the_public_404_page(browser: Callable[..., Browser]) -> None:
    answer = browser().get("/de/console/queue")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"


def test_the_session_ends_at_the_tokens_expiry_as_the_page_says(browser: Callable[..., Browser]) -> None:
    visitor = browser(AGENT_TR)
    ends = visitor.open("queue").by_id("session-ends")
    expiry = time.strptime(str(ends.attrs["data-expires-at"])[:19], "%Y-%m-%dT%H:%M:%S")
    assert abs(time.mktime(expiry) - time.mktime(time.gmtime()) - 3540) < 120
