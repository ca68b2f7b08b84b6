"""The periods that reports cover: a local day, a working week, a month.

Rules:

- A period is a run of whole local days in the market's time zone. It starts
  at the local midnight of its first day and ends, exclusive, at the local
  midnight after its last day: a complaint at 23:50 local belongs to that day.
- A week starts on the market's first working day (Saturday in Iran, Monday
  in Turkey), whatever holidays fall on it.
- A month is the Jalali month in Iran (Farvardin, Ordibehesht, ...) and the
  Gregorian month in Turkey.
- Labels name a period uniquely within its market and kind, and sort in time:
  - daily: the Gregorian date, `2026-11-22` (as the day index partitions);
  - weekly in Turkey: the ISO 8601 week, `2026-W47`;
  - weekly in Iran: the Jalali year and week, `1405-W36`. ISO 8601's rule with
    the week moved to Saturday: a week belongs to the Jalali year of its
    Tuesday (its fourth day, so most of its days), and week 1 is the week
    holding the year's first Tuesday. Every week has one label; a year has 52
    or 53 weeks;
  - monthly: `2026-11` in Turkey, the Jalali `1405-09` (Azar) in Iran.
- A scheduled run fires every day shortly after local midnight and reports the
  last periods that have wholly ended: yesterday always; the week just ended
  on the week's first day; the month just ended on the month's first day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.calendar import WORKING_WEEKS, calendar_for
from chalicelib.domain.policy import Market
from chalicelib.domain.text import persian_digits

_ONE_DAY = dt.timedelta(days=1)

#: How long after local midnight the daily schedule fires.
RUN_AFTER_MIDNIGHT = dt.timedelta(minutes=30)


class PeriodKind(StrEnum):
    """How long a report's period is."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class ReportPeriod:
    """The whole local days one report covers, and the UTC instants that bound them."""

    market: Market
    kind: PeriodKind
    label: str
    title: str  # for people, in the market's language
    first_day: dt.date
    last_day: dt.date
    start: dt.datetime  # UTC, the local midnight that opens first_day
    end: dt.datetime  # UTC, exclusive: the local midnight after last_day

    @property
    def days(self) -> tuple[dt.date, ...]:
        """The local dates of the period, in order: the day index partitions to read."""
        count = (self.last_day - self.first_day).days + 1
        return tuple(self.first_day + n * _ONE_DAY for n in range(count))

    @property
    def key_prefix(self) -> str:
        """Where the period's files live in the report bucket."""
        return f"reports/{self.market.value}/{self.kind.value}/{self.label}/"

    def contains(self, instant: dt.datetime) -> bool:
        """Whether an instant falls on one of the period's local days."""
        return self.start <= instant < self.end


def local_day(market: Market | str, instant: dt.datetime) -> dt.date:
    """The market's local date of an instant."""
    if instant.tzinfo is None:
        raise ValueError(f"instant must be timezone-aware, got {instant!r}")
    return instant.astimezone(calendar_for(Market(market).value).tz).date()


def week_start(market: Market | str) -> int:
    """The weekday (Monday 0) that starts the market's working week: the day after its weekend."""
    days = WORKING_WEEKS[Market(market).value].days
    return next(n for n in range(7) if days[n] is not None and days[n - 1] is None)


def period_of(market: Market | str, kind: PeriodKind | str, day: dt.date) -> ReportPeriod:
    """The period of that kind which holds the local date `day`."""
    market, kind = Market(market), PeriodKind(kind)
    if kind is PeriodKind.DAILY:
        return _period(market, kind, day.isoformat(), _day_title(market, day), day, day)
    if kind is PeriodKind.WEEKLY:
        first = day - dt.timedelta(days=(day.weekday() - week_start(market)) % 7)
        last = first + 6 * _ONE_DAY
        label, title = _iran_week(first, last) if market is Market.IR else _turkish_week(first, last)
        return _period(market, kind, label, title, first, last)
    if market is Market.IR:
        return _iran_month(day)
    first = day.replace(day=1)
    last = (first + 32 * _ONE_DAY).replace(day=1) - _ONE_DAY
    title = f"{_TR_MONTHS[first.month - 1]} {first.year}"
    return _period(market, kind, f"{first.year:04d}-{first.month:02d}", title, first, last)


def previous_period(market: Market | str, kind: PeriodKind | str, now: dt.datetime) -> ReportPeriod:
    """The latest period of that kind that has wholly ended by `now`: what a run at `now` reports."""
    current = period_of(market, kind, local_day(market, now))
    return period_of(market, kind, current.first_day - _ONE_DAY)


def due_runs(market: Market | str, now: dt.datetime) -> list[PeriodKind]:
    """The reports due at a daily firing shortly after the local midnight before `now`.

    Daily always; weekly on the first day of the working week; monthly on the
    first day of the month (Jalali in Iran).
    """
    today = local_day(market, now)
    due = [PeriodKind.DAILY]
    if today.weekday() == week_start(market):
        due.append(PeriodKind.WEEKLY)
    if period_of(market, PeriodKind.MONTHLY, today).first_day == today:
        due.append(PeriodKind.MONTHLY)
    return due


def scheduled_firing(market: Market | str, day: dt.date) -> dt.datetime:
    """The UTC instant the daily schedule fires on a local day (00:30 local)."""
    tz = calendar_for(Market(market).value).tz
    return (dt.datetime.combine(day, dt.time(), tzinfo=tz) + RUN_AFTER_MIDNIGHT).astimezone(dt.UTC)


def _period(
    market: Market, kind: PeriodKind, label: str, title: str, first: dt.date, last: dt.date
) -> ReportPeriod:
    tz = calendar_for(market.value).tz
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + _ONE_DAY, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return ReportPeriod(market, kind, label, title, first, last, start, end)


_TR_MONTHS = (
    "Ocak",
    "Şubat",
    "Mart",
    "Nisan",
    "Mayıs",
    "Haziran",
    "Temmuz",
    "Ağustos",
    "Eylül",
    "Ekim",
    "Kasım",
    "Aralık",
)
_TR_WEEKDAYS = ("Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar")
_FA_MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
_FA_WEEKDAYS = ("دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنج\u200cشنبه", "جمعه", "شنبه", "یکشنبه")


def _jalali(day: dt.date) -> tuple[int, int, int]:
    import jdatetime  # only Iranian periods need it; it costs cold start elsewhere

    jalali = jdatetime.date.fromgregorian(date=day)
    return int(jalali.year), int(jalali.month), int(jalali.day)


def _gregorian(year: int, month: int, day: int) -> dt.date:
    import jdatetime

    gregorian: dt.date = jdatetime.date(year, month, day).togregorian()
    return gregorian


def _fa_date(day: dt.date) -> str:
    year, month, number = _jalali(day)
    return persian_digits(f"{number} {_FA_MONTHS[month - 1]} {year}")


def _tr_date(day: dt.date) -> str:
    return f"{day.day} {_TR_MONTHS[day.month - 1]} {day.year}"


def _day_title(market: Market, day: dt.date) -> str:
    if market is Market.IR:
        return f"{_FA_WEEKDAYS[day.weekday()]} {_fa_date(day)}"
    return f"{_tr_date(day)} {_TR_WEEKDAYS[day.weekday()]}"


def _turkish_week(first: dt.date, last: dt.date) -> tuple[str, str]:
    year, week, _ = first.isocalendar()
    return f"{year:04d}-W{week:02d}", f"{year} yılı {week}. hafta: {_tr_date(first)} – {_tr_date(last)}"


def _iran_week(first: dt.date, last: dt.date) -> tuple[str, str]:
    year, month, number = _jalali(first + 3 * _ONE_DAY)  # the week's Tuesday decides its year
    day_of_year = (month - 1) * 31 - max(month - 7, 0) + number  # months 1-6 have 31 days, 7-11 have 30
    week = (day_of_year - 1) // 7 + 1
    title = persian_digits(f"هفتهٔ {week} سال {year}: {_fa_date(first)} تا {_fa_date(last)}")
    return f"{year:04d}-W{week:02d}", title


def _iran_month(day: dt.date) -> ReportPeriod:
    year, month, _ = _jalali(day)
    following = (year, month + 1) if month < 12 else (year + 1, 1)
    first = _gregorian(year, month, 1)
    last = _gregorian(*following, 1) - _ONE_DAY
    title = persian_digits(f"{_FA_MONTHS[month - 1]} {year}")
    return _period(Market.IR, PeriodKind.MONTHLY, f"{year:04d}-{month:02d}", title, first, last)
