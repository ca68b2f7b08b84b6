"""complaintdesk: HTTP routes, event handlers and schedules.

Each handler parses its input, calls one use case and shapes the answer.
Heavy libraries load on first use, not at import: see chalicelib/bootstrap.py.
The event sources' names are read at import (Chalice needs them then), so
the environment must be set before `import app`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, DynamoDBEvent, Request, Response, SQSEvent

from chalicelib.api.body import ACCEPTED
from chalicelib.api.problem import as_problem, guarded

app = Chalice(app_name="complaintdesk")
# Chalice leaves its app logger at ERROR; the project's loggers are its children.
app.log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))


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


@app.on_dynamodb_record(
    stream_arn=os.environ["COMPLAINTS_STREAM_ARN"],
    batch_size=25,
    starting_position="TRIM_HORIZON",
    name="on_complaint_change",
)
def on_complaint_change(event: DynamoDBEvent) -> dict[str, Any]:
    """Acknowledge new complaints, alert supervisors of health concerns, enqueue routing."""
    from chalicelib.api.events import complaint_changes, time_left
    from chalicelib.bootstrap import container

    return complaint_changes(event.to_dict(), container(), time_left(event.context))


@app.on_sqs_message(queue=os.environ["STREAM_FAILURE_QUEUE_NAME"], batch_size=10, name="flag_stream_failures")
def flag_stream_failures(event: SQSEvent) -> dict[str, Any]:
    """Flag the complaints of stream batches that the stream gave up on, for staff to finish."""
    from chalicelib.api.events import stream_failures
    from chalicelib.bootstrap import container

    return stream_failures(event.to_dict(), container())


@app.on_sqs_message(queue=os.environ["ROUTING_QUEUE_NAME"], batch_size=10, name="route_complaints")
def route_complaints(event: SQSEvent) -> dict[str, Any]:
    """Give each new complaint its department."""
    from chalicelib.api.events import routing_messages
    from chalicelib.bootstrap import container

    return routing_messages(event.to_dict(), container())
