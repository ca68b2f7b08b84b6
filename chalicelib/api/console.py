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

- A page without a valid session sends the browser (303) to the sign-in
  page, which brings it back afterwards (console_session.py).
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
from urllib.parse import quote, urlencode

from chalice.app import Request, Response

from chalicelib.api import console_case as case
from chalicelib.api import console_records as records
from chalicelib.api import console_work as work
from chalicelib.api.body import read_payload
from chalicelib.api.console_pages import Visit, console_texts, error_page, page, problem_page, redirect
from chalicelib.api.console_session import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    TOKEN_FIELD,
    Session,
    cleared,
    cookies,
    form_token,
    new_nonce,
    open_session,
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


def _serve(screen: Screen, visit: Visit, params: dict[str, str]) -> Response:
    if screen.open:
        return screen.view(visit, **params)
    c = visit.container
    token = cookies(visit.request.headers).get(SESSION_COOKIE)
    try:
        session = open_session(token, c.identity)
    except e.Unauthenticated:
        return _to_sign_in(visit, screen, params, expired=bool(token))
    visit = replace(visit, session=session)
    try:
        if visit.is_post:
            posted = read_payload(visit.request.raw_body, visit.request.headers, c.settings.max_body_bytes)
            if not token_matches(form_token(c.console_key, session.token), posted.pop(TOKEN_FIELD, None)):
                log.warning("a form was posted by %s without its token; refused", session.staff.actor)
                return problem_page(visit, 403, "form_token", back=_back(visit, screen, params))
            visit = replace(visit, posted=posted)
        return screen.view(visit, **params)
    except e.ComplaintDeskError as exc:
        # The problem's page is a page of the session: who is signed in, the menu, and a way back.
        back = _back(visit, screen, params) if visit.is_post else visit.link("queue")
        answer = error_page(visit, exc, back=back)
        if answer is None:
            raise
        return answer


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
    cookies_to_set = [cleared(SESSION_COOKIE)] if expired else []
    return redirect(visit.link("sign-in", query), *cookies_to_set)


# --- signing in and out --------------------------------------------------------------------------


def root(visit: Visit) -> Response:
    """/{lang}/console: the queue when signed in, else the sign-in page."""
    token = cookies(visit.request.headers).get(SESSION_COOKIE)
    try:
        open_session(token, visit.container.identity)
    except e.Unauthenticated:
        return redirect(visit.link("sign-in"))
    return redirect(visit.link("queue"))


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
    return redirect(visit.base + target, session_cookie(signed.id_token, max_age), cleared(SIGN_IN_COOKIE))


def _signed_in(visit: Visit) -> Session | None:
    try:
        return open_session(cookies(visit.request.headers).get(SESSION_COOKIE), visit.container.identity)
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
    """(POST) Ends the session: the cookie is cleared. A session that has already ended is just cleared."""
    if not visit.is_post:
        return redirect(visit.link("sign-in"))
    c = visit.container
    session = _signed_in(visit)
    if session is not None:
        posted = read_payload(visit.request.raw_body, visit.request.headers, c.settings.max_body_bytes)
        if not token_matches(form_token(c.console_key, session.token), posted.get(TOKEN_FIELD)):
            visit = replace(visit, session=session)
            return problem_page(visit, 403, "form_token", back=visit.link("queue"))
        log.info("%s signed out of the console", session.staff.actor)
    return redirect(visit.link("sign-in", {"reason": "signed_out"}), cleared(SESSION_COOKIE))


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
