"""How the staff console's pages are made: one visit, its page chrome, and the pages of problems.

Rules:

- The console uses the public pages' machinery: the same Jinja2 environment
  and base template, catalogs (the shared words, and the console's own in
  catalogs/console/), security headers and content policy. Every page is
  `Cache-Control: no-store`.
- A page is in the language of its address (/fa/, /tr/, /en/) and links to
  itself in the other two.
- The menu offers what the member's roles may use; the use cases still
  decide every request (a hidden link is a courtesy, not a rule).
- A problem is a page of its own in the reader's language, with the HTTP
  status of the staff API: 403, 404, 409, 413, 422, 429, 503.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Request, Response

from chalicelib.api.console_session import Session, form_token
from chalicelib.api.forms import Form
from chalicelib.api.render import Texts, area_catalog, render
from chalicelib.api.static import page_headers
from chalicelib.bootstrap import Container
from chalicelib.domain import access
from chalicelib.domain import errors as e
from chalicelib.domain.access import Permission
from chalicelib.domain.display import HOME_MARKET
from chalicelib.domain.policy import Language, Market
from chalicelib.domain.staff import Role, StaffMember

if TYPE_CHECKING:
    from markupsafe import Markup

AREA = "console"

#: The menu: (element id, path, catalog key, the permission that makes it useful).
MENU: tuple[tuple[str, str, str, Permission], ...] = (
    ("nav-queue", "queue", "console.nav.queue", Permission.READ),
    ("nav-search", "search", "console.nav.search", Permission.READ),
    ("nav-intake", "intake", "console.nav.intake", Permission.INTAKE),
    ("nav-dashboard", "dashboard", "console.nav.dashboard", Permission.VIEW_DASHBOARD),
    ("nav-reports", "reports", "console.nav.reports", Permission.READ_REPORTS),
    ("nav-capa", "capa", "console.nav.capa", Permission.READ_CAPA),
)

#: Project errors that a console page answers with a page of its own: status and catalog key.
PROBLEMS: dict[type[e.ComplaintDeskError], tuple[int, str]] = {
    e.Forbidden: (403, "forbidden"),
    e.ComplaintNotFound: (404, "not_found"),
    e.InvalidTrackingCode: (404, "not_found"),
    e.CapaNotFound: (404, "capa_not_found"),
    e.ReportNotFound: (404, "report_not_found"),
    e.IllegalTransition: (409, "not_now"),
    e.ConcurrentUpdate: (409, "conflict"),
    e.PayloadTooLarge: (413, "too_large"),
    e.MalformedRequest: (400, "unreadable"),
    e.UnsupportedMediaType: (415, "unreadable"),
    e.ValidationFailed: (422, "invalid"),
    e.IdempotencyConflict: (422, "invalid"),
    e.TooManyAttempts: (429, "too_many"),
    e.StorageUnavailable: (503, "unavailable"),
}


def console_texts(language: Language) -> Texts:
    """The console's words in a language: its own catalog with the shared one."""
    return Texts(language, area_catalog(AREA, language))


@dataclass(frozen=True)
class Visit:
    """One request for a console page: the reader's words, where the console is, who asks, what was sent."""

    texts: Texts
    request: Request
    container: Container
    base: str
    #: This page's address below /{lang}/console, as the console links to it ("/queue", "/complaints/X").
    path: str
    session: Session | None = None
    #: The posted form, its token taken out.
    posted: dict[str, Any] = field(default_factory=dict)

    @property
    def language(self) -> Language:
        return self.texts.language

    @property
    def home(self) -> str:
        """The console's address in this language, ending with a slash."""
        return f"{self.base}/{self.language.value}/console/"

    @property
    def is_post(self) -> bool:
        return self.request.method == "POST"

    @property
    def staff(self) -> StaffMember:
        assert self.session is not None, "a signed-in page is served with its session"
        return self.session.staff

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.query_params or {})

    def link(self, path: str, query: Mapping[str, str] | None = None) -> str:
        """The address of a console page in this language; `path` has no leading slash."""
        shown = {name: value for name, value in (query or {}).items() if value}
        return f"{self.home}{path}" + (f"?{urlencode(shown)}" if shown else "")

    def market(self) -> Market:
        """The market whose time zone dates this page: the member's own, else the language's home."""
        if self.session is not None and self.session.staff.market is not None:
            return self.session.staff.market
        return HOME_MARKET[self.language]

    @property
    def chooses_market(self) -> bool:
        """Whether the member reads every market (an auditor), so the pages offer the choice."""
        return self.session is not None and Role.AUDITOR in self.session.staff.roles

    def may(self, permission: Permission) -> bool:
        """Whether one of the member's roles has this permission at all (the menu, the forms offered)."""
        return self.session is not None and access.may(self.staff, access.PERMISSIONS[permission])


def page(
    visit: Visit,
    template: str,
    heading: Markup | str,
    *,
    status: int = 200,
    form: Form | None = None,
    headers: Mapping[str, str | list[str]] | None = None,
    here: str | None = None,
    refresh: int | None = None,
    current: str | None = None,
    **context: Any,
) -> Response:
    """A console page with the security headers; its title counts the form's problems.

    `here` is the address (below /{lang}/console) the language links lead to:
    this page by default, its query included.
    """
    texts = visit.texts
    page_title = texts("page.title", page=heading, site=texts("console.name"))
    title = page_title
    if form is not None and form.error_count:
        title = texts.plural("errors.title", form.error_count, title=page_title)
    if here is None:
        here = visit.path + (f"?{urlencode(visit.params)}" if visit.params and not visit.is_post else "")
    html = render(
        template,
        texts,
        base=visit.base,
        home=visit.home,
        languages=_languages(visit, here),
        heading=heading,
        title=title,
        page_title=page_title,
        form=form,
        refresh=refresh,
        session=_chrome(visit, current),
        **context,
    )
    return Response(body=html, status_code=status, headers={**page_headers(), **(headers or {})})


def problem_page(
    visit: Visit,
    status: int,
    key: str,
    *,
    back: str | None = None,
    headers: Mapping[str, str | list[str]] | None = None,
) -> Response:
    """A page that says what went wrong, with the status of the staff API and a way back."""
    texts = visit.texts
    return page(
        visit,
        "console/problem.html",
        texts(f"console.problem.{key}.title"),
        status=status,
        headers=headers,
        text=texts(f"console.problem.{key}.text"),
        back=back,
        problem=key,
    )


def error_page(visit: Visit, exc: e.ComplaintDeskError, *, back: str | None = None) -> Response | None:
    """The page of a project error, or None for an error the console does not show (a bug: 500)."""
    for kind in type(exc).__mro__:
        if kind in PROBLEMS:
            status, key = PROBLEMS[kind]
            headers = {}
            if isinstance(exc, e.TooManyAttempts):
                headers["Retry-After"] = str(exc.retry_after_seconds)
            return problem_page(visit, status, key, back=back, headers=headers)
    return None


def pager(
    visit: Visit, screen: str, filters: dict[str, str], cursor: str | None, *, paged: bool
) -> tuple[str | None, str | None]:
    """The links of a paged table: back to its first page (when `paged`: not on it) and to the next."""
    first = visit.link(screen, filters) if paged else None
    following = visit.link(screen, {**filters, "cursor": cursor}) if cursor else None
    return first, following


def redirect(location: str, *set_cookies: str) -> Response:
    """A 303 to another address, with the security headers (and cookies, if any)."""
    headers: dict[str, str | list[str]] = {**page_headers(), "Location": location}
    if set_cookies:
        headers["Set-Cookie"] = list(set_cookies)
    return Response(body="", status_code=303, headers=headers)


def date_time(texts: Texts, value: str | dt.datetime | None, market: Market) -> Markup | str:
    """A stored moment as the reader reads it, in the market's zone; '' for none."""
    if not value:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return texts.date(moment, market, with_time=True)


def label(texts: Texts, prefix: str, value: str | None) -> Markup | str:
    """A taxonomy value's label (`<prefix>.<value>`); the value itself if the catalog has none."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    return texts(key) if key in texts else value


def _languages(visit: Visit, here: str) -> list[dict[str, Any]]:
    return [
        {
            "code": language.value,
            "name": area_catalog(AREA, language)["language.name"],
            "href": f"{visit.base}/{language.value}/console{here}",
            "current": language is visit.language,
        }
        for language in Language
    ]


def _chrome(visit: Visit, current: str | None) -> dict[str, Any] | None:
    """Who is signed in, until when, their menu and the token of the sign-out form."""
    session = visit.session
    if session is None:
        return None
    texts, staff = visit.texts, session.staff
    return {
        "username": staff.username,
        "roles": [texts(f"console.role.{role.value}") for role in sorted(staff.roles)],
        "department": label(
            texts, "console.department", staff.department.value if staff.department else None
        ),
        "market": label(texts, "console.market", staff.market.value if staff.market else None),
        "until": texts.time(_local_time(session.ends_at, visit.market())),
        "expires_at": session.ends_at.isoformat(),
        "token": form_token(visit.container.console_key, session.binding),
        "menu": [
            {"id": element, "href": visit.link(path), "key": key, "current": path == current}
            for element, path, key, permission in MENU
            if visit.may(permission)
        ],
    }


def _local_time(moment: dt.datetime, market: Market) -> dt.time:
    from chalicelib.domain.calendar import calendar_for

    local = moment.astimezone(calendar_for(market.value).tz)
    return dt.time(local.hour, local.minute)
