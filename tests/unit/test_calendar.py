"""Business days and working hours of the Iranian and Turkish markets."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import (
    MARKET_TIMEZONES,
    BusinessCalendar,
    calendar_for,
)

ROOT = Path(__file__).resolve().parents[2]
HOLIDAYS_JSON = ROOT / "chalicelib" / "domain" / "holidays.json"
GENERATOR = ROOT / "scripts" / "generate_holidays.py"

UTC = dt.UTC
TEHRAN = ZoneInfo("Asia/Tehran")
ISTANBUL = ZoneInfo("Europe/Istanbul")
NEW_YORK = ZoneInfo("America/New_York")

HOUR = 3600

IR = calendar_for("IR")
TR = calendar_for("TR")


def tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


def istanbul(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ISTANBUL)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestHolidayTable:
    def test_equals_what_the_holidays_package_gives_for_every_covered_year_and_market(self):
        holidays = pytest.importorskip("holidays")
        table = json.loads(HOLIDAYS_JSON.read_text(encoding="utf-8"))
        first, last = table["years"]
        for market in ("IR", "TR"):
            expected = {}
            for year in range(first, last + 1):
                by_package = holidays.country_holidays(market, years=year, language="en_US")
                expected.update({d.isoformat(): name for d, name in by_package.items()})
            assert table[market] == expected, market
        assert table["generated_with"] == f"holidays {importlib.metadata.version('holidays')}"

    def test_file_is_exactly_what_the_generator_writes(self):
        pytest.importorskip("holidays")
        spec = importlib.util.spec_from_file_location("generate_holidays", GENERATOR)
        assert spec is not None
        assert spec.loader is not None
        generator = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(generator)
        assert HOLIDAYS_JSON.read_text(encoding="utf-8") == generator.render(generator.build_table())

    @pytest.mark.parametrize("market", ["IR", "TR"])
    def test_covers_the_current_year_and_the_next_two(self, market):
        this_year = dt.datetime.now(UTC).year
        calendar = calendar_for(market)
        assert all(calendar.covers(year) for year in range(this_year, this_year + 3)), (
            "the holiday table runs out within two years: run `make holidays`"
        )

    def test_turkish_half_days_are_not_in_the_table(self):
        table = json.loads(HOLIDAYS_JSON.read_text(encoding="utf-8"))
        assert not [name for name in table["TR"].values() if "1pm" in name]
        assert "2026-10-28" not in table["TR"]

    def test_the_domain_never_imports_the_holidays_package(self):
        code = (
            "import sys, datetime as dt\n"
            "from chalicelib.domain.calendar import calendar_for\n"
            "calendar_for('TR').is_business_day(dt.date(2026, 10, 29))\n"
            "assert 'holidays' not in sys.modules, 'holidays was imported'\n"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


class TestMarkets:
    def test_each_market_has_its_time_zone(self):
        assert MARKET_TIMEZONES == {"IR": "Asia/Tehran", "TR": "Europe/Istanbul"}
        assert IR.tz == TEHRAN
        assert TR.tz == ISTANBUL

    def test_calendars_are_shared(self):
        assert calendar_for("IR") is calendar_for("IR")

    def test_an_unknown_market_is_refused(self):
        with pytest.raises(ValueError, match="unknown market"):
            calendar_for("DE")

    def test_iran_and_turkey_keep_no_daylight_saving_time(self):
        assert tehran(2026, 1, 15, 12).utcoffset() == tehran(2026, 7, 15, 12).utcoffset()
        assert tehran(2026, 7, 15, 12).utcoffset() == dt.timedelta(hours=3, minutes=30)
        assert istanbul(2026, 1, 15, 12).utcoffset() == istanbul(2026, 7, 15, 12).utcoffset()
        assert istanbul(2026, 7, 15, 12).utcoffset() == dt.timedelta(hours=3)


class TestBusinessDays:
    def test_friday_is_not_a_business_day_in_iran(self):
        assert not IR.is_business_day(dt.date(2026, 11, 20))

    def test_thursday_is_a_business_day_in_iran(self):
        assert IR.is_business_day(dt.date(2026, 11, 19))

    @pytest.mark.parametrize("day", [21, 22, 23, 24, 25])  # Saturday to Wednesday
    def test_saturday_to_wednesday_are_business_days_in_iran(self, day):
        assert IR.is_business_day(dt.date(2026, 11, day))

    @pytest.mark.parametrize("day", [21, 22])
    def test_saturday_and_sunday_are_not_business_days_in_turkey(self, day):
        assert not TR.is_business_day(dt.date(2026, 11, day))

    @pytest.mark.parametrize("day", [16, 17, 18, 19, 20])
    def test_monday_to_friday_are_business_days_in_turkey(self, day):
        assert TR.is_business_day(dt.date(2026, 11, day))

    @pytest.mark.parametrize("day", [20, 21, 22, 23, 24])
    def test_nowruz_days_are_not_business_days_in_iran(self, day):
        assert not IR.is_business_day(dt.date(2026, 3, day))

    def test_nowruz_has_its_name(self):
        assert "Nowruz" in (IR.holiday_name(dt.date(2026, 3, 21)) or "")

    def test_republic_day_is_not_a_business_day_in_turkey(self):
        assert not TR.is_business_day(dt.date(2026, 10, 29))
        assert TR.holiday_name(dt.date(2026, 10, 29)) == "Republic Day"

    @pytest.mark.parametrize(
        "day",
        [dt.date(2026, 10, 28), dt.date(2026, 3, 19), dt.date(2026, 5, 26)],
        ids=["republic-day-eve", "ramazan-bayrami-eve", "kurban-bayrami-eve"],
    )
    def test_turkish_half_day_holidays_are_business_days_with_full_hours(self, day):
        assert TR.is_business_day(day)
        hours = TR.working_hours(day)
        assert hours is not None
        assert (hours.opens, hours.closes) == (dt.time(9), dt.time(18))

    def test_a_year_outside_the_table_is_an_error_not_a_guess(self):
        assert not IR.covers(2036)
        with pytest.raises(ValueError, match="make holidays"):
            IR.is_business_day(dt.date(2036, 1, 5))
        with pytest.raises(ValueError, match="make holidays"):
            TR.add_business_days(istanbul(2035, 12, 28, 10), 5)


class TestAddBusinessDays:
    def test_a_turkish_complaint_on_friday_night_is_due_at_monday_close(self):
        due = TR.add_business_days(istanbul(2026, 11, 20, 23), 1)
        assert due == utc(2026, 11, 23, 15)
        assert due.tzinfo == UTC

    def test_turkey_across_a_holiday_and_a_weekend(self):
        received = istanbul(2026, 10, 28, 14)  # Wednesday; Thursday is Republic Day
        assert TR.add_business_days(received, 1) == istanbul(2026, 10, 30, 18)
        assert TR.add_business_days(received, 2) == istanbul(2026, 11, 2, 18)

    def test_iran_across_nowruz_and_a_weekend(self):
        received = tehran(2026, 3, 18, 10)  # Wednesday before Nowruz
        assert IR.add_business_days(received, 1) == tehran(2026, 3, 19, 12)  # half-day Thursday
        assert IR.add_business_days(received, 2) == tehran(2026, 3, 25, 16)

    def test_iran_across_a_friday(self):
        received = tehran(2026, 11, 19, 11)  # Thursday
        assert IR.add_business_days(received, 1) == tehran(2026, 11, 21, 16)  # Saturday

    def test_a_complaint_received_on_a_holiday_starts_counting_on_the_next_business_day(self):
        received = istanbul(2026, 10, 29, 11)  # Republic Day, Thursday
        assert TR.add_business_days(received, 1) == istanbul(2026, 10, 30, 18)

    def test_the_local_date_decides_not_the_utc_date(self):
        received = utc(2026, 11, 17, 21, 30)  # Tuesday in UTC, Wednesday 01:00 in Tehran
        assert received.astimezone(TEHRAN).date() == dt.date(2026, 11, 18)
        assert IR.add_business_days(received, 1) == tehran(2026, 11, 19, 12)

    def test_a_complaint_received_at_23_local_belongs_to_that_local_day(self):
        received = tehran(2026, 11, 17, 23)  # Tuesday 23:00 in Tehran
        assert IR.add_business_days(received, 1) == tehran(2026, 11, 18, 16)

    def test_the_time_zone_the_start_is_given_in_does_not_matter(self):
        received = tehran(2026, 11, 18, 1)
        assert IR.add_business_days(received.astimezone(NEW_YORK), 1) == (IR.add_business_days(received, 1))

    def test_fifteen_turkish_business_days_match_a_hand_count(self):
        # Oct 20 2026 is a Tuesday. Counting from Wednesday the 21st: 21, 22, 23,
        # 26, 27, 28 (half day counts), 29 is Republic Day, 30, Nov 2, 3, 4, 5, 6,
        # 9, 10, 11.
        assert TR.add_business_days(istanbul(2026, 10, 20, 9, 30), 15) == utc(2026, 11, 11, 15)

    def test_refuses_a_naive_start(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            TR.add_business_days(dt.datetime(2026, 11, 20, 10), 1)

    def test_refuses_zero_days(self):
        with pytest.raises(ValueError, match="at least 1"):
            TR.add_business_days(istanbul(2026, 11, 20, 10), 0)


class TestBusinessSecondsBetween:
    def test_within_one_working_day(self):
        start = istanbul(2026, 11, 23, 10)
        end = istanbul(2026, 11, 23, 12, 30)
        assert TR.business_seconds_between(start, end) == 2 * HOUR + 30 * 60

    def test_hours_before_opening_and_after_closing_do_not_count(self):
        start = istanbul(2026, 11, 23, 6)
        end = istanbul(2026, 11, 23, 22)
        assert TR.business_seconds_between(start, end) == 9 * HOUR

    def test_the_weekend_contributes_nothing(self):
        start = istanbul(2026, 11, 20, 17)  # Friday
        end = istanbul(2026, 11, 23, 10)  # Monday
        assert TR.business_seconds_between(start, end) == 2 * HOUR

    def test_a_holiday_contributes_nothing(self):
        start = istanbul(2026, 10, 28, 17)  # Wednesday, Republic Day eve: full hours
        end = istanbul(2026, 10, 30, 10)  # Friday
        assert TR.business_seconds_between(start, end) == 2 * HOUR

    def test_the_iranian_thursday_counts_four_hours(self):
        start = tehran(2026, 11, 19, 0)
        end = tehran(2026, 11, 20, 23)
        assert IR.business_seconds_between(start, end) == 4 * HOUR

    def test_iran_across_thursday_and_friday(self):
        start = tehran(2026, 11, 18, 15)  # Wednesday
        end = tehran(2026, 11, 21, 9)  # Saturday
        assert IR.business_seconds_between(start, end) == (1 + 4 + 1) * HOUR

    def test_a_full_turkish_week_is_45_hours(self):
        assert TR.business_seconds_between(istanbul(2026, 11, 16), istanbul(2026, 11, 23)) == (45 * HOUR)

    def test_a_full_iranian_week_is_44_hours(self):
        assert IR.business_seconds_between(tehran(2026, 11, 21), tehran(2026, 11, 28)) == (44 * HOUR)

    def test_is_zero_when_end_is_not_after_start(self):
        instant = istanbul(2026, 11, 23, 10)
        assert TR.business_seconds_between(instant, instant) == 0
        assert TR.business_seconds_between(instant, instant - dt.timedelta(hours=1)) == 0

    def test_instants_in_a_zone_with_daylight_saving_are_converted_properly(self):
        # New York moves its clocks on Sunday 2026-03-08; the interval below
        # spans that change. Friday 09:00 EST is 17:00 in Istanbul and Monday
        # 03:00 EDT is 10:00 in Istanbul.
        start = dt.datetime(2026, 3, 6, 9, tzinfo=NEW_YORK)
        end = dt.datetime(2026, 3, 9, 3, tzinfo=NEW_YORK)
        assert TR.business_seconds_between(start, end) == 2 * HOUR

    def test_refuses_naive_instants(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            TR.business_seconds_between(
                istanbul(2026, 11, 23, 10),
                dt.datetime(2026, 11, 23, 12),
            )


markets = st.sampled_from(["IR", "TR"])
zones = st.sampled_from([UTC, TEHRAN, ISTANBUL, NEW_YORK])
instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2027, 6, 30),
    timezones=zones,
)


class TestProperties:
    @settings(max_examples=150, deadline=None)
    @given(markets, instants, instants, instants)
    def test_business_seconds_add_up_over_consecutive_intervals(self, market, x, y, z):
        a, b, c = sorted([x, y, z])
        calendar: BusinessCalendar = calendar_for(market)
        assert calendar.business_seconds_between(a, c) == (
            calendar.business_seconds_between(a, b) + calendar.business_seconds_between(b, c)
        )

    @settings(max_examples=150, deadline=None)
    @given(markets, instants, st.integers(min_value=1, max_value=40))
    def test_a_deadline_is_the_close_of_the_nth_business_day_after_receipt(self, market, received, days):
        calendar = calendar_for(market)
        due = calendar.add_business_days(received, days)
        assert due.tzinfo == UTC
        local_due = due.astimezone(calendar.tz)
        hours = calendar.working_hours(local_due.date())
        assert hours is not None
        assert local_due.time() == hours.closes
        first_day = received.astimezone(calendar.tz).date()
        counted = [
            first_day + dt.timedelta(days=n) for n in range(1, (local_due.date() - first_day).days + 1)
        ]
        assert sum(calendar.is_business_day(day) for day in counted) == days
