"""Every message a change of a complaint owes, sent once (ISO 10002 7.4, 7.8).

`intents_for` is the one place that says which change owes which message;
a later message (an information request, a decision) adds a line there and a
way to perform it here. Delivery is at least once, recorded exactly once:
the notice is written on the complaint in the same versioned change as its
milestone and history event, and a retried record finds it there and sends
nothing. Once a provider has taken a message, writing its notice is retried
(other writers, a brief outage) rather than given up: a message is sent twice
only if the process dies, or DynamoDB stays unavailable, between the provider
taking it and the notice being written. Even then the SMS gateway gets the
same de-duplication key again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.complaint import Complaint, Milestone, MilestoneCode, Notice, change_event
from chalicelib.domain.errors import ComplaintNotFound, ConcurrentUpdate, DeliveryFailed, StorageUnavailable
from chalicelib.domain.handling import DECISION, ESCALATION, INFORMATION_REQUEST, SURVEY, audience_of
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.messages import HandlingMessage, MessageKind, handling_message, mail_text, sms_text
from chalicelib.domain.policy import ContactChannel
from chalicelib.services.flag_complaint import flag_complaint
from chalicelib.services.ports import (
    Clock,
    ComplaintRepository,
    Delivery,
    MailSender,
    SmsSender,
    TopicPublisher,
)

ACKNOWLEDGEMENT = "acknowledgement"
SUPERVISOR_ALERT = "supervisor_alert"
DEPARTMENT_NOTICE = "department_notice"

#: Attempts at recording a notice when other writers keep changing the complaint
#: or the table is briefly unavailable, with a growing pause between them.
RECORD_ATTEMPTS = 8
RECORD_PAUSE = 0.05


@dataclass(frozen=True)
class Change:
    """One stream record of the complaints table, decoded."""

    event: str  # "INSERT", "MODIFY" or "REMOVE"
    old: Complaint | None
    new: Complaint | None


def intents_for(change: Change) -> list[str]:
    """The messages a change owes, by intent; each intent is performed once per complaint."""
    new, old = change.new, change.old
    if new is None:
        return []
    intents = []
    if change.event == "INSERT":
        intents.append(ACKNOWLEDGEMENT)
        if new.health_or_safety:
            intents.append(SUPERVISOR_ALERT)
    if new.department and (old is None or old.department != new.department):
        intents.append(f"{DEPARTMENT_NOTICE}:{new.department}")
    # What staff wrote to the complainant (information requests, decisions), once each.
    intents.extend(key for key in new.personal.messages if old is None or key not in old.personal.messages)
    if new.status is Status.CLOSED and (old is None or old.status is not Status.CLOSED):
        intents.append(f"{SURVEY}:{new.closures}")
    intents.extend(
        f"{ESCALATION}:{key}" for key in new.escalations if old is None or key not in old.escalations
    )
    return intents


@dataclass(frozen=True)
class Outcome:
    """What performing an intent gave: a notice, perhaps a milestone, perhaps a problem for staff."""

    notice: Notice
    milestone: MilestoneCode | None = None
    attention: str | None = None


class Dispatcher:
    """Performs intents through the senders and records them on the complaint."""

    def __init__(
        self,
        repository: ComplaintRepository,
        sms: SmsSender,
        mail: MailSender,
        topics: TopicPublisher,
        clock: Clock,
        *,
        public_base_url: str = "",
        escalation_chain: tuple[str, ...] = ("department_supervisor", "head_of_complaints"),
    ) -> None:
        self._repository = repository
        self._sms = sms
        self._mail = mail
        self._topics = topics
        self._clock = clock
        self._base_url = public_base_url
        self._chain = escalation_chain

    def dispatch(self, tracking_code: str, intent: str) -> Notice:
        """Perform the intent unless the complaint records it already; return its notice.

        A passing delivery failure is raised (to be retried) after flagging the
        complaint; a permanent one is recorded as failed and flagged for staff.
        """
        outcome: Outcome | None = None
        for attempt in range(RECORD_ATTEMPTS):
            if attempt:
                time.sleep(RECORD_PAUSE * 2**attempt)
            try:
                current = self._repository.get(tracking_code)
            except StorageUnavailable:
                if outcome is None:
                    raise  # nothing sent yet: the record's retry starts afresh
                continue
            if current is None:
                raise ComplaintNotFound(tracking_code)
            if intent in current.notices:
                return current.notices[intent]
            if outcome is None:
                try:
                    outcome = self._perform(current, intent)
                except DeliveryFailed as exc:
                    if exc.permanent:
                        outcome = Outcome(
                            Notice("failed", self._clock.now(), reason=str(exc)[:300]),
                            attention=f"{intent} could not be delivered: {str(exc)[:200]}",
                        )
                    else:
                        reason = f"{intent} is not delivered yet; if this stays, send it by hand"
                        flag_complaint(
                            current, intent, reason, repository=self._repository, clock=self._clock
                        )
                        raise
            try:
                self._record(current, intent, outcome)
                return outcome.notice
            except (ConcurrentUpdate, StorageUnavailable):
                continue
        raise ConcurrentUpdate(f"could not record {intent} on {tracking_code}")

    def _perform(self, complaint: Complaint, intent: str) -> Outcome:
        name, _, argument = intent.partition(":")
        perform: dict[str, Callable[[Complaint, str], Outcome]] = {
            ACKNOWLEDGEMENT: self._acknowledge,
            SUPERVISOR_ALERT: self._alert_supervisors,
            DEPARTMENT_NOTICE: self._notify_department,
            INFORMATION_REQUEST: self._request_information,
            DECISION: self._communicate_decision,
            SURVEY: self._invite_rating,
            ESCALATION: self._escalate,
        }
        return perform[name](complaint, argument)

    def _request_information(self, complaint: Complaint, argument: str) -> Outcome:
        _, _, channel = argument.partition(":")
        message = complaint.personal.messages.get(f"{INFORMATION_REQUEST}:{argument}", "")
        return self._to_complainant(
            complaint, HandlingMessage.INFORMATION_REQUEST, channel, message, argument
        )

    def _communicate_decision(self, complaint: Complaint, argument: str) -> Outcome:
        _, channel, outcome = [*argument.split(":"), "none"][:3]
        message = complaint.personal.messages.get(f"{DECISION}:{argument}", "")
        return self._to_complainant(
            complaint, HandlingMessage.DECISION, channel, message, argument, outcome=outcome
        )

    def _invite_rating(self, complaint: Complaint, argument: str) -> Outcome:
        return self._to_complainant(complaint, HandlingMessage.SURVEY, "auto", "", argument)

    def _to_complainant(
        self,
        complaint: Complaint,
        kind: HandlingMessage,
        channel: str,
        message: str,
        argument: str,
        *,
        outcome: str | None = None,
    ) -> Outcome:
        """Write to the complainant by the channel asked for, or the one they prefer."""
        now = self._clock.now()
        contact = complaint.personal.contact
        if not complaint.consent.contact:
            return Outcome(
                Notice("skipped", now, reason="the complainant did not consent to be contacted"),
                attention=f"{kind.value}: tell the complainant by phone or post (no consent to write)",
            )
        if channel == "auto":
            prefers_mail = contact.preferred_channel is ContactChannel.EMAIL or not contact.mobile
            channel = "email" if contact.email and prefers_mail else "sms"
        language, market, code = complaint.language, complaint.market, complaint.tracking_code
        if channel == "email" and contact.email:
            mail = handling_message(
                kind, language, market, code=code, message=message, outcome=outcome, base_url=self._base_url
            )
            delivery = self._mail.send_mail(contact.email, mail.subject, mail.body)
        elif channel == "sms" and contact.mobile:
            # No link in an SMS to a Turkish number: carriers there may block or mask it.
            base = "" if contact.mobile.startswith("+90") else self._base_url
            text = handling_message(
                kind, language, market, code=code, message=message, outcome=outcome, base_url=base
            ).body
            key = hashlib.sha256(f"{code}:{kind.value}:{argument}".encode()).hexdigest()[:32]
            delivery = self._sms.send_sms(contact.mobile, text, key=key)
        else:
            return Outcome(
                Notice("skipped", now, reason=f"no {channel} contact on file"),
                attention=f"{kind.value}: tell the complainant by phone or post (no {channel} on file)",
            )
        return Outcome(_sent(delivery, now))

    def _escalate(self, complaint: Complaint, argument: str) -> Outcome:
        """Tell the level's audience (the department's supervisor, the head of complaints, ...)."""
        cycle, _, level_text = argument.partition(":")
        level = int(level_text)
        audience = audience_of(level, self._chain)
        message = {
            "tracking_code": complaint.tracking_code,
            "escalation_level": level,
            "audience": audience,
            "cycle": int(cycle),
            "status": complaint.status.value,
            "priority": complaint.priority.value,
            "department": complaint.department,
            "due_at": complaint.expected_response_by.isoformat(),
        }
        attributes = {
            "market": complaint.market.value,
            "audience": audience,
            "level": str(level),
            "department": complaint.department or "unassigned",
        }
        delivery = self._topics.publish("supervisor", message, attributes)
        return Outcome(_sent(delivery, self._clock.now()))

    def _acknowledge(self, complaint: Complaint, _: str) -> Outcome:
        now = self._clock.now()
        contact = complaint.personal.contact
        if not complaint.consent.contact:
            return Outcome(Notice("skipped", now, reason="the complainant did not consent to be contacted"))
        kind, due, market = MessageKind.ACKNOWLEDGEMENT, complaint.expected_response_by, complaint.market
        wants_mail = contact.preferred_channel is ContactChannel.EMAIL or not contact.mobile
        if contact.email and wants_mail:
            mail = mail_text(kind, complaint.language, code=complaint.tracking_code, due=due, market=market)
            delivery = self._mail.send_mail(contact.email, mail.subject, mail.body)
        elif contact.mobile:
            text = sms_text(kind, complaint.language, code=complaint.tracking_code, due=due, market=market)
            key = hashlib.sha256(f"{complaint.tracking_code}:{ACKNOWLEDGEMENT}".encode()).hexdigest()[:32]
            delivery = self._sms.send_sms(contact.mobile, text, key=key)
        else:
            return Outcome(
                Notice("skipped", now, reason="no mobile number or e-mail address"),
                attention="acknowledge by post or phone: no mobile number or e-mail address",
            )
        return Outcome(_sent(delivery, now), milestone=MilestoneCode.ACKNOWLEDGED)

    def _alert_supervisors(self, complaint: Complaint, _: str) -> Outcome:
        message = {
            "tracking_code": complaint.tracking_code,
            "reason": complaint.triage.reason,
            "priority": complaint.priority.value,
            "due_at": complaint.expected_response_by.isoformat(),
        }
        delivery = self._topics.publish("supervisor", message, {"market": complaint.market.value})
        return Outcome(_sent(delivery, self._clock.now()))

    def _notify_department(self, complaint: Complaint, department: str) -> Outcome:
        """Tell the department the intent names, unless the complaint has moved on since."""
        if complaint.department != department:
            reason = f"the complaint moved to {complaint.department} before {department} was told"
            return Outcome(Notice("skipped", self._clock.now(), reason=reason))
        message = {
            "tracking_code": complaint.tracking_code,
            "department": department,
            "priority": complaint.priority.value,
            "health_or_safety": complaint.health_or_safety,
            "due_at": complaint.expected_response_by.isoformat(),
        }
        attributes = {"department": department, "market": complaint.market.value}
        delivery = self._topics.publish("department", message, attributes)
        return Outcome(_sent(delivery, self._clock.now()))

    def _record(self, current: Complaint, intent: str, outcome: Outcome) -> None:
        now = outcome.notice.at
        attention = {k: v for k, v in current.attention.items() if k != intent}
        if outcome.attention:
            attention[intent] = outcome.attention
        milestones = current.milestones
        if outcome.milestone:
            milestones += (Milestone(outcome.milestone, now),)
        after = replace(
            current,
            notices={**current.notices, intent: outcome.notice},
            attention=attention,
            milestones=milestones,
            updated_at=now if outcome.milestone else current.updated_at,
            version=current.version + 1,
        )
        details = {"intent": intent, "status": outcome.notice.status}
        details.update({k: v for k, v in (("channel", outcome.notice.channel),) if v})
        self._repository.apply_change(
            current,
            after,
            change_event(
                current,
                after,
                actor="system:dispatcher",
                action="notify",
                at=now,
                public=bool(outcome.milestone),
                details=details,
            ),
        )


def _sent(delivery: Delivery, now: datetime) -> Notice:
    return Notice("sent", now, delivery.channel, delivery.provider, delivery.message_id)
