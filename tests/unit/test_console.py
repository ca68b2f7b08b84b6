"""The staff console's session over fakes: signing in and out, its cookie, form tokens, expiry and `next`.

The helpers at the top (a browser with a cookie jar, Cognito's sign-in as a
fake, reading a page's forms) serve the other console tests too.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from chalice.test import Client

from chalicelib.adapters.sign_in import REFUSED, SignedIn
from chalicelib.api.console_session import (
    RENEW_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Renewal,
    form_token,
    safe_next,
)
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
    """Cognito's InitiateAuth over the test pool: the members above, one password, each refusal alike;
    refresh tokens that renew the ID token until they are revoked."""

    def __init__(self) -> None:
        self.members = {member.username: member for member in MEMBERS}
        self.tried: list[str] = []
        # Cognito gives every sign-in its own token (jti, origin_jti, event_id): so does this fake.
        self.answer: Callable[[Member], str] = lambda member: member.token(jti=str(uuid.uuid4()))
        self.failure: Exception | None = None
        self.refresh_tokens: dict[str, Member | None] = {}  # None: revoked
        self.refreshed: list[str] = []
        self.revoked: list[str] = []

    def sign_in(self, username: str, password: str) -> SignedIn:
        self.tried.append(username)
        if self.failure is not None:
            raise self.failure
        member = self.members.get(username)
        if member is None or password != PASSWORD:
            raise Unauthenticated(REFUSED)
        refresh_token = f"refresh.{uuid.uuid4()}"
        self.refresh_tokens[refresh_token] = member
        return SignedIn(self.answer(member), 3600, refresh_token)

    def refresh(self, refresh_token: str) -> SignedIn:
        self.refreshed.append(refresh_token)
        if self.failure is not None:
            raise self.failure
        member = self.refresh_tokens.get(refresh_token)
        if member is None:
            raise Unauthenticated(REFUSED)
        return SignedIn(self.answer(member), 3600)

    def revoke(self, refresh_token: str) -> None:
        self.revoked.append(refresh_token)
        if refresh_token in self.refresh_tokens:
            self.refresh_tokens[refresh_token] = None


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
        """The form token of this browser's session (bound to its renewal, or to its ID token)."""
        return form_token(KEY, self.jar.get(RENEW_COOKIE) or self.jar[SESSION_COOKIE])


def refresh_of(visitor: Browser) -> str:
    """The refresh token in the browser's renewal cookie."""
    return visitor.jar[RENEW_COOKIE].split("~")[2]


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
    session, spent, renew = set_cookies(answer)
    token = visitor.jar[SESSION_COOKIE]
    assert token.count(".") == 2  # the ID token itself: verified on every request
    max_age = int(re.search(r"Max-Age=(\d+)", session).group(1))  # type: ignore[union-attr]
    assert 3400 < max_age <= 3600
    assert session == f"{SESSION_COOKIE}={token}; Max-Age={max_age}; {COOKIE_ATTRIBUTES}"
    assert spent == f"{SIGN_IN_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}"
    # The renewal: when the session ends (CONSOLE_SESSION_HOURS from now), sealed, and the refresh token.
    ends, seal, refresh_token = visitor.jar[RENEW_COOKIE].split("~")
    assert abs(int(ends) - time.time() - 12 * 3600) < 60
    assert refresh_token.startswith("refresh.")
    assert len(seal) == 43  # HMAC-SHA256 under the console key
    assert renew == f"{RENEW_COOKIE}={ends}~{seal}~{refresh_token}; Max-Age=43200; {COOKIE_ATTRIBUTES}"
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
    assert set_cookies(answer) == [
        f"{SESSION_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}",
        f"{RENEW_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}",
    ]
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
    assert set_cookies(answer) == [
        f"{SESSION_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}",
        f"{RENEW_COOKIE}=; Max-Age=0; {COOKIE_ATTRIBUTES}",
    ]
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


def test_a_console_post_of_a_type_no_form_sends_gets_a_page_not_json(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    visitor = browser(HANDLER_CLAIMS_TR)
    answer = visitor.request(
        "POST", f"/tr/console/complaints/{code}/actions/add_note", b"text=x", {"Content-Type": "text/plain"}
    )
    assert problem(answer, 415) == "unreadable"
    assert desk.repository.events[code][-1].action == "assign"


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


def test_the_session_ends_twelve_hours_after_signing_in_as_the_page_says(
    browser: Callable[..., Browser],
) -> None:
    visitor = browser(AGENT_TR)
    ends = visitor.open("queue").by_id("session-ends")
    expiry = time.strptime(str(ends.attrs["data-expires-at"])[:19], "%Y-%m-%dT%H:%M:%S")
    assert abs(time.mktime(expiry) - time.mktime(time.gmtime()) - 12 * 3600) < 120


# --- renewing the ID token -----------------------------------------------------------------------


@pytest.mark.parametrize("dropped", [True, False], ids=["cookie-gone", "token-expired"])
def test_an_expired_id_token_is_renewed_and_the_page_served(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn, dropped: bool
) -> None:
    """The browser drops the ID token's cookie when it expires (or sends the expired token): renewed."""
    visitor = browser(HANDLER_CLAIMS_TR)
    before = visitor.jar[SESSION_COOKIE]
    if dropped:
        del visitor.jar[SESSION_COOKIE]
    else:
        visitor.jar[SESSION_COOKIE] = expired(HANDLER_CLAIMS_TR.username, HANDLER_CLAIMS_TR.groups)
    queue = visitor.open("queue")
    assert queue.by_id("signed-in-as").attrs["data-username"] == HANDLER_CLAIMS_TR.username
    (renewed,) = set_cookies(visitor.last)
    assert renewed.startswith(f"{SESSION_COOKIE}=")
    assert "Max-Age=3600;" in renewed
    assert visitor.jar[SESSION_COOKIE] not in (before, "")
    assert len(sign_in_service.refreshed) == 1
    visitor.open("search")  # the new token serves the next page without renewing again
    assert len(sign_in_service.refreshed) == 1
    assert set_cookies(visitor.last) == []


def test_a_post_after_the_id_token_expired_is_carried_out_with_nothing_lost(
    browser: Callable[..., Browser], desk: Desk, sign_in_service: FakeSignIn
) -> None:
    """A handler types a long note over an hour: the post renews the token and the note is kept."""
    code = desk.routed()
    visitor = browser(HANDLER_CLAIMS_TR)
    case = visitor.open(f"complaints/{code}")
    del visitor.jar[SESSION_COOKIE]
    answer = visitor.send(case, "action-add-note-form", text="Eksper raporu istendi; müşteri ۳ kez aradı.")
    assert location_of(answer) == (f"/en/console/complaints/{code}", {"done": ["add_note"]})
    assert desk.repository.events[code][-1].action == "add_note"
    assert desk.repository.events[code][-1].text == "Eksper raporu istendi; müşteri ۳ kez aradı."
    assert len(sign_in_service.refreshed) == 1


def test_a_form_drawn_before_a_renewal_in_another_tab_is_still_accepted(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    visitor = browser(HANDLER_CLAIMS_TR)
    old_tab = visitor.open(f"complaints/{code}")
    del visitor.jar[SESSION_COOKIE]
    visitor.open("queue")  # another tab renews the session
    answer = visitor.send(old_tab, "action-add-note-form", text="from the first tab")
    assert location_of(answer)[1] == {"done": ["add_note"]}


def test_a_refused_refresh_token_leads_to_signing_in_and_clears_the_session(
    browser: Callable[..., Browser], desk: Desk, sign_in_service: FakeSignIn
) -> None:
    code = desk.routed()
    visitor = browser(HANDLER_CLAIMS_TR)
    refresh_token = refresh_of(visitor)
    sign_in_service.refresh_tokens[refresh_token] = None  # revoked, or past Cognito's own validity
    del visitor.jar[SESSION_COOKIE]
    answer = visitor.post(f"complaints/{code}/actions/add_note", {"text": "x", "csrf": visitor.token()})
    path, query = location_of(answer)
    assert (path, query["reason"]) == ("/en/console/sign-in", ["expired"])
    assert query["next"] == [f"/en/console/complaints/{code}"]
    assert RENEW_COOKIE not in visitor.jar
    assert desk.repository.events[code][-1].action == "assign"


def test_a_session_past_its_end_is_not_renewed(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    visitor = browser(AGENT_TR)
    refresh_token = refresh_of(visitor)
    ended = Renewal(datetime.fromtimestamp(int(time.time()) - 1, UTC), refresh_token)
    visitor.jar[RENEW_COOKIE] = ended.seal(KEY)
    del visitor.jar[SESSION_COOKIE]
    assert location_of(visitor.get("queue"))[1]["reason"] == ["expired"]
    assert sign_in_service.refreshed == []


@pytest.mark.parametrize(
    "value",
    [
        "",
        "~",
        "~~",
        "abc~x~refresh.x",
        "123",
        "1" * 11 + "~x~refresh.x",  # past any date Python can hold
        "²³~x~refresh.x",  # digits to isdigit(), not to int()
        "٣٣٣٣~x~r",
        "9999999999~forged-seal~refresh.x",
    ],
)
def test_a_malformed_renewal_cookie_is_no_session(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn, value: str
) -> None:
    visitor = browser()
    visitor.jar[RENEW_COOKIE] = value
    assert location_of(visitor.get("queue"))[0] == "/en/console/sign-in"
    assert sign_in_service.refreshed == []


def test_an_identity_provider_outage_while_renewing_is_a_503_page(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    from chalicelib.domain.errors import StorageUnavailable

    visitor = browser(AGENT_TR)
    del visitor.jar[SESSION_COOKIE]
    sign_in_service.failure = StorageUnavailable("cognito is down")
    assert visitor.get("queue").status_code == 503
    assert RENEW_COOKIE in visitor.jar  # the session is kept for when it is back


def test_a_renewal_cookie_whose_end_was_moved_is_no_session(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    """The member (or whoever copied the cookie) cannot make a session last longer than it does."""
    visitor = browser(AGENT_TR)
    ends, seal, refresh_token = visitor.jar[RENEW_COOKIE].split("~")
    visitor.jar[RENEW_COOKIE] = f"{int(ends) + 10 * 86400}~{seal}~{refresh_token}"
    del visitor.jar[SESSION_COOKIE]
    assert location_of(visitor.get("queue"))[1]["reason"] == ["expired"]
    assert sign_in_service.refreshed == []


def test_a_session_cookie_with_a_malformed_renewal_still_signs_out(browser: Callable[..., Browser]) -> None:
    visitor = browser(AGENT_TR)
    visitor.jar[RENEW_COOKIE] = "1" * 11 + "~x~refresh.x"
    queue = visitor.open("queue")  # bound to the ID token now: the renewal is not this console's
    answer = visitor.send(queue, "sign-out-form")
    assert location_of(answer)[1] == {"reason": ["signed_out"]}
    assert RENEW_COOKIE not in visitor.jar
    assert SESSION_COOKIE not in visitor.jar


def test_signing_out_when_cognito_cannot_revoke_still_clears_the_cookies(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    from chalicelib.domain.errors import StorageUnavailable

    visitor = browser(AGENT_TR)
    queue = visitor.open("queue")

    def down(refresh_token: str) -> None:
        raise StorageUnavailable("cognito is down")

    sign_in_service.revoke = down  # type: ignore[method-assign]
    answer = visitor.send(queue, "sign-out-form")
    assert location_of(answer)[1] == {"reason": ["signed_out"]}
    assert RENEW_COOKIE not in visitor.jar
    assert SESSION_COOKIE not in visitor.jar


def test_signing_in_again_revokes_the_session_the_browser_held(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    visitor = browser(AGENT_TR)
    first = refresh_of(visitor)
    del visitor.jar[SESSION_COOKIE]  # the ID token's cookie lapsed; someone signs in at this browser
    visitor.as_(SUPERVISOR_TR)
    assert sign_in_service.revoked == [first]
    assert refresh_of(visitor) != first


def test_signing_out_revokes_the_refresh_token_so_a_copy_cannot_renew(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    visitor = browser(AGENT_TR)
    copied = dict(visitor.jar)
    refresh_token = copied[RENEW_COOKIE].split("~")[2]
    visitor.send(visitor.open("queue"), "sign-out-form")
    assert sign_in_service.revoked == [refresh_token]
    thief = browser()
    thief.jar[RENEW_COOKIE] = copied[RENEW_COOKIE]
    assert location_of(thief.get("queue"))[0] == "/en/console/sign-in"


def test_signing_out_after_the_id_token_expired_still_revokes(
    browser: Callable[..., Browser], sign_in_service: FakeSignIn
) -> None:
    visitor = browser(AGENT_TR)
    queue = visitor.open("queue")
    refresh_token = refresh_of(visitor)
    del visitor.jar[SESSION_COOKIE]
    answer = visitor.send(queue, "sign-out-form")
    assert location_of(answer)[1] == {"reason": ["signed_out"]}
    assert sign_in_service.revoked == [refresh_token]
    assert RENEW_COOKIE not in visitor.jar
