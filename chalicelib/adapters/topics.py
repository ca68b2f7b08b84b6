"""Staff notifications on SNS topics: one for departments, one for supervisors."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from chalicelib.domain.errors import DeliveryFailed
from chalicelib.services.ports import Delivery


class SnsTopics:
    """Publishes JSON messages with string attributes that subscribers filter on."""

    def __init__(self, sns_client: Any, department_topic_arn: str, supervisor_topic_arn: str) -> None:
        self._sns = sns_client
        self._arns = {"department": department_topic_arn, "supervisor": supervisor_topic_arn}

    def publish(self, topic: str, message: dict[str, Any], attributes: dict[str, str]) -> Delivery:
        try:
            answer = self._sns.publish(
                TopicArn=self._arns[topic],
                Message=json.dumps(message, ensure_ascii=False),
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
                },
            )
        except (BotoCoreError, ClientError) as exc:
            raise DeliveryFailed(
                f"SNS refused the {topic} notification: {type(exc).__name__}", permanent=False
            ) from exc
        return Delivery("sns-topic", "sns", answer["MessageId"])
