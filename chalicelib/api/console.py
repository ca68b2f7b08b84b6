"""The staff console: web pages for clerks, handlers, supervisors and auditors, over the staff use cases.

    /{lang}/console                                  to the queue, or to the sign-in page
    /{lang}/console/sign-in                          username and password (Cognito InitiateAuth)
    /{lang}/console/sign-out                         (POST) ends the session
    /{lang}/console/queue                            a department's open complaints, soonest due first
    /{lang}/console/search                           a complaint by its code; (POST) by mobile or e-mail
    /{lang}/console/intake                           a complaint received by phone, fax, post, e-mail,
                                                     social media or in person
    /{lang}/console/complaints/{code}                one complaint: details, timeline, the actions allowed
    /{lang}/console/complaints/{code}/personal-data  (POST, with a reason) its personal data, recorded
    /{lang}/console/complaints/{code}/actions/{action}  (POST) one lifecycle action
    /{lang}/console/dashboard                        the live dashboard, refreshed every 30 seconds
    /{lang}/console/reports                          the period reports; (POST) a supervisor asks for one
    /{lang}/console/reports/{market}/{period}/{label}/{name}  one file, through a short-lived link (303)
    /{lang}/console/capa                             the CAPA register; (POST) opens an action
    /{lang}/console/capa/new, /capa/{capa_id}        a new action's form; one action, (POST) changed

Rules:

- A page whose ID token has expired renews it with the session's refresh
  token and carries on; a page without a session, or whose session has
  ended, sends the browser (303) to the sign-in page, which brings it back
  afterwards (console_session.py).
- Every post is checked for its form token before anything else is done.
- The use cases decide every request, exactly as for the staff API: the
  console offers only what the member's roles allow, and shows the 403 page
  when a request is refused anyway.
- Personal data is shown on one page only, the one a member asks for with a
  reason, which is recorded; never in a URL, never in a log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from chalice.app import Request, Response

from chalicelib.api import console_case as case
from chalicelib.api import console_records as records
from chalicelib.api import console_work as work
from chalicelib.api.body import read_payload
from chalicelib.api.console_pages import Visit, console_texts, error_page, page, problem_page, redirect
from chalicelib.api.console_session import (
    RENEW_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    TOKEN_FIELD,
    Renewal,
    Session,
    cleared,
    cookies,
    form_token,
    new_nonce,
    open_session,
    renew_cookie,
    safe_next,
    session_cookie,
    sign_in_cookie,
    sign_in_token,
    token_matches,
)
from chalicelib.api.forms import Form
from chalicelib.domain import errors as e
from chalicelib.domain.errors import FieldError
from chalicelib.domain.policy import Language

log = logging.getLogger("complaintdesk.console")

SIGN_IN_FIELDS = ("username", "password")
_SIGN_IN_NOTICES = {"expired": "console.sign_in.expired", "signed_out": "console.sign_in.signed_out"}


@dataclass(frozen=True)
class Screen:
    """A page of the console: its address below /{lang}/console, and the view that serves it."""

    path: str
    view: Callable[..., Response]
    #: Served without a session: the sign-in and sign-out pages, and the console's root.
    open: bool = False
    #: Where a post to it comes back to when the session has ended (its own address by default).
    back: str | None = None


def serve(name: str, lang: str, request: Request, /, **params: str) -> Response:
    """Any console page; an unknown language is the public pages' 404 page."""
    from chalicelib.api.pages import not_found, site_base
    from chalicelib.bootstrap import container

    language = next((known for known in Language if known.value == lang), None)
    if language is None:
        return not_found(request)
    screen = SCREENS[name]
    path = screen.path.format(**{key: quote(value, safe="") for key, value in params.items()})
    visit = Visit(console_texts(language), request, container(), site_base(request), path)
    try:
        return _serve(screen, visit, params)
    except e.ComplaintDeskError as exc:
        answer = error_page(visit, exc)
        if answer is None:
            raise
        return answer


def refused_request(language: Language, request: Request, refused: e.ComplaintDeskError) -> Response:
    """The problem page of a request refused before any console view ran (a content type no form sends)."""
    from chalicelib.api.pages import site_base
    from chalicelib.bootstrap import container

    visit = Visit(console_texts(language), request, container(), site_base(request), "")
    answer = error_page(visit, refused, back=visit.link("queue"))
    assert answer is not None, "the console has a page for every refusal it is given"
    return answer


def _serve(screen: Screen, visit: Visit, params: dict[str, str]) -> Response:
    if screen.open:
        return screen.view(visit, **params)
    c = visit.container
    try:
        session, renewed = _resume(visit)
    except e.Unauthenticated:
        jar = cookies(visit.request.headers)
        return _to_sign_in(
            visit, screen, params, expired=bool(jar.get(SESSION_COOKIE) or jar.get(RENEW_COOKIE))
        )
    visit = replace(visit, session=session)
    try:
        if visit.is_post:
            posted = read_payload(visit.request.raw_body, visit.request.headers, c.settings.max_body_bytes)
            if not token_matches(form_token(c.console_key, session.binding), posted.pop(TOKEN_FIELD, None)):
                log.warning("a form was posted by %s without its token; refused", session.staff.actor)
                refused = problem_page(visit, 403, "form_token", back=_back(visit, screen, params))
                return _with_cookies(refused, renewed)
            visit = replace(visit, posted=posted)
        return _with_cookies(screen.view(visit, **params), renewed)
    except e.ComplaintDeskError as exc:
        # The problem's page is a page of the session: who is signed in, the menu, and a way back.
        back = _back(visit, screen, params) if visit.is_post else visit.link("queue")
        answer = error_page(visit, exc, back=back)
        if answer is None:
            raise
        return _with_cookies(answer, renewed)


def _resume(visit: Visit) -> tuple[Session, list[str]]:
    """The request's session, and the cookie to set when its ID token had to be renewed.

    `Unauthenticated` when there is no session, it has ended, or Cognito refuses its refresh token.
    """
    c = visit.container
    jar = cookies(visit.request.headers)
    token, renew = jar.get(SESSION_COOKIE), jar.get(RENEW_COOKIE)
    try:
        return open_session(token, c.identity, renew, c.console_key), []
    except e.Unauthenticated:
        renewal = Renewal.open(renew, c.console_key)
        if renewal is None:
            raise
    left = int(renewal.ends_at.timestamp() - time.time())
    if left <= 0:
        raise e.Unauthenticated("the session has ended")
    signed = c.sign_in.refresh(renewal.refresh_token)
    session = open_session(signed.id_token, c.identity, renew, c.console_key)
    log.info("the console session of %s was renewed", session.staff.actor)
    return session, [session_cookie(signed.id_token, min(signed.expires_in, left))]


def _with_cookies(response: Response, set_cookies: list[str]) -> Response:
    """The response, setting these cookies too."""
    if set_cookies:
        present = response.headers.get("Set-Cookie") or []
        kept = [present] if isinstance(present, str) else list(present)
        response.headers["Set-Cookie"] = [*kept, *set_cookies]
    return response


def _back(visit: Visit, screen: Screen, params: dict[str, str]) -> str:
    """The address a post to this screen comes back to (its page)."""
    path = (screen.back or screen.path).format(**{k: quote(v, safe="") for k, v in params.items()})
    return f"{visit.base}/{visit.language.value}/console{path}"


def _to_sign_in(visit: Visit, screen: Screen, params: dict[str, str], *, expired: bool) -> Response:
    """To the sign-in page, which comes back here (the page a post came from); an ended session is cleared."""
    back = _back(visit, screen, params)[len(visit.base) :]
    if not visit.is_post and visit.params:
        back += "?" + urlencode(visit.params)
    query = {"next": safe_next(back) or f"/{visit.language.value}/console/queue"}
    if expired:
        query["reason"] = "expired"
    cookies_to_set = [cleared(SESSION_COOKIE), cleared(RENEW_COOKIE)] if expired else []
    return redirect(visit.link("sign-in", query), *cookies_to_set)


# --- signing in and out --------------------------------------------------------------------------


def root(visit: Visit) -> Response:
    """/{lang}/console: the queue when signed in, else the sign-in page."""
    try:
        _, renewed = _resume(visit)
    except e.Unauthenticated:
        return redirect(visit.link("sign-in"))
    return redirect(visit.link("queue"), *renewed)


def sign_in(visit: Visit) -> Response:
    """The sign-in form; its post exchanges the username and password for a session.

    Every refusal reads the same, whether the user exists or not.
    """
    c, texts = visit.container, visit.texts
    default = f"/{visit.language.value}/console/queue"
    if not visit.is_post:
        target = safe_next(visit.params.get("next")) or default
        if _signed_in(visit) is not None:
            return redirect(visit.base + target)
        notice = _SIGN_IN_NOTICES.get(visit.params.get("reason", ""))
        return _sign_in_form(visit, target, Form(texts, SIGN_IN_FIELDS), notice=notice)
    posted = read_payload(visit.request.raw_body, visit.request.headers, c.settings.max_body_bytes)
    target = safe_next(posted.get("next")) or default
    nonce = cookies(visit.request.headers).get(SIGN_IN_COOKIE)
    if not nonce or not token_matches(sign_in_token(c.console_key, nonce), posted.get(TOKEN_FIELD)):
        return problem_page(visit, 403, "sign_in_expired", back=visit.link("sign-in", {"next": target}))
    username, password = posted.get("username"), posted.get("password")
    username = username.strip() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    given = {"username": username, "password": password}
    missing = [FieldError(name, "required", "") for name in SIGN_IN_FIELDS if not given[name]]
    if missing:
        return _sign_in_form(visit, target, Form(texts, SIGN_IN_FIELDS, {"username": username}, missing), 422)
    try:
        signed = c.sign_in.sign_in(username, password)
        session = open_session(signed.id_token, c.identity)
    except e.Unauthenticated:
        log.info("a sign-in was refused")
        refused = Form(texts, SIGN_IN_FIELDS, {"username": username}, notices=["console.sign_in.refused"])
        return _sign_in_form(visit, target, refused, 422)
    max_age = min(signed.expires_in, int(session.expires_at.timestamp() - time.time()))
    log.info("%s signed in to the console", session.staff.actor)
    _revoke(visit)  # a session this browser still held ends here: one session a browser
    opened = [session_cookie(signed.id_token, max_age), cleared(SIGN_IN_COOKIE)]
    if signed.refresh_token:
        length = c.settings.console_session_hours * 3600
        renewal = Renewal(datetime.fromtimestamp(int(time.time()) + length, UTC), signed.refresh_token)
        opened.append(renew_cookie(renewal.seal(c.console_key), length))
    else:
        opened.append(cleared(RENEW_COOKIE))
    return redirect(visit.base + target, *opened)


def _revoke(visit: Visit) -> None:
    """Revoke the refresh token of the request's renewal cookie, if it holds one; a failure is logged.

    A refresh token that Cognito could not revoke expires with its validity (12 hours): the
    browser's cookies are cleared all the same, so this browser is signed out either way.
    """
    renewal = Renewal.open(cookies(visit.request.headers).get(RENEW_COOKIE), visit.container.console_key)
    if renewal is None:
        return
    try:
        visit.container.sign_in.revoke(renewal.refresh_token)
    except (e.StorageUnavailable, e.TooManyAttempts) as exc:
        log.warning("a refresh token could not be revoked (%s); it expires by itself", type(exc).__name__)


def _signed_in(visit: Visit) -> Session | None:
    """The session whose ID token is valid now (none is renewed here)."""
    jar, c = cookies(visit.request.headers), visit.container
    try:
        return open_session(jar.get(SESSION_COOKIE), c.identity, jar.get(RENEW_COOKIE), c.console_key)
    except e.Unauthenticated:
        return None


def _sign_in_form(
    visit: Visit, target: str, form: Form, status: int = 200, *, notice: str | None = None
) -> Response:
    """The form, with a fresh nonce in its cookie and the token bound to it in the form."""
    nonce = new_nonce()
    return page(
        visit,
        "console/sign_in.html",
        visit.texts("console.sign_in.title"),
        status=status,
        form=form,
        headers={"Set-Cookie": [sign_in_cookie(nonce)]},
        here="/sign-in" + (f"?{urlencode({'next': target})}" if target else ""),
        next=target,
        notice=notice,
        sign_in_token=sign_in_token(visit.container.console_key, nonce),
    )


def sign_out(visit: Visit) -> Response:
    """(POST) Ends the session: its refresh token is revoked and both cookies are cleared.

    A live session's sign-out needs its form token (403 without it). A session
    whose ID token has expired is signed out all the same: its refresh token is
    revoked, as it is whenever the browser holds one (SameSite=Strict keeps other
    sites from posting here). If Cognito cannot revoke it now, the cookies are
    cleared anyway and the token expires by itself.
    """
    if not visit.is_post:
        return redirect(visit.link("sign-in"))
    c = visit.container
    session = _signed_in(visit)
    if session is not None:
        posted = read_payload(visit.request.raw_body, visit.request.headers, c.settings.max_body_bytes)
        if not token_matches(form_token(c.console_key, session.binding), posted.get(TOKEN_FIELD)):
            visit = replace(visit, session=session)
            return problem_page(visit, 403, "form_token", back=visit.link("queue"))
        log.info("%s signed out of the console", session.staff.actor)
    _revoke(visit)
    done = visit.link("sign-in", {"reason": "signed_out"})
    return redirect(done, cleared(SESSION_COOKIE), cleared(RENEW_COOKIE))


# --- the screens ---------------------------------------------------------------------------------


SCREENS: dict[str, Screen] = {
    "root": Screen("", root, open=True),
    "sign-in": Screen("/sign-in", sign_in, open=True),
    "sign-out": Screen("/sign-out", sign_out, open=True),
    "queue": Screen("/queue", work.queue),
    "search": Screen("/search", work.search),
    "intake": Screen("/intake", work.intake),
    "dashboard": Screen("/dashboard", work.dashboard),
    "complaint": Screen("/complaints/{code}", case.complaint),
    "personal-data": Screen("/complaints/{code}/personal-data", case.reveal, back="/complaints/{code}"),
    "action": Screen("/complaints/{code}/actions/{action}", case.act, back="/complaints/{code}"),
    "reports": Screen("/reports", records.reports),
    "report-file": Screen("/reports/{market}/{period}/{label}/{name}", records.report_file, back="/reports"),
    "capa": Screen("/capa", records.register),
    "capa-action": Screen("/capa/{capa_id}", records.capa_action),
}


def asset(name: str) -> Response:
    """/assets/console.css and /assets/console.js: named by their digest in pages, kept for a year."""
    from chalicelib.api.static import CSS, IMMUTABLE, JAVASCRIPT, served

    content_type = CSS if name.endswith(".css") else JAVASCRIPT
    return served(f"static/{name}", content_type, cache_control=IMMUTABLE)
