"""moto's transactions with the devstack's snapshot of only the items they name.

Each scenario runs through boto3 against moto in process, twice from the same
start: in a region whose backend has the quirk, and in one whose backend
calls moto's own `transact_write_items` (the quirk off). Both must end with
the same error and the same tables, index results and stream records.

moto keeps its data here (`reset=False`): a local stack of this test session
may be serving the same backends. The regions are ones no stack uses, and
every test makes its own tables.
"""

from __future__ import annotations

import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

from devstack.quirks import snapshot_only_touched_items

QUIRK_ON = "sa-east-1"
QUIRK_OFF = "ca-central-1"

Transaction = list[dict[str, Any]]


def _original_transact_write_items() -> Callable[..., None]:
    snapshot_only_touched_items()
    patched = DynamoDBBackend.transact_write_items
    original: Callable[..., None] = patched.__wrapped__  # type: ignore[attr-defined]
    return original


@pytest.fixture(scope="module")
def moto_in_process() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        original = _original_transact_write_items()
        mock = mock_aws()
        mock.start(reset=False)
        off = dynamodb_backends[DEFAULT_ACCOUNT_ID][QUIRK_OFF]
        off.transact_write_items = types.MethodType(original, off)  # type: ignore[method-assign]
        try:
            yield
        finally:
            del off.transact_write_items
            mock.stop(remove_data=False)


@dataclass
class Desk:
    """A complaints table (with a status index) and its history table, both streamed, in one region."""

    region: str
    complaints: str
    history: str

    @classmethod
    def create(cls, region: str) -> Desk:
        suffix = uuid.uuid4().hex[:8]
        desk = cls(region, f"complaints-{suffix}", f"history-{suffix}")
        stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        desk.dynamodb.create_table(
            TableName=desk.complaints,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-status",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification=stream,
        )
        desk.dynamodb.create_table(
            TableName=desk.history,
            KeySchema=[
                {"AttributeName": "id", "KeyType": "HASH"},
                {"AttributeName": "at", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "id", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification=stream,
        )
        return desk

    @property
    def dynamodb(self) -> Any:
        return boto3.client("dynamodb", region_name=self.region)

    @property
    def streams(self) -> Any:
        config = Config(account_id_endpoint_mode="disabled")
        return boto3.client("dynamodbstreams", region_name=self.region, config=config)

    def write(self, transaction: Transaction) -> dict[str, Any] | None:
        """Run the transaction; the error it fails with (code, message, reasons), or None."""
        try:
            self.dynamodb.transact_write_items(TransactItems=transaction)
        except ClientError as exc:
            error = exc.response["Error"]
            return {
                "code": error["Code"],
                "message": error["Message"],
                "reasons": exc.response.get("CancellationReasons"),
            }
        return None

    def stream_arn(self, table: str) -> str:
        arn: str = self.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        return arn

    def iterator(self, table: str, kind: str = "TRIM_HORIZON") -> str:
        arn = self.stream_arn(table)
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator: str = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind)[
            "ShardIterator"
        ]
        return iterator

    def records(self, table: str, iterator: str | None = None) -> list[dict[str, Any]]:
        """A table's stream records, without what differs on every write (event id, time)."""
        got = self.streams.get_records(ShardIterator=iterator or self.iterator(table))["Records"]
        return [
            {
                "event": record["eventName"],
                "sequence": record["dynamodb"]["SequenceNumber"],
                "keys": record["dynamodb"]["Keys"],
                "new": record["dynamodb"].get("NewImage"),
                "old": record["dynamodb"].get("OldImage"),
            }
            for record in got
        ]

    def state(self) -> dict[str, Any]:
        """Everything a transaction could change: items, counts, index results, stream records."""
        client = self.dynamodb
        by_status = {
            status: client.query(
                TableName=self.complaints,
                IndexName="by-status",
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": status}},
            )["Items"]
            for status in ("new", "routed", "closed")
        }
        return {
            "complaints": client.scan(TableName=self.complaints)["Items"],
            "history": client.scan(TableName=self.history)["Items"],
            "counts": [
                client.describe_table(TableName=table)["Table"]["ItemCount"]
                for table in (self.complaints, self.history)
            ],
            "by status": by_status,
            "complaint stream": self.records(self.complaints),
            "history stream": self.records(self.history),
        }

    # Operations, named by what they do to the app's records.

    def put_complaint(self, complaint: str, status: str = "new", **condition: Any) -> dict[str, Any]:
        item = {"id": {"S": complaint}, "status": {"S": status}}
        return {"Put": {"TableName": self.complaints, "Item": item, **condition}}

    def set_status(self, complaint: str, status: str, expected: str | None = None) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self.complaints,
            "Key": {"id": {"S": complaint}},
            "UpdateExpression": "SET #s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status}},
        }
        if expected is not None:
            update["ConditionExpression"] = "#s = :e"
            update["ExpressionAttributeValues"][":e"] = {"S": expected}
        return {"Update": update}

    def log(self, complaint: str, at: int, event: str = "submitted") -> dict[str, Any]:
        item = {"id": {"S": complaint}, "at": {"N": str(at)}, "event": {"S": event}}
        return {"Put": {"TableName": self.history, "Item": item}}

    def delete_complaint(self, complaint: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.complaints, "Key": {"id": {"S": complaint}}}}

    def require_status(self, complaint: str, status: str, all_old: bool = False) -> dict[str, Any]:
        check: dict[str, Any] = {
            "TableName": self.complaints,
            "Key": {"id": {"S": complaint}},
            "ConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": status}},
        }
        if all_old:
            check["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"ConditionCheck": check}

    def seed(self) -> None:
        """Three complaints with their history, each written as the app writes: one transaction."""
        for number, status in enumerate(("new", "routed", "closed"), start=1):
            complaint = f"C{number}"
            assert self.write([self.put_complaint(complaint, status), self.log(complaint, number)]) is None


Scenario = Callable[[Desk], Transaction]

SCENARIOS: dict[str, Scenario] = {
    "condition fails after writes to both tables": lambda d: [
        d.set_status("C1", "routed"),
        d.log("C1", 10, "routed"),
        d.delete_complaint("C3"),
        d.put_complaint("C9"),
        d.require_status("C2", "closed"),
    ],
    "condition fails with ALL_OLD": lambda d: [
        d.log("C2", 11, "closed"),
        d.set_status("C2", "closed", expected="new"),
        d.require_status("C1", "routed", all_old=True),
    ],
    "condition on a missing item": lambda d: [
        d.log("C8", 1),
        d.require_status("C8", "new"),
    ],
    "update creates an item, then fails": lambda d: [
        d.set_status("C7", "new"),
        d.log("C7", 1),
        d.put_complaint("C1", ConditionExpression="attribute_not_exists(id)"),
    ],
    "two operations on one key": lambda d: [
        d.set_status("C1", "routed"),
        d.log("C1", 12, "routed"),
        d.require_status("C1", "routed"),
    ],
    "validation error after a write": lambda d: [
        d.set_status("C2", "closed"),
        {"Put": {"TableName": d.complaints, "Item": {"id": {"N": "1"}, "status": {"S": "new"}}}},
    ],
    "two operations in one item": lambda d: [
        d.log("C1", 13, "noted"),
        {**d.delete_complaint("C2"), **d.require_status("C3", "closed")},
    ],
    "unknown table": lambda d: [
        d.set_status("C1", "closed"),
        {"Delete": {"TableName": "no-such-table", "Key": {"id": {"S": "C1"}}}},
    ],
    "too many items": lambda d: [d.log("C1", 100 + n) for n in range(101)],
    "every operation succeeds": lambda d: [
        d.set_status("C1", "routed", expected="new"),
        d.log("C1", 14, "routed"),
        d.put_complaint("C4"),
        d.log("C4", 1),
        d.delete_complaint("C3"),
        d.require_status("C2", "routed"),
    ],
}


def _without_table_names(value: Any, desk: Desk) -> Any:
    """A result with the desk's own table names made generic, to compare two desks."""
    if isinstance(value, str):
        return value.replace(desk.complaints, "<complaints>").replace(desk.history, "<history>")
    if isinstance(value, list):
        return [_without_table_names(v, desk) for v in value]
    if isinstance(value, dict):
        return {k: _without_table_names(v, desk) for k, v in value.items()}
    return value


@pytest.mark.usefixtures("moto_in_process")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_transaction_ends_as_with_moto_s_own_snapshot(scenario: str) -> None:
    outcomes = []
    for region in (QUIRK_ON, QUIRK_OFF):
        desk = Desk.create(region)
        desk.seed()
        error = desk.write(SCENARIOS[scenario](desk))
        outcomes.append(_without_table_names({"error": error, "state": desk.state()}, desk))
    with_quirk, without_quirk = outcomes
    assert with_quirk == without_quirk
    assert (with_quirk["error"] is None) == (scenario == "every operation succeeds")


@pytest.mark.usefixtures("moto_in_process")
def test_a_failed_condition_leaves_both_tables_the_index_and_the_streams_as_they_were() -> None:
    desk = Desk.create(QUIRK_ON)
    desk.seed()
    before = desk.state()
    error = desk.write(SCENARIOS["condition fails after writes to both tables"](desk))
    assert error is not None
    assert error["code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error["reasons"]] == ["None"] * 4 + ["ConditionalCheckFailed"]
    assert desk.state() == before


@pytest.mark.usefixtures("moto_in_process")
def test_a_failed_transaction_leaves_no_trace_of_the_item_it_would_have_created() -> None:
    desk = Desk.create(QUIRK_ON)
    desk.seed()
    records = [desk.records(desk.complaints), desk.records(desk.history)]
    error = desk.write([desk.put_complaint("C5"), desk.log("C5", 1), desk.require_status("C1", "closed")])
    assert error is not None
    assert error["code"] == "TransactionCanceledException"
    assert "Item" not in desk.dynamodb.get_item(TableName=desk.complaints, Key={"id": {"S": "C5"}})
    assert (
        desk.dynamodb.query(
            TableName=desk.history,
            KeyConditionExpression="id = :c",
            ExpressionAttributeValues={":c": {"S": "C5"}},
        )["Items"]
        == []
    )
    assert [desk.records(desk.complaints), desk.records(desk.history)] == records
    history = dynamodb_backends[DEFAULT_ACCOUNT_ID][QUIRK_ON].tables[desk.history]
    assert all(bucket for bucket in history.items.values())  # not even an empty place for C5


@pytest.mark.usefixtures("moto_in_process")
def test_a_successful_transaction_applies_every_operation_and_streams_each() -> None:
    desk = Desk.create(QUIRK_ON)
    desk.seed()
    complaint_records = len(desk.records(desk.complaints))
    assert desk.write(SCENARIOS["every operation succeeds"](desk)) is None
    assert {item["id"]["S"]: item["status"]["S"] for item in desk.state()["complaints"]} == {
        "C1": "routed",
        "C2": "routed",
        "C4": "new",
    }
    events = [record["event"] for record in desk.records(desk.complaints)[complaint_records:]]
    assert events == ["MODIFY", "INSERT", "REMOVE"]


@pytest.mark.usefixtures("moto_in_process")
def test_two_operations_on_one_key_are_still_refused() -> None:
    desk = Desk.create(QUIRK_ON)
    desk.seed()
    before = desk.state()
    error = desk.write(SCENARIOS["two operations on one key"](desk))
    assert error == {
        "code": "ValidationException",
        "message": "Transaction request cannot include multiple operations on one item",
        "reasons": None,
    }
    assert desk.state() == before


@pytest.mark.usefixtures("moto_in_process")
def test_a_stream_iterator_taken_before_a_failed_transaction_reads_what_follows() -> None:
    desk = Desk.create(QUIRK_ON)
    desk.seed()
    iterator = desk.iterator(desk.complaints, "LATEST")
    assert desk.write([desk.put_complaint("C6"), desk.require_status("C1", "closed")]) is not None
    assert desk.write([desk.set_status("C1", "closed")]) is None
    assert [record["event"] for record in desk.records(desk.complaints, iterator)] == ["MODIFY"]


@pytest.mark.usefixtures("moto_in_process")
def test_a_transaction_copies_no_table_and_a_rollback_keeps_the_tables() -> None:
    desk = Desk.create(QUIRK_ON)
    desk.seed()
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][QUIRK_ON].tables
    live = [tables[desk.complaints], tables[desk.history]]
    tables_made = len(Table.instances_tracked)  # type: ignore[attr-defined]  # every Table moto makes, copies too
    assert desk.write(SCENARIOS["condition fails after writes to both tables"](desk)) is not None
    assert desk.write(SCENARIOS["every operation succeeds"](desk)) is None
    assert len(Table.instances_tracked) == tables_made  # type: ignore[attr-defined]
    assert [tables[desk.complaints], tables[desk.history]] == live


def test_the_quirk_is_applied_once() -> None:
    snapshot_only_touched_items()
    patched = DynamoDBBackend.transact_write_items
    snapshot_only_touched_items()
    assert DynamoDBBackend.transact_write_items is patched
