"""The live dashboard as the domain builds it: counts, deadlines at risk and overdue, today's intake, ages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.complaint import ResponseClock
from chalicelib.domain.dashboard import (
    LIST_LIMIT,
    OLDEST_LIMIT,
    DashboardReading,
    OpenComplaint,
    Receipt,
    build,
    today,
)
from chalicelib.domain.deadlines import share_of
from chalicelib.domain.lifecycle import OPEN_STATES, RUNNING_STATES, Status
from chalicelib.domain.policy import Category, Channel, Department, Market, Priority

ISTANBUL = ZoneInfo("Europe/Istanbul")
AT_RISK = 0.8


def istanbul(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ISTANBUL).astimezone(UTC)


#: A Turkish cycle of two working days: Monday 09:00 to Tuesday 18:00, 18 business hours.
START = istanbul(2026, 11, 23, 9)
DUE = istanbul(2026, 11, 24, 18)
#: 80% of 18 hours is 14 h 24 min: Monday's 9 hours and Tuesday until 14:24.
EIGHTY_PERCENT = istanbul(2026, 11, 24, 14, 24)


def complaint(
    code: str,
    *,
    status: Status = Status.INVESTIGATING,
    department: str | None = "claims",
    received: datetime = START,
    due: datetime = DUE,
    paused_at: datetime | None = None,
    paused_seconds: int = 0,
    channel: Channel = Channel.WEB,
    market: Market = Market.TR,
) -> OpenComplaint:
    return OpenComplaint(
        tracking_code=code,
        market=market,
        channel=channel,
        category=Category.CLAIM_DECISION,
        priority=Priority.HIGH,
        status=status,
        department=department,
        received_at=received,
        expected_response_by=due,
        clock=ResponseClock(received, paused_at, paused_seconds),
    )


def board(
    *open_complaints: OpenComplaint,
    now: datetime,
    received: tuple[Receipt, ...] = (),
    market: Market = Market.TR,
) -> dict[str, Any]:
    reading = DashboardReading(market, today(market, now), now, tuple(open_complaints), received)
    return build(reading, now, at_risk_share=AT_RISK)


def codes(listed: dict[str, Any]) -> list[str]:
    return [item["tracking_code"] for item in listed["items"]]


# --- counts ----------------------------------------------------------------------------------------


def test_open_complaints_are_counted_by_department_and_state_with_every_cell_present() -> None:
    complaints = [
        complaint("A", department="claims", status=Status.INVESTIGATING),
        complaint("B", department="claims", status=Status.AWAITING_COMPLAINANT, paused_at=START),
        complaint("C", department="finance", status=Status.DECIDED),
        complaint("D", department=None, status=Status.RECEIVED),
        complaint("E", department=None, status=Status.RECEIVED),
    ]
    counts = board(*complaints, now=START)["open"]
    assert counts["total"] == 5
    assert counts["by_status"] == {
        "received": 2,
        "assessed": 0,
        "investigating": 1,
        "awaiting_complainant": 1,
        "decided": 1,
        "responded": 0,
    }
    assert list(counts["by_department"]) == [d.value for d in Department] + ["unassigned"]
    assert counts["by_department"]["claims"]["total"] == 2
    assert counts["by_department"]["claims"]["by_status"]["awaiting_complainant"] == 1
    assert counts["by_department"]["unassigned"] == {
        "total": 2,
        "by_status": {s: 2 if s == "received" else 0 for s in counts["by_status"]},
    }
    assert counts["by_department"]["underwriting"]["total"] == 0


def test_an_empty_market_has_zero_counts_and_empty_lists() -> None:
    dashboard = board(now=START)
    assert dashboard["open"]["total"] == 0
    assert set(dashboard["open"]["by_status"]) == {s.value for s in OPEN_STATES}
    assert dashboard["at_risk"] == {"total": 0, "items": []}
    assert dashboard["overdue"] == {"total": 0, "items": []}
    assert dashboard["oldest"] == {"items": []}
    assert dashboard["intake_today"]["total"] == 0


# --- at risk and overdue ---------------------------------------------------------------------------


def test_a_complaint_is_at_risk_from_exactly_eighty_percent_of_its_business_time() -> None:
    one = complaint("RISK")
    assert share_of(Market.TR, one.clock, DUE, EIGHTY_PERCENT) == AT_RISK
    just_before = board(one, now=EIGHTY_PERCENT - timedelta(seconds=1))
    at_eighty = board(one, now=EIGHTY_PERCENT)
    assert just_before["at_risk"]["total"] == 0
    assert codes(at_eighty["at_risk"]) == ["RISK"]
    assert at_eighty["at_risk"]["items"][0]["share_used"] == 0.8
    assert at_eighty["overdue"]["total"] == 0


def test_at_the_deadline_it_is_still_at_risk_and_a_second_later_overdue_not_at_risk() -> None:
    one = complaint("LATE")
    at_deadline = board(one, now=DUE)
    assert codes(at_deadline["at_risk"]) == ["LATE"]
    assert at_deadline["overdue"]["total"] == 0
    after = board(one, now=DUE + timedelta(seconds=1))
    assert after["at_risk"]["total"] == 0
    assert codes(after["overdue"]) == ["LATE"]


def test_outside_working_hours_the_share_does_not_grow() -> None:
    one = complaint("NIGHT")
    monday_close, tuesday_open = istanbul(2026, 11, 23, 18), istanbul(2026, 11, 24, 9)
    assert board(one, now=monday_close)["at_risk"]["total"] == 0  # 9 of 18 hours
    assert board(one, now=tuesday_open - timedelta(minutes=1))["at_risk"]["total"] == 0


@pytest.mark.parametrize(
    ("status", "market"),
    [(Status.RESPONDED, Market.TR), (Status.RESPONDED, Market.IR), (Status.AWAITING_COMPLAINANT, Market.IR)],
)
def test_complaints_not_owing_a_response_are_never_at_risk_or_overdue(status: Status, market: Market) -> None:
    """Answered, or (in Iran, with no statutory ceiling) waiting for the complainant."""
    assert set(OPEN_STATES) - set(RUNNING_STATES) == {Status.RESPONDED, Status.AWAITING_COMPLAINANT}
    paused = START if status is Status.AWAITING_COMPLAINANT else None
    one = complaint("WAITING", status=status, paused_at=paused, market=market)
    for now in (EIGHTY_PERCENT, DUE, DUE + timedelta(days=30)):
        dashboard = board(one, now=now, market=market)
        assert dashboard["at_risk"]["total"] == 0
        assert dashboard["overdue"]["total"] == 0
        assert dashboard["open"]["total"] == 1


def test_a_turkish_complaint_waiting_for_the_complainant_runs_against_its_ceiling() -> None:
    """Due at its statutory ceiling while paused: at risk near it, overdue past it, pauses counted."""
    from chalicelib.domain.calendar import calendar_for

    ceiling = calendar_for("TR").add_business_days(START, 15)
    one = complaint(
        "ASKED", status=Status.AWAITING_COMPLAINANT, due=ceiling, paused_at=START + timedelta(hours=2)
    )
    assert board(one, now=DUE + timedelta(days=1))["at_risk"]["total"] == 0  # well within the ceiling
    near = calendar_for("TR").add_business_days(START, 13)
    assert codes(board(one, now=near)["at_risk"]) == ["ASKED"]
    late = board(one, now=ceiling + timedelta(hours=1))
    assert codes(late["overdue"]) == ["ASKED"]
    assert late["at_risk"]["total"] == 0


def test_a_paused_clock_is_never_overdue_even_in_a_running_state() -> None:
    one = complaint("PAUSED", status=Status.INVESTIGATING, paused_at=START + timedelta(hours=1))
    dashboard = board(one, now=DUE + timedelta(days=3))
    assert dashboard["overdue"]["total"] == 0
    assert dashboard["at_risk"]["total"] == 0
    assert dashboard["oldest"]["items"][0]["clock_paused"] is True


@pytest.mark.parametrize(
    ("priority_days", "paused_seconds"), [(1, 0), (5, 0), (10, 3 * 3600), (15, 0), (15, 20 * 3600)]
)
def test_at_risk_is_exactly_the_escalation_rule_whatever_the_cycle_length(
    priority_days: int, paused_seconds: int
) -> None:
    """The horizon that spares calendar work never drops a complaint the rule puts at risk."""
    from chalicelib.domain.calendar import calendar_for

    calendar = calendar_for("TR")
    due = calendar.add_business_seconds(calendar.add_business_days(START, priority_days), paused_seconds)
    one = complaint("CYCLE", due=due, paused_seconds=paused_seconds)
    now = START
    while now <= due + timedelta(hours=6):
        expected = now <= due and share_of(Market.TR, one.clock, due, now) >= AT_RISK
        assert (board(one, now=now)["at_risk"]["total"] == 1) is expected, now
        now += timedelta(hours=3, minutes=7)


def test_the_lists_are_capped_most_urgent_first_and_their_totals_count_all() -> None:
    now = DUE + timedelta(days=10)
    late = [
        complaint(f"L{n:03}", due=DUE - timedelta(hours=n % 7, minutes=n), received=START - timedelta(days=1))
        for n in range(LIST_LIMIT + 13)
    ]
    overdue = board(*reversed(late), now=now)["overdue"]
    assert overdue["total"] == LIST_LIMIT + 13
    assert len(overdue["items"]) == LIST_LIMIT
    dues = [item["expected_response_by"] for item in overdue["items"]]
    assert dues == sorted(dues)
    soonest = sorted(late, key=lambda c: (c.expected_response_by, c.tracking_code))[:LIST_LIMIT]
    assert codes(overdue) == [c.tracking_code for c in soonest]


def test_at_risk_lists_the_soonest_due_first() -> None:
    later = complaint("LATER", due=DUE + timedelta(hours=1))
    sooner = complaint("SOONER", due=DUE)
    assert codes(board(later, sooner, now=DUE)["at_risk"]) == ["SOONER", "LATER"]


# --- today's intake --------------------------------------------------------------------------------


def test_todays_intake_is_counted_by_channel_on_the_markets_local_day() -> None:
    # 21:10 UTC on Sunday is 00:10 Monday in Istanbul and 00:40 Monday in Tehran.
    now = datetime(2026, 11, 22, 21, 10, tzinfo=UTC)
    received = (
        Receipt("BEFORE-BOTH", Channel.PHONE, datetime(2026, 11, 22, 20, 25, tzinfo=UTC)),  # 23:25 / 23:55
        Receipt("BETWEEN", Channel.WEB, datetime(2026, 11, 22, 20, 45, tzinfo=UTC)),  # 23:45 / 00:15
        Receipt("AFTER-BOTH", Channel.WEB, datetime(2026, 11, 22, 21, 5, tzinfo=UTC)),  # 00:05 / 00:35
        Receipt("FAX", Channel.FAX, datetime(2026, 11, 22, 21, 6, tzinfo=UTC)),
    )
    turkey = board(now=now, received=received, market=Market.TR)
    iran = board(now=now, received=received, market=Market.IR)
    assert turkey["today"] == iran["today"] == "2026-11-23"
    assert turkey["intake_today"]["total"] == 2
    assert iran["intake_today"]["total"] == 3
    assert iran["intake_today"]["by_channel"] == {
        "web": 2,
        "phone": 0,
        "fax": 1,
        "post": 0,
        "email": 0,
        "social_media": 0,
        "in_person": 0,
    }
    assert turkey["time_zone"] == "Europe/Istanbul"
    assert iran["time_zone"] == "Asia/Tehran"


def test_today_is_the_markets_local_date() -> None:
    late_sunday = datetime(2026, 11, 22, 20, 50, tzinfo=UTC)  # 23:50 Istanbul, 00:20 Tehran
    assert today(Market.TR, late_sunday) == date(2026, 11, 22)
    assert today(Market.IR, late_sunday) == date(2026, 11, 23)


# --- ages and what a row holds ---------------------------------------------------------------------


def test_the_oldest_open_complaints_come_first_with_their_ages() -> None:
    now = istanbul(2026, 11, 30, 12)
    complaints = [complaint(f"O{n:02}", received=START + timedelta(hours=n)) for n in range(OLDEST_LIMIT + 5)]
    oldest = board(*reversed(complaints), now=now)["oldest"]["items"]
    assert [item["tracking_code"] for item in oldest] == [f"O{n:02}" for n in range(OLDEST_LIMIT)]
    assert oldest[0]["age_seconds"] == int((now - START).total_seconds())
    assert oldest[1]["age_seconds"] == oldest[0]["age_seconds"] - 3600
    assert oldest[0]["received_at"] == "2026-11-23T06:00:00Z"


def test_a_listed_complaint_holds_only_codes_taxonomy_times_ages_and_shares() -> None:
    one = replace(complaint("ROW", department=None, status=Status.RECEIVED), priority=Priority.CRITICAL)
    row = board(one, now=EIGHTY_PERCENT)["at_risk"]["items"][0]
    assert row == {
        "tracking_code": "ROW",
        "status": "received",
        "department": "unassigned",
        "category": "claim_decision",
        "priority": "critical",
        "channel": "web",
        "received_at": "2026-11-23T06:00:00Z",
        "expected_response_by": "2026-11-24T15:00:00Z",
        "age_seconds": int((EIGHTY_PERCENT - START).total_seconds()),
        "share_used": 0.8,
        "clock_paused": False,
    }


def test_the_dashboard_says_when_it_was_read_and_how_often_to_ask_again() -> None:
    read_at = START
    reading = DashboardReading(Market.TR, today(Market.TR, START), read_at, (), ())
    dashboard = build(reading, START + timedelta(seconds=7), at_risk_share=AT_RISK)
    assert dashboard["read_at"] == "2026-11-23T06:00:00Z"
    assert dashboard["as_of"] == "2026-11-23T06:00:07Z"
    assert dashboard["refresh_seconds"] == 30
    assert dashboard["at_risk_share"] == AT_RISK
    assert dashboard["market"] == "TR"
