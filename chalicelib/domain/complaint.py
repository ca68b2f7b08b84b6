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
    #: What staff wrote to the complainant, by the intent that sends it ("information_request:5").
    messages: dict[str, str] = field(default_factory=dict)


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
class ResponseClock:
    """The response clock of the current handling cycle (a reopening starts a new one).

    It runs in business time from `started_at`; while the complaint waits for
    the complainant it is paused (`paused_at`), and the business seconds of
    finished pauses add up in `paused_seconds`.
    """

    started_at: datetime
    paused_at: datetime | None = None
    paused_seconds: int = 0


@dataclass(frozen=True)
class Decision:
    """The outcome of the investigation (ISO 10002 7.7); the remedy is what was granted."""

    outcome: DecisionOutcome
    decided_at: datetime
    remedy: str | None = None
    amount: str | None = None  # a decimal in the market's currency, as text
    currency: str | None = None


@dataclass(frozen=True)
class Referral:
    """Why the complaint left the insurer's process, and to whom the complainant was pointed."""

    reason: ReferralReason
    body: str | None = None


@dataclass(frozen=True)
class Feedback:
    """The complainant's rating of one handling cycle (ISO 10002 8.3); the comment is in the history."""

    rating: int
    at: datetime


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
    #: The handler the complaint is assigned to, within its department.
    assignee: str | None = None
    #: None until the first change after receipt: the clock then started at receipt.
    clock: ResponseClock | None = None
    root_cause: RootCause | None = None
    decision: Decision | None = None
    referral: Referral | None = None
    #: How often the complaint was closed; the handling cycle is `closures` (0 first).
    closures: int = 0
    closed_at: datetime | None = None
    #: Escalations reached, by "<cycle>:<level>", and when.
    escalations: dict[str, datetime] = field(default_factory=dict)
    #: The complainant's ratings, by the closing they rate ("1", "2", ...).
    satisfaction: dict[str, Feedback] = field(default_factory=dict)

    @property
    def priority(self) -> Priority:
        return self.triage.priority

    @property
    def health_or_safety(self) -> bool:
        return self.triage.health_or_safety

    @property
    def response_clock(self) -> ResponseClock:
        return self.clock or ResponseClock(started_at=self.received_at)

    @property
    def cycle(self) -> int:
        """The handling cycle: 0 until the first reopening."""
        return self.closures - 1 if self.status is Status.CLOSED else self.closures


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
    #: Free text written with the change (a note, a reply, a comment): personal data,
    #: shown only to the roles that may see personal data.
    text: str | None = None


def change_event(
    before: Complaint,
    after: Complaint,
    *,
    actor: str,
    action: str,
    at: datetime,
    public: bool = False,
    details: dict[str, str] | None = None,
    text: str | None = None,
) -> HistoryEvent:
    """The history event of a change from `before` to `after`: numbered by the new version."""
    return HistoryEvent(
        tracking_code=after.tracking_code,
        seq=after.version,
        at=at,
        actor=actor,
        action=action,
        from_status=before.status,
        to_status=after.status,
        public=public,
        details=dict(details or {}),
        text=text,
    )


@dataclass(frozen=True)
class AccessEvent:
    """A staff read of personal data, recorded in the history apart from the changes."""

    tracking_code: str
    at: datetime
    actor: str
    what: str  # "personal_data" or "history_text"
    reason: str | None = None
