"""The complaint repository on DynamoDB, through PynamoDB.

A new complaint is one TransactWriteItems request: the complaint, its first
history event and, if the client sent one, its idempotency key. A status
lookup is one GetItem that fetches only the public attributes, so personal
data never leaves the table on the public path.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.tables import (
    ComplaintItem,
    HistoryItem,
    IdempotencyItem,
    MilestoneMap,
    PersonalMap,
    Tables,
)
from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.complaint import (
    Complaint,
    Consent,
    Contact,
    HistoryEvent,
    Milestone,
    MilestoneCode,
    Notice,
    PersonalData,
    Triage,
)
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    IdempotencyKeyTaken,
    StorageUnavailable,
    TrackingCodeCollision,
)
from chalicelib.domain.lifecycle import Status, is_open
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
from chalicelib.domain.public import StatusSnapshot
from chalicelib.services.ports import IdempotencyRecord

_PUBLIC_ATTRIBUTES = [
    "tracking_code",
    "language",
    "status",
    "received_at",
    "due_at",
    "updated_at",
    "milestones",
]
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """An instant as a sortable UTC string, the form every index range key uses."""
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def day_shard(complaint: Complaint, shards: int) -> str:
    """The by-day partition: market, local date of receipt, and a stable shard."""
    local = complaint.received_at.astimezone(calendar_for(complaint.market.value).tz).date()
    shard = zlib.crc32(complaint.tracking_code.encode("ascii")) % shards
    return f"DAY#{complaint.market.value}#{local.isoformat()}#{shard}"


def queue_key(complaint: Complaint) -> str | None:
    """The by-queue partition while the complaint is open; None takes it out of every queue."""
    if not is_open(complaint.status):
        return None
    return f"QUEUE#{complaint.department or 'UNASSIGNED'}#{complaint.status.value}"


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Turn PynamoDB and botocore failures into the project's StorageUnavailable."""
    try:
        yield
    except PynamoDBException as exc:
        raise StorageUnavailable(f"{operation} failed: {exc.msg or type(exc).__name__}") from exc


class DynamoComplaintRepository:
    """Complaints, history and idempotency keys in DynamoDB."""

    def __init__(self, tables: Tables, connection: Connection, day_shards: int) -> None:
        self._tables = tables
        self._connection = connection
        self._day_shards = day_shards

    def add(self, complaint: Complaint, event: HistoryEvent, idempotency: IdempotencyRecord | None) -> None:
        t = self._tables
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(self.to_item(complaint), condition=t.complaints.tracking_code.does_not_exist())
                tx.save(self._history_item(event), condition=t.history.seq.does_not_exist())
                if idempotency is not None:
                    fresh = t.idempotency.idempotency_key.does_not_exist() | (
                        t.idempotency.expires_at < complaint.received_at
                    )
                    tx.save(self._idempotency_item(idempotency), condition=fresh)
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise TrackingCodeCollision(complaint.tracking_code) from exc
            if len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                raise IdempotencyKeyTaken(idempotency.key if idempotency else "") from exc
            raise StorageUnavailable(f"recording the complaint failed: {exc.msg}") from exc
        except PynamoDBException as exc:
            raise StorageUnavailable(f"recording the complaint failed: {exc.msg}") from exc

    def status(self, tracking_code: str) -> StatusSnapshot | None:
        with translated_errors("reading the complaint"):
            try:
                item = self._tables.complaints.get(
                    tracking_code, consistent_read=True, attributes_to_get=_PUBLIC_ATTRIBUTES
                )
            except self._tables.complaints.DoesNotExist:
                return None
        return StatusSnapshot(
            tracking_code=item.tracking_code,
            language=Language(item.language),
            status=Status(item.status),
            received_at=unstamp(item.received_at),
            expected_response_by=unstamp(item.due_at),
            updated_at=unstamp(item.updated_at),
            milestones=tuple(Milestone(MilestoneCode(m.code), unstamp(m.at)) for m in item.milestones),
        )

    def get(self, tracking_code: str) -> Complaint | None:
        """The whole complaint, read strongly consistent, or None."""
        with translated_errors("reading the complaint"):
            try:
                item = self._tables.complaints.get(tracking_code, consistent_read=True)
            except self._tables.complaints.DoesNotExist:
                return None
        return from_item(item)

    def decode(self, image: dict[str, Any]) -> Complaint:
        """A complaint from a stream record's image (raw DynamoDB JSON)."""
        return from_item(self._tables.complaints.from_raw_data(image))

    def apply_change(self, before: Complaint, after: Complaint, event: HistoryEvent) -> None:
        """Write a change and its history event in one transaction, if nobody changed it since `before`.

        Every attribute that differs is set whole; that is safe because every
        writer is conditioned on the version and raises it by one.
        """
        after_item = self.to_item(after)
        old, new = self.to_item(before).serialize(), after_item.serialize()
        model = self._tables.complaints
        attributes = model.get_attributes()
        actions: list[Any] = []
        for name, attribute in attributes.items():
            if name in ("tracking_code", "version") or old.get(name) == new.get(name):
                continue
            value = getattr(after_item, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
        item = model(before.tracking_code)
        item.version = before.version
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(item, actions or [attributes["updated_at"].set(stamp(after.updated_at))])
                tx.save(self._history_item(event), condition=self._tables.history.seq.does_not_exist())
        except TransactWriteError as exc:
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if "ConditionalCheckFailed" in reasons:
                raise ConcurrentUpdate(f"complaint {before.tracking_code} changed since it was read") from exc
            raise StorageUnavailable(f"recording the change failed: {exc.msg}") from exc
        except PynamoDBException as exc:
            raise StorageUnavailable(f"recording the change failed: {exc.msg}") from exc

    def idempotency(self, key: str, now: datetime) -> IdempotencyRecord | None:
        with translated_errors("reading the idempotency key"):
            try:
                item = self._tables.idempotency.get(key, consistent_read=True)
            except self._tables.idempotency.DoesNotExist:
                return None
        if item.expires_at <= now:
            return None
        return IdempotencyRecord(
            item.idempotency_key, item.fingerprint, item.response.as_dict(), item.expires_at
        )

    def to_item(self, complaint: Complaint) -> ComplaintItem:
        """The stored form of a complaint."""
        personal, contact = complaint.personal, complaint.personal.contact
        return self._tables.complaints(
            complaint.tracking_code,
            market=complaint.market.value,
            language=complaint.language.value,
            channel=complaint.channel.value,
            social_network=complaint.social_network.value if complaint.social_network else None,
            kind=complaint.kind.value,
            category=complaint.category.value,
            received_at=stamp(complaint.received_at),
            updated_at=stamp(complaint.updated_at),
            due_at=stamp(complaint.expected_response_by),
            status=complaint.status.value,
            urgency=complaint.triage.urgency.value,
            importance=complaint.triage.importance.value,
            priority=complaint.triage.priority.value,
            health_or_safety=complaint.triage.health_or_safety,
            triage_reason=complaint.triage.reason,
            consent_contact=complaint.consent.contact,
            consent_disclose=complaint.consent.disclose,
            department=complaint.department,
            received_by=complaint.received_by,
            milestones=[MilestoneMap(code=m.code.value, at=stamp(m.at)) for m in complaint.milestones],
            personal=PersonalMap(
                name=contact.name,
                mobile=contact.mobile,
                email=contact.email,
                national_id=contact.national_id,
                policy_number=contact.policy_number,
                postal_address=contact.postal_address,
                preferred_channel=contact.preferred_channel.value if contact.preferred_channel else None,
                channel_reference=personal.channel_reference,
                description=personal.description,
                remedy_sought=personal.remedy_sought,
            ),
            notices={key: _notice_map(notice) for key, notice in complaint.notices.items()},
            attention=dict(complaint.attention),
            day_shard=day_shard(complaint, self._day_shards),
            queue_key=queue_key(complaint),
        )

    def _history_item(self, event: HistoryEvent) -> HistoryItem:
        return self._tables.history(
            event.tracking_code,
            event.seq,
            at=stamp(event.at),
            actor=event.actor,
            action=event.action,
            from_status=event.from_status.value if event.from_status else None,
            to_status=event.to_status.value,
            public=event.public,
            details=dict(event.details),
        )

    def _idempotency_item(self, record: IdempotencyRecord) -> IdempotencyItem:
        return self._tables.idempotency(
            record.key,
            fingerprint=record.fingerprint,
            response=dict(record.response),
            expires_at=record.expires_at,
        )


def _notice_map(notice: Notice) -> dict[str, str]:
    values = {
        "status": notice.status,
        "at": stamp(notice.at),
        "channel": notice.channel,
        "provider": notice.provider,
        "message_id": notice.message_id,
        "reason": notice.reason,
    }
    return {key: value for key, value in values.items() if value is not None}


def _notice(raw: dict[str, Any]) -> Notice:
    return Notice(
        status=raw["status"],
        at=unstamp(raw["at"]),
        channel=raw.get("channel"),
        provider=raw.get("provider"),
        message_id=raw.get("message_id"),
        reason=raw.get("reason"),
    )


def _optional(kind: Any, value: str | None) -> Any:
    return kind(value) if value else None


def from_item(item: ComplaintItem) -> Complaint:
    """The domain complaint of a stored item."""
    p = item.personal
    return Complaint(
        tracking_code=item.tracking_code,
        market=Market(item.market),
        language=Language(item.language),
        channel=Channel(item.channel),
        social_network=_optional(SocialNetwork, item.social_network),
        kind=Kind(item.kind),
        category=Category(item.category),
        received_at=unstamp(item.received_at),
        personal=PersonalData(
            contact=Contact(
                name=p.name,
                mobile=p.mobile,
                email=p.email,
                national_id=p.national_id,
                policy_number=p.policy_number,
                postal_address=p.postal_address,
                preferred_channel=_optional(ContactChannel, p.preferred_channel),
            ),
            description=p.description,
            remedy_sought=p.remedy_sought,
            channel_reference=p.channel_reference,
        ),
        consent=Consent(contact=item.consent_contact, disclose=item.consent_disclose),
        triage=Triage(
            urgency=Level(item.urgency),
            importance=Level(item.importance),
            priority=Priority(item.priority),
            health_or_safety=item.health_or_safety,
            reason=item.triage_reason,
        ),
        status=Status(item.status),
        expected_response_by=unstamp(item.due_at),
        updated_at=unstamp(item.updated_at),
        milestones=tuple(Milestone(MilestoneCode(m.code), unstamp(m.at)) for m in item.milestones),
        department=item.department,
        received_by=item.received_by,
        version=item.version,
        notices={key: _notice(raw) for key, raw in (item.notices.as_dict() if item.notices else {}).items()},
        attention=dict(item.attention.as_dict() if item.attention else {}),
    )
