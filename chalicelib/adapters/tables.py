"""PynamoDB models of the three tables in `infra/template.yaml`.

The table names are not known until the settings are read, so these classes
are bases: `bind_tables` makes subclasses that carry the real names. The key
schema and index names here must match the template; a test checks that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

M = TypeVar("M", bound=Model)


class ByDayIndex(GlobalSecondaryIndex["ComplaintItem"]):
    """Complaints received on one local day of one market, in sharded partitions."""

    class Meta:
        index_name = "by_day"
        projection = AllProjection()

    day_shard = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class ByQueueIndex(GlobalSecondaryIndex["ComplaintItem"]):
    """Open complaints of one department in one state, soonest due first."""

    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue_key = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class ByMobileIndex(GlobalSecondaryIndex["ComplaintItem"]):
    """A complainant's complaints, found by a keyed hash of their mobile number."""

    class Meta:
        index_name = "by_mobile"
        projection = KeysOnlyProjection()

    mobile_hash = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class ByEmailIndex(GlobalSecondaryIndex["ComplaintItem"]):
    """A complainant's complaints, found by a keyed hash of their e-mail address."""

    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email_hash = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class PersonalMap(MapAttribute[str, Any]):
    """Every piece of personal data and free text, kept together."""

    name = UnicodeAttribute(null=True)
    mobile = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    national_id = UnicodeAttribute(null=True)
    policy_number = UnicodeAttribute(null=True)
    postal_address = UnicodeAttribute(null=True)
    preferred_channel = UnicodeAttribute(null=True)
    channel_reference = UnicodeAttribute(null=True)
    description = UnicodeAttribute()
    remedy_sought = UnicodeAttribute(null=True)
    messages = MapAttribute[str, Any](default=dict)


class MilestoneMap(MapAttribute[str, Any]):
    code = UnicodeAttribute()
    at = UnicodeAttribute()


class ComplaintItem(Model):
    """One complaint; `version` makes every change conditional on the last read."""

    class Meta:
        table_name = "complaints"

    tracking_code = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    market = UnicodeAttribute()
    language = UnicodeAttribute()
    channel = UnicodeAttribute()
    social_network = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    category = UnicodeAttribute()
    received_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    status = UnicodeAttribute()
    urgency = UnicodeAttribute()
    importance = UnicodeAttribute()
    priority = UnicodeAttribute()
    health_or_safety = BooleanAttribute()
    triage_reason = UnicodeAttribute()
    consent_contact = BooleanAttribute()
    consent_disclose = BooleanAttribute()
    department = UnicodeAttribute(null=True)
    received_by = UnicodeAttribute(null=True)
    milestones = ListAttribute(of=MilestoneMap)
    personal = PersonalMap()
    notices = MapAttribute[str, Any](default=dict)
    attention = MapAttribute[str, Any](default=dict)
    day_shard = UnicodeAttribute()
    queue_key = UnicodeAttribute(null=True)
    mobile_hash = UnicodeAttribute(null=True)
    email_hash = UnicodeAttribute(null=True)
    purge_at = TTLAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    clock_started_at = UnicodeAttribute(null=True)
    paused_at = UnicodeAttribute(null=True)
    paused_seconds = NumberAttribute(default=0)
    root_cause = UnicodeAttribute(null=True)
    decision = MapAttribute[str, Any](null=True)
    referral = MapAttribute[str, Any](null=True)
    closures = NumberAttribute(default=0)
    closed_at = UnicodeAttribute(null=True)
    escalations = MapAttribute[str, Any](default=dict)
    satisfaction = MapAttribute[str, Any](default=dict)

    by_day = ByDayIndex()
    by_queue = ByQueueIndex()
    by_mobile = ByMobileIndex()
    by_email = ByEmailIndex()


class HistoryItem(Model):
    """One append-only event; `seq` is the complaint's version after the change."""

    class Meta:
        table_name = "history"

    tracking_code = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute()
    public = BooleanAttribute()
    details = MapAttribute[str, Any](default=dict)
    #: Free text written with the change: personal data, shown only to roles that may see it.
    text = UnicodeAttribute(null=True)


class AccessItem(Model):
    """A staff read of personal data, in the history table under `ACCESS#<tracking code>`.

    Reads do not change the complaint, so they do not take a version number:
    `seq` is the instant in microseconds, which orders them among themselves.
    """

    class Meta:
        table_name = "history"

    tracking_code = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    what = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class IdempotencyItem(Model):
    """A client's submission key, kept until its TTL passes."""

    class Meta:
        table_name = "idempotency"

    idempotency_key = UnicodeAttribute(hash_key=True)
    fingerprint = UnicodeAttribute()
    response = MapAttribute[str, Any]()
    expires_at = TTLAttribute()


class AttemptsItem(Model):
    """Wrong proofs given for one complaint lately, in the idempotency table (it has the TTL)."""

    class Meta:
        table_name = "idempotency"

    idempotency_key = UnicodeAttribute(hash_key=True)  # "proof:<tracking code>"
    attempts = NumberAttribute(default=0)
    expires_at = TTLAttribute()


@dataclass(frozen=True)
class Tables:
    """The model classes bound to this deployment's table names."""

    complaints: type[ComplaintItem]
    history: type[HistoryItem]
    idempotency: type[IdempotencyItem]
    access: type[AccessItem]
    attempts: type[AttemptsItem]


def bind_tables(complaints: str, history: str, idempotency: str, region: str) -> Tables:
    """Model classes that read and write the named tables in the region."""
    return Tables(
        _bound(ComplaintItem, complaints, region),
        _bound(HistoryItem, history, region),
        _bound(IdempotencyItem, idempotency, region),
        _bound(AccessItem, history, region),
        _bound(AttemptsItem, idempotency, region),
    )


#: Give up in seconds, not PynamoDB's default 15 s connect and 30 s read: a
#: request has API Gateway's 29 s, and a stream batch 30 s, for everything.
CONNECT_TIMEOUT, READ_TIMEOUT, ATTEMPTS = 2, 5, 3
TIMEOUTS = {
    "connect_timeout_seconds": CONNECT_TIMEOUT,
    "read_timeout_seconds": READ_TIMEOUT,
    "max_retry_attempts": ATTEMPTS,
}


def _bound(base: type[M], table_name: str, region: str) -> type[M]:
    meta = type("Meta", (), {"table_name": table_name, "region": region, **TIMEOUTS})
    return type(base.__name__, (base,), {"Meta": meta, "__module__": base.__module__})
