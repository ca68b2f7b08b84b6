"""The complaint repository on DynamoDB, through PynamoDB.

A new complaint is one TransactWriteItems request: the complaint, its first
history event and, if the client sent one, its idempotency key. A status
lookup is one GetItem that fetches only the public attributes, so personal
data never leaves the table on the public path.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
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
    AccessEvent,
    Complaint,
    Consent,
    Contact,
    Decision,
    Feedback,
    HistoryEvent,
    Milestone,
    MilestoneCode,
    Notice,
    PersonalData,
    Referral,
    ResponseClock,
    Triage,
)
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    IdempotencyKeyTaken,
    StorageUnavailable,
    TrackingCodeCollision,
)
from chalicelib.domain.lifecycle import Status, is_open
from chalicelib.domain.lookup import ContactKind, contact_hash
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
from chalicelib.domain.public import StatusSnapshot
from chalicelib.domain.views import ComplaintSummary, queue_partition, stamp, unstamp
from chalicelib.services.ports import IdempotencyRecord, QueueSlice

#: What a queue or a search reads of a complaint: everything but the personal data.
_SUMMARY_ATTRIBUTES = [
    "tracking_code",
    "market",
    "language",
    "channel",
    "category",
    "priority",
    "health_or_safety",
    "status",
    "department",
    "assignee",
    "received_at",
    "due_at",
    "paused_at",
    "attention",
    "queue_key",
]
#: Most complaints one contact search returns (newest first).
CONTACT_SEARCH_LIMIT = 50
#: Most history events one read returns.
HISTORY_LIMIT = 1000

_PUBLIC_ATTRIBUTES = [
    "tracking_code",
    "market",
    "language",
    "status",
    "received_at",
    "due_at",
    "updated_at",
    "milestones",
]


def day_shard(complaint: Complaint, shards: int) -> str:
    """The by-day partition: market, local date of receipt, and a stable shard."""
    local = complaint.received_at.astimezone(calendar_for(complaint.market.value).tz).date()
    shard = zlib.crc32(complaint.tracking_code.encode("ascii")) % shards
    return day_partition(complaint.market, local, shard)


def day_partition(market: Market, day: date, shard: int) -> str:
    """The by-day partition key of one shard of one local day of a market."""
    return f"DAY#{market.value}#{day.isoformat()}#{shard}"


def queue_key(complaint: Complaint) -> str | None:
    """The by-queue partition while the complaint is open; None takes it out of every queue."""
    if not is_open(complaint.status):
        return None
    return queue_partition(complaint.market, complaint.department, complaint.status)


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """Turn PynamoDB and botocore failures into the project's StorageUnavailable."""
    try:
        yield
    except PynamoDBException as exc:
        raise StorageUnavailable(f"{operation} failed: {exc.msg or type(exc).__name__}") from exc


class DynamoComplaintRepository:
    """Complaints, history and idempotency keys in DynamoDB."""

    def __init__(
        self,
        tables: Tables,
        connection: Connection,
        day_shards: int,
        lookup_key: Callable[[], bytes] | None = None,
    ) -> None:
        self._tables = tables
        self._connection = connection
        self._day_shards = day_shards
        #: The HMAC key of the contact indexes, read on first use; None: no contact hashes.
        self._lookup_key = lookup_key

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
            market=Market(item.market),
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
                messages=dict(personal.messages),
            ),
            notices={key: _notice_map(notice) for key, notice in complaint.notices.items()},
            attention=dict(complaint.attention),
            day_shard=day_shard(complaint, self._day_shards),
            queue_key=queue_key(complaint),
            mobile_hash=self._hash(ContactKind.MOBILE, contact.mobile),
            email_hash=self._hash(ContactKind.EMAIL, contact.email),
            assignee=complaint.assignee,
            clock_started_at=stamp(clock.started_at) if (clock := complaint.clock) else None,
            paused_at=stamp(clock.paused_at) if clock and clock.paused_at else None,
            paused_seconds=clock.paused_seconds if clock else 0,
            root_cause=complaint.root_cause.value if complaint.root_cause else None,
            decision=_decision_map(complaint.decision) if complaint.decision else None,
            referral=_referral_map(complaint.referral) if complaint.referral else None,
            closures=complaint.closures,
            closed_at=stamp(complaint.closed_at) if complaint.closed_at else None,
            escalations={key: stamp(at) for key, at in complaint.escalations.items()},
            satisfaction={
                key: {"rating": f.rating, "at": stamp(f.at)} for key, f in complaint.satisfaction.items()
            },
        )

    def _hash(self, kind: ContactKind, value: str | None) -> str | None:
        if value is None or self._lookup_key is None:
            return None
        return contact_hash(self._lookup_key(), kind, value)

    # --- staff reads ------------------------------------------------------------------------------

    def history(self, tracking_code: str) -> tuple[list[HistoryEvent], list[AccessEvent]]:
        """Every change of a complaint in order, and every staff read of its personal data."""
        with translated_errors("reading the history"):
            changes = [
                _history_event(item)
                for item in self._tables.history.query(
                    tracking_code, consistent_read=True, limit=HISTORY_LIMIT
                )
            ]
            reads = [
                AccessEvent(tracking_code, unstamp(item.at), item.actor, item.what, item.reason)
                for item in self._tables.access.query(
                    f"ACCESS#{tracking_code}", consistent_read=True, limit=HISTORY_LIMIT
                )
            ]
        return changes, reads

    def record_access(self, event: AccessEvent) -> None:
        """Append a staff read of personal data to the history (a new item, never an overwrite)."""
        base = int(event.at.timestamp() * 1_000_000)
        for offset in range(5):
            item = self._tables.access(
                f"ACCESS#{event.tracking_code}",
                base + offset,
                at=stamp(event.at),
                actor=event.actor,
                what=event.what,
                reason=event.reason,
            )
            try:
                item.save(condition=self._tables.access.seq.does_not_exist())
                return
            except PynamoDBException as exc:
                if _condition_failed(exc):
                    continue
                raise StorageUnavailable(f"recording the read failed: {exc.msg}") from exc
        raise StorageUnavailable("recording the read failed: too many reads at the same instant")

    def failed_proofs(self, tracking_code: str, now: datetime) -> int:
        """Wrong proofs given for a complaint within the current window (0 once it expired)."""
        with translated_errors("reading the attempts"):
            try:
                item = self._tables.attempts.get(f"proof:{tracking_code}", consistent_read=True)
            except self._tables.attempts.DoesNotExist:
                return 0
        return int(item.attempts or 0) if item.expires_at > now else 0

    def count_failed_proof(self, tracking_code: str, now: datetime, window: timedelta) -> int:
        """Add one wrong proof; the count starts afresh once the window has passed."""
        model = self._tables.attempts
        item = model(f"proof:{tracking_code}")
        with translated_errors("counting the attempt"):
            try:
                item.update(
                    actions=[model.attempts.add(1)],
                    condition=model.expires_at.exists() & (model.expires_at > now),
                )
            except UpdateError as exc:
                if not _condition_failed(exc):
                    raise
                item.update(actions=[model.attempts.set(1), model.expires_at.set(now + window)])
        return int(item.attempts)

    def queue_slice(
        self,
        market: Market,
        department: str | None,
        status: Status,
        *,
        limit: int,
        due_before: datetime | None = None,
        priority: Priority | None = None,
        category: Category | None = None,
        start: dict[str, Any] | None = None,
    ) -> QueueSlice:
        """Open complaints of one department (None: not yet routed) in one state, soonest due first."""
        model = self._tables.complaints
        key = queue_partition(market, department, status)
        condition = model.due_at < stamp(due_before) if due_before else None
        filters = None
        if priority is not None:
            filters = model.priority == priority.value
        if category is not None:
            by_category = model.category == category.value
            filters = by_category if filters is None else filters & by_category
        with translated_errors("reading the queue"):
            pages = model.by_queue.query(
                key,
                range_key_condition=condition,
                filter_condition=filters,
                limit=limit,
                last_evaluated_key=start,
                attributes_to_get=_SUMMARY_ATTRIBUTES,
                page_size=limit,
            )
            items = [_summary(item) for item in pages]
            last = pages.last_evaluated_key
        return QueueSlice(items, last if last else None)

    def find_by_contact(self, kind: ContactKind, value: str) -> list[ComplaintSummary]:
        """A complainant's complaints, newest first, found by the keyed hash of a contact detail."""
        digest = self._hash(kind, value)
        if digest is None:
            return []
        model = self._tables.complaints
        index = model.by_mobile if kind is ContactKind.MOBILE else model.by_email
        with translated_errors("searching complaints"):
            codes = [
                item.tracking_code
                for item in index.query(digest, scan_index_forward=False, limit=CONTACT_SEARCH_LIMIT)
            ]
            if not codes:
                return []
            found = list(model.batch_get(codes, attributes_to_get=_SUMMARY_ATTRIBUTES))
        summaries = [_summary(item) for item in found]
        return sorted(summaries, key=lambda s: s.received_at, reverse=True)

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
            text=event.text,
        )

    def _idempotency_item(self, record: IdempotencyRecord) -> IdempotencyItem:
        return self._tables.idempotency(
            record.key,
            fingerprint=record.fingerprint,
            response=dict(record.response),
            expires_at=record.expires_at,
        )


def _condition_failed(exc: PynamoDBException) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _decision_map(decision: Decision) -> dict[str, str]:
    values = {
        "outcome": decision.outcome.value,
        "decided_at": stamp(decision.decided_at),
        "remedy": decision.remedy,
        "amount": decision.amount,
        "currency": decision.currency,
    }
    return {key: value for key, value in values.items() if value is not None}


def _referral_map(referral: Referral) -> dict[str, str]:
    values = {"reason": referral.reason.value, "body": referral.body}
    return {key: value for key, value in values.items() if value is not None}


def _history_event(item: HistoryItem) -> HistoryEvent:
    return HistoryEvent(
        tracking_code=item.tracking_code,
        seq=int(item.seq),
        at=unstamp(item.at),
        actor=item.actor,
        action=item.action,
        from_status=_optional(Status, item.from_status),
        to_status=Status(item.to_status),
        public=item.public,
        details=dict(item.details.as_dict() if item.details else {}),
        text=item.text,
    )


def _summary(item: ComplaintItem) -> ComplaintSummary:
    return ComplaintSummary(
        tracking_code=item.tracking_code,
        market=Market(item.market),
        language=Language(item.language),
        channel=Channel(item.channel),
        category=Category(item.category),
        priority=Priority(item.priority),
        health_or_safety=bool(item.health_or_safety),
        status=Status(item.status),
        department=item.department,
        assignee=item.assignee,
        received_at=unstamp(item.received_at),
        expected_response_by=unstamp(item.due_at),
        paused=item.paused_at is not None,
        attention=tuple(sorted(item.attention.as_dict() if item.attention else {})),
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


#: What a complaint read without its personal data carries instead (reports never read it).
WITHHELD = PersonalData(contact=Contact(), description="")


def from_item(item: ComplaintItem) -> Complaint:
    """The domain complaint of a stored item; read without `personal`, it carries `WITHHELD`."""
    return Complaint(
        tracking_code=item.tracking_code,
        market=Market(item.market),
        language=Language(item.language),
        channel=Channel(item.channel),
        social_network=_optional(SocialNetwork, item.social_network),
        kind=Kind(item.kind),
        category=Category(item.category),
        received_at=unstamp(item.received_at),
        personal=WITHHELD if item.personal is None else _personal(item.personal),
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
        assignee=item.assignee,
        clock=None
        if item.clock_started_at is None
        else ResponseClock(
            unstamp(item.clock_started_at),
            unstamp(item.paused_at) if item.paused_at else None,
            int(item.paused_seconds or 0),
        ),
        root_cause=_optional(RootCause, item.root_cause),
        decision=_decision(item.decision.as_dict()) if item.decision else None,
        referral=_referral(item.referral.as_dict()) if item.referral else None,
        closures=int(item.closures or 0),
        closed_at=unstamp(item.closed_at) if item.closed_at else None,
        escalations={
            k: unstamp(v) for k, v in (item.escalations.as_dict() if item.escalations else {}).items()
        },
        satisfaction={
            k: Feedback(int(v["rating"]), unstamp(v["at"]))
            for k, v in (item.satisfaction.as_dict() if item.satisfaction else {}).items()
        },
    )


def _personal(p: PersonalMap) -> PersonalData:
    return PersonalData(
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
        messages=dict(p.messages.as_dict() if p.messages else {}),
    )


def _decision(raw: dict[str, Any]) -> Decision:
    return Decision(
        outcome=DecisionOutcome(raw["outcome"]),
        decided_at=unstamp(raw["decided_at"]),
        remedy=raw.get("remedy"),
        amount=raw.get("amount"),
        currency=raw.get("currency"),
    )


def _referral(raw: dict[str, Any]) -> Referral:
    return Referral(ReferralReason(raw["reason"]), raw.get("body"))
