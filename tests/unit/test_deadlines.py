"""Business seconds, deadlines with paused clocks, the Turkish ceiling, and overdue complaints."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import BusinessCalendar, calendar_for
from chalicelib.domain.complaint import Complaint, ResponseClock
from chalicelib.domain.deadlines import due_at, is_overdue, paused, resumed, share_used
from chalicelib.domain.policy import RESPONSE_TARGET_DAYS, STATUTORY_CEILING_DAYS, Market, Priority
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.submit_complaint import submit_complaint
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock

TR = calendar_for("TR")
IR = calendar_for("IR")
HOUR = 3600


def istanbul(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TR.tz)


def tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=IR.tz)


# --- add_business_seconds -----------------------------------------------------------------------


class TestAddBusinessSeconds:
    @pytest.mark.parametrize(
        ("calendar", "start", "seconds", "end"),
        [
            # within one working day
            (TR, istanbul(2026, 11, 23, 10), HOUR, istanbul(2026, 11, 23, 11)),
            (TR, istanbul(2026, 11, 23, 10, 30), 90, istanbul(2026, 11, 23, 10, 31) + timedelta(seconds=30)),
            # up to the close exactly: the close, not the next morning
            (TR, istanbul(2026, 11, 23, 9), 9 * HOUR, istanbul(2026, 11, 23, 18)),
            (TR, istanbul(2026, 11, 23, 9), 9 * HOUR + 1, istanbul(2026, 11, 24, 9) + timedelta(seconds=1)),
            # over the weekend: an hour at Friday's close ends at 10:00 on Monday
            (TR, istanbul(2026, 11, 27, 18), HOUR, istanbul(2026, 11, 30, 10)),
            (TR, istanbul(2026, 11, 27, 17), 2 * HOUR, istanbul(2026, 11, 30, 10)),
            # over Republic Day (Thursday 29 October 2026); the half-day eve is worked in full
            (TR, istanbul(2026, 10, 28, 17), 2 * HOUR, istanbul(2026, 10, 30, 10)),
            # from outside working hours: counting starts at the next opening
            (TR, istanbul(2026, 11, 23, 6), HOUR, istanbul(2026, 11, 23, 10)),
            (TR, istanbul(2026, 11, 23, 20), HOUR, istanbul(2026, 11, 24, 10)),
            (TR, istanbul(2026, 11, 29, 12), HOUR, istanbul(2026, 11, 30, 10)),  # a Sunday
            (TR, istanbul(2026, 10, 29, 12), HOUR, istanbul(2026, 10, 30, 10)),  # a holiday
            # a whole Turkish week is 45 hours
            (TR, istanbul(2026, 11, 23, 9), 45 * HOUR, istanbul(2026, 11, 27, 18)),
            # Iran: the Thursday half day, then the Friday weekend
            (IR, tehran(2026, 11, 26, 11), 2 * HOUR, tehran(2026, 11, 28, 9)),
            (IR, tehran(2026, 11, 25, 15), 6 * HOUR, tehran(2026, 11, 28, 9)),
            # Iran: over Nowruz (Saturday 20 to Wednesday 24 March 2027)
            (IR, tehran(2027, 3, 18, 11), 2 * HOUR, tehran(2027, 3, 25, 9)),
        ],
    )
    def test_known_sums(
        self, calendar: BusinessCalendar, start: datetime, seconds: int, end: datetime
    ) -> None:
        result = calendar.add_business_seconds(start, seconds)
        assert result == end
        assert result.tzinfo == UTC

    @pytest.mark.parametrize("start", [istanbul(2026, 11, 23, 10), istanbul(2026, 11, 29, 3)])
    def test_zero_seconds_is_the_start_itself_in_utc(self, start: datetime) -> None:
        result = TR.add_business_seconds(start, 0)
        assert result == start
        assert result.tzinfo == UTC

    def test_refuses_negative_seconds(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            TR.add_business_seconds(istanbul(2026, 11, 23, 10), -1)

    def test_refuses_a_naive_start(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            TR.add_business_seconds(datetime(2026, 11, 23, 10), HOUR)

    def test_refuses_to_guess_beyond_the_holiday_table(self) -> None:
        with pytest.raises(ValueError, match="not known"):
            TR.add_business_seconds(istanbul(2035, 12, 31, 10), 10 * HOUR)

    def test_keeps_fractions_of_a_second(self) -> None:
        start = istanbul(2026, 11, 23, 10) + timedelta(microseconds=250)
        assert TR.add_business_seconds(start, 5) == start + timedelta(seconds=5)


markets = st.sampled_from([TR, IR])
days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 12, 31))
amounts = st.integers(min_value=0, max_value=400 * HOUR)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def working_instants(draw: st.DrawFn, calendar: BusinessCalendar) -> datetime:
    """An instant within the working hours of a business day, to the microsecond.

    It is a second or more after the opening: in business time an opening is
    also the previous close, and the inverse gives that close.
    """
    day = draw(days)
    while (hours := calendar.working_hours(day)) is None:
        day += dt.timedelta(days=1)
    opens = datetime.combine(day, hours.opens, tzinfo=calendar.tz)
    closes = datetime.combine(day, hours.closes, tzinfo=calendar.tz)
    span = int((closes - opens).total_seconds() * 1_000_000)
    return (opens + timedelta(microseconds=draw(st.integers(1_000_000, span)))).astimezone(UTC)


class TestAddBusinessSecondsProperties:
    @settings(max_examples=150, deadline=None)
    @given(st.data(), markets, amounts)
    def test_is_the_inverse_of_business_seconds_between_from_within_working_hours(
        self, data: st.DataObject, calendar: BusinessCalendar, seconds: int
    ) -> None:
        start = data.draw(working_instants(calendar))
        end = calendar.add_business_seconds(start, seconds)
        assert calendar.business_seconds_between(start, end) == seconds

    @settings(max_examples=150, deadline=None)
    @given(markets, instants, amounts)
    def test_counts_exactly_the_seconds_asked_for_from_any_instant(
        self, calendar: BusinessCalendar, start: datetime, seconds: int
    ) -> None:
        end = calendar.add_business_seconds(start, seconds)
        assert end >= start
        assert calendar.business_seconds_between(start, end) == seconds

    @settings(max_examples=150, deadline=None)
    @given(st.data(), markets)
    def test_adding_the_business_seconds_between_two_working_instants_gives_the_later(
        self, data: st.DataObject, calendar: BusinessCalendar
    ) -> None:
        first = data.draw(working_instants(calendar)).replace(microsecond=0)
        second = data.draw(working_instants(calendar)).replace(microsecond=0)
        start, end = sorted([first, second])
        assert calendar.add_business_seconds(start, calendar.business_seconds_between(start, end)) == end

    @settings(max_examples=100, deadline=None)
    @given(markets, instants, amounts, amounts)
    def test_adding_in_two_steps_is_adding_once(
        self, calendar: BusinessCalendar, start: datetime, a: int, b: int
    ) -> None:
        once = calendar.add_business_seconds(start, a + b)
        assert calendar.add_business_seconds(calendar.add_business_seconds(start, a), b) == once


# --- due_at -------------------------------------------------------------------------------------

MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 10:30 in Istanbul, 11:00 in Tehran


@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize("priority", list(Priority))
def test_the_deadline_of_a_fresh_cycle_is_the_priority_target(market: Market, priority: Priority) -> None:
    calendar = calendar_for(market.value)
    expected = calendar.add_business_days(MONDAY, RESPONSE_TARGET_DAYS[priority])
    assert due_at(market, priority, ResponseClock(MONDAY)) == expected


@pytest.mark.parametrize(
    ("market", "priority", "due"),
    [
        (Market.TR, Priority.CRITICAL, istanbul(2026, 11, 24, 18)),
        (Market.TR, Priority.HIGH, istanbul(2026, 11, 30, 18)),
        (Market.TR, Priority.MEDIUM, istanbul(2026, 12, 7, 18)),
        (Market.TR, Priority.LOW, istanbul(2026, 12, 14, 18)),
        (Market.IR, Priority.CRITICAL, tehran(2026, 11, 24, 16)),
        (Market.IR, Priority.HIGH, tehran(2026, 11, 29, 16)),  # Friday off, Thursday counts
    ],
)
def test_deadlines_counted_by_hand(market: Market, priority: Priority, due: datetime) -> None:
    assert due_at(market, priority, ResponseClock(MONDAY)) == due


def test_the_target_days_are_one_five_ten_and_fifteen() -> None:
    assert [RESPONSE_TARGET_DAYS[p] for p in Priority] == [1, 5, 10, 15]
    assert STATUTORY_CEILING_DAYS == {Market.TR: 15}


def test_a_finished_pause_moves_the_deadline_by_its_business_time() -> None:
    clock = ResponseClock(MONDAY, None, 3 * HOUR)
    assert due_at(Market.TR, Priority.HIGH, clock) == istanbul(2026, 12, 1, 12)
    assert due_at(Market.IR, Priority.HIGH, clock) == IR.add_business_seconds(
        tehran(2026, 11, 29, 16), 3 * HOUR
    )


def test_a_running_pause_does_not_move_the_deadline_yet() -> None:
    clock = ResponseClock(MONDAY, istanbul(2026, 11, 24, 9))
    assert due_at(Market.TR, Priority.HIGH, clock) == istanbul(2026, 11, 30, 18)


@pytest.mark.parametrize("priority", list(Priority))
def test_the_turkish_ceiling_holds_however_long_the_pauses(priority: Priority) -> None:
    ceiling = TR.add_business_days(MONDAY, 15)
    for paused_seconds in (0, HOUR, 45 * HOUR, 400 * HOUR, 10_000 * HOUR):
        assert due_at(Market.TR, priority, ResponseClock(MONDAY, None, paused_seconds)) <= ceiling
    assert due_at(Market.TR, priority, ResponseClock(MONDAY, None, 10_000 * HOUR)) == ceiling


def test_iran_has_no_ceiling() -> None:
    long_pause = ResponseClock(MONDAY, None, 200 * HOUR)
    assert due_at(Market.IR, Priority.LOW, long_pause) > IR.add_business_days(MONDAY, 15)


@settings(max_examples=150, deadline=None)
@given(
    instants,
    st.sampled_from(list(Priority)),
    st.integers(min_value=0, max_value=2000 * HOUR),
)
def test_a_turkish_due_date_is_never_after_fifteen_business_days_from_the_cycle_start(
    start: datetime, priority: Priority, paused_seconds: int
) -> None:
    clock = ResponseClock(start, None, paused_seconds)
    due = due_at(Market.TR, priority, clock)
    assert due <= TR.add_business_days(start, 15)
    assert due >= TR.add_business_days(start, RESPONSE_TARGET_DAYS[priority])  # pauses never shorten it


# --- paused, resumed ----------------------------------------------------------------------------


def test_pausing_a_paused_clock_keeps_the_first_pause() -> None:
    first = paused(ResponseClock(MONDAY), istanbul(2026, 11, 24, 10))
    assert paused(first, istanbul(2026, 11, 25, 10)) == first


def test_resuming_adds_the_business_time_of_the_pause() -> None:
    clock = ResponseClock(MONDAY, istanbul(2026, 11, 27, 17), 100)
    after = resumed(Market.TR, clock, istanbul(2026, 11, 30, 10))
    assert after == ResponseClock(MONDAY, None, 100 + 2 * HOUR)


def test_resuming_a_running_clock_changes_nothing() -> None:
    clock = ResponseClock(MONDAY, None, 5)
    assert resumed(Market.TR, clock, istanbul(2026, 11, 30, 10)) is clock


def test_a_pause_outside_working_hours_counts_nothing() -> None:
    clock = ResponseClock(MONDAY, istanbul(2026, 11, 28, 10))  # Saturday
    assert resumed(Market.TR, clock, istanbul(2026, 11, 29, 20)).paused_seconds == 0


# --- share_used, is_overdue ---------------------------------------------------------------------


def complaint_at(payload: dict[str, object], at: datetime = MONDAY) -> Complaint:
    repository = FakeRepository()
    receipt = submit_complaint(
        parse_submission(copy.deepcopy(payload)),
        repository=repository,
        clock=FixedClock(at),
        new_code=new_tracking_code,
    )
    return repository.complaints[str(receipt.body["tracking_code"])]


@pytest.fixture
def turkish() -> Complaint:
    complaint = complaint_at(TURKISH_COMPLAINT)
    assert complaint.expected_response_by == istanbul(2026, 11, 30, 18)
    return complaint  # 7.5 h on Monday + 5 x 9 h = 52.5 business hours allowed


def test_no_time_is_used_at_the_start(turkish: Complaint) -> None:
    assert share_used(turkish, MONDAY) == 0.0
    assert share_used(turkish, MONDAY - timedelta(hours=1)) == 0.0


def test_the_share_grows_with_business_time_only(turkish: Complaint) -> None:
    allowed = 52.5 * HOUR
    assert share_used(turkish, istanbul(2026, 11, 23, 18)) == pytest.approx(7.5 * HOUR / allowed)
    assert share_used(turkish, istanbul(2026, 11, 24, 8)) == pytest.approx(7.5 * HOUR / allowed)
    assert share_used(turkish, istanbul(2026, 11, 27, 18)) == pytest.approx(1 - 9 * HOUR / allowed)
    assert share_used(turkish, istanbul(2026, 11, 29, 23)) == share_used(turkish, istanbul(2026, 11, 27, 18))
    assert share_used(turkish, turkish.expected_response_by) == 1.0
    assert share_used(turkish, istanbul(2026, 12, 1, 18)) > 1.0


def test_the_share_stands_still_while_the_clock_is_paused_where_no_ceiling_runs(turkish: Complaint) -> None:
    iranian = replace(turkish, market=Market.IR)
    waiting = replace(iranian, clock=ResponseClock(MONDAY, istanbul(2026, 11, 24, 9)))
    frozen = share_used(waiting, istanbul(2026, 11, 24, 9))
    assert share_used(waiting, istanbul(2026, 12, 20, 12)) == frozen
    assert 0 < frozen < 1


def test_a_turkish_complaint_waiting_for_the_complainant_uses_its_ceiling_pauses_and_all(
    turkish: Complaint,
) -> None:
    """Due at the ceiling while paused; its share counts the pause; overdue once the ceiling passes."""
    from chalicelib.domain.deadlines import statutory_deadline
    from chalicelib.domain.lifecycle import Status

    clock = ResponseClock(MONDAY, istanbul(2026, 11, 24, 9))
    ceiling = statutory_deadline(Market.TR, clock)
    assert ceiling == TR.add_business_days(MONDAY, 15)
    waiting = replace(turkish, status=Status.AWAITING_COMPLAINANT, clock=clock, expected_response_by=ceiling)
    halfway = TR.add_business_days(MONDAY, 7)
    assert share_used(waiting, halfway) > share_used(waiting, istanbul(2026, 11, 24, 9))
    assert share_used(waiting, ceiling) == 1.0
    assert not is_overdue(waiting, ceiling)
    assert is_overdue(waiting, ceiling + timedelta(minutes=1))
    assert statutory_deadline(Market.IR, clock) is None
    assert not is_overdue(replace(waiting, market=Market.IR), ceiling + timedelta(days=30))


def test_finished_pauses_do_not_count_as_time_used(turkish: Complaint) -> None:
    clock = resumed(Market.TR, ResponseClock(MONDAY, istanbul(2026, 11, 24, 9)), istanbul(2026, 11, 25, 9))
    complaint = replace(turkish, clock=clock, expected_response_by=due_at(Market.TR, turkish.priority, clock))
    assert complaint.expected_response_by == istanbul(2026, 12, 1, 18)
    assert share_used(complaint, istanbul(2026, 11, 25, 9)) == pytest.approx(7.5 / 52.5)
    assert share_used(complaint, complaint.expected_response_by) == 1.0


def test_a_deadline_with_no_business_time_left_is_all_used_once_reached(turkish: Complaint) -> None:
    squeezed = replace(turkish, expected_response_by=MONDAY)
    assert share_used(squeezed, MONDAY - timedelta(seconds=1)) == 0.0
    assert share_used(squeezed, MONDAY) == float("inf")


def test_overdue_only_after_the_deadline(turkish: Complaint) -> None:
    due = turkish.expected_response_by
    assert not is_overdue(turkish, due)
    assert is_overdue(turkish, due + timedelta(seconds=1))


@pytest.mark.parametrize("payload", [TURKISH_COMPLAINT, PERSIAN_COMPLAINT])
def test_a_paused_complaint_is_never_overdue(payload: dict[str, object]) -> None:
    complaint = complaint_at(payload)
    waiting = replace(complaint, clock=paused(complaint.response_clock, MONDAY + timedelta(hours=1)))
    for later in (timedelta(days=1), timedelta(days=30), timedelta(days=3000)):
        assert not is_overdue(waiting, complaint.expected_response_by + later)
    running = replace(
        waiting, clock=resumed(complaint.market, waiting.response_clock, MONDAY + timedelta(days=60))
    )
    assert is_overdue(running, complaint.expected_response_by + timedelta(days=61))


def test_an_answered_complaint_is_not_overdue(turkish: Complaint) -> None:
    from chalicelib.domain.lifecycle import Status

    late = turkish.expected_response_by + timedelta(days=3)
    assert is_overdue(turkish, late)
    for status in (Status.RESPONDED, Status.CLOSED, Status.REFERRED_OUT, Status.WITHDRAWN):
        assert not is_overdue(replace(turkish, status=status), late)


def test_a_complaint_paused_with_its_old_deadline_is_judged_by_its_ceiling(turkish: Complaint) -> None:
    """Paused before ceilings ran on, it still carries its ordinary deadline: that is not held against it."""
    from chalicelib.domain.lifecycle import Status

    clock = ResponseClock(MONDAY, TR.add_business_days(MONDAY, 1))
    old = replace(turkish, status=Status.AWAITING_COMPLAINANT, clock=clock)
    assert old.expected_response_by < TR.add_business_days(MONDAY, 6)  # its ordinary deadline
    day_six = TR.add_business_days(MONDAY, 6)
    assert 0.35 < share_used(old, day_six) < 0.5  # about 6 of 15 business days: no escalation yet
    assert not is_overdue(old, day_six)
    assert is_overdue(old, TR.add_business_days(MONDAY, 15) + timedelta(minutes=1))
