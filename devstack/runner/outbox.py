"""What the system really sent, from the providers themselves, into the outbox.

- SNS: moto keeps every SMS published to a phone number in its in-process
  backend (`sms_messages`, id -> (number, text)); the emulator runs in this
  process, so the watcher reads it there.
- SES: moto keeps every e-mail it accepted in `sent_messages` (v1 and v2
  share it): plain, raw (MIME) and templated messages.
- The HTTP SMS gateway: the local stack's fake gateway calls back with each
  message it takes (`from_gateway`).

Only messages that a provider accepted reach the outbox: a refused one
(an unverified sender, an opted-out number) is not sent, there or on AWS.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from devstack.outbox import Outbox, SentMessage
from devstack.runner.loop import Loop

logger = logging.getLogger("devstack.runner")


def from_gateway(message: Mapping[str, Any]) -> SentMessage:
    """A message the fake HTTP SMS gateway took (`to`, `text`, `message_id`, `received_at`, ...)."""
    received = message.get("received_at")
    sent_at = datetime.fromisoformat(received) if isinstance(received, str) else datetime.now(UTC)
    return SentMessage(
        channel="sms",
        to=str(message["to"]),
        body=str(message["text"]),
        sent_at=sent_at,
        provider="http-gateway",
        provider_message_id=str(message["message_id"]),
        sender=message.get("sender"),
    )


def from_sns(message_id: str, phone_number: str, text: str, sent_at: datetime) -> SentMessage:
    """An SMS that SNS took for a phone number."""
    return SentMessage("sms", phone_number, text, sent_at, "sns", message_id)


def from_ses(message: Any, sent_at: datetime) -> SentMessage:
    """An e-mail that SES took: moto's `Message`, `RawMessage` or `TemplateMessage`."""
    subject: str | None = getattr(message, "subject", None)
    if hasattr(message, "raw_data"):
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        subject = str(parsed["subject"]) if parsed["subject"] else None
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        recipients = list(message.destinations)
    elif hasattr(message, "template"):
        body = f"template {message.template}: {message.template_data}"
        recipients = _addresses(message.destinations)
    else:
        body = str(message.body or "")
        recipients = _addresses(message.destinations)
    return SentMessage(
        channel="email",
        to=", ".join(recipients),
        body=body,
        sent_at=sent_at,
        provider="ses",
        provider_message_id=str(getattr(message, "id", None) or ",".join(getattr(message, "ids", []))),
        subject=subject,
        sender=message.source,
    )


def _addresses(destinations: Any) -> list[str]:
    if isinstance(destinations, Mapping):
        keys = ("ToAddresses", "CcAddresses", "BccAddresses")
        return [address for key in keys for address in destinations.get(key) or []]
    return [str(address) for address in destinations or []]


class ProviderWatcher:
    """A service: puts every SMS (SNS) and e-mail (SES) the emulator takes into the outbox.

    Only what is sent after `start()` counts.
    """

    def __init__(
        self,
        outbox: Outbox,
        account: str,
        region: str,
        *,
        poll_seconds: float = 0.25,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._outbox = outbox
        self._account = account
        self._region = region
        self._now = now
        self._seen_sms: set[str] = set()
        self._mail_count = 0
        self._loop = Loop("outbox", self.step, idle_seconds=poll_seconds)

    def start(self) -> None:
        """Note what was sent already, then watch."""
        self._seen_sms = set(_snapshot(self._sns().sms_messages))
        self._mail_count = len(self._ses().sent_messages)
        self._loop.start()

    def stop(self) -> None:
        """Stop watching (bounded wait)."""
        self._loop.stop()

    def step(self) -> bool:
        """Append what was sent since the last step; False when nothing was."""
        now = self._now()
        found = False
        for message_id, (phone_number, text) in _snapshot(self._sns().sms_messages).items():
            if message_id not in self._seen_sms:
                self._seen_sms.add(message_id)
                self._outbox.append(from_sns(message_id, phone_number, text, now))
                found = True
        mails = list(self._ses().sent_messages)
        for message in mails[self._mail_count :]:
            self._outbox.append(from_ses(message, now))
            found = True
        self._mail_count = len(mails)
        return found

    def _sns(self) -> Any:
        from moto.sns.models import sns_backends

        return sns_backends[self._account][self._region]

    def _ses(self) -> Any:
        from moto.ses.models import ses_backends

        return ses_backends[self._account][self._region]


def _snapshot(messages: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """A copy of moto's SMS log, which the emulator's threads may be appending to."""
    for _ in range(5):
        try:
            return dict(messages)
        except RuntimeError:  # changed size during the copy: try again
            continue
    return {}
