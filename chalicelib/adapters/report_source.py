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

from datetime import date, datetime

from chalicelib.adapters.repository import day_partition, from_item, translated_errors
from chalicelib.adapters.tables import Tables
from chalicelib.domain.policy import Market
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
#: Items per page: small pages keep memory flat whatever a day holds.
PAGE_SIZE = 500


class DynamoReportSource:
    """Report rows from the complaints table's day index."""

    def __init__(self, tables: Tables, shards: int) -> None:
        self._tables = tables
        self._shards = shards

    @property
    def shards(self) -> int:
        return self._shards

    def day_rows(self, market: Market, day: date, shard: int, now: datetime) -> list[ReportRow]:
        with translated_errors("reading the day index"):
            items = self._tables.complaints.by_day.query(
                day_partition(market, day, shard),
                attributes_to_get=list(REPORT_ATTRIBUTES),
                page_size=PAGE_SIZE,
            )
            return [row_of(from_item(item), now) for item in items]
