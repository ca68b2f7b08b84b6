"""The public web pages, in Persian, Turkish and English, rendered on the server.

    /                    a redirect (303) to the visitor's language, by Accept-Language
    /{lang}/             how to complain (ISO 10002 7.1): channels, cost, personal data,
                         the process, its deadlines and the external recourse
    /{lang}/complain     the complaint form; its post answers with the tracking code
    /{lang}/status       the status lookup
    /{lang}/reply        the answer to an information request
    /{lang}/feedback     the satisfaction survey of a closed complaint

Rules:

- Every page works as plain form posts, without JavaScript. A post calls the
  same use case as the JSON route, with the same validation, idempotency, body
  limit, proof of identity and lockout; a refusal comes back as the same page
  with each problem next to its field and in a summary at the top.
- A tracking code is read only from a form's body and written only into a
  page: never into a URL or a Location header.
- A page shows nothing of a complaint beyond its public view, except what the
  visitor has just typed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from chalicelib.api.body import ACCEPTED, idempotency_key, read_payload
from chalicelib.api.forms import KEY_FIELD, LIMITS, Form, flatten, new_key
from chalicelib.api.render import Texts, catalog, render
from chalicelib.api.static import CSS, IMMUTABLE, JAVASCRIPT, WEB, page_headers, served
from chalicelib.bootstrap import Container
from chalicelib.domain import errors as e
from chalicelib.domain import policy as p
from chalicelib.domain.complaint import MilestoneCode
from chalicelib.domain.display import HOME_MARKET, negotiate, response_targets, working_spans
from chalicelib.domain.errors import FieldError
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.texts import MILESTONE_LABELS, STATUS_LABELS

if TYPE_CHECKING:
    from markupsafe import Markup

    from chalicelib.domain.complaint import Submission
    from chalicelib.services.submit_complaint import Receipt

COMPLAINT_FIELDS = (
    "market",
    "category",
    "health_or_safety",
    "description",
    "remedy_sought",
    "contact.policy_number",
    "contact.name",
    "contact.mobile",
    "contact.email",
    "contact.preferred_channel",
    "contact.postal_address",
    "consent.contact",
    "consent.disclose",
)
STATUS_FIELDS = ("tracking_code",)
REPLY_FIELDS = ("tracking_code", "mobile_last4", "email", "message")
FEEDBACK_FIELDS = ("tracking_code", "mobile_last4", "email", "rating", "comment")

_BASE = re.compile(r"(?:/[A-Za-z0-9._~-]+)*")

#: Errors a page answers with a page of its own: status and catalog key.
_PROBLEM_PAGES: dict[type[e.ComplaintDeskError], tuple[int, str]] = {
    e.PayloadTooLarge: (413, "too_large"),
    e.MalformedRequest: (400, "unreadable"),
    e.UnsupportedMediaType: (415, "unreadable"),
    e.TooManyAttempts: (429, "too_many"),
    e.StorageUnavailable: (503, "unavailable"),
    e.ConcurrentUpdate: (503, "unavailable"),
}


@dataclass(frozen=True)
class Visit:
    """One request for a page: the reader's texts, where the site lives, and what was sent."""

    texts: Texts
    slug: str
    base: str
    request: Request
    container: Container | None = None

    @property
    def language(self) -> p.Language:
        return self.texts.language

    @property
    def posted(self) -> bool:
        return self.request.method == "POST"

    def payload(self) -> dict[str, Any]:
        """The posted form, within the same body limit as the API."""
        return read_payload(
            self.request.raw_body, self.request.headers, self.services.settings.max_body_bytes
        )

    @property
    def services(self) -> Container:
        assert self.container is not None, "a form post is served with the container"
        return self.container


# --- entry points (app.py) -------------------------------------------------------------------------


def choose_language(request: Request, path: str = "") -> Response:
    """GET /: to the visitor's language; English when Accept-Language names none of ours."""
    language = negotiate(request.headers.get("accept-language"))
    headers = {
        **page_headers(),
        "Location": f"{site_base(request)}/{language.value}/{path}",
        "Vary": "Accept-Language",
    }
    return Response(body="", status_code=303, headers=headers)


def serve(lang: str, slug: str, request: Request, c: Container | None) -> Response:
    """Any page: /{lang}/ (slug '') and /{lang}/{slug}; an unknown language or page is a 404 page."""
    language = next((known for known in p.Language if known.value == lang), None)
    handler = _PAGES.get(slug)
    if language is None or handler is None:
        return not_found(request, language)
    visit = Visit(Texts(language), slug, site_base(request), request, c)
    try:
        return handler(visit)
    except tuple(_PROBLEM_PAGES) as exc:
        return _problem(visit, exc)


def unsupported_media(request: Request) -> Response:
    """A page's answer to a post of a content type no form sends (Chalice refuses it before any view)."""
    from chalicelib.bootstrap import container

    params = request.uri_params or {}
    language = next((known for known in p.Language if known.value == params.get("lang")), None)
    if language is None:
        return not_found(request)
    refused = e.UnsupportedMediaType(str(request.headers.get("content-type", "")), ACCEPTED)
    if request.path.startswith("/{lang}/console"):
        from chalicelib.api.console import refused_request

        return refused_request(language, request, refused)
    visit = Visit(Texts(language), params.get("page", ""), site_base(request), request, container())
    return _problem(visit, refused)


def not_found(request: Request, language: p.Language | None = None) -> Response:
    """The page for an address with no page, in the visitor's language."""
    language = language or negotiate(request.headers.get("accept-language"))
    visit = Visit(Texts(language), "", site_base(request), request)
    return _page(
        visit,
        "problem.html",
        "problem.not_found.title",
        status=404,
        text="problem.not_found.text",
        values={},
        back=None,
    )


def stylesheet() -> Response:
    return served("static/site.css", CSS, cache_control=IMMUTABLE)


def script() -> Response:
    return served("static/site.js", JAVASCRIPT, cache_control=IMMUTABLE)


def site_base(request: Request) -> str:
    """Where the site lives on this host: '' locally, the stage's path behind API Gateway ('/api')."""
    context = request.context or {}
    path, resource = str(context.get("path") or ""), str(context.get("resourcePath") or "")
    depth = len([part for part in resource.split("/") if part])
    parts = [part for part in path.split("/") if part]
    base = "".join(f"/{part}" for part in parts[: len(parts) - depth])
    return base if _BASE.fullmatch(base) else ""


# --- the pages -----------------------------------------------------------------------------------


def how_to_complain(visit: Visit) -> Response:
    """ISO 10002 7.1: where and how to complain, what it costs, what happens and who else can help."""
    home = HOME_MARKET[visit.language]
    markets = [home, *(m for m in p.Market if m is not home)]
    return _page(
        visit,
        "howto.html",
        "howto.title",
        markets=[_market(m) for m in markets],
        priorities=[priority.value for priority in p.Priority],
        sample=bool(_contacts()["sample"]),
    )


def complain(visit: Visit) -> Response:
    """The complaint form; a valid post records the complaint and shows its tracking code."""
    texts = visit.texts
    if not visit.posted:
        preset = {"market": HOME_MARKET[visit.language].value} if visit.language is not p.Language.EN else {}
        return _complaint_form(visit, Form(texts, COMPLAINT_FIELDS, preset, key=new_key()))
    payload = visit.payload()
    sent_key = payload.pop(KEY_FIELD, None)
    payload["language"] = visit.language.value
    values = flatten(payload)
    try:
        submission, receipt = _submit(payload, sent_key, visit.services)
    except e.ValidationFailed as exc:  # nothing was recorded: the same key serves the corrected form
        refused = any(f.field == KEY_FIELD for f in exc.errors)
        key = sent_key if isinstance(sent_key, str) and sent_key and not refused else new_key()
        return _complaint_form(visit, Form(texts, COMPLAINT_FIELDS, values, exc.errors, key=key), 422)
    except e.IdempotencyConflict:
        form = Form(texts, COMPLAINT_FIELDS, values, key=new_key(), notices=["complain.conflict"])
        return _complaint_form(visit, form, 422)
    from chalicelib.domain.triage import assess

    market = submission.market
    return _page(
        visit,
        "confirmation.html",
        "confirm.title",
        code=receipt.body["tracking_code"],
        due=texts.date(
            dt.datetime.fromisoformat(receipt.body["expected_response_by"]), market, with_time=True
        ),
        market=market.value,
        recourse=texts(f"recourse.{market.value}"),
        contact_allowed=submission.consent.contact,
        health=assess(submission).health_or_safety,
        description=submission.personal.description,
        remedy=submission.personal.remedy_sought or "",
    )


def status(visit: Visit) -> Response:
    """The status lookup: a code posted in a form, answered with the public view."""
    from chalicelib.services.lookup_status import lookup_status

    texts = visit.texts
    if not visit.posted:
        return _page(visit, "status.html", "status.title", form=Form(texts, STATUS_FIELDS), view=None)
    values = flatten(visit.payload())
    code = values.get("tracking_code", "")
    try:
        if not code.strip():
            raise e.ValidationFailed([FieldError("tracking_code", "required", "is required")])
        view = lookup_status(code, repository=visit.services.repository)
    except e.ValidationFailed as exc:
        errors, code_status = exc.errors, 422
    except e.InvalidTrackingCode:
        errors, code_status = [FieldError("tracking_code", "invalid", "")], 422
    except e.ComplaintNotFound:
        errors, code_status = [FieldError("tracking_code", "not_found", "")], 404
    else:
        form = Form(texts, STATUS_FIELDS)
        return _page(visit, "status.html", "status.title", form=form, view=_status_view(texts, view))
    form = Form(texts, STATUS_FIELDS, values, errors)
    return _page(visit, "status.html", "status.title", status=code_status, form=form, view=None)


def reply(visit: Visit) -> Response:
    """The complainant's answer to an information request, proven with mobile digits or e-mail."""
    from chalicelib.services.complainant_responses import reply_to_request

    def done(view: dict[str, Any]) -> Response:
        due = _public_date(visit.texts, view, "expected_response_by")
        paragraphs = [visit.texts("reply.done.text"), visit.texts("reply.done.due", date=due)]
        return _page(visit, "thanks.html", "reply.done.title", paragraphs=paragraphs)

    return _answer(
        visit, REPLY_FIELDS, "reply.html", "reply.title", reply_to_request, "reply.not_waiting", done
    )


def feedback(visit: Visit) -> Response:
    """The satisfaction survey (ISO 10002 8.3): a rating of 1 to 5 and a comment, once per closing."""
    from chalicelib.services.complainant_responses import give_feedback

    def done(_: dict[str, Any]) -> Response:
        paragraphs = [visit.texts("feedback.done.text")]
        return _page(visit, "thanks.html", "feedback.done.title", paragraphs=paragraphs)

    ratings = _options(visit.texts, "rating", ("1", "2", "3", "4", "5"))
    return _answer(
        visit,
        FEEDBACK_FIELDS,
        "feedback.html",
        "feedback.title",
        give_feedback,
        "feedback.not_allowed",
        done,
        rating_options=ratings,
    )


_PAGES: dict[str, Callable[[Visit], Response]] = {
    "": how_to_complain,
    "complain": complain,
    "status": status,
    "reply": reply,
    "feedback": feedback,
}


# --- how the pages are made ----------------------------------------------------------------------


def _page(
    visit: Visit,
    template: str,
    heading_key: str,
    *,
    status: int = 200,
    form: Form | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """A rendered page with the security headers; its title counts the form's problems."""
    texts = visit.texts
    heading = texts(heading_key)
    page_title = texts("page.title", page=heading, site=texts("site.name"))
    title = page_title
    if form is not None and form.error_count:
        title = texts.plural("errors.title", form.error_count, title=page_title)
    languages = [
        {
            "code": language.value,
            "name": catalog(language)["language.name"],
            "href": f"{visit.base}/{language.value}/{visit.slug}",
            "current": language is visit.language,
        }
        for language in p.Language
    ]
    html = render(
        template,
        texts,
        base=visit.base,
        slug=visit.slug,
        home=f"{visit.base}/{visit.language.value}/",
        languages=languages,
        heading=heading,
        title=title,
        page_title=page_title,
        form=form,
        limits=LIMITS,
        **context,
    )
    return Response(body=html, status_code=status, headers={**page_headers(), **(headers or {})})


def _complaint_form(visit: Visit, form: Form, status: int = 200) -> Response:
    texts = visit.texts
    return _page(
        visit,
        "complain.html",
        "complain.title",
        status=status,
        form=form,
        market_options=_options(texts, "market", p.Market),
        category_options=_options(texts, "category", p.Category),
        health_options=_options(texts, "answer", ("yes", "no")),
        channel_options=_options(texts, "contact_channel", p.ContactChannel),
        critical_days=p.RESPONSE_TARGET_DAYS[p.Priority.CRITICAL],
    )


def _options(texts: Texts, prefix: str, values: Iterable[str]) -> list[tuple[str, Markup]]:
    """A choice's options: each value with its label (`<prefix>.<value>` in the catalog)."""
    return [(value, texts(f"{prefix}.{value}")) for value in values]


def _submit(payload: dict[str, Any], key: Any, c: Container) -> tuple[Submission, Receipt]:
    """Validate and record a complaint as POST /complaints does; the form's key stands for the header."""
    from chalicelib.domain.validation import parse_submission
    from chalicelib.services.submit_complaint import IdempotencyRequest, fingerprint, submit_complaint

    request = None
    if key not in (None, ""):
        try:
            checked = idempotency_key({"idempotency-key": key}) if isinstance(key, str) else None
        except e.ValidationFailed:
            checked = None
        if checked is None:
            raise e.ValidationFailed([FieldError(KEY_FIELD, "format", "is not a key this form made")])
        ttl = dt.timedelta(hours=c.settings.idempotency_ttl_hours)
        request = IdempotencyRequest(f"complaints:{checked}", fingerprint(payload), ttl)
    submission = parse_submission(payload)
    receipt = submit_complaint(
        submission, repository=c.repository, clock=c.clock, new_code=c.new_code, idempotency=request
    )
    return submission, receipt


def _answer(
    visit: Visit,
    fields: tuple[str, ...],
    template: str,
    heading: str,
    act: Callable[..., dict[str, Any]],
    refused: str,
    done: Callable[[dict[str, Any]], Response],
    **context: Any,
) -> Response:
    """A complainant's form (reply, rating): the code and a proof, then the change, or why not."""
    texts = visit.texts
    if not visit.posted:
        return _page(visit, template, heading, form=Form(texts, fields), **context)
    payload = visit.payload()
    values = flatten(payload)
    if payload.get("start"):  # from the status page: the code is filled in, nothing is checked yet
        code = {"tracking_code": values.get("tracking_code", "")}
        return _page(visit, template, heading, form=Form(texts, fields, code), **context)
    notices: list[str] = []
    errors: list[FieldError] = []
    try:
        result = act(payload, repository=visit.services.repository, clock=visit.services.clock)
    except e.ValidationFailed as exc:
        errors, answer_status = exc.errors, 422
    except e.VerificationFailed:
        proof = "mobile_last4" if values.get("mobile_last4", "").strip() else "email"
        errors, answer_status = [FieldError(proof, "mismatch", "")], 422
    except e.ComplaintNotFound:
        errors, answer_status = [FieldError("tracking_code", "not_found", "")], 404
    except e.IllegalTransition:
        notices, answer_status = [refused], 409
    else:
        return done(result)
    form = Form(texts, fields, values, errors, notices=notices)
    return _page(visit, template, heading, status=answer_status, form=form, **context)


def _problem(visit: Visit, exc: e.ComplaintDeskError) -> Response:
    """A page of its own for a post that cannot be served: too large, unreadable, locked, unavailable."""
    status, key = next(v for k, v in _PROBLEM_PAGES.items() if isinstance(exc, k))
    headers = {}
    if isinstance(exc, e.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    text = f"problem.{key}.text"
    values = {"max": visit.services.settings.max_body_bytes // 1024} if key == "too_large" else {}
    back = f"{visit.base}/{visit.language.value}/{visit.slug}"
    return _page(
        visit,
        "problem.html",
        f"problem.{key}.title",
        status=status,
        headers=headers,
        text=text,
        values=values,
        back=back,
    )


def _status_view(texts: Texts, view: Mapping[str, Any]) -> dict[str, Any]:
    """The public view as the reader reads it: labels in the page's language, dates in its calendar."""
    language = texts.language
    return {
        "code": view["tracking_code"],
        "status": view["status"],
        "label": STATUS_LABELS[language][Status(view["status"])],
        "received": _public_date(texts, view, "received_at"),
        "due": _public_date(texts, view, "expected_response_by"),
        "updated": _public_date(texts, view, "last_updated_at"),
        "milestones": [
            {
                "label": MILESTONE_LABELS[language][MilestoneCode(m["code"])],
                "date": texts.date(dt.datetime.fromisoformat(m["at"]), _zone(view)),
            }
            for m in view["milestones"]
        ],
        "awaiting": view["status"] == Status.AWAITING_COMPLAINANT.value,
        "closed": view["status"] == Status.CLOSED.value,
    }


def _public_date(texts: Texts, view: Mapping[str, Any], name: str) -> Any:
    return texts.date(dt.datetime.fromisoformat(view[name]), _zone(view))


def _zone(view: Mapping[str, Any]) -> p.Market:
    """The market whose time zone dates a public view: the complaint's own."""
    return p.Market(view["market"])


def _market(market: p.Market) -> dict[str, Any]:
    return {
        "code": market.value,
        "contact": _contacts()["markets"][market.value],
        "targets": {priority.value: days for priority, days in response_targets(market).items()},
        "ceiling": p.STATUTORY_CEILING_DAYS.get(market),
        "spans": working_spans(market),
        "recourse_key": f"recourse.{market.value}",
    }


@functools.cache
def _contacts() -> dict[str, Any]:
    """The insurer's complaint channels per market (chalicelib/web/contact.json)."""
    contacts: dict[str, Any] = json.loads((WEB / "contact.json").read_text(encoding="utf-8"))
    return contacts
