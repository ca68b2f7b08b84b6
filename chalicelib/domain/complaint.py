"""A complaint and the facts recorded about it.

Personal data (who the complainant is, how to reach them, and what they wrote)
lives in one part, `PersonalData`, so that it can be encrypted, masked or
erased without reshaping the rest. Everything outside it may appear in reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import (
    Category,
    Channel,
    ContactChannel,
    Kind,
    Language,
    Level,
    Market,
    Priority,
    SocialNetwork,
)


@dataclass(frozen=True)
class Contact:
    """How to reach the complainant. Names are kept exactly as typed."""

    name: str | None = None
    mobile: str | None = None  # E.164
    email: str | None = None
    national_id: str | None = None
    policy_number: str | None = None
    postal_address: str | None = None
    preferred_channel: ContactChannel | None = None


@dataclass(frozen=True)
class PersonalData:
    """Everything that identifies the complainant or that they wrote."""

    contact: Contact
    description: str
    remedy_sought: str | None = None
    channel_reference: str | None = None  # fax number, postal reference, handle or post link


@dataclass(frozen=True)
class Consent:
    """What the complainant allowed; disclosure is never assumed."""

    contact: bool = False  # may be contacted by SMS or e-mail
    disclose: bool = False  # personal data may be shared outside the company


@dataclass(frozen=True)
class Triage:
    """The initial assessment: urgency x importance, and why."""

    urgency: Level
    importance: Level
    priority: Priority
    health_or_safety: bool
    reason: str


class MilestoneCode(StrEnum):
    """Steps the complainant may see on the public status page."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    UNDER_INVESTIGATION = "under_investigation"
    INFORMATION_REQUESTED = "information_requested"
    INFORMATION_RECEIVED = "information_received"
    DECISION_SENT = "decision_sent"
    CLOSED = "closed"
    REOPENED = "reopened"
    REFERRED_OUT = "referred_out"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Milestone:
    """A public step, kept on the complaint so that a lookup reads one item."""

    code: MilestoneCode
    at: datetime


@dataclass(frozen=True)
class Notice:
    """What became of one message the system owed someone (sent, skipped or failed)."""

    status: str  # "sent", "skipped" or "failed"
    at: datetime
    channel: str | None = None  # "sms", "email" or "sns-topic"
    provider: str | None = None
    message_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Submission:
    """A validated request to record a complaint, before it has a code."""

    market: Market
    language: Language
    channel: Channel
    kind: Kind
    category: Category
    personal: PersonalData
    consent: Consent
    health_or_safety: bool
    social_network: SocialNetwork | None = None
    received_by: str | None = None  # the clerk who entered it, for staff intake


@dataclass(frozen=True)
class Complaint:
    """A recorded complaint; `version` guards every change against lost updates."""

    tracking_code: str
    market: Market
    language: Language
    channel: Channel
    social_network: SocialNetwork | None
    kind: Kind
    category: Category
    received_at: datetime
    personal: PersonalData
    consent: Consent
    triage: Triage
    status: Status
    expected_response_by: datetime
    updated_at: datetime
    milestones: tuple[Milestone, ...]
    department: str | None = None
    received_by: str | None = None
    version: int = 1
    #: Messages owed and what became of each, by intent ("acknowledgement", ...).
    notices: dict[str, Notice] = field(default_factory=dict)
    #: Problems staff must look at, by topic ("acknowledgement", "routing", ...).
    attention: dict[str, str] = field(default_factory=dict)

    @property
    def priority(self) -> Priority:
        return self.triage.priority

    @property
    def health_or_safety(self) -> bool:
        return self.triage.health_or_safety


@dataclass(frozen=True)
class HistoryEvent:
    """One change, appended to the history in the same write as the change."""

    tracking_code: str
    seq: int  # the complaint's version after the change
    at: datetime
    actor: str
    action: str
    from_status: Status | None
    to_status: Status
    public: bool
    details: dict[str, str] = field(default_factory=dict)
