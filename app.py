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

from chalice.app import Chalice, CloudWatchEvent, Cron, DynamoDBEvent, Rate, Request, Response, SQSEvent

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
    """Every answer carries the security headers; Chalice's own errors become problems (or pages)."""
    response = get_response(event)
    chalices = isinstance(response.body, dict) and response.body.get("Code") == "UnsupportedMediaType"
    if chalices and event.path.startswith("/{lang}/"):
        # A page's post of a content type no form sends: Chalice refused it before the view ran.
        from chalicelib.api.pages import unsupported_media

        return as_problem(unsupported_media(event))
    return as_problem(response)


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


# --- public web pages (chalicelib/api/pages.py): fa, tr and en, rendered on the server, no JavaScript needed


@app.route("/", methods=["GET"])
@guarded
def site_root() -> Response:
    """To the visitor's language (303), chosen by Accept-Language."""
    from chalicelib.api.pages import choose_language

    return choose_language(_request())


@app.route("/{lang}", methods=["GET"])
@guarded
def page_how_to_complain(lang: str) -> Response:
    """How to complain, at /fa/, /tr/ and /en/."""
    from chalicelib.api.pages import serve

    return serve(lang, "", _request(), None)


@app.route("/{lang}/{page}", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def page_with_form(lang: str, page: str) -> Response:
    """The complaint form, the status lookup, the reply and the survey: complain, status, reply, feedback."""
    from chalicelib.api.pages import serve
    from chalicelib.bootstrap import container

    return serve(lang, page, _request(), container())


@app.route("/assets/site.css", methods=["GET"])
@guarded
def site_style() -> Response:
    from chalicelib.api.pages import stylesheet

    return stylesheet()


@app.route("/assets/site.js", methods=["GET"])
@guarded
def site_script() -> Response:
    from chalicelib.api.pages import script

    return script()


# --- staff console (chalicelib/api/console.py): pages for staff, in a signed-in session -------------
# The session is a cookie holding the member's ID token, verified on every request; every form
# carries a token bound to it. /{lang}/console/... sits beside /{lang}/{page}: a fixed segment wins.


def _console(screen: str, lang: str, /, **params: str) -> Response:
    from chalicelib.api.console import serve

    return serve(screen, lang, _request(), **params)


@app.route("/{lang}/console", methods=["GET"])
@guarded
def console_root(lang: str) -> Response:
    return _console("root", lang)


@app.route("/{lang}/console/sign-in", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_sign_in(lang: str) -> Response:
    return _console("sign-in", lang)


@app.route("/{lang}/console/sign-out", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_sign_out(lang: str) -> Response:
    return _console("sign-out", lang)


@app.route("/{lang}/console/queue", methods=["GET"])
@guarded
def console_queue(lang: str) -> Response:
    return _console("queue", lang)


@app.route("/{lang}/console/search", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_search(lang: str) -> Response:
    return _console("search", lang)


@app.route("/{lang}/console/intake", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_intake(lang: str) -> Response:
    return _console("intake", lang)


@app.route("/{lang}/console/dashboard", methods=["GET"])
@guarded
def console_dashboard(lang: str) -> Response:
    return _console("dashboard", lang)


@app.route("/{lang}/console/complaints/{code}", methods=["GET"])
@guarded
def console_complaint(lang: str, code: str) -> Response:
    return _console("complaint", lang, code=code)


@app.route(
    "/{lang}/console/complaints/{code}/personal-data", methods=["GET", "POST"], content_types=list(ACCEPTED)
)
@guarded
def console_personal_data(lang: str, code: str) -> Response:
    return _console("personal-data", lang, code=code)


@app.route(
    "/{lang}/console/complaints/{code}/actions/{action}",
    methods=["GET", "POST"],
    content_types=list(ACCEPTED),
)
@guarded
def console_action(lang: str, code: str, action: str) -> Response:
    return _console("action", lang, code=code, action=action)


@app.route("/{lang}/console/reports", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_reports(lang: str) -> Response:
    return _console("reports", lang)


@app.route("/{lang}/console/reports/{market}/{period}/{label}/{name}", methods=["GET"])
@guarded
def console_report_file(lang: str, market: str, period: str, label: str, name: str) -> Response:
    return _console("report-file", lang, market=market, period=period, label=label, name=name)


@app.route("/{lang}/console/capa", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_capa(lang: str) -> Response:
    return _console("capa", lang)


@app.route("/{lang}/console/capa/{capa_id}", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def console_capa_action(lang: str, capa_id: str) -> Response:
    return _console("capa-action", lang, capa_id=capa_id)


@app.route("/assets/console.css", methods=["GET"])
@guarded
def console_style() -> Response:
    from chalicelib.api.console import asset

    return asset("console.css")


@app.route("/assets/console.js", methods=["GET"])
@guarded
def console_script() -> Response:
    from chalicelib.api.console import asset

    return asset("console.js")


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


@app.route("/staff/dashboard", methods=["GET"])
@guarded
def staff_dashboard() -> Response:
    """The live dashboard of the member's market: every department, no personal data."""
    from chalicelib.api.dashboard import dashboard
    from chalicelib.bootstrap import container

    return dashboard(_request().query_params, _request().headers, container())


@app.route("/dashboard", methods=["GET"])
@guarded
def dashboard_page() -> Response:
    """The live dashboard's old address: to the console's dashboard in the visitor's language (303)."""
    from chalicelib.api.pages import choose_language

    return choose_language(_request(), "console/dashboard")


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


# --- period reports (chalicelib/api/reports.py) ---------------------------------------------------


@app.route("/staff/reports", methods=["GET", "POST"], content_types=list(ACCEPTED))
@guarded
def staff_reports() -> Response:
    """GET: the reports built so far; POST: a supervisor asks for a period's report (built from a queue)."""
    import chalicelib.api.reports as reports
    from chalicelib.bootstrap import container

    request = _request()
    if request.method == "POST":
        return reports.request_report(request.raw_body, request.headers, container())
    return reports.list_reports(request.query_params, request.headers, container())


@app.route("/staff/reports/{market}/{period}/{label}/{name}", methods=["GET"])
@guarded
def staff_report_link(market: str, period: str, label: str, name: str) -> Response:
    """A short-lived link that downloads one file of a report."""
    from chalicelib.api.reports import report_link
    from chalicelib.bootstrap import container

    return report_link(market, period, label, name, _request().headers, container())


@app.on_sqs_message(queue=os.environ["REPORT_QUEUE_NAME"], batch_size=1, name="build_requested_reports")
def build_requested_reports(event: SQSEvent) -> dict[str, Any]:
    """Build the reports supervisors asked for, one per invocation."""
    from chalicelib.api.reports import requested_reports
    from chalicelib.bootstrap import container

    return requested_reports(event.to_dict(), container())


def _scheduled_report(market: str, kind: str, event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.api.reports import scheduled_reports
    from chalicelib.bootstrap import container
    from chalicelib.domain.periods import PeriodKind
    from chalicelib.domain.policy import Market

    return scheduled_reports(Market(market), PeriodKind(kind), event.to_dict().get("time"), container())


# Each market's schedules fire at 00:30 local: 21:00 UTC in Iran (UTC+3:30), 21:30 UTC in Turkey
# (UTC+3); neither has daylight saving time. A monthly schedule that cannot name the month's first
# day in cron (the Jalali month; L is not used) fires on candidate days and builds only on the first.
@app.schedule(Cron(0, 21, "*", "*", "?", "*"), name="reports_daily_ir")
def reports_daily_ir(event: CloudWatchEvent) -> dict[str, Any]:
    return _scheduled_report("IR", "daily", event)


@app.schedule(Cron(0, 21, "?", "*", "FRI", "*"), name="reports_weekly_ir")
def reports_weekly_ir(event: CloudWatchEvent) -> dict[str, Any]:
    """Saturday 00:30 in Tehran: the Iranian working week starts."""
    return _scheduled_report("IR", "weekly", event)


@app.schedule(Cron(0, 21, "*", "*", "?", "*"), name="reports_monthly_ir")
def reports_monthly_ir(event: CloudWatchEvent) -> dict[str, Any]:
    """Every night; builds the Jalali month just ended on the first day of the next."""
    return _scheduled_report("IR", "monthly", event)


@app.schedule(Cron(30, 21, "*", "*", "?", "*"), name="reports_daily_tr")
def reports_daily_tr(event: CloudWatchEvent) -> dict[str, Any]:
    return _scheduled_report("TR", "daily", event)


@app.schedule(Cron(30, 21, "?", "*", "SUN", "*"), name="reports_weekly_tr")
def reports_weekly_tr(event: CloudWatchEvent) -> dict[str, Any]:
    """Monday 00:30 in Istanbul: the Turkish working week starts."""
    return _scheduled_report("TR", "weekly", event)


@app.schedule(Cron(30, 21, "27-31", "*", "?", "*"), name="reports_monthly_tr")
def reports_monthly_tr(event: CloudWatchEvent) -> dict[str, Any]:
    """The last nights of each month (UTC); builds the month just ended at 00:30 on the 1st in Istanbul."""
    return _scheduled_report("TR", "monthly", event)


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
