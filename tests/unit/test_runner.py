"""The local event-source runner's pure parts: event shapes, batch verdicts, retries, schedules, outbox.

No emulator here: the stream poller runs against a scripted Streams client.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.app import Cron as ChaliceCron
from chalice.app import DynamoDBEvent, DynamoDBEventConfig, Rate, SQSEvent

from devstack.outbox import Outbox, SentMessage, console_line, tracking_code_in
from devstack.runner.batch import (
    RECORD_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    FailureContext,
    Outcome,
    StreamBatch,
    Verdict,
    batches,
    discard_condition,
    judge,
    on_failure_record,
    still_to_run,
)
from devstack.runner.cron import Cron, ScheduleError, aws_day_of_week, parse_schedule
from devstack.runner.events import dynamodb_record, epoch_seconds, records_event, scheduled_event, sqs_record
from devstack.runner.outbox import from_gateway, from_ses, from_sns
from devstack.runner.schedule import ScheduledFunction, ScheduleRunner
from devstack.runner.settings import (
    StreamFailureSettings,
    event_source_properties,
    queue_settings,
    stream_settings,
)
from devstack.runner.sources import Function
from devstack.runner.stream import StreamPoller

REGION = "eu-central-1"
STREAM_ARN = "arn:aws:dynamodb:eu-central-1:123456789012:table/complaints-x/stream/2026-11-22T02:15:00.000"
QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:routing-x"
CREATED = datetime(2026, 11, 22, 2, 41, 17, tzinfo=UTC)
CODE = "7K3M-9XQ2-HT4W-R8"


def raw_stream_record(sequence: int, *, created: datetime = CREATED, event: str = "INSERT") -> dict[str, Any]:
    """A record as boto3's GetRecords returns it from moto (datetime, moto's hard-coded region)."""
    return {
        "eventID": f"event-{sequence}",
        "eventName": event,
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": created,
            "Keys": {"tracking_code": {"S": f"CODE-{sequence}"}},
            "NewImage": {"tracking_code": {"S": f"CODE-{sequence}"}, "status": {"S": "received"}},
            "SequenceNumber": str(1100000000017454423009 + sequence),
            "SizeBytes": 120,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def stream_records(count: int, *, created: datetime = CREATED) -> list[dict[str, Any]]:
    return [dynamodb_record(raw_stream_record(n, created=created), STREAM_ARN, REGION) for n in range(count)]


def raw_message(message_id: str, body: str = '{"tracking_code": "7K3M-9XQ2-HT4W-R8"}') -> dict[str, Any]:
    """A message as boto3's ReceiveMessage returns it."""
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"handle-{message_id}",
        "MD5OfBody": "49f68a5c8493ec2c0bf489821c21fc3b",
        "Body": body,
        "Attributes": {
            "SenderId": "AIDAIT2UOQQY3AUEKVGXU",
            "SentTimestamp": "1795315812004",
            "ApproximateReceiveCount": "1",
            "ApproximateFirstReceiveTimestamp": "1795315812009",
        },
        "MD5OfMessageAttributes": "00b20ddba5ce5486e92e6154f9c21903",
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": "new_complaint"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    }


# --- Lambda event shapes -----------------------------------------------------------------------


def test_a_stream_record_gets_lambdas_shape_region_and_source_arn() -> None:
    record = dynamodb_record(raw_stream_record(1), STREAM_ARN, REGION)

    assert record["eventSourceARN"] == STREAM_ARN
    assert record["awsRegion"] == REGION
    assert record["eventVersion"] == "1.1"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == int(CREATED.timestamp())
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert record["dynamodb"]["NewImage"]["status"] == {"S": "received"}
    json.dumps(record)  # a Lambda event is JSON


def test_chalice_reads_a_shaped_stream_record() -> None:
    (record,) = DynamoDBEvent(
        records_event([dynamodb_record(raw_stream_record(1), STREAM_ARN, REGION)]), None
    )

    assert record.timestamp == CREATED.replace(tzinfo=None)
    assert record.table_name == "complaints-x"
    assert record.aws_region == REGION
    assert record.sequence_number == "1100000000017454423010"


def test_epoch_seconds_reads_aware_naive_and_numeric_timestamps() -> None:
    assert epoch_seconds(CREATED) == 1795315277
    assert epoch_seconds(CREATED.replace(tzinfo=None)) == 1795315277
    assert epoch_seconds(CREATED.astimezone(timedelta_zone(3, 30))) == 1795315277
    assert epoch_seconds(1795315277.5) == 1795315277.5


def timedelta_zone(hours: int, minutes: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=hours, minutes=minutes))


def test_an_sqs_record_gets_lambdas_shape_with_its_own_message_id() -> None:
    records = [sqs_record(raw_message(f"id-{n}"), QUEUE_ARN, REGION) for n in range(3)]

    assert [r["messageId"] for r in records] == ["id-0", "id-1", "id-2"]
    first = records[0]
    assert first["receiptHandle"] == "handle-id-0"
    assert first["eventSource"] == "aws:sqs"
    assert first["eventSourceARN"] == QUEUE_ARN
    assert first["awsRegion"] == REGION
    assert first["md5OfBody"] == "49f68a5c8493ec2c0bf489821c21fc3b"
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert first["messageAttributes"]["kind"] == {
        "stringValue": "new_complaint",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert first["messageAttributes"]["blob"]["binaryValue"] == "AQI="
    json.dumps(records)


def test_chalice_reads_shaped_sqs_records() -> None:
    event = SQSEvent(records_event([sqs_record(raw_message("id-1"), QUEUE_ARN, REGION)]), None)
    (record,) = list(event)
    assert record.receipt_handle == "handle-id-1"
    assert json.loads(record.body) == {"tracking_code": CODE}


def test_a_scheduled_event_has_eventbridges_shape() -> None:
    event = scheduled_event("id-1", "arn:aws:events:eu-central-1:1:rule/r", "1", REGION, CREATED)
    assert event == {
        "version": "0",
        "id": "id-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "1",
        "time": "2026-11-22T02:41:17Z",
        "region": REGION,
        "resources": ["arn:aws:events:eu-central-1:1:rule/r"],
        "detail": {},
    }


# --- verdicts ----------------------------------------------------------------------------------

IDS = ["a", "b", "c"]


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}, "ok"])
def test_no_reported_failure_is_a_whole_success(response: Any) -> None:
    assert judge(response, IDS, raised=False, reports_failures=True).outcome is Outcome.SUCCESS


def test_reported_failures_are_a_partial_failure_in_batch_order() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "b"}]}
    verdict = judge(response, IDS, raised=False, reports_failures=True)
    assert verdict.outcome is Outcome.PARTIAL
    assert verdict.failed_items(IDS) == ["b", "c"]


@pytest.mark.parametrize(
    "failures",
    [
        [{"itemIdentifier": ""}],
        [{"itemIdentifier": None}],
        [{"itemId": "a"}],
        [{"itemIdentifier": "zz"}],
        "a",
    ],
    ids=["empty", "null", "wrong-key", "unknown", "not-a-list"],
)
def test_an_unusable_failure_entry_fails_the_whole_batch(failures: Any) -> None:
    verdict = judge({"batchItemFailures": failures}, IDS, raised=False, reports_failures=True)
    assert verdict.outcome is Outcome.INVALID
    assert verdict.failed_items(IDS) == IDS


def test_a_raising_handler_fails_the_whole_batch() -> None:
    verdict = judge(None, IDS, raised=True, reports_failures=True)
    assert verdict.outcome is Outcome.ERROR
    assert verdict.failed_items(IDS) == IDS


def test_reported_failures_are_ignored_unless_the_mapping_reports_them() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "a"}]}
    assert judge(response, IDS, raised=False, reports_failures=False).outcome is Outcome.SUCCESS


# --- stream batches: slicing, retries, bisection, giving up ------------------------------------


def test_records_are_sliced_into_ordered_batches_of_the_batch_size() -> None:
    sliced = batches(stream_records(7), 3)
    assert [len(b.records) for b in sliced] == [3, 3, 1]
    assert [s for b in sliced for s in b.sequence_numbers] == [
        r["dynamodb"]["SequenceNumber"] for r in stream_records(7)
    ]
    with pytest.raises(ValueError, match="at least one"):
        batches(stream_records(1), 0)


def test_a_batch_is_retried_from_its_first_failed_record() -> None:
    batch = StreamBatch(tuple(stream_records(4)))
    second, fourth = batch.sequence_numbers[1], batch.sequence_numbers[3]
    verdict = Verdict(Outcome.PARTIAL, frozenset({fourth, second}))

    (retry,) = still_to_run(batch, verdict, bisect=True)

    assert retry.sequence_numbers == batch.sequence_numbers[1:]
    assert retry.retries == 1
    assert not retry.function_error


def test_a_raising_handler_with_bisect_splits_its_batch_in_two_ordered_halves() -> None:
    batch = StreamBatch(tuple(stream_records(5)), retries=1)

    first, second = still_to_run(batch, Verdict(Outcome.ERROR), bisect=True)

    assert first.sequence_numbers + second.sequence_numbers == batch.sequence_numbers
    assert (len(first.records), len(second.records)) == (3, 2)
    assert first.retries == second.retries == 2
    assert first.function_error


def test_without_bisect_or_with_one_record_the_whole_batch_is_retried() -> None:
    batch = StreamBatch(tuple(stream_records(4)))
    (whole,) = still_to_run(batch, Verdict(Outcome.ERROR), bisect=False)
    assert whole.sequence_numbers == batch.sequence_numbers
    single = StreamBatch(tuple(stream_records(1)))
    assert len(still_to_run(single, Verdict(Outcome.ERROR), bisect=True)) == 1


def test_an_unusable_answer_retries_the_whole_batch_without_bisecting() -> None:
    batch = StreamBatch(tuple(stream_records(4)))
    (whole,) = still_to_run(batch, Verdict(Outcome.INVALID), bisect=True)
    assert whole.sequence_numbers == batch.sequence_numbers


def test_a_successful_batch_leaves_nothing_to_run() -> None:
    assert still_to_run(StreamBatch(tuple(stream_records(2))), Verdict(Outcome.SUCCESS), bisect=True) == []


def test_a_batch_is_given_up_after_its_retries_are_used() -> None:
    settings = StreamFailureSettings(maximum_retry_attempts=2)
    now = CREATED.timestamp() + 1
    assert discard_condition(StreamBatch(tuple(stream_records(1)), retries=2), settings, now) is None
    assert (
        discard_condition(StreamBatch(tuple(stream_records(1)), retries=3), settings, now)
        == RETRIES_EXHAUSTED
    )
    endless = StreamFailureSettings(maximum_retry_attempts=-1)
    assert discard_condition(StreamBatch(tuple(stream_records(1)), retries=500), endless, now) is None


def test_a_batch_with_a_record_too_old_is_given_up() -> None:
    settings = StreamFailureSettings(maximum_record_age_in_seconds=60)
    batch = StreamBatch(tuple(stream_records(2)))
    assert discard_condition(batch, settings, CREATED.timestamp() + 59) is None
    assert discard_condition(batch, settings, CREATED.timestamp() + 60) == RECORD_AGE_EXCEEDED


def test_a_given_up_batch_is_reported_in_lambdas_on_failure_format() -> None:
    batch = StreamBatch(tuple(stream_records(3)), retries=4, function_error=True)
    where = FailureContext("req-1", "arn:aws:lambda:eu-central-1:1:function:f", "shardId-1", STREAM_ARN)

    record = on_failure_record(batch, RETRIES_EXHAUSTED, where, CREATED)

    assert record["requestContext"] == {
        "requestId": "req-1",
        "functionArn": "arn:aws:lambda:eu-central-1:1:function:f",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 4,
    }
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["version"] == "1.0"
    assert record["timestamp"] == "2026-11-22T02:41:17.000Z"
    assert record["DDBStreamBatchInfo"] == {
        "shardId": "shardId-1",
        "startSequenceNumber": batch.sequence_numbers[0],
        "endSequenceNumber": batch.sequence_numbers[-1],
        "approximateArrivalOfFirstRecord": "2026-11-22T02:41:17Z",
        "approximateArrivalOfLastRecord": "2026-11-22T02:41:17Z",
        "batchSize": 3,
        "streamArn": STREAM_ARN,
    }


# --- failure settings from infra/functions.yaml -------------------------------------------------

OVERLAY: dict[str, Any] = {
    "Resources": {
        "OnComplaintChange": {
            "Properties": {
                "Events": {
                    "OnComplaintChangeDynamodbEventSource": {
                        "Properties": {
                            "Stream": {"Fn::GetAtt": ["ComplaintsTable", "StreamArn"]},
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            "BisectBatchOnFunctionError": True,
                            "MaximumRetryAttempts": 5,
                            "MaximumRecordAgeInSeconds": 86400,
                            "DestinationConfig": {
                                "OnFailure": {
                                    "Type": "SQS",
                                    "Destination": {"Fn::GetAtt": ["StreamFailureQueue", "Arn"]},
                                }
                            },
                        }
                    }
                }
            }
        },
        "RouteComplaints": {
            "Properties": {"Events": {"RouteComplaintsSqsEventSource": {"Properties": {"Queue": "x"}}}}
        },
    }
}


class FakeLookups:
    """Lookups of a stack with one queue."""

    def ref(self, name: str) -> str:
        raise LookupError(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) == ("StreamFailureQueue", "Arn"):
            return "arn:aws:sqs:eu-central-1:123456789012:stream-failures"
        raise LookupError(logical_id)

    def condition(self, name: str) -> bool:
        raise LookupError(name)


def test_stream_failure_settings_come_from_the_handlers_overlay_block() -> None:
    properties = event_source_properties(OVERLAY, "on_complaint_change", "Dynamodb")
    settings = stream_settings(properties, FakeLookups())
    assert settings == StreamFailureSettings(
        maximum_retry_attempts=5,
        bisect_batch_on_function_error=True,
        maximum_record_age_in_seconds=86400,
        on_failure_destination="arn:aws:sqs:eu-central-1:123456789012:stream-failures",
        report_batch_item_failures=True,
        defaulted=(),
    )


def test_a_handler_without_an_overlay_block_gets_the_local_defaults() -> None:
    settings = stream_settings(event_source_properties(OVERLAY, "on_other_change", "Dynamodb"), FakeLookups())
    assert (settings.maximum_retry_attempts, settings.bisect_batch_on_function_error) == (3, True)
    assert settings.on_failure_destination is None
    assert settings.report_batch_item_failures
    assert len(settings.defaulted) == 5


def test_a_queue_block_without_function_response_types_ignores_reported_failures() -> None:
    settings = queue_settings(event_source_properties(OVERLAY, "route_complaints", "Sqs"))
    assert not settings.report_batch_item_failures
    assert queue_settings({}).report_batch_item_failures  # no block at all: the local default


# --- schedules ---------------------------------------------------------------------------------


def test_a_rate_fires_every_period_from_its_start() -> None:
    rate = parse_schedule("rate(5 minutes)")
    assert rate.next_after(CREATED, CREATED) == CREATED + timedelta(minutes=5)
    assert rate.next_after(CREATED + timedelta(minutes=12), CREATED) == CREATED + timedelta(minutes=15)
    assert parse_schedule(Rate(1, unit=Rate.HOURS)).next_after(CREATED, CREATED) == CREATED + timedelta(
        hours=1
    )
    assert parse_schedule("rate(1 day)").next_after(CREATED, CREATED) == CREATED + timedelta(days=1)


def test_a_cron_fires_at_the_next_matching_utc_minute() -> None:
    daily = parse_schedule("cron(0 12 * * ? *)")
    assert daily.next_after(CREATED, CREATED) == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert daily.next_after(datetime(2026, 11, 22, 12, 0, tzinfo=UTC), CREATED) == datetime(
        2026, 11, 23, 12, 0, tzinfo=UTC
    )
    every_quarter = parse_schedule("cron(0/15 * * * ? *)")
    assert every_quarter.next_after(CREATED, CREATED) == datetime(2026, 11, 22, 2, 45, tzinfo=UTC)


def test_cron_days_of_the_week_count_from_sunday_as_one() -> None:
    assert CREATED.strftime("%A") == "Sunday"
    assert aws_day_of_week(CREATED) == 1
    assert aws_day_of_week(CREATED + timedelta(days=6)) == 7  # Saturday
    monday_nine = parse_schedule(ChaliceCron(0, 9, "?", "*", 2, "*"))
    assert monday_nine.next_after(CREATED, CREATED) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    weekdays = parse_schedule("cron(30 8 ? * MON-FRI *)")
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert weekdays.next_after(friday, CREATED) == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    weekend = parse_schedule("cron(0 6 ? * SAT,1 *)")
    assert weekend.next_after(CREATED, CREATED) == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert weekend.next_after(datetime(2026, 11, 22, 6, 0, tzinfo=UTC), CREATED) == datetime(
        2026, 11, 28, 6, 0, tzinfo=UTC
    )


def test_cron_months_days_of_month_and_years() -> None:
    first_of_january = parse_schedule("cron(0 8 1 JAN ? 2027-2028)")
    assert first_of_january.next_after(CREATED, CREATED) == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    monthly = parse_schedule("cron(0 0 31 * ? *)")
    assert monthly.next_after(CREATED, CREATED) == datetime(2026, 12, 31, 0, 0, tzinfo=UTC)
    with pytest.raises(ScheduleError, match="never fires again"):
        parse_schedule("cron(0 0 1 1 ? 2020)").next_after(CREATED, CREATED)


@pytest.mark.parametrize(
    "expression",
    ["cron(0 10 L * ? *)", "cron(0 10 15W * ? *)", "cron(0 10 ? * 6L *)", "cron(0 10 ? * 2#1 *)"],
)
def test_cron_l_w_and_hash_are_refused_as_unsupported_locally(expression: str) -> None:
    with pytest.raises(ScheduleError, match="L, W or #"):
        parse_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("cron(0 10 * * * *)", "exactly one of"),
        ("cron(0 10 ? * ? *)", "exactly one of"),
        ("cron(0 10 * * ?)", "6 fields"),
        ("cron(61 10 * * ? *)", "outside 0-59"),
        ("cron(0 10 ? * 8 *)", "outside 1-7"),
        ("every day", "neither"),
        ("rate(0 minutes)", "at least 1"),
    ],
)
def test_invalid_schedules_are_refused(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        parse_schedule(expression)


def test_cron_values_are_sets_of_matching_numbers() -> None:
    cron = parse_schedule("cron(5,10-12 */6 ? JAN-MAR MON *)")
    assert isinstance(cron, Cron)
    assert cron.minutes == {5, 10, 11, 12}
    assert cron.hours == {0, 6, 12, 18}
    assert cron.months == {1, 2, 3}
    assert cron.days_of_week == frozenset({2})
    assert cron.days_of_month is None


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def scheduled(handler: Callable[[dict[str, Any], Any], Any], expression: str) -> ScheduledFunction:
    function = Function("nightly", "arn:aws:lambda:eu-central-1:1:function:app-dev-nightly", handler)
    return ScheduledFunction(
        function, parse_schedule(expression), "arn:aws:events:eu-central-1:1:rule/r", expression
    )


def test_a_schedule_fires_when_due_with_its_scheduled_time() -> None:
    events: list[dict[str, Any]] = []
    clock = FakeClock(CREATED)
    runner = ScheduleRunner(
        [scheduled(lambda event, context: events.append(event), "rate(1 minute)")], "1", REGION, now=clock
    )

    assert not runner.step()
    clock.now = CREATED + timedelta(seconds=61)
    assert runner.step()
    assert not runner.step()

    (event,) = events
    assert event["time"] == "2026-11-22T02:42:17Z"
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"] == ["arn:aws:events:eu-central-1:1:rule/r"]
    assert runner.upcoming() == [("nightly", CREATED + timedelta(minutes=2))]


def test_a_raising_scheduled_handler_is_logged_and_fires_again(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def failing(event: dict[str, Any], context: Any) -> None:
        calls.append(event["time"])
        raise RuntimeError("boom")

    clock = FakeClock(CREATED)
    runner = ScheduleRunner([scheduled(failing, "rate(1 minute)")], "1", REGION, now=clock)
    for minutes in (1, 2):
        clock.now = CREATED + timedelta(minutes=minutes)
        assert runner.step()
    assert len(calls) == 2
    assert "nightly: the scheduled handler raised RuntimeError" in caplog.text


# --- the stream poller, against a scripted Streams client ----------------------------------------


class FakeStreams:
    """A DynamoDB Streams client over fixed shards; iterators are positions, and orphaned after a trap."""

    def __init__(
        self, shards: dict[str, list[dict[str, Any]]], parents: dict[str, str] | None = None
    ) -> None:
        self.shards = shards
        self.parents = parents or {}
        self.closed: set[str] = set()
        self.iterators: dict[str, tuple[str, int]] = {}
        self.requests: list[tuple[str, str, str | None]] = []

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:
        shards = [
            {
                "ShardId": shard_id,
                **({"ParentShardId": self.parents[shard_id]} if shard_id in self.parents else {}),
            }
            for shard_id in self.shards
        ]
        return {"StreamDescription": {"Shards": shards}}

    def get_shard_iterator(
        self, StreamArn: str, ShardId: str, ShardIteratorType: str, SequenceNumber: str | None = None
    ) -> dict[str, Any]:
        self.requests.append((ShardId, ShardIteratorType, SequenceNumber))
        records = self.shards[ShardId]
        if ShardIteratorType == "TRIM_HORIZON":
            position = 0
        elif ShardIteratorType == "LATEST":
            position = len(records)
        else:
            position = 1 + [r["dynamodb"]["SequenceNumber"] for r in records].index(SequenceNumber)
        return {"ShardIterator": self._iterator(ShardId, position)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        shard_id, position = self.iterators[ShardIterator]
        records = self.shards[shard_id][position : position + Limit]
        response: dict[str, Any] = {"Records": records}
        end = position + len(records)
        if not (shard_id in self.closed and end >= len(self.shards[shard_id])):
            response["NextShardIterator"] = self._iterator(shard_id, end)
        return response

    def _iterator(self, shard_id: str, position: int) -> str:
        name = f"it-{len(self.iterators)}"
        self.iterators[name] = (shard_id, position)
        return name


class Recorder:
    """A stream handler that records what it sees and fails as told."""

    def __init__(
        self, fail: Callable[[list[str], int], dict[str, Any] | None] = lambda seqs, call: None
    ) -> None:
        self.calls: list[list[str]] = []
        self._fail = fail

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.calls.append(sequence_numbers)
        return self._fail(sequence_numbers, len(self.calls))


#: The poller's on-failure destinations, never reached without a destination in the settings.
NO_DESTINATIONS: Any = SimpleNamespace()


def poller(streams: FakeStreams, handler: Recorder, **settings: Any) -> StreamPoller:
    config = DynamoDBEventConfig("on_change", "app.on_change", STREAM_ARN, 2, "TRIM_HORIZON", 0)
    function = Function("on_change", "arn:aws:lambda:eu-central-1:1:function:f", handler)
    failure_settings = StreamFailureSettings(**settings)
    ticks = itertools.count(start=0, step=10)  # ten seconds pass at every look: no retry waits
    return StreamPoller(
        function,
        config,
        failure_settings,
        streams,
        NO_DESTINATIONS,
        REGION,
        monotonic=lambda: float(next(ticks)),
    )


def drain(stream: StreamPoller, limit: int = 20) -> None:
    for _ in range(limit):
        if not stream.step():
            return


def raw(shard: int, count: int) -> list[dict[str, Any]]:
    return [raw_stream_record(shard * 100 + n) for n in range(count)]


def test_the_poller_invokes_in_batches_and_takes_a_fresh_iterator_after_an_empty_read() -> None:
    streams = FakeStreams({"shard-1": raw(0, 3)})
    handler = Recorder()
    stream = poller(streams, handler)

    drain(stream)
    streams.shards["shard-1"].append(raw_stream_record(50))
    drain(stream)

    assert [len(call) for call in handler.calls] == [2, 1, 1]
    last_of_first_read = raw_stream_record(2)["dynamodb"]["SequenceNumber"]
    assert ("shard-1", "AFTER_SEQUENCE_NUMBER", last_of_first_read) in streams.requests


def test_the_poller_retries_from_the_first_failed_record_and_never_repeats_the_ones_before() -> None:
    streams = FakeStreams({"shard-1": raw(0, 2)})
    first, second = (r["dynamodb"]["SequenceNumber"] for r in streams.shards["shard-1"])
    handler = Recorder(
        lambda seqs, call: {"batchItemFailures": [{"itemIdentifier": second}]} if call == 1 else None
    )

    drain(poller(streams, handler))

    assert handler.calls == [[first, second], [second]]


def test_the_poller_reads_a_child_shard_only_after_its_parent() -> None:
    streams = FakeStreams({"child": raw(1, 1), "parent": raw(0, 1)}, parents={"child": "parent"})
    streams.closed.add("parent")
    handler = Recorder()

    drain(poller(streams, handler))

    assert handler.calls == [
        [raw(0, 1)[0]["dynamodb"]["SequenceNumber"]],
        [raw(1, 1)[0]["dynamodb"]["SequenceNumber"]],
    ]


def test_the_poller_gives_up_on_a_poison_batch_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    streams = FakeStreams({"shard-1": raw(0, 3)})
    poison = streams.shards["shard-1"][0]["dynamodb"]["SequenceNumber"]

    def fail_poison(seqs: list[str], call: int) -> dict[str, Any] | None:
        return {"batchItemFailures": [{"itemIdentifier": poison}]} if poison in seqs else None

    handler = Recorder(fail_poison)
    drain(poller(streams, handler, maximum_retry_attempts=1))

    assert [poison in call for call in handler.calls] == [True, True, False]
    assert "RetryAttemptsExhausted; dropped 2 records" in caplog.text


# --- the outbox --------------------------------------------------------------------------------


def test_an_outbox_line_has_the_contract_fields_and_the_tracking_code(tmp_path: Path) -> None:
    shown: list[str] = []
    outbox = Outbox(tmp_path / "outbox.jsonl", echo=shown.append)
    sent_at = datetime(2026, 11, 22, 5, 41, 17, 123000, tzinfo=timedelta_zone(3, 0))

    outbox.append(
        SentMessage("sms", "+905321234567", f"Şikayetiniz alındı. Takip kodu: {CODE}", sent_at, "sns", "m-1")
    )

    (line,) = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {
        "channel": "sms",
        "to": "+905321234567",
        "body": f"Şikayetiniz alındı. Takip kodu: {CODE}",
        "sent_at": "2026-11-22T02:41:17.123Z",
        "tracking_code": CODE,
        "provider": "sns",
        "provider_message_id": "m-1",
    }
    assert "Şikayetiniz" in line  # readable, not \u-escaped
    assert shown == [f"SMS → +905321234567 (sns): Şikayetiniz alındı. Takip kodu: {CODE}"]


def test_an_email_line_adds_subject_and_sender_and_finds_the_code_in_the_subject() -> None:
    message = SentMessage(
        "email",
        "ayse@example.com",
        "Dear Ayşe,\nthank you.",
        CREATED,
        "ses",
        "m-2",
        f"Complaint {CODE}",
        "desk@example.com",
    )
    line = message.as_line()
    assert (line["subject"], line["from"], line["tracking_code"]) == (
        f"Complaint {CODE}",
        "desk@example.com",
        CODE,
    )
    assert (
        console_line(message)
        == f"E-mail → ayse@example.com (ses): Complaint {CODE}\n    Dear Ayşe,\n    thank you."
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (f"kod {CODE}.", CODE),
        (f"کد پیگیری: {CODE}", CODE),
        ("no code here", None),
        (f"X{CODE}", None),
        ("7K3M-9XQ2-HT4W-R8Z", None),
        ("7K3M-9XQ2-HT4W-RU", None),  # U is not a Crockford symbol
    ],
)
def test_the_tracking_code_is_found_only_where_a_whole_code_is_written(text: str, code: str | None) -> None:
    assert tracking_code_in(text) == code


def test_concurrent_appends_never_mix_lines(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    writers = [Outbox(path, echo=lambda text: None) for _ in range(4)]

    def write(outbox: Outbox, n: int) -> None:
        for i in range(50):
            outbox.append(
                SentMessage("sms", f"+9053200000{n}", "x" * 500 + str(i), CREATED, "sns", f"{n}-{i}")
            )

    threads = [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len({json.loads(line)["provider_message_id"] for line in lines}) == 200


def test_messages_from_each_provider_become_outbox_messages() -> None:
    gateway = from_gateway(
        {
            "to": "+989121234567",
            "text": f"کد: {CODE}",
            "sender": "Bimeh",
            "client_ref": "r",
            "message_id": "fake-1",
            "received_at": "2026-11-22T02:41:17.000+00:00",
        }
    )
    assert (gateway.channel, gateway.provider, gateway.provider_message_id) == (
        "sms",
        "http-gateway",
        "fake-1",
    )
    assert gateway.as_line()["sent_at"] == "2026-11-22T02:41:17.000Z"

    sns = from_sns("m-1", "+905321234567", "hello", CREATED)
    assert (sns.to, sns.provider) == ("+905321234567", "sns")

    plain = SimpleNamespace(
        id="ses-1",
        source="desk@example.com",
        subject="Hello",
        body="Text",
        destinations={"ToAddresses": ["a@example.com"], "CcAddresses": ["b@example.com"]},
    )
    mail = from_ses(plain, CREATED)
    assert (mail.to, mail.subject, mail.body, mail.sender) == (
        "a@example.com, b@example.com",
        "Hello",
        "Text",
        "desk@example.com",
    )

    headers = "From: desk@example.com\nTo: a@example.com\nSubject: Raw one\nContent-Type: text/plain\n"
    raw_mail = SimpleNamespace(
        id="ses-2",
        source="desk@example.com",
        destinations=["a@example.com"],
        raw_data=f"{headers}\nRaw body\n",
    )
    parsed = from_ses(raw_mail, CREATED)
    assert (parsed.subject, parsed.body.strip()) == ("Raw one", "Raw body")


# --- options and banner ------------------------------------------------------------------------


def test_the_local_visibility_timeout_is_an_option_in_seconds() -> None:
    from devstack.errors import OptionsError
    from devstack.options import StackOptions

    assert StackOptions.from_environ({}).local_visibility_timeout == 5
    assert StackOptions.from_environ({"LOCAL_VISIBILITY_TIMEOUT": "180"}).local_visibility_timeout == 180
    for wrong in ("soon", "-1", "43201"):
        with pytest.raises(OptionsError, match="LOCAL_VISIBILITY_TIMEOUT"):
            StackOptions.from_environ({"LOCAL_VISIBILITY_TIMEOUT": wrong})


def test_the_banner_lists_the_event_sources_and_the_sms_gateway() -> None:
    from devstack.banner import ready_banner

    banner = ready_banner(
        "http://127.0.0.1:8000",
        "http://127.0.0.1:5001",
        Path("/repo/.local/outbox.jsonl"),
        "complaintdesk-local",
        {},
        [],
        event_sources=["on_complaint_change ← stream of complaints (batch 25)"],
        sms_gateway_url="http://127.0.0.1:40000/send",
    )
    assert "on_complaint_change ← stream of complaints (batch 25)" in banner
    assert "http://127.0.0.1:40000/send" in banner
    assert "no stream, queue or schedule handlers" in ready_banner("a", "b", Path("c"), "d", {}, [])
