"""The public routes' work between HTTP and the use cases."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalice.app import Response

from chalicelib.api.body import idempotency_key, read_payload
from chalicelib.api.problem import SECURITY_HEADERS
from chalicelib.bootstrap import Container
from chalicelib.domain.errors import FieldError, Forbidden, ValidationFailed
from chalicelib.domain.staff import StaffMember
from chalicelib.services.lookup_status import lookup_status


def json_response(body: Mapping[str, Any], status: int = 200, **headers: str) -> Response:
    """A JSON answer with the security headers every answer carries."""
    all_headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json; charset=utf-8",
        **SECURITY_HEADERS,
        **headers,
    }
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=all_headers)


def submit(
    raw: bytes | str | None, headers: Mapping[str, str], c: Container, *, staff: StaffMember | None = None
) -> Response:
    """POST /complaints (the public's web form) and POST /staff/complaints (a clerk's entry).

    201 with the receipt; a replayed key returns the first receipt. A clerk
    enters the other channels, in their own market, and is recorded as the
    receiver; the same validation, triage, acknowledgement and routing apply.
    """
    # Validation and triage (phone numbers, calendars) load here: /status and /health never pay for them.
    from chalicelib.domain.validation import parse_submission
    from chalicelib.services.submit_complaint import IdempotencyRequest, fingerprint, submit_complaint

    payload = read_payload(raw, headers, c.settings.max_body_bytes)
    key = idempotency_key(headers)
    if staff is None:
        submission = parse_submission(payload)
        scope = "complaints"
    else:
        from chalicelib.domain import access
        from chalicelib.domain.policy import STAFF_CHANNELS

        access.require(staff, access.Permission.INTAKE)
        submission = parse_submission(payload, channels=STAFF_CHANNELS, received_by=staff.username)
        if staff.market is not submission.market:
            raise Forbidden("staff enter complaints of their own market only")
        scope = f"staff:{staff.username}"
    request = None
    if key is not None:
        ttl = timedelta(hours=c.settings.idempotency_ttl_hours)
        request = IdempotencyRequest(f"{scope}:{key}", fingerprint(payload), ttl)
    receipt = submit_complaint(
        submission, repository=c.repository, clock=c.clock, new_code=c.new_code, idempotency=request
    )
    extra = {"Idempotent-Replayed": "true"} if receipt.replayed else {}
    return json_response(receipt.body, 201, **extra)


def status(raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    """POST /status: the public view of one complaint; the code never travels in a URL."""
    payload = read_payload(raw, headers, c.settings.max_body_bytes)
    code = payload.get("tracking_code")
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed([FieldError("tracking_code", "required", "is required")])
    return json_response(lookup_status(code, repository=c.repository))


def reply(raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    """POST /replies: the complainant answers an information request; the response clock resumes."""
    from chalicelib.services.complainant_responses import reply_to_request

    payload = read_payload(raw, headers, c.settings.max_body_bytes)
    return json_response(reply_to_request(payload, repository=c.repository, clock=c.clock))


def feedback(raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    """POST /feedback: the complainant rates the handling of a closed complaint, once per closing."""
    from chalicelib.services.complainant_responses import give_feedback

    payload = read_payload(raw, headers, c.settings.max_body_bytes)
    return json_response(give_feedback(payload, repository=c.repository, clock=c.clock), 201)
