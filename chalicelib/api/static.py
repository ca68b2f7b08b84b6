"""Files of the web pages, served as they are, and the policy every page runs under.

Pages and their assets come from this origin only: the Content-Security-Policy
allows no inline script or style, no other origin, no framing and no form
posted elsewhere. An asset's URL carries a digest of its content, so that a
browser may keep it for long and still never runs an old script with a new page.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from chalice.app import Response

from chalicelib.api.problem import SECURITY_HEADERS

WEB = Path(__file__).resolve().parent.parent / "web"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
#: An asset named by its digest never changes: a browser may keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def page_headers(content_type: str = HTML) -> dict[str, str | list[str]]:
    """The headers of a page or an asset: the security headers and the content policy."""
    return {
        **SECURITY_HEADERS,
        "Content-Type": content_type,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    }


def served(name: str, content_type: str, *, cache_control: str | None = None) -> Response:
    """A file of chalicelib/web/ as it is (pages and assets are never stored by default)."""
    headers = page_headers(content_type)
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    return Response(body=web_file(name), status_code=200, headers=headers)


@functools.cache
def web_file(name: str) -> str:
    """A file of chalicelib/web/, read once per container."""
    return (WEB / name).read_text(encoding="utf-8")


@functools.cache
def digest(name: str) -> str:
    """A short digest of a file's content, for its URL."""
    return hashlib.sha256(web_file(name).encode("utf-8")).hexdigest()[:12]
