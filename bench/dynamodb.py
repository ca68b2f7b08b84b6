"""DynamoDB requests per operation, and intake throughput against raw PynamoDB writes.

Both run against the local stack (moto's server on loopback, with the real
template deployed), so the app and the raw writes pay the same transport.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalice.test import Client
from pynamodb.transactions import TransactWrite

from chalicelib.bootstrap import Container, install
from chalicelib.domain.tracking import new_tracking_code
from devstack.metering import aws_calls
from devstack.options import StackOptions
from devstack.stack import LocalStack

COMPLAINT: dict[str, Any] = {
    "market": "TR",
    "language": "tr",
    "category": "claim_payment_delay",
    "description": "Hasar ödemem 45 gündür yapılmadı; müşteri hizmetleri geri dönmüyor.",
    "contact": {"name": "Deniz Işık", "mobile": "+90 532 000 00 00", "email": "deniz@example.com"},
    "consent": {"contact": True},
}
HEADERS = {"Content-Type": "application/json"}


@contextmanager
def running_stack(local_dir: str) -> Iterator[LocalStack]:
    from pathlib import Path

    options = StackOptions(
        port=0, moto_port=0, local_dir=Path(local_dir), stack_name="complaintdesk-bench-intake"
    )
    with LocalStack(options) as stack:
        yield stack
    sys.modules.pop("app", None)


def _client() -> Client:
    return Client(sys.modules["app"].app)


def requests_per_operation() -> dict[str, Any]:
    """DynamoDB requests made by one submission and by one status lookup, on a cold container."""
    with aws_calls() as counts:
        install(Container())
        with _client() as client:
            client.http.post("/complaints", headers=HEADERS, body=json.dumps(COMPLAINT))
            first_of_container = dict(counts)
            counts.clear()
            created = client.http.post("/complaints", headers=HEADERS, body=json.dumps(COMPLAINT))
            per_submit = dict(counts)
            counts.clear()
            code = json.loads(created.body)["tracking_code"]
            client.http.post("/status", headers=HEADERS, body=json.dumps({"tracking_code": code}))
            per_lookup = dict(counts)
    install(None)
    return {
        # A cold container also reads the HMAC key of the contact indexes, once.
        "first_complaint_of_a_container": first_of_container,
        "per_new_complaint": per_submit,
        "per_status_lookup": per_lookup,
        "goal": "1 and 1",
    }


def throughput(n: int = 200) -> dict[str, Any]:
    """Complaints accepted per second through the app, against raw PynamoDB writes of the same items.

    The three writers take turns, one complaint each, so that all of them
    meet a table of the same size: moto copies a table for every
    transaction, which makes its transactions slower as the table grows.
    """
    container = Container()
    install(container)
    repository: Any = container.repository
    spent = {"app": 0.0, "raw_transaction": 0.0, "raw_put": 0.0}
    body = json.dumps(COMPLAINT)
    with _client() as client:
        for _ in range(n):
            start = time.perf_counter()
            response = client.http.post("/complaints", headers=HEADERS, body=body)
            spent["app"] += time.perf_counter() - start
            code = json.loads(response.body)["tracking_code"]
            item, event = _copy_with_new_code(repository, code), _first_event(repository, code)
            start = time.perf_counter()
            with TransactWrite(connection=repository._connection) as tx:
                tx.save(item, condition=type(item).tracking_code.does_not_exist())
                tx.save(event, condition=type(event).seq.does_not_exist())
            spent["raw_transaction"] += time.perf_counter() - start
            alone = _copy_with_new_code(repository, code)
            start = time.perf_counter()
            alone.save()
            spent["raw_put"] += time.perf_counter() - start
    install(None)
    rate = {name: n / seconds for name, seconds in spent.items()}
    return {
        "complaints": n,
        "app_per_second": round(rate["app"], 1),
        "raw_transaction_per_second": round(rate["raw_transaction"], 1),
        "raw_put_per_second": round(rate["raw_put"], 1),
        "cost_ratio_app_over_raw_transaction": round(rate["raw_transaction"] / rate["app"], 2),
        "cost_ratio_app_over_raw_put": round(rate["raw_put"] / rate["app"], 2),
        "goal_ratio_at_most": 2.0,
    }


def _first_event(repository: Any, code: str) -> Any:
    """The complaint's first history event, under a fresh code."""
    model = repository._tables.history
    raw = next(iter(model.query(code))).serialize()
    raw["tracking_code"] = {"S": new_tracking_code()}
    return model.from_raw_data(raw)


def _copy_with_new_code(repository: Any, code: str) -> Any:
    """The stored item of an accepted complaint, under a fresh code, ready to put as new."""
    model = repository._tables.complaints
    raw = model.get(code).serialize()
    raw.pop("version")
    raw["tracking_code"] = {"S": new_tracking_code()}
    return model.from_raw_data(raw)
