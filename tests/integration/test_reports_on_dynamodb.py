"""Period reports against the template deployed into moto: the day index, the report bucket, the queue.

Complaints are entered through the API on a day no other test uses (the
container's clock is fixed there), with unique personal data planted in
every field that can hold it; then every byte of every file of the report
is searched for it. The AWS calls of a build are counted from botocore's
events: queries of the day index, never a Scan.
"""

from __future__ import annotations

import io
import json
import re
import sys
import urllib.request
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.api.reports import requested_reports
from chalicelib.bootstrap import Container, install
from chalicelib.domain.periods import PeriodKind, period_of
from devstack.metering import aws_calls
from devstack.stack import LocalStack
from tests.fakes import FixedClock
from tests.integration.conftest import json_headers
from tests.integration.test_case_handling_on_dynamodb import token

pytestmark = pytest.mark.integration

#: A day (Istanbul) that no other test writes complaints on.
REPORT_DAY = date(2026, 3, 11)
PLANTED: dict[str, str] = {
    "name": "Planted Nurgül İğneci-Şahinoğlu",
    "mobile": "+90 533 765 43 21",
    "email": "nurgul.planted.report@example.com",
    "policy_number": "PLANTED-POLICY-4455",
    "postal_address": "Planted Sokak No 19, Kadıköy, İstanbul",
}
PLANTED_TEXT = "Planted description of a refused claim"
PLANTED_REMEDY = "Planted remedy wish"


def _needles() -> list[str]:
    return [*PLANTED.values(), "905337654321", "+905337654321", PLANTED_TEXT, PLANTED_REMEDY, "Nurgül"]


@pytest.fixture(scope="module")
def reported(local_stack: LocalStack) -> dict[str, Any]:
    """Three complaints of REPORT_DAY (one worked and closed with a rating), then the day's report built."""
    container = Container()
    container.clock = FixedClock(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))  # type: ignore[misc]
    install(container)
    codes = []
    try:
        with Client(sys.modules["app"].app) as client:
            for n, channel in enumerate(("phone", "e-mail", "fax")):
                body = {
                    "market": "TR",
                    "language": "tr",
                    "kind": "complaint",
                    "category": "claim_decision",
                    "channel": channel.replace("e-mail", "email"),
                    "description": f"{PLANTED_TEXT} number {n}",
                    "remedy_sought": PLANTED_REMEDY,
                    "contact": PLANTED,
                    "consent": {"contact": True},
                }
                headers = json_headers(Authorization=f"Bearer {token(local_stack, 'agent')}")
                response = client.http.post("/staff/complaints", headers=headers, body=json.dumps(body))
                assert response.status_code == 201, response.body
                codes.append(json.loads(response.body)["tracking_code"])
        period = period_of("TR", PeriodKind.DAILY, REPORT_DAY)
        with aws_calls() as calls:
            built = Container().period_reports.build(period)
    finally:
        install(None)
    return {"codes": codes, "period": period, "built": built, "calls": calls}


def s3(stack: LocalStack) -> Any:
    return boto3.client("s3", region_name=stack.environment.get("AWS_REGION", "us-east-1"))


def objects(stack: LocalStack, prefix: str) -> dict[str, bytes]:
    client, bucket = s3(stack), stack.environment["REPORT_BUCKET"]
    listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def test_a_build_queries_the_day_index_and_never_scans(reported: dict[str, Any]) -> None:
    calls = reported["calls"]
    assert reported["built"].received == 3
    assert not [op for op in calls if op.endswith(".Scan")], calls
    # one per shard of the day; one for the CAPA register; the open backlog is the dashboard's reading:
    # (6 departments + unassigned) x 6 open states of the queues' index, and 8 shards of today
    assert calls["dynamodb.Query"] == 8 + 1 + 7 * 6 + 8, calls
    assert calls["s3.PutObject"] == 3, calls  # a small CSV goes up in one put
    assert set(calls) <= {"dynamodb.Query", "s3.PutObject"}, calls


def test_the_files_are_where_the_issue_says(local_stack: LocalStack, reported: dict[str, Any]) -> None:
    stored = objects(local_stack, "reports/TR/daily/2026-03-11/")
    assert set(stored) == {
        f"reports/TR/daily/2026-03-11/{name}" for name in ("summary.json", "complaints.csv", "report.xlsx")
    }
    summary = json.loads(stored["reports/TR/daily/2026-03-11/summary.json"])
    assert summary["received"]["total"] == 3
    assert summary["received"]["by_channel"]["fax"] == 1
    csv_text = stored["reports/TR/daily/2026-03-11/complaints.csv"].decode("utf-8-sig")
    for code in reported["codes"]:
        assert code in csv_text
    assert zipfile.ZipFile(io.BytesIO(stored["reports/TR/daily/2026-03-11/report.xlsx"])).testzip() is None


#: A file a report build writes (other tests store made-up files under other labels).
REPORT_FILE = re.compile(
    r"reports/(IR|TR)/(daily|weekly|monthly)/[0-9]{4}-([0-9]{2}(-[0-9]{2})?|W[0-9]{2})/"
    r"(summary\.json|complaints\.csv|report\.xlsx)"
)


def test_no_personal_data_in_any_byte_of_any_report(
    local_stack: LocalStack, reported: dict[str, Any]
) -> None:
    built = {
        key: body for key, body in objects(local_stack, "reports/").items() if REPORT_FILE.fullmatch(key)
    }
    assert len(built) >= 3
    for key, body in built.items():
        blobs = [body]
        if key.endswith(".xlsx"):
            archive = zipfile.ZipFile(io.BytesIO(body))
            blobs += [archive.read(name) for name in archive.namelist()]
        for blob in blobs:
            for needle in _needles():
                assert needle.encode("utf-8") not in blob, (key, needle)


def test_objects_are_encrypted_with_the_data_key(local_stack: LocalStack, reported: dict[str, Any]) -> None:
    client, bucket = s3(local_stack), local_stack.environment["REPORT_BUCKET"]
    head = client.head_object(Bucket=bucket, Key="reports/TR/daily/2026-03-11/summary.json")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(local_stack.environment["DATA_KEY_ARN"].rsplit("/", 1)[1])


def test_staff_list_and_download_through_a_presigned_link(
    local_stack: LocalStack, reported: dict[str, Any]
) -> None:
    install(Container())
    try:
        with Client(sys.modules["app"].app) as client:
            headers = {"Authorization": f"Bearer {token(local_stack, 'handler')}"}
            listed = json.loads(client.http.get("/staff/reports?period=daily", headers=headers).body)[
                "reports"
            ]
            assert any(r["label"] == "2026-03-11" and r["complete"] for r in listed)
            answer = client.http.get("/staff/reports/TR/daily/2026-03-11/complaints.csv", headers=headers)
            assert answer.status_code == 200, answer.body
            url = json.loads(answer.body)["url"]
    finally:
        install(None)
    assert url.startswith("http://127.0.0.1:")
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the loopback emulator
        assert response.headers["Content-Disposition"].startswith('attachment; filename="complaints.csv"')
        assert reported["codes"][0] in response.read().decode("utf-8-sig")


def test_a_supervisors_request_travels_through_the_report_queue(
    local_stack: LocalStack, reported: dict[str, Any]
) -> None:
    container = Container()
    install(container)
    try:
        with Client(sys.modules["app"].app) as client:
            headers = json_headers(Authorization=f"Bearer {token(local_stack, 'supervisor')}")
            body = json.dumps({"period": "weekly", "date": "2026-03-11"})
            answer = client.http.post("/staff/reports", headers=headers, body=body)
            assert answer.status_code == 202, answer.body
        sqs = boto3.client("sqs", region_name=container.settings.region)
        received = sqs.receive_message(
            QueueUrl=local_stack.environment["REPORT_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )["Messages"]
        event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in received]}
        assert requested_reports(event, container) == {"batchItemFailures": []}
    finally:
        install(None)
    stored = objects(local_stack, "reports/TR/weekly/2026-W11/")
    summary = json.loads(stored["reports/TR/weekly/2026-W11/summary.json"])
    assert summary["received"]["total"] >= 3
