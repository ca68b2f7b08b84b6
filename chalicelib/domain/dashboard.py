"""The live dashboard of one market: what is open, what is at risk or late, what came in today.

Rules:

- Every department sees every complaint of its market (the Turkish policy: a
  real-time portal for every department), so nothing on the dashboard may
  name, reach or describe a person. It holds tracking codes, taxonomy values
  (category, priority, channel, department, state), times, ages and shares of
  the response time used; never a name, contact detail, description or any
  other free text.
- Counts cover the open complaints, by department (`unassigned`: not yet
  routed) and state.
- At risk: the response is owed and its clock runs (a running state, not
  paused), at least `at_risk_share` of the business time allowed is used
  (the rule of the first escalation level), and the deadline has not passed.
  A complaint exactly at its deadline is still at risk, not yet overdue.
- Overdue: past the deadline while the response is owed and the clock runs
  (`deadlines.overdue`); a complaint waiting for the complainant never is.
- The at-risk and overdue lists hold the most urgent first (soonest due), up
  to `LIST_LIMIT` each; their totals count every one.
- Today is the market's local day, in its own time zone.
- An age is wall-clock time since receipt: how long the complainant has waited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.domain.calendar import MARKET_TIMEZONES
from chalicelib.domain.complaint import Complaint, ResponseClock
from chalicelib.domain.deadlines import overdue, risk_horizon, share_of, watched
from chalicelib.domain.lifecycle import OPEN_STATES, Status
from chalicelib.domain.periods import local_day
from chalicelib.domain.policy import Category, Channel, Department, Market, Priority
from chalicelib.domain.public import iso

UNASSIGNED = "unassigned"
LIST_LIMIT = 50
OLDEST_LIMIT = 10
#: How often the page asks again, in seconds.
REFRESH_SECONDS = 30
#: Open states in the lifecycle's order: the columns of the counts.
STATES: tuple[Status, ...] = tuple(s for s in Status if s in OPEN_STATES)
DEPARTMENTS: tuple[str, ...] = (*(d.value for d in Department), UNASSIGNED)


@dataclass(frozen=True)
class OpenComplaint:
    """An open complaint as the dashboard reads it from the queues' index: no personal data."""

    tracking_code: str
    market: Market
    channel: Channel
    category: Category
    priority: Priority
    status: Status
    department: str | None
    received_at: datetime
    expected_response_by: datetime
    clock: ResponseClock

    @classmethod
    def of(cls, complaint: Complaint) -> OpenComplaint:
        return cls(
            tracking_code=complaint.tracking_code,
            market=complaint.market,
            channel=complaint.channel,
            category=complaint.category,
            priority=complaint.priority,
            status=complaint.status,
            department=complaint.department,
            received_at=complaint.received_at,
            expected_response_by=complaint.expected_response_by,
            clock=complaint.response_clock,
        )

    @property
    def paused(self) -> bool:
        return self.clock.paused_at is not None


@dataclass(frozen=True)
class Receipt:
    """A complaint received: by which channel, and when."""

    tracking_code: str
    channel: Channel
    received_at: datetime


@dataclass(frozen=True)
class DashboardReading:
    """What one read of the indexes found for a market: its open complaints, and a local day's receipts."""

    market: Market
    day: date
    read_at: datetime
    open: tuple[OpenComplaint, ...]
    received: tuple[Receipt, ...]


def today(market: Market, now: datetime) -> date:
    """The market's local day at `now`: the day whose intake the dashboard shows."""
    return local_day(market, now)


def build(reading: DashboardReading, now: datetime, *, at_risk_share: float) -> dict[str, Any]:
    """The dashboard of a market at `now`, from one reading of its indexes."""
    market = reading.market
    running = [c for c in reading.open if watched(c.market, c.status)]
    late = [c for c in running if _overdue(c, now)]
    # Only a complaint due within the horizon can have used its share; the rest cost no calendar work.
    horizon = risk_horizon(market, now, at_risk_share)
    at_risk = [
        c for c in running if now <= c.expected_response_by <= horizon and _share(c, now) >= at_risk_share
    ]
    day = today(market, now)
    intake = Counter(r.channel.value for r in reading.received if local_day(market, r.received_at) == day)
    oldest = sorted(reading.open, key=lambda c: (c.received_at, c.tracking_code))[:OLDEST_LIMIT]
    return {
        "market": market.value,
        "time_zone": MARKET_TIMEZONES[market.value],
        "today": day.isoformat(),
        "as_of": iso(now),
        "read_at": iso(reading.read_at),
        "refresh_seconds": REFRESH_SECONDS,
        "at_risk_share": at_risk_share,
        "open": _counts(reading.open),
        "at_risk": _listed(at_risk, now),
        "overdue": _listed(late, now),
        "intake_today": {
            "total": sum(intake.values()),
            "by_channel": {channel.value: intake[channel.value] for channel in Channel},
        },
        "oldest": {"items": [_row(c, now) for c in oldest]},
    }


def _counts(complaints: Iterable[OpenComplaint]) -> dict[str, Any]:
    cells = Counter((c.department or UNASSIGNED, c.status.value) for c in complaints)
    departments = DEPARTMENTS + tuple(sorted({d for d, _ in cells} - set(DEPARTMENTS)))
    by_department = {
        department: {
            "total": sum(cells[department, s.value] for s in STATES),
            "by_status": {s.value: cells[department, s.value] for s in STATES},
        }
        for department in departments
    }
    return {
        "total": sum(cells.values()),
        "by_status": {s.value: sum(cells[d, s.value] for d in departments) for s in STATES},
        "by_department": by_department,
    }


def _listed(complaints: list[OpenComplaint], now: datetime) -> dict[str, Any]:
    """The most urgent first (soonest due), capped; the total counts them all."""
    urgent = sorted(complaints, key=lambda c: (c.expected_response_by, c.tracking_code))[:LIST_LIMIT]
    return {"total": len(complaints), "items": [_row(c, now) for c in urgent]}


def _share(complaint: OpenComplaint, now: datetime) -> float:
    return share_of(complaint.market, complaint.clock, complaint.expected_response_by, now)


def _row(complaint: OpenComplaint, now: datetime) -> dict[str, Any]:
    """One listed complaint: its code, taxonomy, times, age and share used; nothing about the person."""
    return {
        "tracking_code": complaint.tracking_code,
        "status": complaint.status.value,
        "department": complaint.department or UNASSIGNED,
        "category": complaint.category.value,
        "priority": complaint.priority.value,
        "channel": complaint.channel.value,
        "received_at": iso(complaint.received_at),
        "expected_response_by": iso(complaint.expected_response_by),
        "age_seconds": max(0, int((now - complaint.received_at).total_seconds())),
        "share_used": round(min(_share(complaint, now), 99.0), 3),
        "clock_paused": complaint.paused,
    }


#: The open backlog's age bands, in calendar days since receipt: (upper bound exclusive, label).
AGE_BANDS: tuple[tuple[int | None, str], ...] = (
    (1, "0-1d"),
    (3, "1-3d"),
    (7, "3-7d"),
    (15, "7-15d"),
    (30, "15-30d"),
    (None, "30d+"),
)


def backlog(complaints: Iterable[OpenComplaint], now: datetime) -> dict[str, Any]:
    """The open complaints at `now` by age band, and how many are overdue: the reports' backlog."""
    bands: Counter[str] = Counter()
    total = late = 0
    for complaint in complaints:
        total += 1
        late += _overdue(complaint, now)
        days = (now - complaint.received_at).total_seconds() / 86400
        bands[next(label for bound, label in AGE_BANDS if bound is None or days < bound)] += 1
    return {
        "open": total,
        "overdue": late,
        "by_age": {label: bands[label] for _, label in AGE_BANDS},
        "as_of": iso(now),
    }


def _overdue(complaint: OpenComplaint, now: datetime) -> bool:
    return overdue(
        complaint.status,
        complaint.expected_response_by,
        now,
        market=complaint.market,
        paused=complaint.paused,
        clock=complaint.clock,
    )
