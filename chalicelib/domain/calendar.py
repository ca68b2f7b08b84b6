"""Business days and working hours of each market.

Rules:

- Iran (Asia/Tehran): Friday is the weekend. Saturday to Wednesday are worked
  08:00-16:00; Thursday is a half day, 08:00-12:00, and still a business day.
- Turkey (Europe/Istanbul): Saturday and Sunday are the weekend. Monday to
  Friday are worked 09:00-18:00.
- An official public holiday is not a business day. Turkey's half-day
  holidays (the afternoon of October 28 and of each bayram eve) are business
  days with normal hours.
- Days are the market's local days: the time zone of an instant decides
  which day it falls on, wherever it was recorded.
- "Within N business days" ends at the close of working hours on the N-th
  business day after the day a complaint is received. The day of receipt does
  not count, whatever the hour; a complaint received on a weekend or holiday
  starts counting on the next business day.
- Holidays are known only for the years of the generated table. Asking about
  any other year is an error, never a guess that it has no holidays.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

MARKET_TIMEZONES: dict[str, str] = {"IR": "Asia/Tehran", "TR": "Europe/Istanbul"}

_HOLIDAYS_FILE = Path(__file__).with_name("holidays.json")
_UTC = dt.UTC
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkingHours:
    """The hours one day is worked, in local time."""

    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class WorkingWeek:
    """The working hours of each weekday (Monday first); None is a weekend day."""

    days: tuple[WorkingHours | None, ...]

    def hours(self, day: dt.date) -> WorkingHours | None:
        """The working hours of that weekday, ignoring holidays."""
        return self.days[day.weekday()]


def _hours(opens: str, closes: str) -> WorkingHours:
    return WorkingHours(dt.time.fromisoformat(opens), dt.time.fromisoformat(closes))


_IR_DAY = _hours("08:00", "16:00")
_IR_HALF_DAY = _hours("08:00", "12:00")
_TR_DAY = _hours("09:00", "18:00")

WORKING_WEEKS: dict[str, WorkingWeek] = {
    #                     Mon      Tue      Wed      Thu           Fri      Sat      Sun
    "IR": WorkingWeek(days=(_IR_DAY, _IR_DAY, _IR_DAY, _IR_HALF_DAY, None, _IR_DAY, _IR_DAY)),
    "TR": WorkingWeek(days=(_TR_DAY, _TR_DAY, _TR_DAY, _TR_DAY, _TR_DAY, None, None)),
}


@dataclass(frozen=True)
class _HolidayTable:
    first_year: int
    last_year: int
    by_market: dict[str, dict[dt.date, str]]


@functools.cache
def _holiday_table() -> _HolidayTable:
    raw = json.loads(_HOLIDAYS_FILE.read_text(encoding="utf-8"))
    first_year, last_year = (int(year) for year in raw["years"])
    by_market = {
        market: {dt.date.fromisoformat(day): str(name) for day, name in raw[market].items()}
        for market in MARKET_TIMEZONES
    }
    return _HolidayTable(first_year=first_year, last_year=last_year, by_market=by_market)


def _require_aware(instant: dt.datetime, name: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {instant!r}")


class BusinessCalendar:
    """The business days and working hours of one market."""

    def __init__(self, market: str) -> None:
        if market not in MARKET_TIMEZONES or market not in WORKING_WEEKS:
            raise ValueError(f"unknown market {market!r}; known: {', '.join(MARKET_TIMEZONES)}")
        self._market = market
        self._tz = ZoneInfo(MARKET_TIMEZONES[market])
        self._week = WORKING_WEEKS[market]

    def __repr__(self) -> str:
        return f"BusinessCalendar({self._market!r})"

    @property
    def market(self) -> str:
        """The market code, e.g. 'IR'."""
        return self._market

    @property
    def tz(self) -> ZoneInfo:
        """The market's time zone; its local dates are the days that count."""
        return self._tz

    def covers(self, year: int) -> bool:
        """Whether the holidays of that year are known."""
        table = _holiday_table()
        return table.first_year <= year <= table.last_year

    def holiday_name(self, day: dt.date) -> str | None:
        """The English name of the public holiday on that day, if it is one."""
        self._require_covered(day)
        return _holiday_table().by_market[self._market].get(day)

    def is_business_day(self, day: dt.date) -> bool:
        """Whether the day is worked: not a weekend day, not a public holiday."""
        return self.working_hours(day) is not None

    def working_hours(self, day: dt.date) -> WorkingHours | None:
        """The hours worked on that day; None on weekends and public holidays."""
        if self.holiday_name(day) is not None:
            return None
        return self._week.hours(day)

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The deadline, in UTC, for acting within `days` business days of `start`.

        It is the close of working hours on the `days`-th business day after
        the local day of `start`. The day of receipt never counts, so a
        complaint received at any hour of a Friday in Turkey and given one
        business day is due at the close of the following Monday.
        """
        _require_aware(start, "start")
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        day = start.astimezone(self._tz).date()
        remaining = days
        while True:
            day += _ONE_DAY
            hours = self.working_hours(day)
            if hours is None:
                continue
            remaining -= 1
            if remaining == 0:
                return self._instant(day, hours.closes)

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds from `start` to `end`; 0 when `end` is not after `start`.

        Only working hours of business days count, in the market's local time.
        Whole seconds are counted: fractions of a second on either instant are
        dropped, so that splitting an interval at any instant never changes
        its total.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        start = start.astimezone(_UTC).replace(microsecond=0)
        end = end.astimezone(_UTC).replace(microsecond=0)
        if end <= start:
            return 0
        total = dt.timedelta()
        day = start.astimezone(self._tz).date()
        last_day = end.astimezone(self._tz).date()
        while day <= last_day:
            hours = self.working_hours(day)
            if hours is not None:
                opens = max(start, self._instant(day, hours.opens))
                closes = min(end, self._instant(day, hours.closes))
                if closes > opens:
                    total += closes - opens
            day += _ONE_DAY
        return int(total.total_seconds())

    def add_business_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The instant, in UTC, after `seconds` of working time from `start`.

        Time outside working hours does not count: an hour added at the close
        of a Friday in Turkey ends at 10:00 on Monday. The inverse of
        `business_seconds_between` for an instant within working hours.
        """
        _require_aware(start, "start")
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        current = start.astimezone(_UTC)
        if seconds == 0:
            return current
        remaining = dt.timedelta(seconds=seconds)
        day = current.astimezone(self._tz).date()
        for _ in range(3660):  # ten years of days: far beyond any deadline
            hours = self.working_hours(day)
            if hours is not None:
                opens = max(current, self._instant(day, hours.opens))
                closes = self._instant(day, hours.closes)
                if closes > opens:
                    if closes - opens >= remaining:
                        return opens + remaining
                    remaining -= closes - opens
            day += _ONE_DAY
        raise ValueError(f"{seconds} business seconds reach beyond the holiday table")

    def _instant(self, day: dt.date, local_time: dt.time) -> dt.datetime:
        """The UTC instant of a local wall-clock time on a local day."""
        return dt.datetime.combine(day, local_time, tzinfo=self._tz).astimezone(_UTC)

    def _require_covered(self, day: dt.date) -> None:
        if not self.covers(day.year):
            table = _holiday_table()
            raise ValueError(
                f"the holidays of {day.year} are not known (the table covers "
                f"{table.first_year}-{table.last_year}); run `make holidays` to regenerate "
                f"{_HOLIDAYS_FILE.name}"
            )


@functools.cache
def calendar_for(market: str) -> BusinessCalendar:
    """The business calendar of a market ('IR' or 'TR')."""
    return BusinessCalendar(market)
