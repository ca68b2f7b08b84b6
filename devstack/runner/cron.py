"""EventBridge schedule expressions and when they fire next. Pure: no I/O, no clock.

`rate(value unit)` fires every `value` minutes, hours or days from the moment
the schedule starts. `cron(minutes hours day-of-month month day-of-week year)`
fires at the start of every matching minute, in UTC, with AWS's fields:

| field        | values                  | also                          |
|--------------|-------------------------|-------------------------------|
| minutes      | 0-59                    | `,` `-` `*` `/`               |
| hours        | 0-23                    | `,` `-` `*` `/`               |
| day-of-month | 1-31                    | `,` `-` `*` `/` `?`           |
| month        | 1-12 or JAN-DEC         | `,` `-` `*` `/`               |
| day-of-week  | 1-7 or SUN-SAT (1 = SUN)| `,` `-` `*` `/` `?`           |
| year         | 1970-2199               | `,` `-` `*` `/`               |

One of day-of-month and day-of-week must be `?`, as AWS requires. AWS's `L`,
`W` and `#` (last day, nearest weekday, n-th weekday) are **not supported
locally**: such a schedule raises `ScheduleError`, and the runner leaves it
out with a warning. No cron library is used: the maintained ones read Unix
cron (0 = Sunday, no year field, no `?`), not EventBridge's dialect.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ScheduleError(ValueError):
    """Raised for a schedule expression that is invalid or that the local runner cannot fire."""


class Schedule(Protocol):
    """A schedule: when it fires next."""

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        """The first firing strictly after `moment`, for a schedule that started at `started`."""
        ...


@dataclass(frozen=True)
class Rate:
    """Fires every `period`, counted from the start of the schedule."""

    period: timedelta

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        elapsed = (moment - started) // self.period if moment >= started else -1
        return started + (elapsed + 1) * self.period


@dataclass(frozen=True)
class Cron:
    """Fires at the start of every minute whose UTC fields all match."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: `?`
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # None: `?`; 1 = Sunday ... 7 = Saturday
    years: frozenset[int]

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        utc = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for year in sorted(y for y in self.years if y >= utc.year):
            for month in sorted(m for m in self.months if (year, m) >= (utc.year, utc.month)):
                for day in range(1, calendar.monthrange(year, month)[1] + 1):
                    if (year, month, day) < (utc.year, utc.month, utc.day) or not self._day_matches(
                        year, month, day
                    ):
                        continue
                    found = self._first_time(datetime(year, month, day, tzinfo=UTC), utc)
                    if found is not None:
                        return found
        raise ScheduleError("the cron expression never fires again")

    def _day_matches(self, year: int, month: int, day: int) -> bool:
        if self.days_of_month is not None:
            return day in self.days_of_month
        assert self.days_of_week is not None
        return aws_day_of_week(datetime(year, month, day)) in self.days_of_week

    def _first_time(self, day: datetime, earliest: datetime) -> datetime | None:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                candidate = day.replace(hour=hour, minute=minute)
                if candidate >= earliest:
                    return candidate
        return None


def aws_day_of_week(moment: datetime) -> int:
    """EventBridge's day of the week: 1 = Sunday, 2 = Monday, ... 7 = Saturday."""
    return (moment.weekday() + 1) % 7 + 1


def parse_schedule(expression: Any) -> Rate | Cron:
    """A `rate(...)` or `cron(...)` string, or a Chalice `Rate` / `Cron` object (`to_string()`)."""
    text = expression.to_string() if hasattr(expression, "to_string") else str(expression)
    text = text.strip()
    if match := _RATE.match(text):
        value = int(match.group(1))
        if value < 1:
            raise ScheduleError(f"{text}: the rate must be at least 1")
        unit = match.group(2).lower().rstrip("s")
        return Rate(timedelta(seconds=value * _UNIT_SECONDS[unit]))
    if match := _CRON.match(text):
        return _parse_cron(text, match.group(1).split())
    raise ScheduleError(f"{text!r} is neither rate(...) nor cron(...)")


def _parse_cron(text: str, fields: list[str]) -> Cron:
    if len(fields) != 6:
        raise ScheduleError(f"{text}: a cron expression has 6 fields, not {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleError(f"{text}: exactly one of day-of-month and day-of-week must be '?'")
    return Cron(
        minutes=_field(text, minutes, 0, 59),
        hours=_field(text, hours, 0, 23),
        days_of_month=None if day_of_month == "?" else _field(text, day_of_month, 1, 31),
        months=_field(text, month, 1, 12, _MONTHS),
        days_of_week=None if day_of_week == "?" else _field(text, day_of_week, 1, 7, _DAYS),
        years=_field(text, year, 1970, 2199),
    )


def _field(text: str, field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = _number(text, step_text, None) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(text, start, names), _number(text, end, names)
        else:
            first = _number(text, span, names)
            last = high if step_text else first
        if not low <= first <= last <= high or step < 1:
            raise ScheduleError(f"{text}: {part!r} is outside {low}-{high}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _number(text: str, token: str, names: dict[str, int] | None) -> int:
    upper = token.strip().upper()
    if names is not None and upper in names:
        return names[upper]
    if upper.isdigit():
        return int(upper)
    if any(mark in upper for mark in "LW#"):
        raise ScheduleError(f"{text}: {token!r} uses L, W or #, which the local runner does not support")
    raise ScheduleError(f"{text}: {token!r} is not a value of this field")
