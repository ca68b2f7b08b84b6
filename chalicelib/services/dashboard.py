"""The live dashboard: one market's open complaints, deadlines at risk and today's intake, for every role.

Every staff role sees the same dashboard of its market, whatever its
department, with no personal data (chalicelib/domain/dashboard.py). Readings
of the indexes are shared for a few seconds within a container, so that many
pages refreshing at once do not multiply the reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from chalicelib.domain import access, dashboard
from chalicelib.domain.access import Permission
from chalicelib.domain.dashboard import DashboardReading
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.policy import Market
from chalicelib.domain.staff import StaffMember
from chalicelib.services.ports import Clock, DashboardSource


def live_dashboard(
    requested_market: str | None,
    *,
    staff: StaffMember,
    source: DashboardSource,
    clock: Clock,
    at_risk_share: float,
) -> dict[str, Any]:
    """The dashboard of the member's market; an auditor names the market unless their account has one."""
    market = access.market_scope(staff, Permission.VIEW_DASHBOARD, _market(requested_market))
    market = market or staff.market
    if market is None:
        choices = ", ".join(m.value for m in Market)
        raise ValidationFailed([FieldError("market", "required", f"is required: one of {choices}")])
    now = clock.now()
    reading = source.read(market, dashboard.today(market, now))
    return dashboard.build(reading, now, at_risk_share=at_risk_share)


def _market(raw: str | None) -> Market | None:
    """The market a `?market=` names, in any case; None when it names none."""
    text = (raw or "").strip().casefold()
    if not text:
        return None
    for market in Market:
        if market.value.casefold() == text:
            return market
    choices = ", ".join(m.value for m in Market)
    raise ValidationFailed([FieldError("market", "choice", f"must be one of: {choices}")])


class CachedDashboardSource:
    """Answers a market's reading from memory while it is younger than `max_age` seconds.

    One reading serves every viewer of the market in this container, whatever
    their role: the dashboard is the same for all. Concurrent requests for the
    same market wait for one read rather than each making their own.
    """

    def __init__(
        self, source: DashboardSource, max_age: float, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._source = source
        self._max_age = max_age
        self._timer = timer
        self._guard = threading.Lock()
        self._locks: dict[Market, threading.Lock] = {}
        self._readings: dict[Market, tuple[float, DashboardReading]] = {}

    def read(self, market: Market, day: date) -> DashboardReading:
        if self._max_age <= 0:
            return self._source.read(market, day)
        with self._guard:
            lock = self._locks.setdefault(market, threading.Lock())
        with lock:
            kept = self._readings.get(market)
            if kept is not None:
                started, reading = kept
                if reading.day == day and self._timer() - started < self._max_age:
                    return reading
            started = self._timer()
            reading = self._source.read(market, day)
            self._readings[market] = (started, reading)
            return reading
