"""The live dashboard's JSON route between HTTP and its use case.

People see the dashboard in the staff console (`/{lang}/console/dashboard`,
chalicelib/api/console_work.py), drawn on the server for the session's member.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Response

from chalicelib.api.public import json_response
from chalicelib.api.staff import authenticated
from chalicelib.bootstrap import Container


def dashboard(params: Mapping[str, str] | None, headers: Mapping[str, str], c: Container) -> Response:
    """GET /staff/dashboard: the member's market (an auditor's `?market=`), personal data masked."""
    from chalicelib.services.dashboard import live_dashboard

    staff = authenticated(headers, c)
    body = live_dashboard(
        (params or {}).get("market"),
        staff=staff,
        source=c.dashboard_source,
        clock=c.clock,
        at_risk_share=c.settings.escalation_thresholds[0],
    )
    return json_response(body)
