"""complaintdesk: HTTP routes, event handlers and schedules.

Each handler parses its input, calls one use case and shapes the answer.
Heavy libraries load on first use, not at import: see chalicelib/bootstrap.py.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice.app import Chalice, Request, Response

from chalicelib.api.body import ACCEPTED
from chalicelib.api.problem import as_problem, guarded

app = Chalice(app_name="complaintdesk")


def _request() -> Request:
    request = app.current_request
    assert request is not None, "an HTTP route runs with a current request"
    return request


@app.middleware("http")
def problem_details(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every answer carries the security headers; Chalice's own errors become problems."""
    return as_problem(get_response(event))


@app.route("/health", methods=["GET"])
@guarded
def health() -> Response:
    from chalicelib.api.public import json_response
    from chalicelib.bootstrap import container

    return json_response({"status": "ok", "stage": container().settings.stage})


@app.route("/complaints", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def submit_complaint() -> Response:
    from chalicelib.api.public import submit
    from chalicelib.bootstrap import container

    return submit(_request().raw_body, _request().headers, container())


@app.route("/status", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def complaint_status() -> Response:
    from chalicelib.api.public import status
    from chalicelib.bootstrap import container

    return status(_request().raw_body, _request().headers, container())
