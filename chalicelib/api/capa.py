"""The CAPA register's routes' work between HTTP and the use cases.

The member is already signed in when these run; what they may do is decided
by the domain's rules (chalicelib/domain/capa.py). Errors are left to the
routes' one mapping to problem responses. The use cases load on first use:
importing this module costs the other routes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chalice.app import Response

from chalicelib.api.body import read_payload
from chalicelib.api.public import json_response
from chalicelib.bootstrap import Container
from chalicelib.domain.staff import StaffMember

log = logging.getLogger("complaintdesk.capa")


def create(
    raw_body: bytes | str | None, headers: Mapping[str, str], staff: StaffMember, container: Container
) -> Response:
    """Open a corrective or preventive action: 201 with the action as recorded."""
    from chalicelib.services import capa as use

    payload = read_payload(raw_body, headers, container.settings.max_body_bytes)
    body = use.create_capa(payload, staff=staff, register=container.capa, clock=container.clock)
    log.info("capa %s opened by %s", body["capa_id"], staff.actor)
    return json_response(body, 201)


def update(
    capa_id: str,
    raw_body: bytes | str | None,
    headers: Mapping[str, str],
    staff: StaffMember,
    container: Container,
) -> Response:
    """Change an action (its status, owner, due date, ...): 200 with the action as it is now."""
    from chalicelib.services import capa as use

    payload = read_payload(raw_body, headers, container.settings.max_body_bytes)
    body = use.update_capa(capa_id, payload, staff=staff, register=container.capa, clock=container.clock)
    log.info("capa %s changed by %s, now %s", body["capa_id"], staff.actor, body["status"])
    return json_response(body)


def list_actions(
    query_params: Mapping[str, str] | None, staff: StaffMember, container: Container
) -> Response:
    """One page of a market's register, newest first: 200 with the items and the next page's cursor."""
    from chalicelib.services import capa as use

    return json_response(
        use.list_capa(query_params, staff=staff, register=container.capa, clock=container.clock)
    )


def get(capa_id: str, staff: StaffMember, container: Container) -> Response:
    """One action: 200 with it."""
    from chalicelib.services import capa as use

    return json_response(use.get_capa(capa_id, staff=staff, register=container.capa, clock=container.clock))
