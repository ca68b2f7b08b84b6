"""Lambda-shaped events, built from what the AWS APIs return. Pure: no I/O.

GetRecords and ReceiveMessage do not return what Lambda hands a function:

- a DynamoDB stream record gains `eventSourceARN` and the region of the
  stream (moto writes `us-east-1` whatever the region), its
  `ApproximateCreationDateTime` is epoch seconds (boto3 parses it into a
  `datetime`, which Chalice's `DynamoDBRecord` cannot read), and
  `eventVersion` is Lambda's `1.1`;
- an SQS message's keys are camel-cased, its message attributes take
  Lambda's shape (`stringValue`, `binaryValue` in base64, `dataType`, ...),
  and it gains `eventSource`, `eventSourceARN` and `awsRegion`.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
Record = dict[str, Any]


def epoch_seconds(value: Any) -> int | float:
    """A timestamp as epoch seconds: `datetime` (naive means UTC) or a number as it is."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        seconds = moment.timestamp()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, int | float):
        return value
    raise TypeError(f"not a timestamp: {value!r}")


def dynamodb_record(raw: Mapping[str, Any], stream_arn: str, region: str) -> Record:
    """One GetRecords record as Lambda delivers it to a DynamoDB stream handler."""
    stream = copy.deepcopy(dict(raw["dynamodb"]))
    # Lambda sends whole seconds (the Streams API's precision), as a number.
    stream["ApproximateCreationDateTime"] = int(epoch_seconds(stream["ApproximateCreationDateTime"]))
    record: Record = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": stream,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in raw:  # TTL deletions carry the DynamoDB service as the identity.
        record["userIdentity"] = copy.deepcopy(raw["userIdentity"])
    return record


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> Record:
    """One ReceiveMessage message as Lambda delivers it to an SQS handler."""
    record: Record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """An SQS message attribute in Lambda's shape; binary values in base64."""
    shaped: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [_base64(item) for item in value.get("BinaryListValues") or []],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _base64(value["BinaryValue"])
    return shaped


def _base64(value: bytes | str) -> str:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return base64.b64encode(data).decode("ascii")


def records_event(records: Iterable[Record]) -> Event:
    """The event of one invocation of a stream or queue handler."""
    return {"Records": list(records)}


def scheduled_event(event_id: str, rule_arn: str, account: str, region: str, fired_at: datetime) -> Event:
    """The EventBridge (CloudWatch Events) event of one scheduled invocation."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": iso_utc(fired_at),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def iso_utc(moment: datetime, *, milliseconds: bool = False) -> str:
    """ISO 8601 in UTC with a `Z`, to the second (or millisecond)."""
    utc = moment.astimezone(UTC)
    if milliseconds:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
