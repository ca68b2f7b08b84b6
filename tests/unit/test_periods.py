"""Report periods: local days, working weeks, Jalali and Gregorian months, and when each run is due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.periods import (
    PeriodKind,
    due_runs,
    local_day,
    period_of,
    previous_period,
    scheduled_firing,
    week_start,
)
from chalicelib.domain.policy import Market

TEHRAN = ZoneInfo("Asia/Tehran")
ISTANBUL = ZoneInfo("Europe/Istanbul")
UTC = dt.UTC
DAILY, WEEKLY, MONTHLY = PeriodKind.DAILY, PeriodKind.WEEKLY, PeriodKind.MONTHLY
SATURDAY, MONDAY = 5, 0

dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2035, 12, 31))
markets = st.sampled_from(Market)
kinds = st.sampled_from(PeriodKind)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def jalali(gregorian: dt.date) -> tuple[int, int, int]:
    j = jdatetime.date.fromgregorian(date=gregorian)
    return j.year, j.month, j.day


class TestJalaliMonths:
    def test_farvardin_starts_on_nowruz(self):
        farvardin = period_of("IR", MONTHLY, day("2026-03-25"))
        assert (farvardin.label, farvardin.title) == ("1405-01", "فروردین ۱۴۰۵")
        assert (farvardin.first_day, farvardin.last_day) == (day("2026-03-21"), day("2026-04-20"))
        assert period_of("IR", MONTHLY, day("2026-03-20")).label == "1404-12"

    def test_esfand_has_thirty_days_in_a_leap_year_and_twenty_nine_otherwise(self):
        leap = period_of("IR", MONTHLY, day("2025-03-01"))  # Esfand 1403, a leap year
        common = period_of("IR", MONTHLY, day("2026-03-01"))  # Esfand 1404
        assert (leap.label, leap.first_day, leap.last_day) == (
            "1403-12",
            day("2025-02-19"),
            day("2025-03-20"),
        )
        assert (common.label, common.first_day, common.last_day) == (
            "1404-12",
            day("2026-02-20"),
            day("2026-03-20"),
        )
        assert (len(leap.days), len(common.days)) == (30, 29)

    def test_the_first_six_months_have_thirty_one_days_and_mehr_thirty(self):
        assert len(period_of("IR", MONTHLY, day("2026-08-01")).days) == 31  # Mordad
        mehr = period_of("IR", MONTHLY, day("2026-10-01"))
        assert (mehr.label, mehr.title, len(mehr.days)) == ("1405-07", "مهر ۱۴۰۵", 30)

    def test_azar_1405_is_labelled_by_its_jalali_year_and_month(self):
        azar = period_of("IR", MONTHLY, day("2026-11-22"))
        assert (azar.label, azar.title) == ("1405-09", "آذر ۱۴۰۵")
        assert (azar.first_day, azar.last_day) == (day("2026-11-22"), day("2026-12-21"))

    @given(dates)
    def test_every_iranian_month_runs_from_a_jalali_first_to_the_day_before_the_next(self, gregorian):
        month = period_of("IR", MONTHLY, gregorian)
        year, number, _ = jalali(gregorian)
        assert month.first_day <= gregorian <= month.last_day
        assert jalali(month.first_day) == (year, number, 1)
        assert jalali(month.last_day + dt.timedelta(days=1))[2] == 1
        assert month.label == f"{year}-{number:02d}"
        assert 29 <= len(month.days) <= 31


class TestGregorianMonths:
    def test_a_turkish_month_is_the_calendar_month(self):
        november = period_of("TR", MONTHLY, day("2026-11-22"))
        assert (november.label, november.title) == ("2026-11", "Kasım 2026")
        assert (november.first_day, november.last_day) == (day("2026-11-01"), day("2026-11-30"))

    def test_february_of_a_leap_year_has_twenty_nine_days(self):
        assert len(period_of("TR", MONTHLY, day("2028-02-10")).days) == 29
        assert len(period_of("TR", MONTHLY, day("2027-02-10")).days) == 28


class TestWeeks:
    def test_the_working_week_starts_after_the_weekend(self):
        assert week_start("IR") == SATURDAY
        assert week_start(Market.TR) == MONDAY

    @given(markets, dates)
    def test_a_week_is_seven_days_from_the_markets_first_working_day(self, market, gregorian):
        week = period_of(market, WEEKLY, gregorian)
        assert week.first_day <= gregorian <= week.last_day
        assert len(week.days) == 7
        assert week.first_day.weekday() == (SATURDAY if market is Market.IR else MONDAY)

    def test_a_turkish_week_is_labelled_by_its_iso_week(self):
        week = period_of("TR", WEEKLY, day("2026-11-22"))
        assert (week.label, week.first_day, week.last_day) == (
            "2026-W47",
            day("2026-11-16"),
            day("2026-11-22"),
        )
        assert week.title == "2026 yılı 47. hafta: 16 Kasım 2026 – 22 Kasım 2026"

    def test_new_years_day_on_a_friday_belongs_to_the_last_iso_week_of_the_old_year(self):
        assert period_of("TR", WEEKLY, day("2027-01-01")).label == "2026-W53"

    def test_an_iranian_week_is_labelled_by_the_jalali_year_and_week_of_its_tuesday(self):
        week = period_of("IR", WEEKLY, day("2026-11-22"))  # Sunday, Azar 1
        assert (week.label, week.first_day, week.last_day) == (
            "1405-W36",
            day("2026-11-21"),
            day("2026-11-27"),
        )
        assert week.title == "هفتهٔ ۳۶ سال ۱۴۰۵: ۳۰ آبان ۱۴۰۵ تا ۶ آذر ۱۴۰۵"

    def test_nowruz_on_a_saturday_opens_week_one(self):
        assert period_of("IR", WEEKLY, day("2026-03-21")).label == "1405-W01"
        assert period_of("IR", WEEKLY, day("2026-03-20")).label == "1404-W52"

    def test_nowruz_on_a_friday_closes_the_last_week_of_the_old_year(self):
        # Farvardin 1, 1404 was a Friday: most of its week, Tuesday included, is in 1403.
        assert period_of("IR", WEEKLY, day("2025-03-21")).label == "1403-W52"
        assert period_of("IR", WEEKLY, day("2025-03-22")).label == "1404-W01"

    @pytest.mark.parametrize("market", list(Market))
    def test_week_labels_are_unique_consecutive_and_sort_in_time(self, market):
        week = period_of(market, WEEKLY, day("2024-01-01"))
        seen: list[str] = []
        while week.first_day.year < 2036:
            following = period_of(market, WEEKLY, week.last_day + dt.timedelta(days=1))
            year, number = (int(part) for part in week.label.split("-W"))
            next_year, next_number = (int(part) for part in following.label.split("-W"))
            assert (next_year, next_number) in {(year, number + 1), (year + 1, 1)}
            assert number in {52, 53} or next_year == year
            seen.append(week.label)
            week = following
        assert seen == sorted(set(seen))


class TestDays:
    def test_a_daily_label_is_the_gregorian_date_in_both_markets(self):
        assert period_of("TR", DAILY, day("2026-11-22")).label == "2026-11-22"
        assert period_of("IR", DAILY, day("2026-11-22")).label == "2026-11-22"

    def test_a_daily_title_names_the_day_in_the_markets_language_and_calendar(self):
        assert period_of("TR", DAILY, day("2026-11-22")).title == "22 Kasım 2026 Pazar"
        assert period_of("IR", DAILY, day("2026-11-22")).title == "یکشنبه ۱ آذر ۱۴۰۵"
        assert period_of("IR", DAILY, day("2026-11-26")).title == "پنج\u200cشنبه ۵ آذر ۱۴۰۵"

    def test_a_day_runs_from_local_midnight_to_local_midnight_in_utc(self):
        tehran = period_of("IR", DAILY, day("2026-11-22"))
        istanbul = period_of("TR", DAILY, day("2026-11-22"))
        assert (tehran.start, tehran.end) == (
            dt.datetime(2026, 11, 21, 20, 30, tzinfo=UTC),
            dt.datetime(2026, 11, 22, 20, 30, tzinfo=UTC),
        )
        assert (istanbul.start, istanbul.end) == (
            dt.datetime(2026, 11, 21, 21, 0, tzinfo=UTC),
            dt.datetime(2026, 11, 22, 21, 0, tzinfo=UTC),
        )

    @pytest.mark.parametrize(("market", "tz"), [("IR", TEHRAN), ("TR", ISTANBUL)])
    def test_a_complaint_at_ten_to_midnight_belongs_to_that_local_day(self, market, tz):
        late = dt.datetime(2026, 11, 22, 23, 50, tzinfo=tz).astimezone(UTC)
        midnight = dt.datetime(2026, 11, 23, 0, 0, tzinfo=tz).astimezone(UTC)
        sunday = period_of(market, DAILY, day("2026-11-22"))
        assert local_day(market, late) == day("2026-11-22")
        assert sunday.contains(late)
        assert not sunday.contains(midnight)
        assert period_of(market, DAILY, day("2026-11-23")).contains(midnight)

    def test_the_utc_evening_is_already_the_next_local_day(self):
        evening = dt.datetime(2026, 11, 22, 21, 10, tzinfo=UTC)  # 00:40 in Tehran, 00:10 in Istanbul
        assert local_day("IR", evening) == local_day("TR", evening) == day("2026-11-23")

    @given(markets, kinds, dates)
    def test_periods_tile_time_without_gaps(self, market, kind, gregorian):
        period = period_of(market, kind, gregorian)
        following = period_of(market, kind, period.last_day + dt.timedelta(days=1))
        assert period.end == following.start
        assert period.days[0] == period.first_day
        assert period.days[-1] == period.last_day
        assert period_of(market, kind, period.last_day) == period

    def test_a_period_knows_where_its_files_go(self):
        assert period_of("IR", MONTHLY, day("2026-11-22")).key_prefix == "reports/IR/monthly/1405-09/"
        assert period_of("TR", WEEKLY, day("2026-11-22")).key_prefix == "reports/TR/weekly/2026-W47/"

    def test_an_unknown_market_or_kind_or_a_naive_instant_is_refused(self):
        with pytest.raises(ValueError, match="DE"):
            period_of("DE", DAILY, day("2026-11-22"))
        with pytest.raises(ValueError, match="yearly"):
            period_of("TR", "yearly", day("2026-11-22"))
        with pytest.raises(ValueError, match="timezone-aware"):
            local_day("TR", dt.datetime(2026, 11, 22, 12))


class TestPreviousPeriod:
    def test_the_daily_run_after_midnight_reports_yesterday(self):
        run = scheduled_firing("IR", day("2026-03-21"))  # 2026-03-20 21:00 UTC
        assert previous_period("IR", DAILY, run).label == "2026-03-20"

    def test_the_turkish_runs_on_new_years_day_report_the_old_year(self):
        run = scheduled_firing("TR", day("2027-01-01"))
        assert previous_period("TR", DAILY, run).label == "2026-12-31"
        december = previous_period("TR", MONTHLY, run)
        assert (december.label, december.title, december.last_day) == (
            "2026-12",
            "Aralık 2026",
            day("2026-12-31"),
        )

    def test_the_iranian_monthly_run_on_nowruz_reports_esfand(self):
        esfand = previous_period("IR", MONTHLY, scheduled_firing("IR", day("2026-03-21")))
        assert (esfand.label, esfand.title) == ("1404-12", "اسفند ۱۴۰۴")
        assert (esfand.first_day, esfand.last_day) == (day("2026-02-20"), day("2026-03-20"))
        leap = previous_period("IR", MONTHLY, scheduled_firing("IR", day("2025-03-21")))
        assert (leap.label, len(leap.days)) == ("1403-12", 30)

    def test_the_iranian_monthly_run_on_the_first_of_azar_reports_aban(self):
        aban = previous_period("IR", MONTHLY, scheduled_firing("IR", day("2026-11-22")))
        assert (aban.label, aban.title, aban.last_day) == ("1405-08", "آبان ۱۴۰۵", day("2026-11-21"))

    def test_the_weekly_run_on_the_first_working_day_reports_the_week_just_ended(self):
        iran = previous_period("IR", WEEKLY, scheduled_firing("IR", day("2026-11-21")))  # Saturday
        turkey = previous_period("TR", WEEKLY, scheduled_firing("TR", day("2027-01-04")))  # Monday
        assert (iran.first_day, iran.last_day) == (day("2026-11-14"), day("2026-11-20"))
        assert (turkey.label, turkey.first_day, turkey.last_day) == (
            "2026-W53",
            day("2026-12-28"),
            day("2027-01-03"),
        )

    @given(
        markets, kinds, st.datetimes(min_value=dt.datetime(2024, 1, 2), max_value=dt.datetime(2035, 12, 31))
    )
    def test_a_run_at_any_time_reports_the_latest_period_wholly_ended(self, market, kind, naive):
        now = naive.replace(tzinfo=UTC)
        period = previous_period(market, kind, now)
        assert period.end <= now
        assert period_of(market, kind, period.last_day + dt.timedelta(days=1)).contains(now)


class TestDueRuns:
    def test_the_schedule_fires_at_half_past_midnight_local(self):
        assert scheduled_firing("IR", day("2026-11-22")) == dt.datetime(2026, 11, 21, 21, 0, tzinfo=UTC)
        assert scheduled_firing("TR", day("2026-11-22")) == dt.datetime(2026, 11, 21, 21, 30, tzinfo=UTC)

    def test_an_ordinary_day_runs_only_the_daily_report(self):
        assert due_runs("TR", scheduled_firing("TR", day("2026-11-25"))) == [DAILY]

    def test_the_first_working_day_adds_the_weekly_report(self):
        assert due_runs("IR", scheduled_firing("IR", day("2026-11-21"))) == [DAILY, WEEKLY]  # Saturday
        assert due_runs("TR", scheduled_firing("TR", day("2026-11-23"))) == [DAILY, WEEKLY]  # Monday
        assert due_runs("TR", scheduled_firing("TR", day("2026-11-21"))) == [DAILY]  # a Turkish Saturday

    def test_the_first_of_the_month_adds_the_monthly_report(self):
        assert due_runs("IR", scheduled_firing("IR", day("2026-11-22"))) == [DAILY, MONTHLY]  # Azar 1
        assert due_runs("IR", scheduled_firing("IR", day("2026-12-01"))) == [DAILY]  # Azar 10
        assert due_runs("TR", scheduled_firing("TR", day("2026-12-01"))) == [DAILY, MONTHLY]
        assert due_runs("IR", scheduled_firing("IR", day("2026-03-21"))) == [DAILY, WEEKLY, MONTHLY]

    @pytest.mark.parametrize("market", list(Market))
    def test_a_year_of_firings_runs_each_report_the_right_number_of_times(self, market):
        year = [day("2026-03-21") + dt.timedelta(days=n) for n in range(365)]  # Jalali 1405, 365 days
        runs = [due_runs(market, scheduled_firing(market, today)) for today in year]
        assert sum(DAILY in due for due in runs) == 365
        assert sum(WEEKLY in due for due in runs[:364]) == 52
        assert sum(MONTHLY in due for due in runs) == 12

    @given(markets, dates)
    def test_each_report_due_covers_the_period_that_just_ended(self, market, today):
        firing = scheduled_firing(market, today)
        for kind in due_runs(market, firing):
            assert previous_period(market, kind, firing).last_day == today - dt.timedelta(days=1)
