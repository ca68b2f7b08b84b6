"""moto in process for the sender adapters, without disturbing the session's local stack.

`mock_aws()` normally wipes every moto backend when it starts and stops. The
local stack of this tier (tests/integration/conftest.py) serves those same
backends from moto's server in this process, so a plain `mock_aws()` here
would erase its tables and queues under the tests that run after. This
fixture therefore keeps the data (`reset=False`, `remove_data=False`) and
works in a region the local stack does not use. What the tests leave behind
stays in that region; tests find their own messages by message id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

#: A region that the local stack (us-east-1) never touches.
SENDERS_REGION = "eu-central-1"


@dataclass(frozen=True)
class MotoAws:
    """boto3 clients on moto in process, and moto's records of what was sent."""

    region: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)

    @property
    def sms_messages(self) -> dict[str, tuple[str, str]]:
        """SMS published to phone numbers: message id -> (number, text)."""
        messages: dict[str, tuple[str, str]] = sns_backends[DEFAULT_ACCOUNT_ID][self.region].sms_messages
        return messages

    def sent_mail(self, message_id: str) -> Any:
        """The e-mail SES sent under `message_id` (moto's Message: source, subject, body, destinations)."""
        sent = ses_backends[DEFAULT_ACCOUNT_ID][self.region].sent_messages
        return next(message for message in sent if message.id == message_id)


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoAws]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", SENDERS_REGION)
    mock = mock_aws()
    mock.start(reset=False)
    try:
        yield MotoAws(SENDERS_REGION)
    finally:
        mock.stop(remove_data=False)
