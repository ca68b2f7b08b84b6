"""The event-source runner against moto's server: streams, queues, retries, DLQ, on-failure, outbox.

Each test builds a throwaway Chalice app over its own table and queues, so
the runner is shown to be generic: it knows nothing of complaintdesk's app.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chalice.app import Chalice, DynamoDBEvent, SQSEvent

from devstack.aws import Clients
from devstack.emulator import Emulator
from devstack.lookups import Resource
from devstack.options import HOST
from devstack.outbox import Outbox
from devstack.runner import EventRunner, RunnerError, RunnerOptions
from devstack.runner.outbox import ProviderWatcher
from devstack.stack import StackContext

pytestmark = pytest.mark.integration

REGION = "eu-central-1"  # not moto's hard-coded us-east-1: the runner must write the stack's region


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    server = Emulator(HOST, 0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clients(emulator: Emulator) -> Clients:
    return Clients(emulator.url, REGION)


@dataclass(frozen=True)
class Plumbing:
    """One test's own table (with a stream), queue with a DLQ, and on-failure queue."""

    table: str
    stream_arn: str
    queue_name: str
    queue_url: str
    dlq_url: str
    failure_queue_url: str
    failure_queue_arn: str


@pytest.fixture
def plumbing(clients: Clients) -> Plumbing:
    suffix = uuid.uuid4().hex[:8]
    table = f"items-{suffix}"
    created = clients("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    sqs = clients("sqs")
    dlq_url = sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    failure_url = sqs.create_queue(QueueName=f"failures-{suffix}")["QueueUrl"]
    redrive = {"deadLetterTargetArn": _arn(sqs, dlq_url), "maxReceiveCount": 2}
    queue_url = sqs.create_queue(
        QueueName=f"work-{suffix}",
        Attributes={"VisibilityTimeout": "180", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    return Plumbing(
        table=table,
        stream_arn=created["TableDescription"]["LatestStreamArn"],
        queue_name=f"work-{suffix}",
        queue_url=queue_url,
        dlq_url=dlq_url,
        failure_queue_url=failure_url,
        failure_queue_arn=_arn(sqs, failure_url),
    )


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


@contextmanager
def running(
    app: Chalice, clients: Clients, plumbing: Plumbing, tmp_path: Path, overlay: str = ""
) -> Iterator[None]:
    """The runner over `app`, with `overlay` as its infra/functions.yaml, for the block's duration."""
    overlay_path = tmp_path / "functions.yaml"
    overlay_path.write_text(textwrap.dedent(overlay) or "Resources: {}\n", encoding="utf-8")
    failure_queue = Resource(
        "FailureQueue",
        "AWS::SQS::Queue",
        plumbing.failure_queue_url,
        read_attributes=lambda: {"Arn": plumbing.failure_queue_arn},
    )
    context = StackContext(app, {}, {"FailureQueue": failure_queue}, clients, tmp_path / "outbox.jsonl")
    runner = EventRunner(context, RunnerOptions(overlay_path, local_visibility_timeout=1, poll_seconds=0.1))
    runner.start()
    try:
        yield
    finally:
        started = time.monotonic()
        runner.stop()
        assert time.monotonic() - started < 5, "the runner took too long to stop"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s")


def put(clients: Clients, plumbing: Plumbing, *ids: str) -> None:
    for item_id in ids:
        clients("dynamodb").put_item(
            TableName=plumbing.table, Item={"id": {"S": item_id}, "note": {"S": "x"}}
        )


def stream_app(plumbing: Plumbing, handler: Callable[[DynamoDBEvent], Any], batch_size: int = 10) -> Chalice:
    app = Chalice(app_name="runner-test")
    app.on_dynamodb_record(
        stream_arn=plumbing.stream_arn,
        batch_size=batch_size,
        starting_position="TRIM_HORIZON",
        name="on_change",
    )(handler)
    return app


def ids_of(event: DynamoDBEvent) -> list[str]:
    return [record.keys["id"]["S"] for record in event]


# --- DynamoDB streams ----------------------------------------------------------------------------


def test_a_stream_handler_sees_inserts_as_lambda_records(
    clients: Clients, plumbing: Plumbing, tmp_path: Path
) -> None:
    seen: list[dict[str, Any]] = []

    def on_change(event: DynamoDBEvent) -> None:
        for record in event:  # Chalice's own parsing must accept every record
            assert record.table_name == plumbing.table
        seen.extend(event.to_dict()["Records"])

    iterators_before = len(_moto_shard_iterators())
    with running(stream_app(plumbing, on_change), clients, plumbing, tmp_path):
        put(clients, plumbing, "a", "b", "c")
        wait_for(lambda: len(seen) == 3, what="three INSERTs")
        time.sleep(0.5)  # a few idle polls, each with a fresh iterator
    assert len(_moto_shard_iterators()) - iterators_before <= 1, "used shard iterators pile up in moto"

    assert [record["dynamodb"]["Keys"]["id"]["S"] for record in seen] == ["a", "b", "c"]
    record = seen[0]
    assert record["eventName"] == "INSERT"
    assert record["eventSourceARN"] == plumbing.stream_arn
    assert record["awsRegion"] == REGION
    assert record["eventVersion"] == "1.1"
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert abs(record["dynamodb"]["ApproximateCreationDateTime"] - time.time()) < 60
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "a"}, "note": {"S": "x"}}
    assert len({r["eventID"] for r in seen}) == 3


def _moto_shard_iterators() -> dict[str, Any]:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    return dict(dynamodbstreams_backends["123456789012"][REGION].shard_iterators)


def test_a_batch_failing_at_its_second_record_is_retried_from_there(
    clients: Clients, plumbing: Plumbing, tmp_path: Path
) -> None:
    calls: list[list[str]] = []

    def on_change(event: DynamoDBEvent) -> dict[str, Any]:
        calls.append(ids_of(event))
        if len(calls) == 1:
            second = list(event)[1]
            return {"batchItemFailures": [{"itemIdentifier": second.sequence_number}]}
        return {"batchItemFailures": []}

    put(clients, plumbing, "first", "second", "third")  # before the runner: one batch
    with running(stream_app(plumbing, on_change), clients, plumbing, tmp_path):
        wait_for(lambda: len(calls) >= 2, what="the retry")
        put(clients, plumbing, "fourth")
        wait_for(lambda: len(calls) >= 3, what="the next record")

    assert calls == [["first", "second", "third"], ["second", "third"], ["fourth"]]


EXHAUSTING_OVERLAY = """\
    Resources:
      OnChange:
        Properties:
          Events:
            OnChangeDynamodbEventSource:
              Properties:
                FunctionResponseTypes: [ReportBatchItemFailures]
                BisectBatchOnFunctionError: false
                MaximumRetryAttempts: 1
                DestinationConfig:
                  OnFailure:
                    Type: SQS
                    Destination: !GetAtt FailureQueue.Arn
    """


def test_exhausted_retries_are_reported_to_the_on_failure_destination_and_the_shard_moves_on(
    clients: Clients, plumbing: Plumbing, tmp_path: Path
) -> None:
    calls: list[list[str]] = []

    def on_change(event: DynamoDBEvent) -> dict[str, Any]:
        calls.append(ids_of(event))
        poison = [record.sequence_number for record in event if record.keys["id"]["S"] == "poison"]
        return {"batchItemFailures": [{"itemIdentifier": poison[0]}] if poison else []}

    put(clients, plumbing, "poison")
    with running(stream_app(plumbing, on_change), clients, plumbing, tmp_path, EXHAUSTING_OVERLAY):
        wait_for(lambda: len(calls) >= 2, what="the retry")
        put(clients, plumbing, "healthy")
        wait_for(lambda: ["healthy"] in calls, what="the record after the poison one")
        reports = clients("sqs").receive_message(QueueUrl=plumbing.failure_queue_url, WaitTimeSeconds=1)

    assert calls == [["poison"], ["poison"], ["healthy"]]
    (message,) = reports["Messages"]
    report = json.loads(message["Body"])
    assert report["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert report["requestContext"]["approximateInvokeCount"] == 2
    assert report["requestContext"]["functionArn"].endswith(":function:runner-test-dev-on_change")
    assert report["version"] == "1.0"
    info = report["DDBStreamBatchInfo"]
    assert info["streamArn"] == plumbing.stream_arn
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["shardId"].startswith("shardId-")


def test_a_raising_stream_handler_is_retried_and_the_loop_survives(
    clients: Clients, plumbing: Plumbing, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[list[str]] = []

    def on_change(event: DynamoDBEvent) -> None:
        calls.append(ids_of(event))
        if len(calls) == 1:
            raise RuntimeError("the first call fails")

    put(clients, plumbing, "a", "b")
    with running(stream_app(plumbing, on_change), clients, plumbing, tmp_path):
        wait_for(lambda: ["b"] in calls, what="both halves of the bisected batch")

    assert calls == [["a", "b"], ["a"], ["b"]]  # bisected on the function error, in order
    assert "on_change: 2 records, the handler raised RuntimeError" in caplog.text


def test_records_written_after_a_failed_transaction_still_arrive(
    clients: Clients, plumbing: Plumbing, tmp_path: Path
) -> None:
    seen: list[str] = []
    dynamodb = clients("dynamodb")

    with running(stream_app(plumbing, lambda event: seen.extend(ids_of(event))), clients, plumbing, tmp_path):
        put(clients, plumbing, "before")
        wait_for(lambda: seen == ["before"], what="the first record")
        with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": plumbing.table,
                            "Item": {"id": {"S": "before"}},
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    }
                ]
            )
        put(clients, plumbing, "after")
        wait_for(lambda: seen == ["before", "after"], what="the record after the failed transaction")


# --- SQS ---------------------------------------------------------------------------------------


def queue_app(plumbing: Plumbing, handler: Callable[[SQSEvent], Any]) -> Chalice:
    app = Chalice(app_name="runner-test")
    app.on_sqs_message(queue=plumbing.queue_name, batch_size=10, name="on_message")(handler)
    return app


def test_a_failed_message_comes_back_then_goes_to_the_dlq_and_the_others_are_deleted(
    clients: Clients, plumbing: Plumbing, tmp_path: Path
) -> None:
    deliveries: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on_message(event: SQSEvent) -> dict[str, Any]:
        failures = []
        for record in event:
            raw = record.to_dict()
            with lock:
                deliveries.append((record.body, raw["attributes"]["ApproximateReceiveCount"]))
            assert raw["eventSourceARN"].endswith(f":{plumbing.queue_name}")
            assert raw["awsRegion"] == REGION
            if record.body == "bad":
                failures.append({"itemIdentifier": raw["messageId"]})
        return {"batchItemFailures": failures}

    sqs = clients("sqs")
    for body in ("good-1", "bad", "good-2"):
        sqs.send_message(QueueUrl=plumbing.queue_url, MessageBody=body)

    with running(queue_app(plumbing, on_message), clients, plumbing, tmp_path):
        wait_for(lambda: deliveries.count(("bad", "2")) == 1, timeout=15, what="the second delivery")
        dead = _wait_for_message(sqs, plumbing.dlq_url, timeout=15)

    assert sorted(body for body, _ in deliveries) == ["bad", "bad", "good-1", "good-2"]
    assert dead["Body"] == "bad"
    left = sqs.get_queue_attributes(QueueUrl=plumbing.queue_url, AttributeNames=["All"])["Attributes"]
    assert (left["ApproximateNumberOfMessages"], left["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def _wait_for_message(sqs: Any, url: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            return dict(messages[0])
    pytest.fail(f"no message in {url} within {timeout:.0f} s")


def test_a_raising_queue_handler_gets_its_messages_again(
    clients: Clients, plumbing: Plumbing, tmp_path: Path
) -> None:
    deliveries: list[str] = []

    def on_message(event: SQSEvent) -> None:
        deliveries.extend(record.body for record in event)
        if len(deliveries) == 1:
            raise RuntimeError("the first call fails")

    clients("sqs").send_message(QueueUrl=plumbing.queue_url, MessageBody="retry me")
    with running(queue_app(plumbing, on_message), clients, plumbing, tmp_path):
        wait_for(lambda: len(deliveries) == 2, timeout=10, what="the redelivery")
        time.sleep(1.5)  # a deleted message never comes a third time

    assert deliveries == ["retry me", "retry me"]


# --- the outbox: what SNS and SES took ----------------------------------------------------------


def test_sms_and_mail_the_emulator_took_are_appended_to_the_outbox(clients: Clients, tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    path.touch()
    shown: list[str] = []
    watcher = ProviderWatcher(Outbox(path, echo=shown.append), "123456789012", REGION, poll_seconds=0.05)
    ses = clients("ses")
    ses.verify_email_identity(EmailAddress="desk@example.com")
    watcher.start()
    try:
        clients("sns").publish(PhoneNumber="+905321234567", Message="Takip kodunuz: 7K3M-9XQ2-HT4W-R8")
        ses.send_email(
            Source="desk@example.com",
            Destination={"ToAddresses": ["ayse@example.com"]},
            Message={
                "Subject": {"Data": "Complaint 7K3M-9XQ2-HT4W-R8"},
                "Body": {"Text": {"Data": "Thank you."}},
            },
        )
        wait_for(lambda: len(path.read_text(encoding="utf-8").splitlines()) == 2, what="two outbox lines")
    finally:
        watcher.stop()

    sms, mail = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert (sms["channel"], sms["to"], sms["provider"], sms["tracking_code"]) == (
        "sms",
        "+905321234567",
        "sns",
        "7K3M-9XQ2-HT4W-R8",
    )
    assert (mail["channel"], mail["to"], mail["body"], mail["from"]) == (
        "email",
        "ayse@example.com",
        "Thank you.",
        "desk@example.com",
    )
    assert mail["sent_at"].endswith("Z")
    assert shown[0].startswith("SMS → +905321234567")


def test_an_event_source_whose_queue_is_missing_fails_the_start(clients: Clients, tmp_path: Path) -> None:
    app = Chalice(app_name="runner-test")
    app.on_sqs_message(queue="no-such-queue", name="on_message")(lambda event: None)
    runner = EventRunner(
        StackContext(app, {}, {}, clients, tmp_path / "outbox.jsonl"), RunnerOptions(tmp_path)
    )

    with pytest.raises(RunnerError, match="cannot set up the app's event sources"):
        runner.start()
