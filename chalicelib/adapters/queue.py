"""Queues on SQS: new complaints to route, in batches of ten; reports asked for on demand."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from chalicelib.domain.errors import StorageUnavailable
from chalicelib.domain.policy import Market

BATCH = 10  # the most SendMessageBatch takes


class SqsRoutingQueue:
    """Sends `{"tracking_code": ...}` messages with SendMessageBatch."""

    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def send(self, tracking_codes: list[str]) -> list[str]:
        refused: list[str] = []
        for start in range(0, len(tracking_codes), BATCH):
            chunk = tracking_codes[start : start + BATCH]
            entries = [
                {"Id": str(i), "MessageBody": json.dumps({"tracking_code": code})}
                for i, code in enumerate(chunk)
            ]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                raise StorageUnavailable(f"the routing queue refused a batch: {type(exc).__name__}") from exc
            refused.extend(chunk[int(entry["Id"])] for entry in answer.get("Failed", []))
        return refused


class SqsReportRequests:
    """Sends `{"market", "period", "date", "requested_by"}` messages, one per report asked for."""

    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def request(self, market: Market, kind: str, day: date, requested_by: str) -> None:
        body = {"market": market.value, "period": kind, "date": day.isoformat(), "requested_by": requested_by}
        try:
            self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(body))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"the report queue refused a request: {type(exc).__name__}") from exc
