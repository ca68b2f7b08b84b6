"""The staff routes' work between HTTP and the use cases.

Every staff request is authenticated first: the ID token's signature,
issuer, audience, expiry and use are verified against the user pool's keys,
the same way locally and on AWS. What the member may then do is decided by
the domain's access rules (chalicelib/domain/access.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from chalicelib.api.body import read_payload
from chalicelib.api.public import json_response, submit
from chalicelib.bootstrap import Container
from chalicelib.domain.staff import StaffMember

log = logging.getLogger("complaintdesk.staff")


def authenticated(headers: Mapping[str, str], c: Container) -> StaffMember:
    """The signed-in member of a request, or Unauthenticated (401)."""
    return c.identity.verify(headers.get("authorization"))


def intake(raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    """POST /staff/complaints: a complaint received by phone, fax, post, e-mail, social media or in person."""
    staff = authenticated(headers, c)
    return submit(raw, headers, c, staff=staff)


def complaint(code: str, headers: Mapping[str, str], c: Container) -> Response:
    """GET /staff/complaints/{code}: the case without personal data, with the actions allowed."""
    from chalicelib.services.handle_complaint import view_complaint

    staff = authenticated(headers, c)
    return json_response(view_complaint(code, staff=staff, repository=c.repository, clock=c.clock))


def personal_data(code: str, raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    """POST /staff/complaints/{code}/personal-data: reveal it; the read is recorded in the history."""
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.domain.policy import REASON_MAX
    from chalicelib.domain.validation import Fields
    from chalicelib.services.handle_complaint import reveal_personal_data

    staff = authenticated(headers, c)
    payload = read_payload(raw, headers, c.settings.max_body_bytes) if raw else {}
    fields = Fields(payload)
    reason = fields.text("reason", max_len=REASON_MAX, multiline=True)
    if fields.errors:  # a reason that is not text, or too long, is refused, not silently dropped
        raise ValidationFailed(fields.errors)
    body = reveal_personal_data(code, staff=staff, repository=c.repository, clock=c.clock, reason=reason)
    log.info("personal data of %s read by %s", body["tracking_code"], staff.actor)
    return json_response(body)


def history(code: str, headers: Mapping[str, str], c: Container) -> Response:
    """GET /staff/complaints/{code}/history: who did what and when."""
    from chalicelib.services.handle_complaint import complaint_history

    staff = authenticated(headers, c)
    return json_response(complaint_history(code, staff=staff, repository=c.repository, clock=c.clock))


def act(
    code: str, action: str, raw: bytes | str | None, headers: Mapping[str, str], c: Container
) -> Response:
    """POST /staff/complaints/{code}/actions/{action}: one lifecycle action."""
    from chalicelib.domain.commands import parse_action
    from chalicelib.services.handle_complaint import perform_action

    staff = authenticated(headers, c)
    chosen = parse_action(action)
    payload = read_payload(raw, headers, c.settings.max_body_bytes) if raw else {}
    body = perform_action(
        code,
        chosen,
        payload,
        staff=staff,
        repository=c.repository,
        clock=c.clock,
        reopen_window_days=c.settings.reopen_window_days,
    )
    log.info("%s on %s by %s, now %s", chosen.value, body["tracking_code"], staff.actor, body["status"])
    return json_response(body)


def queue(params: Mapping[str, str] | None, headers: Mapping[str, str], c: Container) -> Response:
    """GET /staff/queue: a department's open complaints, soonest due first, a page at a time."""
    from chalicelib.services.work_queues import parse_queue_query, work_queue

    staff = authenticated(headers, c)
    query = parse_queue_query(params or {}, staff)
    return json_response(work_queue(query, staff=staff, repository=c.repository, clock=c.clock))


def search(raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    """POST /staff/search: a complainant's complaints by mobile number or e-mail (never in a URL)."""
    from chalicelib.services.work_queues import search_by_contact

    staff = authenticated(headers, c)
    payload = read_payload(raw, headers, c.settings.max_body_bytes)
    return json_response(search_by_contact(payload, staff=staff, repository=c.repository, clock=c.clock))


def escalation_run(c: Container) -> dict[str, Any]:
    """The 15-minute schedule: escalate what reached a threshold since the last run."""
    from chalicelib.services.escalate_deadlines import escalate_deadlines

    s = c.settings
    run = escalate_deadlines(
        repository=c.repository, clock=c.clock, chain=s.escalation_chain, thresholds=s.escalation_thresholds
    )
    summary = {"candidates": run.candidates, "escalated": len(run.escalated), "conflicts": run.conflicts}
    log.info(
        "escalation run: %(candidates)d candidates, %(escalated)d escalated, %(conflicts)d conflicts", summary
    )
    return summary
