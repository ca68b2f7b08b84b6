"""Errors as RFC 9457 problem details: the one place errors become HTTP.

No client input, however hostile, gets a traceback: a project error maps to
its status here, anything else is logged and answered with a bare 500.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.domain import errors as e

log = logging.getLogger("complaintdesk.api")

PROBLEM_JSON = "application/problem+json"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

#: Error class -> (HTTP status, problem type slug, title).
_STATUS: dict[type[e.ComplaintDeskError], tuple[int, str, str]] = {
    e.MalformedRequest: (400, "malformed-request", "The request body could not be read"),
    e.Unauthenticated: (401, "unauthenticated", "Sign in: a valid staff ID token is required"),
    e.Forbidden: (403, "forbidden", "You may not do this"),
    e.ComplaintNotFound: (404, "not-found", "No complaint has this tracking code"),
    e.CapaNotFound: (404, "not-found", "No action of the CAPA register has this id"),
    e.ReportNotFound: (404, "not-found", "This report has not been built"),
    e.IllegalTransition: (409, "illegal-transition", "This action is not allowed now"),
    e.ConcurrentUpdate: (409, "conflict", "Someone else changed this complaint first"),
    e.PayloadTooLarge: (413, "payload-too-large", "The request body is too large"),
    e.UnsupportedMediaType: (415, "unsupported-media-type", "This content type is not accepted"),
    e.ValidationFailed: (422, "validation-error", "Some fields need attention"),
    e.VerificationFailed: (422, "verification-failed", "The details given do not match the complaint"),
    e.InvalidTrackingCode: (422, "validation-error", "Some fields need attention"),
    e.IdempotencyConflict: (
        422,
        "idempotency-key-reused",
        "This Idempotency-Key was used for another request",
    ),
    e.TooManyAttempts: (429, "too-many-attempts", "Too many wrong attempts; please try again later"),
    e.StorageUnavailable: (503, "unavailable", "The service is briefly unavailable; please try again"),
}

#: Chalice's own error codes (raised before our code runs) -> problem type slug.
_CHALICE_CODES = {
    "BadRequestError": "malformed-request",
    "BadRequest": "malformed-request",
    "NotFoundError": "not-found",
    "MethodNotAllowedError": "method-not-allowed",
    "UnsupportedMediaType": "unsupported-media-type",
    "InternalServerError": "internal-error",
}


def problem(status: int, slug: str, title: str, detail: str | None = None, **extra: Any) -> Response:
    """A problem+json response."""
    body: dict[str, Any] = {"type": f"urn:complaintdesk:problem:{slug}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_JSON, **SECURITY_HEADERS}
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=headers)


def error_response(exc: e.ComplaintDeskError) -> Response:
    """The HTTP answer to a project error."""
    status, slug, title = _lookup(type(exc))
    if isinstance(exc, e.ValidationFailed):
        return problem(status, slug, title, errors=[_field(f) for f in exc.errors])
    if isinstance(exc, e.InvalidTrackingCode):
        return problem(
            status, slug, title, errors=[_field(e.FieldError("tracking_code", "invalid", str(exc)))]
        )
    if isinstance(exc, e.IllegalTransition):
        return problem(status, slug, title, str(exc), state=exc.state, allowed_actions=list(exc.allowed))
    if isinstance(exc, e.TooManyAttempts):
        answer = problem(status, slug, title, str(exc))
        answer.headers["Retry-After"] = str(exc.retry_after_seconds)
        return answer
    if isinstance(exc, e.VerificationFailed):
        mismatch = e.FieldError("mobile_last4", "mismatch", str(exc))
        return problem(status, slug, title, str(exc), errors=[_field(mismatch)])
    if isinstance(exc, e.ConcurrentUpdate) and exc.state is not None:
        return problem(status, slug, title, str(exc), state=exc.state, version=exc.version)
    if isinstance(exc, e.Unauthenticated):
        answer = problem(status, slug, title, str(exc))
        answer.headers["WWW-Authenticate"] = 'Bearer realm="complaintdesk-staff"'
        return answer
    if isinstance(exc, e.ComplaintNotFound):
        return problem(status, slug, title)  # the same body for every unknown code
    if status >= 500:
        log.error("service error: %s", type(exc).__name__, exc_info=exc)
        return problem(status, slug, title)
    return problem(status, slug, title, str(exc))


def guarded(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap a view so that every exception it raises becomes a problem response."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except e.ComplaintDeskError as exc:
            return error_response(exc)
        except Exception:
            log.exception("unhandled error in %s", view.__name__)
            return problem(500, "internal-error", "Something went wrong on our side")

    return wrapper


def as_problem(response: Response) -> Response:
    """Rewrite the error answers Chalice gives by itself (405, 415, 500) as problems."""
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        slug = _CHALICE_CODES.get(str(body["Code"]), "error")
        title = (
            "Something went wrong on our side"
            if response.status_code >= 500
            else str(body.get("Message", ""))
        )
        answer = problem(response.status_code, slug, title)
        answer.headers.update({k: v for k, v in response.headers.items() if k.lower() == "allow"})
        return answer
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _lookup(kind: type[e.ComplaintDeskError]) -> tuple[int, str, str]:
    for klass in kind.__mro__:
        if klass in _STATUS and issubclass(klass, e.ComplaintDeskError):
            return _STATUS[klass]
    return 500, "internal-error", "Something went wrong on our side"


def _field(error: e.FieldError) -> dict[str, str]:
    return {
        "field": error.field,
        "pointer": "#/" + error.field.replace(".", "/"),
        "code": error.code,
        "detail": error.message,
    }
