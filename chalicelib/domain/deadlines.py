"""When a response is due, and how much of the time allowed is used.

The response clock runs in the market's business time from the start of the
handling cycle (receipt, or a reopening). Time spent waiting for the
complainant does not count: each finished pause moves the deadline by its
business length. A Turkish complaint's deadline never passes the statutory
15 business days from the start of its cycle, pauses or not.

So in a market with a ceiling, the ceiling runs on while the complaint waits
for the complainant: a paused complaint is then due at its ceiling (set when
the clock stops; the ordinary deadline comes back when it runs again), its
share of time used counts the pauses, it is overdue once the ceiling has
passed, and it is escalated like a running one (`watched`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.complaint import Complaint, ResponseClock
from chalicelib.domain.lifecycle import RUNNING_STATES, Status
from chalicelib.domain.policy import RESPONSE_TARGET_DAYS, STATUTORY_CEILING_DAYS, Market, Priority
from chalicelib.domain.triage import response_days


def due_at(market: Market, priority: Priority, clock: ResponseClock) -> datetime:
    """The deadline of a cycle: its target, moved by finished pauses, never past the ceiling."""
    calendar = calendar_for(market.value)
    due = calendar.add_business_days(clock.started_at, response_days(market, priority))
    if clock.paused_seconds:
        due = calendar.add_business_seconds(due, clock.paused_seconds)
    ceiling = STATUTORY_CEILING_DAYS.get(market)
    if ceiling is not None:
        due = min(due, calendar.add_business_days(clock.started_at, ceiling))
    return due


def statutory_deadline(market: Market, clock: ResponseClock) -> datetime | None:
    """The statutory ceiling of a cycle, pauses or not; None in a market without one."""
    ceiling = STATUTORY_CEILING_DAYS.get(market)
    if ceiling is None:
        return None
    return calendar_for(market.value).add_business_days(clock.started_at, ceiling)


def watched(market: Market, status: Status) -> bool:
    """Whether a deadline runs for a complaint in this state: a response is owed, or a ceiling runs on."""
    return status in RUNNING_STATES or (
        status is Status.AWAITING_COMPLAINANT and market in STATUTORY_CEILING_DAYS
    )


def paused(clock: ResponseClock, now: datetime) -> ResponseClock:
    """The clock stopped at `now` (a stopped clock stays as it is)."""
    return clock if clock.paused_at is not None else replace(clock, paused_at=now)


def resumed(market: Market, clock: ResponseClock, now: datetime) -> ResponseClock:
    """The clock running again at `now`, its pause added to the paused business time."""
    if clock.paused_at is None:
        return clock
    pause = calendar_for(market.value).business_seconds_between(clock.paused_at, now)
    return ResponseClock(clock.started_at, None, clock.paused_seconds + pause)


def share_used(complaint: Complaint, now: datetime) -> float:
    """The share of the cycle's business time used by `now` (1.0 and above: overdue)."""
    return share_of(complaint.market, complaint.response_clock, complaint.expected_response_by, now)


def share_of(market: Market, clock: ResponseClock, due: datetime, now: datetime) -> float:
    """The share of business time used by `now` of a clock due at `due` (see `share_used`)."""
    calendar = calendar_for(market.value)
    ceiling = statutory_deadline(market, clock) if clock.paused_at is not None else None
    if ceiling is not None:
        # Waiting for the complainant: only the ceiling runs, and it counts every pause. (Taken from
        # the clock, not `due`: a complaint paused before ceilings ran on still has its old due.)
        allowed = calendar.business_seconds_between(clock.started_at, ceiling)
        used = calendar.business_seconds_between(clock.started_at, now)
        return used / allowed if allowed > 0 else (float("inf") if now >= ceiling else 0.0)
    pausing = calendar.business_seconds_between(clock.paused_at, now) if clock.paused_at else 0
    used = calendar.business_seconds_between(clock.started_at, now) - clock.paused_seconds - pausing
    allowed = calendar.business_seconds_between(clock.started_at, due) - clock.paused_seconds
    if allowed <= 0:
        return float("inf") if now >= due else 0.0
    return max(used, 0) / allowed


def risk_horizon(market: Market, now: datetime, threshold: float) -> datetime:
    """A bound on the deadline of any complaint that can have used `threshold` of its time by `now`.

    A cycle allows at most the longest target (and the rest of its first day), so a complaint
    due later than this has more than its share left, whatever its pauses.
    """
    longest = max(RESPONSE_TARGET_DAYS.values())
    days = max(1, math.ceil((1 - min(threshold, 1.0)) * longest) + 1)
    return calendar_for(market.value).add_business_days(now, days)


def overdue(
    status: Status,
    due: datetime,
    now: datetime,
    *,
    market: Market,
    paused: bool = False,
    clock: ResponseClock | None = None,
) -> bool:
    """Past its deadline while a response is owed; while waiting for the complainant, only past a
    statutory ceiling: the clock's, when given, or else `due` (where a paused complaint is due)."""
    if paused:
        if status is not Status.AWAITING_COMPLAINANT or market not in STATUTORY_CEILING_DAYS:
            return False
        ceiling = statutory_deadline(market, clock) if clock is not None else due
        return ceiling is not None and now > ceiling
    return status in RUNNING_STATES and now > due


def is_overdue(complaint: Complaint, now: datetime) -> bool:
    clock = complaint.response_clock
    return overdue(
        complaint.status,
        complaint.expected_response_by,
        now,
        market=complaint.market,
        paused=clock.paused_at is not None,
        clock=clock,
    )
