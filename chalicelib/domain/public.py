"""What anyone holding a tracking code may see.

The public view is built from an allow-list: the status, the dates and the
public milestones, labelled in the complaint's language. It never carries
personal data, the category, the priority, the department or internal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.complaint import Complaint, Milestone
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import Language, Market
from chalicelib.domain.texts import MILESTONE_LABELS, STATUS_LABELS


def iso(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC, to the second, with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public_view(complaint: StatusSnapshot) -> dict[str, Any]:
    """The status page of one complaint, in the complaint's language."""
    language = complaint.language
    return {
        "tracking_code": complaint.tracking_code,
        "market": complaint.market.value,  # whose calendar and time zone its dates are in
        "language": language.value,
        "status": complaint.status.value,
        "status_label": STATUS_LABELS[language][complaint.status],
        "received_at": iso(complaint.received_at),
        "expected_response_by": iso(complaint.expected_response_by),
        "last_updated_at": iso(complaint.updated_at),
        "milestones": [
            {
                "code": milestone.code.value,
                "label": MILESTONE_LABELS[language][milestone.code],
                "at": iso(milestone.at),
            }
            for milestone in complaint.milestones
        ],
    }


@dataclass(frozen=True)
class StatusSnapshot:
    """The part of a complaint the public may see, and nothing more."""

    tracking_code: str
    market: Market
    language: Language
    status: Status
    received_at: datetime
    expected_response_by: datetime
    updated_at: datetime
    milestones: tuple[Milestone, ...]

    @classmethod
    def of(cls, complaint: Complaint) -> StatusSnapshot:
        return cls(
            complaint.tracking_code,
            complaint.market,
            complaint.language,
            complaint.status,
            complaint.received_at,
            complaint.expected_response_by,
            complaint.updated_at,
            complaint.milestones,
        )
