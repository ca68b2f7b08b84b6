"""What staff see of a complaint: a summary for queues, the case without personal data, and the personal data.

Personal data is never in a summary or a case view: only `personal_view`
holds it, and it is answered only to roles that may see it, after the read
is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.complaint import Complaint, Contact, HistoryEvent
from chalicelib.domain.deadlines import is_overdue, overdue, share_used
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import Category, Channel, Language, Market, Priority
from chalicelib.domain.public import iso


@dataclass(frozen=True)
class ComplaintSummary:
    """A complaint as a work queue lists it: no personal data."""

    tracking_code: str
    market: Market
    language: Language
    channel: Channel
    category: Category
    priority: Priority
    health_or_safety: bool
    status: Status
    department: str | None
    assignee: str | None
    received_at: datetime
    expected_response_by: datetime
    paused: bool
    attention: tuple[str, ...]

    @classmethod
    def of(cls, complaint: Complaint) -> ComplaintSummary:
        return cls(
            tracking_code=complaint.tracking_code,
            market=complaint.market,
            language=complaint.language,
            channel=complaint.channel,
            category=complaint.category,
            priority=complaint.priority,
            health_or_safety=complaint.health_or_safety,
            status=complaint.status,
            department=complaint.department,
            assignee=complaint.assignee,
            received_at=complaint.received_at,
            expected_response_by=complaint.expected_response_by,
            paused=complaint.response_clock.paused_at is not None,
            attention=tuple(sorted(complaint.attention)),
        )


_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """An instant as a sortable UTC string: the form every stored time and index range key takes."""
    return moment.astimezone(UTC).strftime(_STAMP)


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)


def queue_partition(market: Market, department: str | None, status: Status) -> str:
    """The by-queue index partition of a market's department (None: not yet routed) in one state."""
    return f"QUEUE#{market.value}#{department or 'UNASSIGNED'}#{status.value}"


def summary_view(summary: ComplaintSummary, now: datetime) -> dict[str, Any]:
    """One row of a work queue."""
    return {
        "tracking_code": summary.tracking_code,
        "market": summary.market.value,
        "language": summary.language.value,
        "channel": summary.channel.value,
        "category": summary.category.value,
        "priority": summary.priority.value,
        "health_or_safety": summary.health_or_safety,
        "status": summary.status.value,
        "department": summary.department,
        "assignee": summary.assignee,
        "received_at": iso(summary.received_at),
        "expected_response_by": iso(summary.expected_response_by),
        "clock_paused": summary.paused,
        "overdue": overdue(
            summary.status, summary.expected_response_by, now, market=summary.market, paused=summary.paused
        ),
        "attention": list(summary.attention),
    }


def case_view(complaint: Complaint, now: datetime, allowed_actions: list[str]) -> dict[str, Any]:
    """One complaint for staff, without personal data: which fields exist, not what they hold."""
    contact = complaint.personal.contact
    decision = complaint.decision
    return {
        **summary_view(ComplaintSummary.of(complaint), now),
        "version": complaint.version,
        "kind": complaint.kind.value,
        "social_network": complaint.social_network.value if complaint.social_network else None,
        "received_by": complaint.received_by,
        "triage": {
            "urgency": complaint.triage.urgency.value,
            "importance": complaint.triage.importance.value,
            "priority": complaint.priority.value,
            "health_or_safety": complaint.health_or_safety,
            "reason": complaint.triage.reason,
        },
        "consent": {"contact": complaint.consent.contact, "disclose": complaint.consent.disclose},
        "share_of_time_used": round(min(share_used(complaint, now), 99.0), 3),
        "overdue": is_overdue(complaint, now),
        "root_cause": complaint.root_cause.value if complaint.root_cause else None,
        "decision": None
        if decision is None
        else {
            "outcome": decision.outcome.value,
            "decided_at": iso(decision.decided_at),
            "remedy": decision.remedy,
            "amount": decision.amount,
            "currency": decision.currency,
        },
        "referral": None
        if complaint.referral is None
        else {"reason": complaint.referral.reason.value, "body": complaint.referral.body},
        "closures": complaint.closures,
        "closed_at": iso(complaint.closed_at) if complaint.closed_at else None,
        "escalations": {key: iso(at) for key, at in sorted(complaint.escalations.items())},
        "satisfaction": {
            key: {"rating": f.rating, "at": iso(f.at)} for key, f in sorted(complaint.satisfaction.items())
        },
        "notices": {key: {"status": n.status, "channel": n.channel} for key, n in complaint.notices.items()},
        "attention": dict(complaint.attention),
        "milestones": [{"code": m.code.value, "at": iso(m.at)} for m in complaint.milestones],
        "personal_data": {
            "withheld": True,
            "present": [f.name for f in fields(Contact) if getattr(contact, f.name) is not None]
            + [name for name in ("channel_reference", "remedy_sought") if getattr(complaint.personal, name)]
            + ["description"],
        },
        "allowed_actions": allowed_actions,
    }


def personal_view(complaint: Complaint) -> dict[str, Any]:
    """The personal data and free text of one complaint: for roles that may see them, once recorded."""
    contact, personal = complaint.personal.contact, complaint.personal
    return {
        "tracking_code": complaint.tracking_code,
        "contact": {
            "name": contact.name,
            "mobile": contact.mobile,
            "email": contact.email,
            "national_id": contact.national_id,
            "policy_number": contact.policy_number,
            "postal_address": contact.postal_address,
            "preferred_channel": contact.preferred_channel.value if contact.preferred_channel else None,
        },
        "description": personal.description,
        "remedy_sought": personal.remedy_sought,
        "channel_reference": personal.channel_reference,
        "messages": dict(personal.messages),
    }


def history_view(event: HistoryEvent, *, with_text: bool) -> dict[str, Any]:
    """One history event; its free text only for roles that may see personal data."""
    view: dict[str, Any] = {
        "seq": event.seq,
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value,
        "public": event.public,
        "details": dict(event.details),
    }
    if event.text is not None:
        view["text"] = event.text if with_text else None
        view["text_withheld"] = not with_text
    return view
