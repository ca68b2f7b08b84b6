"""The event pipeline end to end: `python -m devstack` as a user runs it, driven over HTTP.

Acknowledgements are read from the outbox, which holds what SNS, SES and the
SMS gateway really took; routing is read from the public status.
"""

from __future__ import annotations

import json
import time
import urllib.error
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Devstack, request

pytestmark = pytest.mark.e2e


def complaint(n: int) -> dict[str, Any]:
    return {
        "market": "TR",
        "language": "tr",
        "category": ["claim_decision", "premium_billing", "agent_conduct", "other"][n % 4],
        "description": f"Başvuru {n}: hasar dosyam hâlâ sonuçlanmadı, İzmir şubesi yanıt vermiyor.",
        # never ending in 99: moto treats such numbers as opted out of SMS
        "contact": {"name": f"Deneme Kişi {n}", "mobile": f"+90532{n:06d}1"},
        "consent": {"contact": True},
    }


def submit_all(stack: Devstack, count: int) -> list[str]:
    key = uuid.uuid4().hex

    def one(n: int) -> str:
        # As a real client does: a dropped connection is retried with the same Idempotency-Key,
        # so a retry of a request that did reach the server records nothing twice.
        headers = {"Idempotency-Key": f"{key}-{n}"}
        for attempt in range(3):
            try:
                status, body = request(
                    "POST", f"{stack.api_url}/complaints", complaint(n), timeout=60, headers=headers
                )
                break
            except (ConnectionError, TimeoutError, urllib.error.URLError):
                if attempt == 2:
                    raise
        assert status == 201, body
        return str(json.loads(body)["tracking_code"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(count)))


def outbox(stack: Devstack) -> list[dict[str, Any]]:
    path = stack.local_dir / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for(condition: Callable[[], bool], timeout: float, what: str, stack: Devstack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s:\n{stack.output[-4000:]}")


def status_of(stack: Devstack, code: str) -> dict[str, Any]:
    status, body = request("POST", f"{stack.api_url}/status", {"tracking_code": code})
    assert status == 200, body
    result: dict[str, Any] = json.loads(body)
    return result


@pytest.fixture(scope="module")
def pipeline_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devstack]:
    stack = Devstack(
        tmp_path_factory.mktemp("pipeline") / "local", extra_env={"LOCAL_VISIBILITY_TIMEOUT": "1"}
    )
    try:
        stack.wait_until_healthy(timeout=60)
        yield stack
    finally:
        stack.kill()


def test_an_iranian_number_is_acknowledged_through_the_http_gateway_in_persian(
    pipeline_stack: Devstack,
) -> None:
    body = {
        "market": "IR",
        "category": "claim_decision",
        "description": "درخواست خسارت من بدون دلیل رد شد",
        "contact": {"mobile": "۰۹۱۲۳۴۵۶۷۸۹"},
        "consent": {"contact": True},
    }
    _status, answer = request("POST", f"{pipeline_stack.api_url}/complaints", body)
    code = json.loads(answer)["tracking_code"]

    def sent() -> list[dict[str, Any]]:
        return [m for m in outbox(pipeline_stack) if m["tracking_code"] == code]

    wait_for(lambda: bool(sent()), 60, "the Persian acknowledgement", pipeline_stack)
    (message,) = sent()
    assert (message["provider"], message["to"]) == ("http-gateway", "+989123456789")
    assert "کد پیگیری" in message["body"]


def _stack_resource(stack: Devstack, logical_id: str) -> str:
    """The physical id of a resource of the local stack (moto fails DescribeStackResource)."""
    pages = _client(stack, "cloudformation").get_paginator("list_stack_resources")
    for page in pages.paginate(StackName="complaintdesk-local"):
        for resource in page["StackResourceSummaries"]:
            if resource["LogicalResourceId"] == logical_id:
                return str(resource["PhysicalResourceId"])
    raise AssertionError(f"the local stack has no {logical_id}")


def _client(stack: Devstack, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_poison_routing_message_reaches_the_dead_letter_queue_and_flags_its_complaint(
    pipeline_stack: Devstack,
) -> None:
    _status, answer = request("POST", f"{pipeline_stack.api_url}/complaints", complaint(999))
    code = json.loads(answer)["tracking_code"]
    sqs = _client(pipeline_stack, "sqs")
    queue_url = _stack_resource(pipeline_stack, "RoutingQueue")
    dlq_url = _stack_resource(pipeline_stack, "RoutingDeadLetterQueue")
    sqs.send_message(
        QueueUrl=queue_url, MessageBody=json.dumps({"tracking_code": code, "route_to": "nowhere"})
    )

    def in_dead_letter_queue() -> bool:
        attributes = sqs.get_queue_attributes(
            QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= 1

    wait_for(in_dead_letter_queue, 90, "the poison message's move to the DLQ", pipeline_stack)
    table = _stack_resource(pipeline_stack, "ComplaintsTable")
    item = _client(pipeline_stack, "dynamodb").get_item(TableName=table, Key={"tracking_code": {"S": code}})[
        "Item"
    ]
    assert "routing" in item["attention"]["M"]
    # The complaint itself was still routed by its own, well-formed message.
    assert status_of(pipeline_stack, code)["status"] == "investigating"


def test_an_opted_out_number_is_not_sent_to_and_its_complaint_is_flagged_for_staff(
    pipeline_stack: Devstack,
) -> None:
    body = {**complaint(5), "contact": {"mobile": "+905320000099"}}  # opted out of SMS
    _status, answer = request("POST", f"{pipeline_stack.api_url}/complaints", body)
    code = json.loads(answer)["tracking_code"]
    table = _stack_resource(pipeline_stack, "ComplaintsTable")
    dynamodb = _client(pipeline_stack, "dynamodb")

    def flagged() -> bool:
        item = dynamodb.get_item(TableName=table, Key={"tracking_code": {"S": code}})["Item"]
        return "acknowledgement" in item.get("attention", {}).get("M", {})

    wait_for(flagged, 60, "the opted-out complaint's flag", pipeline_stack)
    assert not [m for m in outbox(pipeline_stack) if m["tracking_code"] == code]


def test_two_hundred_concurrent_complaints_are_each_acknowledged_once_and_routed(
    pipeline_stack: Devstack,
) -> None:
    codes = submit_all(pipeline_stack, 200)
    assert len(set(codes)) == 200

    def acknowledged() -> Counter[str]:
        return Counter(m["tracking_code"] for m in outbox(pipeline_stack) if m["tracking_code"] in codes)

    wait_for(lambda: len(acknowledged()) == 200, 240, "200 acknowledgements", pipeline_stack)
    all_acknowledged_at = time.monotonic()
    message = next(m for m in outbox(pipeline_stack) if m["tracking_code"] == codes[0])
    assert (message["channel"], message["provider"], message["to"]) == ("sms", "sns", "+905320000001")

    def routed() -> bool:
        with ThreadPoolExecutor(max_workers=8) as pool:
            views = list(pool.map(lambda code: status_of(pipeline_stack, code), codes))
        return all(view["status"] == "investigating" for view in views)

    wait_for(routed, 240, "routing of all 200 complaints", pipeline_stack)
    # A late duplicate would show up within 2 s of the last acknowledgement (routing took part of that).
    time.sleep(max(0.0, all_acknowledged_at + 2 - time.monotonic()))
    counts = acknowledged()
    assert set(counts) == set(codes)
    assert max(counts.values()) == 1, [code for code, n in counts.items() if n > 1]
    milestones = [m["code"] for m in status_of(pipeline_stack, codes[0])["milestones"]]
    assert milestones[0] == "received"
    assert set(milestones) == {"received", "acknowledged", "under_investigation"}


def test_with_sns_failing_thirty_percent_of_publishes_every_complaint_is_acknowledged_exactly_once(
    tmp_path: Path,
) -> None:
    stack = Devstack(
        tmp_path / "local", extra_env={"LOCAL_FAULTS": "sns.Publish=0.3", "LOCAL_VISIBILITY_TIMEOUT": "1"}
    )
    try:
        stack.wait_until_healthy(timeout=60)
        codes = submit_all(stack, 60)

        def acknowledged() -> Counter[str]:
            return Counter(m["tracking_code"] for m in outbox(stack))

        wait_for(lambda: set(acknowledged()) >= set(codes), 240, "60 acknowledgements under failures", stack)
        time.sleep(3)
        counts = acknowledged()
        assert set(counts) == set(codes)
        assert max(counts.values()) == 1
    finally:
        stack.kill()
