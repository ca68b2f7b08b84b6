"""The live dashboard between HTTP and its use case: the JSON route, and the page with its assets.

The page is a static shell (chalicelib/web/): its script asks for the staff
ID token, keeps it in the tab's session storage, fetches the JSON with it
and draws the tables. No data is ever in the page itself, and it runs under
a Content-Security-Policy without 'unsafe-inline': script and style come
from this origin's files only.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Response

from chalicelib.api.public import json_response
from chalicelib.api.staff import authenticated
from chalicelib.api.static import CONTENT_SECURITY_POLICY, CSS, HTML, JAVASCRIPT, served
from chalicelib.bootstrap import Container

__all__ = ["CONTENT_SECURITY_POLICY", "dashboard", "page", "script", "style"]


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


def page() -> Response:
    """GET /dashboard: the page that shows the dashboard to a signed-in member."""
    return served("dashboard.html", HTML)


def script() -> Response:
    """GET /assets/dashboard.js."""
    return served("dashboard.js", JAVASCRIPT)


def style() -> Response:
    """GET /assets/dashboard.css."""
    return served("dashboard.css", CSS)
