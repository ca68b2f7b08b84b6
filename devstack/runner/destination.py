"""On-failure destinations: where Lambda reports a stream batch it gave up on.

A destination is an SQS queue or an SNS topic, named by its ARN; the record
is sent as a JSON string, as Lambda sends it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class Destinations:
    """Sends on-failure records to SQS queues and SNS topics of the emulator."""

    def __init__(self, sqs: Any, sns: Any) -> None:
        self._sqs = sqs
        self._sns = sns
        self._queue_urls: dict[str, str] = {}

    def send(self, arn: str, record: Mapping[str, Any]) -> None:
        """Send `record` to the queue or topic `arn`; `ValueError` for another kind of ARN."""
        body = json.dumps(record)
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "sqs":
            self._sqs.send_message(QueueUrl=self._queue_url(arn), MessageBody=body)
        elif service == "sns":
            self._sns.publish(TopicArn=arn, Message=body)
        else:
            raise ValueError(f"an on-failure destination is an SQS queue or SNS topic ARN, not {arn!r}")

    def _queue_url(self, arn: str) -> str:
        if arn not in self._queue_urls:
            *_, account, name = arn.split(":")
            response = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self._queue_urls[arn] = response["QueueUrl"]
        return self._queue_urls[arn]
