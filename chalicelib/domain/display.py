"""How the public pages show numbers, dates and the policy's times, in each language.

Rules:

- Persian readers see Persian digits and Jalali dates; Turkish and English
  readers see ASCII digits and Gregorian dates.
- A moment is shown in the time zone of the complaint's market. The public
  status view does not carry the market: there a date is shown in the zone of
  the market whose language the complaint was written in (Iran for Persian,
  Turkey otherwise; the two zones are thirty minutes apart).
- The language of a visitor who has not chosen one is the best of Accept-Language
  among Persian, Turkish and English, English when none of them is asked for.
- Deadlines and working hours are read from the policy and the calendars,
  never written again here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.domain.calendar import WORKING_WEEKS, calendar_for
from chalicelib.domain.periods import week_start
from chalicelib.domain.policy import Language, Market, Priority
from chalicelib.domain.text import persian_digits
from chalicelib.domain.triage import response_days

#: Where a language's complainants live, when a view does not say.
HOME_MARKET: dict[Language, Market] = {Language.FA: Market.IR, Language.TR: Market.TR, Language.EN: Market.TR}
RTL_LANGUAGES = frozenset({Language.FA})


def direction(language: Language) -> str:
    """The writing direction of a language, as HTML's dir attribute names it."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def digits(text: str, language: Language) -> str:
    """ASCII digits as the reader of that language writes them."""
    return persian_digits(text) if language is Language.FA else text


@dataclass(frozen=True)
class LocalMoment:
    """A moment as a reader sees it: in the market's zone, in the reader's calendar."""

    year: int
    month: int  # 1-12 of the reader's calendar (Jalali for Persian)
    day: int
    weekday: int  # Monday 0
    hour: int
    minute: int


def local_moment(instant: dt.datetime, market: Market, language: Language) -> LocalMoment:
    """An instant in the market's time zone, dated in the reader's calendar."""
    local = instant.astimezone(calendar_for(market.value).tz)
    year, month, day = local.year, local.month, local.day
    if language is Language.FA:
        import jdatetime  # only Persian pages need the Jalali calendar

        jalali = jdatetime.date.fromgregorian(date=local.date())
        year, month, day = int(jalali.year), int(jalali.month), int(jalali.day)
    return LocalMoment(year, month, day, local.weekday(), local.hour, local.minute)


@dataclass(frozen=True)
class WorkingSpan:
    """Consecutive weekdays (Monday 0) worked with the same hours."""

    first: int
    last: int
    opens: dt.time
    closes: dt.time


def working_spans(market: Market) -> list[WorkingSpan]:
    """The market's working week from its first day, days with the same hours grouped."""
    days = WORKING_WEEKS[market.value].days
    start = week_start(market)
    spans: list[WorkingSpan] = []
    for offset in range(7):
        weekday = (start + offset) % 7
        hours = days[weekday]
        if hours is None:
            continue
        last = spans[-1] if spans else None
        if (
            last
            and (last.last + 1) % 7 == weekday
            and (last.opens, last.closes) == (hours.opens, hours.closes)
        ):
            spans[-1] = WorkingSpan(last.first, weekday, hours.opens, hours.closes)
        else:
            spans.append(WorkingSpan(weekday, weekday, hours.opens, hours.closes))
    return spans


def response_targets(market: Market) -> dict[Priority, int]:
    """Business days allowed for a response in a market, by priority, the statutory ceiling applied."""
    return {priority: response_days(market, priority) for priority in Priority}


def negotiate(accept_language: str | None) -> Language:
    """The visitor's best language of ours by Accept-Language (RFC 9110); English when none fits."""
    best, best_q = Language.EN, 0.0
    for entry in (accept_language or "").split(",")[:32]:
        tag, _, params = entry.strip().partition(";")
        q = _quality(params)
        primary = tag.strip().split("-")[0].casefold()
        language = next((lang for lang in Language if lang.value == primary), None)
        if language is not None and q > best_q:
            best, best_q = language, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().casefold() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0
