"""Report rows, the figures of a period, and the safety of the cells written to files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import random
import tracemalloc
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import commands as c
from chalicelib.domain import policy as p
from chalicelib.domain.complaint import Milestone, MilestoneCode
from chalicelib.domain.handling import escalate, handle, record_feedback
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.periods import PeriodKind, period_of
from chalicelib.domain.reports import (
    CSV_COLUMNS,
    RELATIVE_ERROR,
    PeriodAggregator,
    QuantileSketch,
    ReportRow,
    cell_text,
    csv_cells,
    neutralise,
    row_of,
)
from tests.conftest import TURKISH_COMPLAINT
from tests.unit.test_handling import received

ISTANBUL = ZoneInfo("Europe/Istanbul")
NOVEMBER = period_of("TR", PeriodKind.MONTHLY, date(2026, 11, 1))
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ISTANBUL)  # opening is 09:00, closing 18:00
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=ISTANBUL)
HOUR = 3600
T = typing.TypeVar("T")


def row(**changes: typing.Any) -> ReportRow:
    """A Turkish web complaint received on Monday 23 November 2026 at 10:00, due in ten business days."""
    base = ReportRow(
        tracking_code="7K3M-9XQ2-HT4W-R8",
        market=p.Market.TR,
        language=p.Language.TR,
        channel=p.Channel.WEB,
        kind=p.Kind.COMPLAINT,
        category=p.Category.CLAIM_DECISION,
        priority=p.Priority.MEDIUM,
        department="claims",
        status=Status.INVESTIGATING,
        health_or_safety=False,
        received_at=MONDAY_10,
        due_at=datetime(2026, 12, 7, 18, 0, tzinfo=ISTANBUL),
    )
    return dataclasses.replace(base, **changes)


def after(**delta: float) -> datetime:
    return MONDAY_10 + timedelta(**delta)


def summary_of(*rows: ReportRow, **kwargs: typing.Any) -> dict[str, typing.Any]:
    aggregator = PeriodAggregator(NOVEMBER)
    for each in rows:
        aggregator.add(each)
    return aggregator.summary(NOW, **kwargs)


def nearest_rank(values: list[int], q: float) -> int:
    return sorted(values)[max(1, math.ceil(q * len(values))) - 1]


# --- what a row may hold ----------------------------------------------------------------------

PERSONAL_WORDS = {"name", "mobile", "phone", "email", "mail", "national", "policy_number", "address"}
FREE_TEXT_WORDS = {"description", "remedy", "note", "text", "message", "comment", "reason", "reference"}


def test_a_report_row_has_no_field_for_personal_data_or_free_text():
    names = {field.name for field in dataclasses.fields(ReportRow)}
    assert not {name for name in names for word in PERSONAL_WORDS | FREE_TEXT_WORDS if word in name}
    assert "assignee" not in names  # a handler's identity is not the report's business either


def test_the_only_text_a_row_holds_is_the_tracking_code_and_the_department():
    texts = set()
    for name, hint in typing.get_type_hints(ReportRow).items():
        if isinstance(hint, types.UnionType):
            (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
        if hint is str:
            texts.add(name)
        else:
            assert hint in (bool, int, datetime, tuple[int, ...]) or issubclass(hint, StrEnum), name
    assert texts == {"tracking_code", "department"}


SECRETS = {
    "name": "Ayşe SIR-NAME Yılmaz",
    "email": "sir-mail@example.com",
    "policy": "KSK-SIR/42",
    "description": "Kasko SIR-DESC talebim reddedildi",
    "remedy": "SIR-REMEDY ödenmesi",
    "note": "SIR-NOTE görüşüldü",
    "cause": "SIR-CAUSE açıklaması",
    "decision": "SIR-DECISION kısmi ödeme",
    "message": "SIR-SMS ödeme",
    "comment": "SIR-COMMENT teşekkürler",
}


def handled_complaint():
    """A Turkish complaint answered, closed, rated, reopened, escalated and answered again."""
    complaint = received(
        TURKISH_COMPLAINT,
        at=MONDAY_10.astimezone(UTC),
        description=SECRETS["description"],
        remedy_sought=SECRETS["remedy"],
        contact={
            **TURKISH_COMPLAINT["contact"],
            "name": SECRETS["name"],
            "email": SECRETS["email"],
            "policy_number": SECRETS["policy"],
        },
    )
    acknowledged = Milestone(MilestoneCode.ACKNOWLEDGED, after(minutes=2))
    complaint = dataclasses.replace(complaint, milestones=(*complaint.milestones, acknowledged))
    steps: list[tuple[c.Command, datetime]] = [
        (c.Assign(p.Department.CLAIMS, "mehmet"), after(hours=1)),
        (c.AddNote(SECRETS["note"]), after(hours=2)),
        (c.RecordRootCause(p.RootCause.PROCESS_DELAY, SECRETS["cause"]), after(hours=3)),
        (c.Decide(p.DecisionOutcome.PARTLY_UPHELD, SECRETS["decision"], "750.00"), after(hours=4)),
        (c.CommunicateDecision(p.ContactChannel.SMS, SECRETS["message"]), after(days=1)),  # Tue 10:00
        (c.Close(None), after(days=2)),
    ]
    for command, at in steps:
        complaint, _ = handle(complaint, command, actor="staff:mehmet", now=at)
    complaint, _ = record_feedback(complaint, 4, SECRETS["comment"], now=after(days=2, hours=1))
    complaint, _ = handle(complaint, c.Reopen("itiraz"), actor="staff:mehmet", now=after(days=3))
    escalated = escalate(complaint, [1, 2], ("supervisor", "head"), now=after(days=3, hours=1))
    assert escalated is not None
    complaint = escalated[0]
    for command, at in [
        (c.Decide(p.DecisionOutcome.REJECTED, None, None), after(days=4)),
        (c.CommunicateDecision(p.ContactChannel.PHONE, SECRETS["message"]), after(days=4, hours=1)),
    ]:
        complaint, _ = handle(complaint, command, actor="staff:mehmet", now=at)
    return complaint


def test_a_row_of_a_complaint_records_its_handling():
    complaint = handled_complaint()
    report_row = row_of(complaint, NOW)
    assert report_row.received_at == MONDAY_10
    assert report_row.acknowledged_at == after(minutes=2)
    assert report_row.first_response_at == after(days=1)  # the first decision sent
    assert report_row.answered_at == after(days=4, hours=1)  # the decision of the cycle after reopening
    assert report_row.resolved_at is None  # reopened: no longer resolved
    assert (report_row.reopened, report_row.closures, report_row.ratings) == (1, 1, (4,))
    assert report_row.escalation_level == 2
    assert report_row.root_cause is p.RootCause.PROCESS_DELAY
    assert report_row.decision_outcome is p.DecisionOutcome.REJECTED
    assert (report_row.status, report_row.department) == (Status.RESPONDED, "claims")
    assert report_row.overdue is False


def test_a_row_of_a_complaint_closed_again_is_resolved_at_the_last_closing():
    complaint, _ = handle(handled_complaint(), c.Close(None), actor="staff:mehmet", now=after(days=5))
    assert row_of(complaint, NOW).resolved_at == after(days=5)


def test_no_personal_data_or_free_text_reaches_a_row_its_cells_or_the_summary():
    report_row = row_of(handled_complaint(), NOW)
    written = " ".join(csv_cells(report_row)) + json.dumps(summary_of(report_row), ensure_ascii=False)
    written += repr(report_row)
    for what, secret in SECRETS.items():
        assert secret not in written, what
    assert "SIR-" not in written
    assert "1234567" not in written  # not even part of the mobile number


def test_ratings_are_one_to_five():
    with pytest.raises(ValueError, match="1 to 5"):
        row(ratings=(6,))


# --- the figures of a period ------------------------------------------------------------------


def test_received_is_broken_down_by_every_dimension_with_zeros_kept():
    summary = summary_of(
        row(),
        row(channel=p.Channel.PHONE, kind=p.Kind.INQUIRY, department=None),
        row(language=p.Language.EN, priority=p.Priority.CRITICAL, department="legal"),
    )
    received_ = summary["received"]
    assert received_["total"] == 3
    assert received_["by_channel"] == {
        "web": 2,
        "phone": 1,
        "fax": 0,
        "post": 0,
        "email": 0,
        "social_media": 0,
        "in_person": 0,
    }
    assert received_["by_kind"] == {"complaint": 2, "inquiry": 1}
    assert received_["by_language"] == {"fa": 0, "tr": 2, "en": 1}
    assert received_["by_priority"] == {"critical": 1, "high": 0, "medium": 2, "low": 0}
    assert received_["by_category"]["claim_decision"] == 3
    assert sum(received_["by_category"].values()) == 3
    assert received_["by_department"]["claims"] == 1
    assert received_["by_department"]["unassigned"] == 1
    assert list(received_["by_department"])[-1] == "legal"  # a department outside the policy comes last
    assert summary["status_now"]["investigating"] == 3


def test_the_share_acknowledged_within_one_hour_counts_wall_clock_time():
    summary = summary_of(
        row(acknowledged_at=after(minutes=59)),
        row(acknowledged_at=after(minutes=61)),
        row(),
        row(acknowledged_at=after(hours=1)),
    )
    assert summary["acknowledgement"] == {
        "acknowledged": 3,
        "within_one_hour": 2,
        "share_within_one_hour": 0.5,
    }


def test_times_are_business_times_from_receipt():
    friday_evening = datetime(2026, 11, 27, 18, 30, tzinfo=ISTANBUL)  # after closing
    summary = summary_of(
        row(
            received_at=friday_evening,
            acknowledged_at=friday_evening + timedelta(days=1),  # Saturday: no business time
            first_response_at=datetime(2026, 11, 30, 10, 0, tzinfo=ISTANBUL),  # Monday 09:00-10:00
            resolved_at=datetime(2026, 12, 1, 9, 0, tzinfo=ISTANBUL),  # + the rest of Monday, 8 h
        )
    )
    times = summary["business_time"]
    assert times["to_acknowledge"] == {"count": 1, "median_seconds": 0, "p90_seconds": 0}
    assert times["to_first_response"]["median_seconds"] == pytest.approx(HOUR, rel=RELATIVE_ERROR)
    assert times["to_resolution"]["median_seconds"] == pytest.approx(9 * HOUR, rel=RELATIVE_ERROR)


def test_median_and_90th_percentile_are_nearest_rank():
    summary = summary_of(*(row(acknowledged_at=after(minutes=n)) for n in range(1, 11)))
    to_acknowledge = summary["business_time"]["to_acknowledge"]
    assert to_acknowledge["count"] == 10
    assert to_acknowledge["median_seconds"] == pytest.approx(5 * 60, rel=RELATIVE_ERROR)
    assert to_acknowledge["p90_seconds"] == pytest.approx(9 * 60, rel=RELATIVE_ERROR)
    assert summary["business_time"]["to_resolution"] == {
        "count": 0,
        "median_seconds": None,
        "p90_seconds": None,
    }


def test_answered_on_time_judges_the_current_cycles_answer_against_its_deadline():
    due = row().due_at
    summary = summary_of(
        row(answered_at=due),  # on the deadline: on time
        row(answered_at=due - timedelta(days=3)),
        row(answered_at=due + timedelta(seconds=1)),  # late
        row(overdue=True),  # still owed past the deadline: late
        row(),  # not due yet: not judged
        row(status=Status.WITHDRAWN),
    )
    assert summary["timeliness"] == {
        "on_time": 2,
        "late": 1,
        "overdue_unanswered": 1,
        "not_yet_judged": 2,
        "share_on_time": 0.5,
    }
    assert summary["overdue_now"] == 1


def test_decisions_are_counted_by_outcome():
    outcomes = [p.DecisionOutcome.UPHELD] * 3 + [p.DecisionOutcome.REJECTED] + [None]
    summary = summary_of(*(row(decision_outcome=outcome) for outcome in outcomes))
    assert summary["decisions"] == {"upheld": 3, "partly_upheld": 0, "rejected": 1, "undecided": 1}


def test_root_causes_form_a_pareto_with_cumulative_shares():
    causes = (
        [p.RootCause.COMMUNICATION] * 3
        + [p.RootCause.PROCESS_DELAY] * 5
        + [p.RootCause.BILLING_ERROR, p.RootCause.STAFF_CONDUCT]
        + [None] * 4
    )
    pareto = summary_of(*(row(root_cause=cause) for cause in causes))["root_causes"]
    assert (pareto["recorded"], pareto["unrecorded"]) == (10, 4)
    assert pareto["pareto"] == [
        {"root_cause": "process_delay", "count": 5, "share": 0.5, "cumulative_share": 0.5},
        {"root_cause": "communication", "count": 3, "share": 0.3, "cumulative_share": 0.8},
        {"root_cause": "billing_error", "count": 1, "share": 0.1, "cumulative_share": 0.9},  # ties by code
        {"root_cause": "staff_conduct", "count": 1, "share": 0.1, "cumulative_share": 1.0},
    ]


def test_the_reopen_rate_is_over_complaints_ever_closed():
    summary = summary_of(
        row(closures=1), row(closures=2, reopened=1), row(closures=1), row(closures=1), row()
    )
    assert summary["reopening"] == {"closed": 4, "reopened": 1, "rate": 0.25}


def test_escalations_are_counted_by_the_highest_level_reached():
    summary = summary_of(*(row(escalation_level=level) for level in (0, 1, 2, 2, 10)))
    assert summary["escalations"] == {"escalated": 4, "by_highest_level": {"1": 1, "2": 2, "10": 1}}


def test_satisfaction_has_an_average_a_distribution_and_a_response_rate_over_closings():
    summary = summary_of(row(closures=1, ratings=(5,)), row(closures=2, ratings=(4, 2)), row(closures=1))
    assert summary["satisfaction"] == {
        "ratings": 3,
        "average": 3.67,
        "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
        "closings": 4,
        "response_rate": 0.75,
    }


def test_health_flagged_complaints_are_counted_with_their_time_to_first_response():
    summary = summary_of(
        row(health_or_safety=True, first_response_at=after(hours=1)),
        row(health_or_safety=True, first_response_at=after(hours=3)),
        row(health_or_safety=True),
        row(first_response_at=after(hours=8)),
    )
    health = summary["health_or_safety"]
    assert health["flagged"] == 3
    assert health["to_first_response"]["count"] == 2
    assert health["to_first_response"]["median_seconds"] == pytest.approx(HOUR, rel=RELATIVE_ERROR)


def test_backlog_and_capa_counts_from_elsewhere_join_the_summary():
    summary = summary_of(row(), backlog={"0-5d": 3, "overdue": 1}, capa={"opened": 2, "closed": 1})
    assert summary["backlog"] == {"0-5d": 3, "overdue": 1}
    assert summary["capa"] == {"opened": 2, "closed": 1}
    assert summary_of(row())["backlog"] is None


def test_the_summary_names_its_period_and_survives_json():
    summary = summary_of(row(ratings=(3,), closures=1, acknowledged_at=after(minutes=1)))
    assert summary["period"] == {
        "market": "TR",
        "kind": "monthly",
        "label": "2026-11",
        "title": "Kasım 2026",
        "first_day": "2026-11-01",
        "last_day": "2026-11-30",
        "start": "2026-10-31T21:00:00+00:00",
        "end": "2026-11-30T21:00:00+00:00",
        "time_zone": "Europe/Istanbul",
    }
    assert json.loads(json.dumps(summary)) == summary


def test_an_empty_period_has_zeros_and_no_shares():
    summary = summary_of()
    assert summary["received"]["total"] == 0
    assert summary["acknowledgement"]["share_within_one_hour"] is None
    assert summary["timeliness"]["share_on_time"] is None
    assert summary["satisfaction"]["average"] is None
    assert summary["root_causes"]["pareto"] == []


def test_a_row_from_outside_the_period_is_refused_but_ten_to_midnight_on_its_last_day_is_not():
    aggregator = PeriodAggregator(NOVEMBER)
    aggregator.add(row(received_at=datetime(2026, 11, 30, 23, 50, tzinfo=ISTANBUL)))
    with pytest.raises(ValueError, match="2026-11"):
        aggregator.add(row(received_at=datetime(2026, 12, 1, 0, 0, tzinfo=ISTANBUL)))
    with pytest.raises(ValueError, match="not received"):
        aggregator.add(row(market=p.Market.IR))


def varied_rows(count: int, seed: int = 7) -> Iterator[ReportRow]:
    """Rows with steps at random times within the same working day, made one at a time."""
    rng = random.Random(seed)
    opening = datetime(2026, 11, 23, 9, 0, tzinfo=ISTANBUL)
    for n in range(count):
        received_at = opening + timedelta(seconds=rng.randrange(3600))
        acknowledged, answered, resolved = sorted(rng.randrange(8 * 3600 - 3600) for _ in range(3))
        yield row(
            tracking_code=f"CODE-{n}",
            received_at=received_at,
            acknowledged_at=received_at + timedelta(seconds=acknowledged),
            first_response_at=received_at + timedelta(seconds=answered),
            resolved_at=received_at + timedelta(seconds=resolved),
            health_or_safety=n % 10 == 0,
            root_cause=rng.choice([*p.RootCause, None]),
            ratings=(rng.randint(1, 5),),
            closures=1,
        )


def test_merging_shards_gives_the_figures_of_one_pass():
    rows = list(varied_rows(300))
    whole = PeriodAggregator(NOVEMBER)
    shards = [PeriodAggregator(NOVEMBER) for _ in range(3)]
    for n, each in enumerate(rows):
        whole.add(each)
        shards[n % 3].add(each)
    for shard in shards[1:]:
        shards[0].merge(shard)
    assert shards[0].summary(NOW) == whole.summary(NOW)
    with pytest.raises(ValueError, match="same period"):
        whole.merge(PeriodAggregator(period_of("TR", PeriodKind.MONTHLY, date(2026, 12, 1))))


def growth_after(settle: int, items: Iterable[T], add: Callable[[T], object]) -> int:
    """How far traced memory rises above what it held after the first `settle` items were added."""
    settled = 0
    tracemalloc.start()
    try:
        for n, item in enumerate(items, start=1):
            add(item)
            if n == settle:
                settled, _ = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - settled


def test_memory_stays_flat_as_the_period_grows():
    rows = list(varied_rows(10_000))
    for each in rows:
        assert each.business_times  # the calendar's work is done before the count is traced
    aggregator = PeriodAggregator(NOVEMBER)
    # Keeping the 9,000 later values of even one metric would take 72 kB (8 bytes each).
    assert growth_after(1_000, rows, aggregator.add) < 16 * 1024
    assert aggregator.received == 10_000


# --- percentiles --------------------------------------------------------------------------------

values = st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=300)


@given(values, st.floats(min_value=0.001, max_value=1.0))
def test_a_sketched_percentile_is_within_the_stated_error_of_the_exact_one(numbers, q):
    sketch = QuantileSketch()
    for number in numbers:
        sketch.add(number)
    exact = nearest_rank(numbers, q)
    assert abs(sketch.quantile(q) - exact) <= RELATIVE_ERROR * exact + 0.5


@given(values, values)
def test_merged_sketches_answer_as_one(first, second):
    one, two, both = QuantileSketch(), QuantileSketch(), QuantileSketch()
    for number in first:
        one.add(number)
        both.add(number)
    for number in second:
        two.add(number)
        both.add(number)
    one.merge(two)
    assert [one.quantile(q) for q in (0.5, 0.9, 1.0)] == [both.quantile(q) for q in (0.5, 0.9, 1.0)]


def test_small_numbers_come_back_exactly():
    sketch = QuantileSketch()
    for number in (0, 1, 2, 3, 50):
        sketch.add(number)
    assert [sketch.quantile(q) for q in (0.2, 0.4, 0.6, 0.8, 1.0)] == [0, 1, 2, 3, 50]
    assert QuantileSketch().quantile(0.5) is None
    with pytest.raises(ValueError, match="negative"):
        sketch.add(-1)


def test_a_sketch_of_a_hundred_thousand_values_is_no_bigger_than_of_ten_thousand():
    rng = random.Random(3)
    numbers = (int(10 ** rng.uniform(0, 7)) for _ in range(100_000))  # up to 10 million seconds
    sketch = QuantileSketch()
    assert growth_after(10_000, numbers, sketch.add) < 8 * 1024  # 90,000 more kept would take 720 kB
    assert sketch.count == 100_000


# --- cells of files a spreadsheet opens ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://example.com","tıkla")',
        "+90 532 000 00 00",
        "-5",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
        "=İŞLEM()",
        "=جمع(A1)",
        "-شکایت",
    ],
)
def test_text_that_starts_like_a_formula_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "claims",
        "آذر ۱۴۰۵",
        "شکایت -= ثبت شد",
        "İstanbul ılık",
        "5-3",
        "a=b",
        "'=1",
        "\u200f=1",  # a right-to-left mark first: a spreadsheet reads text
        "＝1",  # a fullwidth equals sign is not a formula
    ],
)
def test_other_text_is_left_as_it_is(text):
    assert neutralise(text) == text


def test_numbers_are_written_as_numbers_and_text_as_neutralised_text():
    assert cell_text(-5) == "-5"
    assert cell_text(-2.5) == "-2.5"
    assert cell_text("-5") == "'-5"
    assert cell_text(p.Channel.WEB) == "web"
    assert (cell_text(True), cell_text(False), cell_text(None)) == ("true", "false", "")


def test_a_csv_row_has_a_cell_per_column_with_local_times():
    cells = dict(
        zip(
            CSV_COLUMNS,
            csv_cells(row(acknowledged_at=after(minutes=30), answered_at=after(days=1), ratings=(4, 5))),
            strict=True,
        )
    )
    assert cells["received_at"] == "2026-11-23T10:00:00+03:00"
    assert cells["acknowledged_at"] == "2026-11-23T10:30:00+03:00"
    assert cells["resolved_at"] == ""
    assert cells["on_time"] == "true"
    assert cells["overdue"] == "false"
    assert cells["ratings"] == "4 5"
    assert cells["business_seconds_to_acknowledge"] == "1800"
    assert cells["business_seconds_to_first_response"] == ""
    assert (cells["channel"], cells["priority"]) == ("web", "medium")


def test_a_department_written_as_a_formula_reaches_the_csv_inert():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerow(csv_cells(row(department="=cmd|' /C calc'!A0")))
    header, written = csv.reader(io.StringIO(buffer.getvalue()))
    assert dict(zip(header, written, strict=True))["department"] == "'=cmd|' /C calc'!A0"
