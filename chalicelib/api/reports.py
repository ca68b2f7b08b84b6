"""The report routes and handlers: list, link, ask for a build; scheduled and queued builds.

- `GET /staff/reports?market=&period=`: the reports in the bucket (any staff
  role; an auditor may name any market, the others see their own).
- `GET /staff/reports/{market}/{period}/{label}/{name}`: a short-lived link
  that downloads one file.
- `POST /staff/reports {"market", "period", "date"}`: a supervisor asks for
  the report of the period holding `date` (local, not in the future). The
  request is queued and built by `build_requested_reports`; the answer is
  202 with where the files will be.
- Schedules: one per market and kind, shortly after local midnight, each
  building the period that has just ended (see domain/periods.py).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from chalice.app import Response

from chalicelib.api.body import read_payload
from chalicelib.api.public import json_response
from chalicelib.api.staff import authenticated
from chalicelib.bootstrap import Container
from chalicelib.domain.access import Permission, market_scope
from chalicelib.domain.errors import FieldError, ReportNotFound, ValidationFailed
from chalicelib.domain.periods import PeriodKind, due_runs, local_day, period_of, previous_period
from chalicelib.domain.policy import Market
from chalicelib.domain.staff import StaffMember
from chalicelib.domain.text import ascii_digits

log = logging.getLogger("complaintdesk.reports")

_LABEL = re.compile(r"^[0-9]{4}-(?:[0-9]{2}(?:-[0-9]{2})?|W[0-9]{2})$")
_FILES = ("summary.json", "complaints.csv", "report.xlsx")
_EARLIEST = date(2000, 1, 1)
_NO_STORE = {"Cache-Control": "no-store"}


def list_reports(params: Mapping[str, str] | None, headers: Mapping[str, str], c: Container) -> Response:
    staff = authenticated(headers, c)
    params = params or {}
    errors: list[FieldError] = []
    market = _choice(params.get("market"), Market, "market", errors)
    kind = _choice(params.get("period"), PeriodKind, "period", errors)
    _refuse_unknown(params, {"market", "period"}, errors)
    if errors:
        raise ValidationFailed(errors)
    scope = market_scope(staff, Permission.READ_REPORTS, market)
    return json_response({"reports": c.period_reports.list(scope, kind)}, 200, **_NO_STORE)


def report_link(
    market: str, period: str, label: str, name: str, headers: Mapping[str, str], c: Container
) -> Response:
    staff = authenticated(headers, c)
    errors: list[FieldError] = []
    chosen_market = _choice(market, Market, "market", errors)
    kind = _choice(period, PeriodKind, "period", errors)
    if not _LABEL.fullmatch(label):
        errors.append(FieldError("label", "invalid", "a period label: 2026-11-22, 2026-W47 or 1405-09"))
    if name not in _FILES:
        errors.append(FieldError("name", "invalid", f"one of {', '.join(_FILES)}"))
    if errors:
        raise ValidationFailed(errors)
    assert chosen_market is not None
    assert kind is not None
    market_scope(staff, Permission.READ_REPORTS, chosen_market)
    key = f"reports/{chosen_market.value}/{kind.value}/{label}/{name}"
    if not c.period_reports.exists(key):
        raise ReportNotFound(f"no {name} for {chosen_market.value} {kind.value} {label}")
    seconds = c.settings.report_link_seconds
    url = c.period_reports.link(key, seconds)
    log.info("report link to %s given to %s", key, staff.actor)
    return json_response({"key": key, "url": url, "expires_in": seconds}, 200, **_NO_STORE)


def request_report(raw: bytes | str | None, headers: Mapping[str, str], c: Container) -> Response:
    staff = authenticated(headers, c)
    payload = read_payload(raw, headers, c.settings.max_body_bytes) if raw else {}
    market, kind, day = parse_request(payload, staff, c.clock.now())
    c.report_requests.request(market, kind.value, day, staff.actor)
    period = period_of(market, kind, day)
    log.info("report %s %s %s asked for by %s", market.value, kind.value, period.label, staff.actor)
    return json_response(
        {
            "status": "queued",
            "market": market.value,
            "period": kind.value,
            "label": period.label,
            "title": period.title,
            "prefix": period.key_prefix,
            "files": [period.key_prefix + name for name in _FILES],
        },
        202,
    )


def parse_request(
    payload: Mapping[str, Any], staff: StaffMember, now: datetime
) -> tuple[Market, PeriodKind, date]:
    """Market, period and day of a build request; the supervisor's own market unless an auditor."""
    # Who may ask comes first: a member refused a build learns that, not what their form lacks.
    market_scope(staff, Permission.BUILD_REPORTS, None)
    errors: list[FieldError] = []
    _refuse_unknown(payload, {"market", "period", "date"}, errors)
    market = _choice(payload.get("market"), Market, "market", errors)
    kind = _choice(payload.get("period"), PeriodKind, "period", errors, required=True)
    raw_day = payload.get("date")
    day: date | None = None
    if isinstance(raw_day, str):
        raw_day = ascii_digits(raw_day.strip())  # a date typed with Persian or Arabic-Indic digits
    if not isinstance(raw_day, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw_day):
        errors.append(FieldError("date", "invalid", "a date as YYYY-MM-DD (Gregorian), e.g. 2026-11-22"))
    else:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            errors.append(FieldError("date", "invalid", f"{raw_day} is not a date"))
    if errors:
        raise ValidationFailed(errors)
    scope = market_scope(staff, Permission.BUILD_REPORTS, market)
    if scope is None:
        raise ValidationFailed([FieldError("market", "required", "name the market: IR or TR")])
    assert kind is not None
    assert day is not None
    today = local_day(scope, now)
    if day > today:
        raise ValidationFailed(
            [FieldError("date", "invalid", f"{day} is after today ({today}) in {scope.value}")]
        )
    if day < _EARLIEST:
        raise ValidationFailed([FieldError("date", "invalid", f"reports start on {_EARLIEST}")])
    return scope, kind, day


def requested_reports(event: Mapping[str, Any], c: Container) -> dict[str, Any]:
    """Build each report asked for; a request that fails is retried by SQS, then dead-lettered."""
    failures = []
    for record in event.get("Records", []):
        try:
            body = json.loads(record["body"])
            market, kind, day = (
                Market(body["market"]),
                PeriodKind(body["period"]),
                date.fromisoformat(body["date"]),
            )
        except (KeyError, TypeError, ValueError):
            log.error("report request %s is malformed and is dropped", record.get("messageId"))
            continue  # retrying cannot fix it
        try:
            c.period_reports.build_for(market, kind, day)
        except Exception:
            log.exception("report %s %s %s failed", market.value, kind.value, day)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def scheduled_reports(
    market: Market, kind: PeriodKind, event_time: str | None, c: Container
) -> dict[str, Any]:
    """A schedule's firing: the period of `kind` that has just ended, if one has (else nothing)."""
    fired_at = _fired_at(event_time) or c.clock.now()
    if kind not in due_runs(market, fired_at):
        return {"built": [], "skipped": f"no {kind.value} period ended before {local_day(market, fired_at)}"}
    built = c.period_reports.build(previous_period(market, kind, fired_at))
    return {"built": [built.view()]}


def _fired_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _choice(value: Any, kind: Any, name: str, errors: list[FieldError], *, required: bool = False) -> Any:
    if value is None or value == "":
        if required:
            errors.append(FieldError(name, "required", f"one of {', '.join(k.value for k in kind)}"))
        return None
    try:
        return kind(value)
    except ValueError:
        errors.append(FieldError(name, "invalid", f"one of {', '.join(k.value for k in kind)}"))
        return None


def _refuse_unknown(values: Mapping[str, Any], known: set[str], errors: list[FieldError]) -> None:
    for name in sorted(set(values) - known):
        errors.append(FieldError(str(name)[:64], "unknown", "this field is not accepted here"))
