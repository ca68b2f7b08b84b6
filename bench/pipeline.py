"""The event pipeline: throughput through the local runner, and AWS requests per stream batch.

Throughput runs the whole local stack with its event-source runner, as
`make run` does: complaints go in over HTTP, and the clock stops when every
one has been acknowledged (the outbox) and routed (the table). The request
count invokes the stream handler with real Lambda-shaped stream events of
n new complaints, and counts every AWS call it makes.
"""

from __future__ import annotations

import json
import math
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.bootstrap import Container, install
from devstack.metering import aws_calls
from devstack.options import StackOptions
from devstack.runner import LocalRunner, RunnerOptions
from devstack.runner.events import dynamodb_record, records_event
from devstack.stack import OVERLAY, LocalStack


def complaint(n: int) -> dict[str, Any]:
    return {
        "market": "TR",
        "category": ["claim_decision", "premium_billing", "agent_conduct", "other"][n % 4],
        "description": f"Başvuru {n}: hasar dosyam hâlâ sonuçlanmadı.",
        "contact": {"mobile": f"+90533{n:06d}1"},
        "consent": {"contact": True},
    }


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        result: dict[str, Any] = json.loads(answer.read())
        return result


@contextmanager
def _stack(local_dir: Path, *, with_runner: bool) -> Iterator[LocalStack]:
    # moto keeps its state per process: each stack of a run needs a name of its own.
    name = f"complaintdesk-bench-{'runner' if with_runner else 'handler'}"
    options = StackOptions(
        port=0, moto_port=0, local_dir=local_dir, local_visibility_timeout=1, stack_name=name
    )
    runner = LocalRunner(RunnerOptions(overlay=options.project_dir / OVERLAY, local_visibility_timeout=1))
    stack = LocalStack(options, services=runner.factories if with_runner else ())
    with stack:
        yield stack
    sys.modules.pop("app", None)


def throughput(local_dir: Path, n: int = 200) -> dict[str, Any]:
    """Complaints acknowledged and routed per second, through the local runner."""
    with _stack(local_dir, with_runner=True) as stack:
        install(Container())
        from chalicelib.bootstrap import container

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            codes = list(
                pool.map(
                    lambda i: _post(f"{stack.api_url}/complaints", complaint(i))["tracking_code"], range(n)
                )
            )
        submitted = time.perf_counter() - start
        pending = set(codes)
        while pending and time.perf_counter() - start < 600:
            time.sleep(0.25)
            acknowledged = {
                json.loads(line)["tracking_code"] for line in stack.outbox_path.read_text().splitlines()
            }
            for code in list(pending):
                current = container().repository.get(code) if code in acknowledged else None
                if current is not None and current.department:
                    pending.discard(code)
        elapsed = time.perf_counter() - start
        install(None)
    return {
        "complaints": n,
        "submitted_in_seconds": round(submitted, 1),
        "acknowledged_and_routed_in_seconds": round(elapsed, 1),
        "complaints_per_second": round(n / elapsed, 1),
        "not_done": len(pending),
    }


def requests_per_batch(local_dir: Path, sizes: tuple[int, ...] = (1, 10, 25)) -> dict[str, Any]:
    """AWS requests the stream handler makes for one batch of n new complaints."""
    results: dict[str, Any] = {}
    with _stack(local_dir, with_runner=False) as stack:
        app_module = sys.modules["app"]
        streams = _streams(stack)
        for size in sizes:
            codes = [
                _post(f"{stack.api_url}/complaints", complaint(1000 * size + i))["tracking_code"]
                for i in range(size)
            ]
            event = records_event(
                dynamodb_record(raw, stack.environment["COMPLAINTS_STREAM_ARN"], "us-east-1")
                for raw in streams(codes)
            )
            with aws_calls() as counts:
                install(Container())
                answer = app_module.on_complaint_change(event, None)
                install(None)
            assert answer == {"batchItemFailures": []}, answer
            results[str(size)] = {
                "sqs.SendMessageBatch": counts["sqs.SendMessageBatch"],
                "ceil(n/10)": math.ceil(size / 10),
                "sns.Publish": counts["sns.Publish"],
                "sns.CheckIfPhoneNumberIsOptedOut": counts["sns.CheckIfPhoneNumberIsOptedOut"],
                "dynamodb.GetItem": counts["dynamodb.GetItem"],
                "dynamodb.TransactWriteItems": counts["dynamodb.TransactWriteItems"],
                "all": sum(counts.values()),
            }
    return results


def _streams(stack: LocalStack) -> Any:
    """A reader of the INSERT records of given codes from the table's stream."""
    import boto3  # type: ignore[import-untyped]

    client = boto3.client("dynamodbstreams", endpoint_url=stack.moto_url, region_name="us-east-1")
    arn = stack.environment["COMPLAINTS_STREAM_ARN"]

    def inserts(codes: list[str]) -> list[dict[str, Any]]:
        shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = client.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
        wanted = set(codes)
        return [
            r for r in records
            if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["tracking_code"]["S"] in wanted
        ]  # fmt: skip

    return inserts
