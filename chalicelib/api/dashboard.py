"""The live dashboard between HTTP and its use case: the JSON route, and the page with its assets.

The page is a static shell (chalicelib/web/): its script asks for the staff
ID token, keeps it in the tab's session storage, fetches the JSON with it
and draws the tables. No data is ever in the page itself, and it runs under
a Content-Security-Policy without 'unsafe-inline': script and style come
from this origin's files only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from chalice.app import Response

from chalicelib.api.problem import SECURITY_HEADERS
from chalicelib.api.public import json_response
from chalicelib.api.staff import authenticated
from chalicelib.bootstrap import Container

WEB = Path(__file__).resolve().parent.parent / "web"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


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
    return _served("dashboard.html", HTML)


def script() -> Response:
    """GET /assets/dashboard.js."""
    return _served("dashboard.js", JAVASCRIPT)


def style() -> Response:
    """GET /assets/dashboard.css."""
    return _served("dashboard.css", CSS)


def _served(name: str, content_type: str) -> Response:
    headers: dict[str, str | list[str]] = {
        **SECURITY_HEADERS,
        "Content-Type": content_type,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    }
    return Response(body=web_file(name), status_code=200, headers=headers)


@functools.cache
def web_file(name: str) -> str:
    """A file of the page, read once per container."""
    return (WEB / name).read_text(encoding="utf-8")
