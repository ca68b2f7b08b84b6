"""Complaints read for period reports: one day-index partition at a time, never their personal data.

Rules:

- A report reads the `by_day` index, one query per shard of each local day
  of the period (`DAY#<market>#<date>#<shard>`), page by page; never a Scan.
- The query names the attributes it needs: the `personal` map, the notices,
  the attention flags and the contact hashes are not read, so a report's
  process never holds a complainant's name, contact details or words.
- The index is eventually consistent: a report reflects changes up to a
  second or so before it ran; a re-run picks up later ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from chalicelib.adapters.repository import WITHHELD, day_partition, translated_errors
from chalicelib.adapters.tables import Tables
from chalicelib.domain.complaint import (
    Complaint,
    Consent,
    Decision,
    Feedback,
    Milestone,
    MilestoneCode,
    Referral,
    ResponseClock,
    Triage,
)
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import (
    Category,
    Channel,
    DecisionOutcome,
    Kind,
    Language,
    Level,
    Market,
    Priority,
    ReferralReason,
    RootCause,
    SocialNetwork,
)
from chalicelib.domain.reports import ReportRow, row_of

#: Everything a report row is made from; `personal`, notices, attention and hashes are left out.
REPORT_ATTRIBUTES: tuple[str, ...] = (
    "tracking_code",
    "version",
    "market",
    "language",
    "channel",
    "social_network",
    "kind",
    "category",
    "received_at",
    "updated_at",
    "due_at",
    "status",
    "urgency",
    "importance",
    "priority",
    "health_or_safety",
    "triage_reason",
    "consent_contact",
    "consent_disclose",
    "department",
    "received_by",
    "milestones",
    "assignee",
    "clock_started_at",
    "paused_at",
    "paused_seconds",
    "root_cause",
    "decision",
    "referral",
    "closures",
    "closed_at",
    "escalations",
    "satisfaction",
)
#: Items per page: small pages keep memory flat whatever a day holds. botocore holds about 20 kB
#: an item while it parses a page, in each worker: with 8 workers, the raw reads of a month of
#: 50,000 complaints (208 a partition) peaked at 34 MB with pages of 500, 22 MB with pages of 100.
PAGE_SIZE = 100


class DynamoReportSource:
    """Report rows from the complaints table's day index."""

    def __init__(self, tables: Tables, shards: int) -> None:
        self._tables = tables
        self._shards = shards

    @property
    def shards(self) -> int:
        return self._shards

    def day_rows(self, market: Market, day: date, shard: int, now: datetime) -> list[ReportRow]:
        """The rows of one partition, in index order, decoded straight from the pages the query returns."""
        with translated_errors("reading the day index"):
            pages = self._tables.complaints.by_day.query(
                day_partition(market, day, shard),
                attributes_to_get=list(REPORT_ATTRIBUTES),
                page_size=PAGE_SIZE,
            ).page_iter
            return [row_of(complaint_of(raw), now) for page in pages for raw in page.get("Items", ())]


# --- decoding ------------------------------------------------------------------------------------
#
# A report reads every complaint of a period, so it decodes the items of a page itself rather
# than through PynamoDB's model instances and the repository's `from_item`: that costs most of a
# report's time (a model instance per item, an attribute object per map, `strptime` per time).
# `complaint_of(raw)` is `from_item(ComplaintItem.from_raw_data(raw))` for an item read with
# `REPORT_ATTRIBUTES`: no personal data (`WITHHELD`), no notices, no attention flags.


def complaint_of(raw: Mapping[str, Any]) -> Complaint:
    """The domain complaint of a day-index item read with `REPORT_ATTRIBUTES` (DynamoDB JSON)."""
    # Absent or NULL reads as None, as on a model instance (typed `Any` like its attributes).
    text: Any = {name: value["S"] for name, value in raw.items() if "S" in value}
    flag: Any = {name: value["BOOL"] for name, value in raw.items() if "BOOL" in value}
    clock_started_at = text.get("clock_started_at")
    paused_at = text.get("paused_at")
    decision = _map(raw, "decision")
    referral = _map(raw, "referral")
    closed_at = text.get("closed_at")
    return Complaint(
        tracking_code=text["tracking_code"],
        market=Market(text.get("market")),
        language=Language(text.get("language")),
        channel=Channel(text.get("channel")),
        social_network=_optional(SocialNetwork, text.get("social_network")),
        kind=Kind(text.get("kind")),
        category=Category(text.get("category")),
        received_at=_instant(text["received_at"]),
        personal=WITHHELD,
        consent=Consent(contact=flag.get("consent_contact"), disclose=flag.get("consent_disclose")),
        triage=Triage(
            urgency=Level(text.get("urgency")),
            importance=Level(text.get("importance")),
            priority=Priority(text.get("priority")),
            health_or_safety=flag.get("health_or_safety"),
            reason=text.get("triage_reason"),
        ),
        status=Status(text.get("status")),
        expected_response_by=_instant(text["due_at"]),
        updated_at=_instant(text["updated_at"]),
        milestones=tuple(
            Milestone(MilestoneCode(m["M"]["code"]["S"]), _instant(m["M"]["at"]["S"]))
            for m in raw["milestones"]["L"]
        ),
        department=text.get("department"),
        received_by=text.get("received_by"),
        version=_whole(raw, "version"),
        notices={},
        attention={},
        assignee=text.get("assignee"),
        clock=None
        if clock_started_at is None
        else ResponseClock(
            _instant(clock_started_at),
            _instant(paused_at) if paused_at else None,
            _whole(raw, "paused_seconds") or 0,
        ),
        root_cause=_optional(RootCause, text.get("root_cause")),
        decision=_decision(decision) if decision else None,
        referral=Referral(ReferralReason(referral["reason"]), referral.get("body")) if referral else None,
        closures=_whole(raw, "closures") or 0,
        closed_at=_instant(closed_at) if closed_at else None,
        escalations={key: _instant(at) for key, at in (_map(raw, "escalations") or {}).items()},
        satisfaction={
            key: Feedback(int(answer["rating"]), _instant(answer["at"]))
            for key, answer in (_map(raw, "satisfaction") or {}).items()
        },
    )


def _instant(stamped: str) -> datetime:
    """`unstamp`: the stored form is ISO 8601 in UTC with microseconds and a Z, which this reads fast."""
    return datetime.fromisoformat(stamped)


def _number(text: str) -> Any:
    """A number as PynamoDB reads it (JSON); whole numbers, the usual case, without the JSON parser."""
    try:
        return int(text)
    except ValueError:
        return json.loads(text)


def _whole(raw: Mapping[str, Any], name: str) -> Any:
    value = raw.get(name)
    return None if value is None or "N" not in value else int(_number(value["N"]))


def _map(raw: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    value = raw.get(name)
    return None if value is None or "M" not in value else _plain(value)


def _plain(value: Mapping[str, Any]) -> Any:
    """A DynamoDB JSON value as PynamoDB's untyped attributes read it."""
    ((kind, content),) = value.items()
    if kind == "S" or kind == "BOOL":
        return content
    if kind == "N":
        return _number(content)
    if kind == "M":
        return {key: _plain(inner) for key, inner in content.items()}
    if kind == "L":
        return [_plain(inner) for inner in content]
    if kind == "NULL":
        return None
    raise ValueError(f"a report reads no {kind} values")


def _optional(kind: Any, value: str | None) -> Any:
    return kind(value) if value else None


def _decision(raw: Mapping[str, Any]) -> Decision:
    return Decision(
        outcome=DecisionOutcome(raw["outcome"]),
        decided_at=_instant(raw["decided_at"]),
        remedy=raw.get("remedy"),
        amount=raw.get("amount"),
        currency=raw.get("currency"),
    )
