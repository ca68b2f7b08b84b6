"""The event handlers on DynamoDB, SNS and SQS (moto), with real Lambda payloads from tests/events/."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.bootstrap import Container, install
from devstack.stack import LocalStack

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).resolve().parents[1] / "events"


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def aws(local_stack: LocalStack) -> Iterator[Container]:
    container = Container()
    install(container)
    yield container
    install(None)


def _client(local_stack: LocalStack, service: str) -> Any:
    return boto3.client(service, endpoint_url=local_stack.moto_url, region_name="us-east-1")


def _put_image(local_stack: LocalStack, image: dict[str, Any]) -> None:
    table = local_stack.environment["COMPLAINTS_TABLE"]
    _client(local_stack, "dynamodb").put_item(TableName=table, Item=image)


@pytest.fixture(scope="module")
def handled_insert(local_stack: LocalStack) -> tuple[str, dict[str, Any]]:
    """The recorded complaint written to the table, and the handler's answer to its INSERT."""
    insert = event("dynamodb_insert.json")
    image = insert["Records"][0]["dynamodb"]["NewImage"]
    _put_image(local_stack, image)
    install(Container())
    answer = sys.modules["app"].on_complaint_change(insert, None)
    install(None)
    return image["tracking_code"]["S"], answer


def test_a_recorded_insert_is_acknowledged_by_sms_and_enqueued_for_routing(
    local_stack: LocalStack, aws: Container, handled_insert: tuple[str, dict[str, Any]]
) -> None:
    code, answer = handled_insert
    assert answer == {"batchItemFailures": []}
    complaint = aws.repository.get(code)
    assert complaint is not None
    assert complaint.notices["acknowledgement"].status == "sent"
    assert complaint.notices["acknowledgement"].provider == "sns"
    queue = local_stack.environment["ROUTING_QUEUE_URL"]
    messages = _client(local_stack, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert {"tracking_code": code} in [json.loads(m["Body"]) for m in messages]


def test_a_replayed_insert_sends_no_second_acknowledgement(
    aws: Container, handled_insert: tuple[str, dict[str, Any]]
) -> None:
    insert = event("dynamodb_insert.json")
    code = handled_insert[0]
    before = aws.repository.get(code)
    assert before is not None
    sys.modules["app"].on_complaint_change(insert, None)
    after = aws.repository.get(code)
    assert after is not None
    assert after.notices == before.notices
    assert after.version == before.version


def test_a_batch_reports_only_the_record_whose_complaint_is_missing(
    local_stack: LocalStack, aws: Container
) -> None:
    insert = event("dynamodb_insert.json")
    ghost = copy.deepcopy(insert["Records"][0])
    ghost["dynamodb"]["NewImage"]["tracking_code"] = {"S": "0000-0000-0000-00"}
    ghost["dynamodb"]["Keys"]["tracking_code"] = {"S": "0000-0000-0000-00"}
    ghost["dynamodb"]["SequenceNumber"] = "999999999999999999999"
    answer = sys.modules["app"].on_complaint_change({"Records": [insert["Records"][0], ghost]}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "999999999999999999999"}]}


def test_a_routing_message_assigns_the_department_once(
    aws: Container, handled_insert: tuple[str, dict[str, Any]]
) -> None:
    routing = event("sqs_routing.json")
    code = json.loads(routing["Records"][0]["body"])["tracking_code"]
    assert sys.modules["app"].route_complaints(routing, None) == {"batchItemFailures": []}
    routed = aws.repository.get(code)
    assert routed is not None
    assert (routed.department, routed.status.value) == ("claims", "investigating")
    assert sys.modules["app"].route_complaints(routing, None) == {"batchItemFailures": []}
    again = aws.repository.get(code)
    assert again is not None
    assert again.version == routed.version


def test_a_malformed_routing_message_fails_and_flags_the_complaint_it_names(
    aws: Container, handled_insert: tuple[str, dict[str, Any]]
) -> None:
    routing = event("sqs_routing.json")
    record = routing["Records"][0]
    code = json.loads(record["body"])["tracking_code"]
    poison = {**record, "messageId": "poison-1", "body": json.dumps({"tracking_code": code, "extra": 1})}
    answer = sys.modules["app"].route_complaints({"Records": [poison]}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "poison-1"}]}
    flagged = aws.repository.get(code)
    assert flagged is not None
    assert "routing" in flagged.attention


def test_a_stream_batch_given_up_on_flags_its_complaints_for_staff(
    local_stack: LocalStack, aws: Container, client: Any, turkish_complaint: dict[str, Any]
) -> None:
    # Given a complaint whose INSERT the stream gave up on
    headers = {"Content-Type": "application/json"}
    created = client.http.post("/complaints", headers=headers, body=json.dumps(turkish_complaint))
    code = json.loads(created.body)["tracking_code"]
    streams = _client(local_stack, "dynamodbstreams")
    arn = local_stack.environment["COMPLAINTS_STREAM_ARN"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    sequence = next(
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["dynamodb"]["Keys"]["tracking_code"]["S"] == code
    )
    body = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 6},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": sequence,
            "endSequenceNumber": sequence,
            "batchSize": 1,
            "streamArn": arn,
        },
    }
    message = {"messageId": "gave-up-1", "body": json.dumps(body), "eventSource": "aws:sqs"}

    # When the on-failure message is handled
    answer = sys.modules["app"].flag_stream_failures({"Records": [message]}, None)

    # Then the complaint is flagged where staff will see it
    assert answer == {"batchItemFailures": []}
    flagged = aws.repository.get(code)
    assert flagged is not None
    assert "gave up" in flagged.attention["stream"]


def test_an_unreadable_failure_message_stays_on_the_queue(aws: Container) -> None:
    message = {"messageId": "junk-1", "body": "not json", "eventSource": "aws:sqs"}
    assert sys.modules["app"].flag_stream_failures({"Records": [message]}, None) == {
        "batchItemFailures": [{"itemIdentifier": "junk-1"}]
    }
