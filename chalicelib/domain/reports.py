"""What a period report knows of each complaint, what it counts, and how its rows are written.

Rules:

- A report row holds no personal data: only codes, taxonomies, times and
  counts. Who complained, how to reach them and what anyone wrote never
  reach a report.
- A row is a snapshot at the moment it was read: its status and whether it is
  overdue are as of then.
- Times to acknowledge, to first response and to resolution are business
  time from receipt (the market's calendar), pauses included: they are the
  complainant's wait. "Acknowledged within one hour" is wall-clock time: the
  acknowledgement is automatic, at any hour.
- A complaint is answered on time when the decision of its current handling
  cycle was sent by its deadline; late when sent after it, or when the
  deadline passed with the answer still owed. Complaints not yet due, waiting
  for the complainant, referred out or withdrawn are not judged.
- Percentiles are nearest-rank (the smallest value with at least p% of the
  values at or below it), estimated from counts in buckets that grow by a
  fixed ratio: memory does not grow with the number of complaints, and an
  estimate is within `RELATIVE_ERROR` of the exact value (plus rounding to the
  whole second).
- A text cell of a file a spreadsheet opens is neutralised when it starts
  like a formula. Numbers are written as numbers and are not text: `-5` stays
  `-5`, while the text "-5" becomes "'-5".
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.complaint import Complaint, MilestoneCode
from chalicelib.domain.deadlines import is_overdue
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.periods import ReportPeriod
from chalicelib.domain.policy import (
    Category,
    Channel,
    DecisionOutcome,
    Department,
    Kind,
    Language,
    Market,
    Priority,
    RootCause,
)

RELATIVE_ERROR = 0.005
_GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)
_PREALLOCATED_UP_TO = 10**8
_ONE_HOUR = timedelta(hours=1)
_RESOLVED = {MilestoneCode.CLOSED, MilestoneCode.REFERRED_OUT, MilestoneCode.WITHDRAWN}
_FINAL_STATES = {Status.CLOSED, Status.REFERRED_OUT, Status.WITHDRAWN}
RATINGS = range(1, 6)


class BusinessTimes(NamedTuple):
    """Business seconds from receipt to each step; None for a step not reached."""

    to_acknowledge: int | None
    to_first_response: int | None
    to_resolution: int | None


@dataclass(frozen=True)
class ReportRow:
    """One complaint as reports see it: no personal data, a snapshot at the moment it was read."""

    tracking_code: str
    market: Market
    language: Language
    channel: Channel
    kind: Kind
    category: Category
    priority: Priority
    department: str | None
    status: Status
    health_or_safety: bool
    received_at: datetime
    due_at: datetime  # the deadline of the current handling cycle
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None  # the first decision sent
    answered_at: datetime | None = None  # the decision sent in the current cycle
    resolved_at: datetime | None = None  # closed, referred out or withdrawn, if it still is
    overdue: bool = False
    reopened: int = 0  # times reopened
    closures: int = 0  # times closed; each closing may be rated once
    escalation_level: int = 0  # the highest level reached, 0 if never escalated
    root_cause: RootCause | None = None
    decision_outcome: DecisionOutcome | None = None
    ratings: tuple[int, ...] = ()
    paused_seconds: int = 0  # business seconds the current cycle waited for the complainant

    def __post_init__(self) -> None:
        if any(rating not in RATINGS for rating in self.ratings):
            raise ValueError(f"ratings are 1 to 5, got {self.ratings!r}")

    @cached_property
    def business_times(self) -> BusinessTimes:
        """Business seconds from receipt to acknowledgement, first response and resolution."""
        calendar = calendar_for(self.market.value)

        def since_receipt(step: datetime | None) -> int | None:
            return None if step is None else calendar.business_seconds_between(self.received_at, step)

        return BusinessTimes(
            since_receipt(self.acknowledged_at),
            since_receipt(self.first_response_at),
            since_receipt(self.resolved_at),
        )


def row_of(complaint: Complaint, now: datetime) -> ReportRow:
    """The report row of a domain complaint, read at `now`."""
    first: dict[MilestoneCode, datetime] = {}
    answered: datetime | None = None
    resolved: datetime | None = None
    for milestone in complaint.milestones:
        first.setdefault(milestone.code, milestone.at)
        if milestone.code is MilestoneCode.REOPENED:
            answered = resolved = None
        elif milestone.code is MilestoneCode.DECISION_SENT:
            answered = answered or milestone.at
        elif milestone.code in _RESOLVED:
            resolved = milestone.at
    levels = [int(key.rpartition(":")[2]) for key in complaint.escalations]
    return ReportRow(
        tracking_code=complaint.tracking_code,
        market=complaint.market,
        language=complaint.language,
        channel=complaint.channel,
        kind=complaint.kind,
        category=complaint.category,
        priority=complaint.priority,
        department=complaint.department,
        status=complaint.status,
        health_or_safety=complaint.health_or_safety,
        received_at=complaint.received_at,
        due_at=complaint.expected_response_by,
        acknowledged_at=first.get(MilestoneCode.ACKNOWLEDGED),
        first_response_at=first.get(MilestoneCode.DECISION_SENT),
        answered_at=answered,
        resolved_at=resolved if complaint.status in _FINAL_STATES else None,
        overdue=is_overdue(complaint, now),
        reopened=sum(m.code is MilestoneCode.REOPENED for m in complaint.milestones),
        closures=complaint.closures,
        escalation_level=max(levels, default=0),
        root_cause=complaint.root_cause,
        decision_outcome=complaint.decision.outcome if complaint.decision else None,
        ratings=tuple(complaint.satisfaction[key].rating for key in sorted(complaint.satisfaction, key=int)),
        paused_seconds=complaint.response_clock.paused_seconds,
    )


def _slot(value: int) -> int:
    """Where a sketch counts a value: 0 for zero, 1 + its bucket otherwise."""
    return 0 if value == 0 else 1 + math.ceil(math.log(value) / _LOG_GAMMA)


class QuantileSketch:
    """Counts of non-negative whole numbers in buckets that grow by a fixed ratio.

    Bucket i holds the values in (g^(i-1), g^i] with g = (1+a)/(1-a), and
    stands for 2g^i/(g+1): within a (`RELATIVE_ERROR`) of every value in it.
    Counts are exact, so the bucket holding the value of a given rank is found
    exactly, and the estimate of a quantile is within a of the exact one. Zero
    has a bucket of its own. The buckets up to 10^8 (three years of seconds)
    are made at once, 15 kB, and larger values add buckets one by one: memory
    never depends on how many values are counted.
    """

    def __init__(self) -> None:
        self.count = 0
        self._counts = array("Q", bytes(8 * (_slot(_PREALLOCATED_UP_TO) + 1)))  # slot 0 counts zeros

    def add(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"values are not negative, got {value}")
        slot = _slot(value)
        if slot >= len(self._counts):
            self._counts.extend(bytes(8 * (slot + 1 - len(self._counts))))
        self._counts[slot] += 1
        self.count += 1

    def merge(self, other: QuantileSketch) -> None:
        if len(other._counts) > len(self._counts):
            self._counts.extend(bytes(8 * (len(other._counts) - len(self._counts))))
        for slot, count in enumerate(other._counts):
            self._counts[slot] += count
        self.count += other.count

    def quantile(self, q: float) -> int | None:
        """The nearest-rank q-quantile (0 < q <= 1), rounded to a whole number; None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for slot, count in enumerate(self._counts):
            seen += count
            if seen >= rank:
                return 0 if slot == 0 else round(2 * _GAMMA ** (slot - 1) / (_GAMMA + 1))
        raise AssertionError("the counts add up to self.count")  # pragma: no cover

    def summary(self) -> dict[str, int | None]:
        return {"count": self.count, "median_seconds": self.quantile(0.5), "p90_seconds": self.quantile(0.9)}


_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "channel": tuple(Channel),
    "category": tuple(Category),
    "priority": tuple(Priority),
    "department": (*Department, "unassigned"),
    "language": tuple(Language),
    "kind": tuple(Kind),
}
_TIMES = ("to_acknowledge", "to_first_response", "to_resolution")


class PeriodAggregator:
    """The figures of one period's report, counted one row at a time in flat memory."""

    def __init__(self, period: ReportPeriod) -> None:
        self.period = period
        self.received = 0
        self._by: dict[str, Counter[str]] = {name: Counter() for name in (*_BREAKDOWNS, "status")}
        self._counts: Counter[str] = Counter()
        self._times = {name: QuantileSketch() for name in _TIMES}
        self._health_response = QuantileSketch()
        self._root_causes: Counter[str] = Counter()
        self._decisions: Counter[str] = Counter()
        self._escalations: Counter[str] = Counter()
        self._ratings: Counter[str] = Counter()

    def add(self, row: ReportRow) -> None:
        """Count a complaint received in the period."""
        if row.market != self.period.market or not self.period.contains(row.received_at):
            raise ValueError(
                f"{row.tracking_code} was not received in {self.period.market} {self.period.label}"
            )
        self.received += 1
        for name, value in self._keys(row).items():
            self._by[name][value] += 1
        times = row.business_times
        for name, seconds in zip(_TIMES, times, strict=True):
            if seconds is not None:
                self._times[name].add(seconds)
        count = self._counts
        count["acknowledged"] += row.acknowledged_at is not None
        count["within_one_hour"] += _within_an_hour(row)
        count[_timeliness(row)] += 1
        count["overdue"] += row.overdue
        count["closed"] += row.closures > 0
        count["closings"] += row.closures
        count["reopened"] += row.reopened > 0
        count["health_or_safety"] += row.health_or_safety
        if row.health_or_safety and times.to_first_response is not None:
            self._health_response.add(times.to_first_response)
        self._root_causes[row.root_cause.value if row.root_cause else "unrecorded"] += 1
        self._decisions[row.decision_outcome.value if row.decision_outcome else "undecided"] += 1
        if row.escalation_level:
            self._escalations[str(row.escalation_level)] += 1
        self._ratings.update(str(rating) for rating in row.ratings)

    def merge(self, other: PeriodAggregator) -> None:
        """Add the counts of another part of the same period (a shard read apart)."""
        if other.period != self.period:
            raise ValueError("only aggregators of the same period merge")
        self.received += other.received
        for name, counter in other._by.items():
            self._by[name].update(counter)
        for mine, theirs in (
            (self._counts, other._counts),
            (self._root_causes, other._root_causes),
            (self._decisions, other._decisions),
            (self._escalations, other._escalations),
            (self._ratings, other._ratings),
        ):
            mine.update(theirs)
        for name, sketch in other._times.items():
            self._times[name].merge(sketch)
        self._health_response.merge(other._health_response)

    def summary(
        self,
        now: datetime,
        *,
        backlog: Mapping[str, int] | None = None,
        capa: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """The report's figures, ready for JSON; backlog and CAPA counts come from elsewhere."""
        count, period = self._counts, self.period
        judged = count["on_time"] + count["late"] + count["overdue_unanswered"]
        rated = sum(self._ratings.values())
        return {
            "period": {
                "market": period.market.value,
                "kind": period.kind.value,
                "label": period.label,
                "title": period.title,
                "first_day": period.first_day.isoformat(),
                "last_day": period.last_day.isoformat(),
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "time_zone": calendar_for(period.market.value).tz.key,
            },
            "generated_at": now.isoformat(),
            "received": {
                "total": self.received,
                **{f"by_{name}": _breakdown(self._by[name], known) for name, known in _BREAKDOWNS.items()},
            },
            "status_now": _breakdown(self._by["status"], tuple(Status)),
            "acknowledgement": {
                "acknowledged": count["acknowledged"],
                "within_one_hour": count["within_one_hour"],
                "share_within_one_hour": _share(count["within_one_hour"], self.received),
            },
            "business_time": {name: sketch.summary() for name, sketch in self._times.items()},
            "timeliness": {
                "on_time": count["on_time"],
                "late": count["late"],
                "overdue_unanswered": count["overdue_unanswered"],
                "not_yet_judged": count["not_judged"],
                "share_on_time": _share(count["on_time"], judged),
            },
            "overdue_now": count["overdue"],
            "decisions": _breakdown(self._decisions, (*DecisionOutcome, "undecided")),
            "root_causes": _pareto(self._root_causes),
            "reopening": {
                "closed": count["closed"],
                "reopened": count["reopened"],
                "rate": _share(count["reopened"], count["closed"]),
            },
            "escalations": {
                "escalated": sum(self._escalations.values()),
                "by_highest_level": dict(sorted(self._escalations.items(), key=lambda item: int(item[0]))),
            },
            "satisfaction": {
                "ratings": rated,
                "average": _average(self._ratings),
                "distribution": {str(rating): self._ratings[str(rating)] for rating in RATINGS},
                "closings": count["closings"],
                "response_rate": _share(rated, count["closings"]),
            },
            "health_or_safety": {
                "flagged": count["health_or_safety"],
                "to_first_response": self._health_response.summary(),
            },
            "backlog": dict(backlog) if backlog is not None else None,
            "capa": dict(capa) if capa is not None else None,
            "percentiles": {"method": "nearest rank", "max_relative_error": RELATIVE_ERROR},
        }

    @staticmethod
    def _keys(row: ReportRow) -> dict[str, str]:
        return {
            "channel": row.channel.value,
            "category": row.category.value,
            "priority": row.priority.value,
            "department": row.department or "unassigned",
            "language": row.language.value,
            "kind": row.kind.value,
            "status": row.status.value,
        }


def _within_an_hour(row: ReportRow) -> bool:
    return row.acknowledged_at is not None and row.acknowledged_at - row.received_at <= _ONE_HOUR


def _timeliness(row: ReportRow) -> str:
    if row.answered_at is not None:
        return "on_time" if row.answered_at <= row.due_at else "late"
    return "overdue_unanswered" if row.overdue else "not_judged"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _average(ratings: Counter[str]) -> float | None:
    total = sum(ratings.values())
    return round(sum(int(r) * n for r, n in ratings.items()) / total, 2) if total else None


def _breakdown(counter: Counter[str], known: Iterable[str]) -> dict[str, int]:
    """Every known value, zeros included (charts keep their shape), then any other, sorted."""
    known = [str(value) for value in known]
    return {**{value: counter[value] for value in known}, **dict(sorted(counter.items()))}


def _pareto(causes: Counter[str]) -> dict[str, Any]:
    """Root causes from the most frequent down, each with its share and the running share."""
    recorded = {cause: n for cause, n in causes.items() if cause != "unrecorded"}
    total = sum(recorded.values())
    pareto, running = [], 0
    for cause, n in sorted(recorded.items(), key=lambda item: (-item[1], item[0])):
        running += n
        pareto.append(
            {
                "root_cause": cause,
                "count": n,
                "share": _share(n, total),
                "cumulative_share": _share(running, total),
            }
        )
    return {"recorded": total, "unrecorded": causes["unrecorded"], "pareto": pareto}


# --- the CSV of a period: one row per complaint ------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "tracking_code",
    "market",
    "language",
    "channel",
    "kind",
    "category",
    "priority",
    "department",
    "status",
    "health_or_safety",
    "received_at",
    "acknowledged_at",
    "first_response_at",
    "answered_at",
    "resolved_at",
    "due_at",
    "on_time",
    "overdue",
    "reopened",
    "closures",
    "escalation_level",
    "root_cause",
    "decision_outcome",
    "ratings",
    "paused_business_seconds",
    "business_seconds_to_acknowledge",
    "business_seconds_to_first_response",
    "business_seconds_to_resolution",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Text a spreadsheet would run as a formula, made inert by a leading quote (OWASP)."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def cell_text(value: str | int | float | None) -> str:
    """A cell as written: text neutralised, numbers as numbers, booleans as true/false, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def csv_cells(row: ReportRow) -> list[str]:
    """The CSV cells of a row as text, in the order of `CSV_COLUMNS`; text neutralised."""
    return [cell_text(value) for value in csv_values(row)]


def csv_values(row: ReportRow) -> list[str | int | None]:
    """The values of a row, in the order of `CSV_COLUMNS`: numbers as numbers, booleans as true/false,
    times local to the market with their offset. Text is not yet neutralised (the writer does it)."""
    tz = calendar_for(row.market.value).tz

    def local(moment: datetime | None) -> str | None:
        return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")

    on_time = None if row.answered_at is None else row.answered_at <= row.due_at

    def flag(value: bool | None) -> str | None:
        return None if value is None else "true" if value else "false"

    return [
        row.tracking_code,
        row.market.value,
        row.language.value,
        row.channel.value,
        row.kind.value,
        row.category.value,
        row.priority.value,
        row.department,
        row.status.value,
        flag(row.health_or_safety),
        local(row.received_at),
        local(row.acknowledged_at),
        local(row.first_response_at),
        local(row.answered_at),
        local(row.resolved_at),
        local(row.due_at),
        flag(on_time),
        flag(row.overdue),
        row.reopened,
        row.closures,
        row.escalation_level,
        row.root_cause.value if row.root_cause else None,
        row.decision_outcome.value if row.decision_outcome else None,
        " ".join(map(str, row.ratings)),
        row.paused_seconds,
        *row.business_times,
    ]
