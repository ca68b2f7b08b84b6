"""An SQS event source: receives a batch, invokes its handler, deletes what succeeded, as Lambda does.

A message that failed (named in `batchItemFailures`, or all of them when
the handler raised) is left in the queue: it comes back when its visibility
timeout ends, and the queue's redrive policy moves it to the dead-letter
queue once it has been received `maxReceiveCount` times. moto implements
that move as SQS does, on the receive after the last allowed one, so the
runner leaves it to the queue.

`local_visibility_timeout` only shortens the wait. The template gives the
routing queue 180 s (six times the function timeout, as AWS advises), which
is long to wait at a desk; the runner sets a failed message's visibility to
the shorter local value with ChangeMessageVisibility, as a function may do
itself. The number of receives, the redrive to the DLQ and the order of
events stay exactly as on AWS; only the pause before a redelivery is shorter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalice.app import SQSEventConfig

from devstack.runner.batch import judge
from devstack.runner.events import records_event, sqs_record
from devstack.runner.settings import QueueSourceSettings
from devstack.runner.sources import Function, log_invocation

logger = logging.getLogger("devstack.runner")

#: SQS hands out at most this many messages per ReceiveMessage call.
MAX_RECEIVE = 10


@dataclass(frozen=True)
class Queue:
    """What the runner needs to know of a queue."""

    url: str
    arn: str
    visibility_timeout: int
    #: From the queue's redrive policy; None without one.
    max_receive_count: int | None = None
    dead_letter_arn: str | None = None


def describe_queue(sqs: Any, config: SQSEventConfig) -> Queue:
    """The queue of an SQS event source, named by queue name or ARN."""
    if config.queue:
        url = sqs.get_queue_url(QueueName=config.queue)["QueueUrl"]
    else:
        *_, account, name = str(config.queue_arn).split(":")
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn", "VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
    return Queue(
        url=url,
        arn=attributes["QueueArn"],
        visibility_timeout=int(attributes.get("VisibilityTimeout", 30)),
        max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
        dead_letter_arn=redrive.get("deadLetterTargetArn"),
    )


class QueuePoller:
    """One SQS event source: `step()` does at most one invocation."""

    def __init__(
        self,
        function: Function,
        config: SQSEventConfig,
        settings: QueueSourceSettings,
        sqs: Any,
        queue: Queue,
        region: str,
        *,
        local_visibility_timeout: int | None = None,
    ) -> None:
        self.function = function
        self.batch_size = config.batch_size
        self.settings = settings
        self.queue = queue
        self._sqs = sqs
        self._region = region
        self._retry_visibility = local_visibility_timeout
        if local_visibility_timeout is not None and local_visibility_timeout >= queue.visibility_timeout:
            self._retry_visibility = None

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def retry_visibility(self) -> int | None:
        """Seconds before a failed message is visible again; None: the queue's own timeout."""
        return self._retry_visibility

    def step(self) -> bool:
        """Invoke the handler once with the messages at hand; False if there were none or all failed."""
        messages = self._receive()
        if not messages:
            return False
        records = [sqs_record(message, self.queue.arn, self._region) for message in messages]
        identifiers = [record["messageId"] for record in records]
        invocation = self.function.invoke(records_event(records))
        verdict = judge(
            invocation.response,
            identifiers,
            raised=invocation.error is not None,
            reports_failures=self.settings.report_batch_item_failures,
        )
        log_invocation(self.name, len(records), verdict, identifiers, invocation)
        failed = set(verdict.failed_items(identifiers))
        handles = {record["messageId"]: record["receiptHandle"] for record in records}
        self._delete([handle for item, handle in handles.items() if item not in failed])
        self._come_back_soon([handle for item, handle in handles.items() if item in failed])
        # Nothing succeeded: pause before the next receive, as a failing source should not spin.
        return len(failed) < len(records)

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            response = self._sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(MAX_RECEIVE, self.batch_size - len(messages)),
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if len(received) < MAX_RECEIVE:
                return messages
        return messages

    def _delete(self, handles: Sequence[str]) -> None:
        for chunk in _chunks(handles):
            entries = [{"Id": str(index), "ReceiptHandle": handle} for index, handle in enumerate(chunk)]
            failed = self._sqs.delete_message_batch(QueueUrl=self.queue.url, Entries=entries).get("Failed")
            if failed:
                logger.warning("%s: %d messages not deleted; they will come again", self.name, len(failed))

    def _come_back_soon(self, handles: Sequence[str]) -> None:
        if self._retry_visibility is None:
            return
        for chunk in _chunks(handles):
            entries = [
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": self._retry_visibility}
                for index, handle in enumerate(chunk)
            ]
            self._sqs.change_message_visibility_batch(QueueUrl=self.queue.url, Entries=entries)


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[start : start + MAX_RECEIVE] for start in range(0, len(items), MAX_RECEIVE)]
