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

from chalice.app import Chalice, DynamoDBEvent, Rate, Request, Response, SQSEvent

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


@app.route("/replies", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def complainant_reply() -> Response:
    """The complainant answers an information request (tracking code + last four mobile digits or e-mail)."""
    from chalicelib.api.public import reply
    from chalicelib.bootstrap import container

    return reply(_request().raw_body, _request().headers, container())


@app.route("/feedback", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def complainant_feedback() -> Response:
    """The complainant rates the handling of a closed complaint (ISO 10002 8.3)."""
    from chalicelib.api.public import feedback
    from chalicelib.bootstrap import container

    return feedback(_request().raw_body, _request().headers, container())


# --- staff: every route verifies the caller's ID token (chalicelib/api/staff.py) -----------------


@app.route("/staff/complaints", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def staff_intake() -> Response:
    from chalicelib.api.staff import intake
    from chalicelib.bootstrap import container

    return intake(_request().raw_body, _request().headers, container())


@app.route("/staff/complaints/{code}", methods=["GET"])
@guarded
def staff_complaint(code: str) -> Response:
    from chalicelib.api.staff import complaint
    from chalicelib.bootstrap import container

    return complaint(code, _request().headers, container())


@app.route("/staff/complaints/{code}/personal-data", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def staff_personal_data(code: str) -> Response:
    from chalicelib.api.staff import personal_data
    from chalicelib.bootstrap import container

    return personal_data(code, _request().raw_body, _request().headers, container())


@app.route("/staff/complaints/{code}/history", methods=["GET"])
@guarded
def staff_history(code: str) -> Response:
    from chalicelib.api.staff import history
    from chalicelib.bootstrap import container

    return history(code, _request().headers, container())


@app.route("/staff/complaints/{code}/actions/{action}", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def staff_action(code: str, action: str) -> Response:
    from chalicelib.api.staff import act
    from chalicelib.bootstrap import container

    return act(code, action, _request().raw_body, _request().headers, container())


@app.route("/staff/queue", methods=["GET"])
@guarded
def staff_queue() -> Response:
    from chalicelib.api.staff import queue
    from chalicelib.bootstrap import container

    return queue(_request().query_params, _request().headers, container())


@app.route("/staff/search", methods=["POST"], content_types=list(ACCEPTED))
@guarded
def staff_search() -> Response:
    from chalicelib.api.staff import search
    from chalicelib.bootstrap import container

    return search(_request().raw_body, _request().headers, container())


@app.route("/staff/capa", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def staff_capa() -> Response:
    import chalicelib.api.capa as capa
    from chalicelib.api.staff import authenticated
    from chalicelib.bootstrap import container

    request, c = _request(), container()
    staff = authenticated(request.headers, c)
    if request.method == "POST":
        return capa.create(request.raw_body, request.headers, staff, c)
    return capa.list_actions(request.query_params, staff, c)


@app.route("/staff/capa/{capa_id}", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def staff_capa_action(capa_id: str) -> Response:
    import chalicelib.api.capa as capa
    from chalicelib.api.staff import authenticated
    from chalicelib.bootstrap import container

    request, c = _request(), container()
    staff = authenticated(request.headers, c)
    if request.method == "POST":
        return capa.update(capa_id, request.raw_body, request.headers, staff, c)
    return capa.get(capa_id, staff, c)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="escalate_deadlines")
def escalate_deadlines(event: Any) -> dict[str, Any]:
    """Every 15 minutes: escalate complaints at risk (80% of their time used) and overdue, once each."""
    from chalicelib.api.staff import escalation_run
    from chalicelib.bootstrap import container

    return escalation_run(container())


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
