"""The live dashboard against the template deployed into moto: index queries only, projected, and cached.

A refresh reads every by-queue partition of the market (each department and
the unassigned, in each open state) and each shard of today's by-day
partition: one Query each, in parallel, fetching only what the dashboard
shows. Nothing is ever scanned, and a second refresh within the cache's
seconds reads nothing.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import botocore.session  # type: ignore[import-untyped]
import pytest
from botocore import handlers  # type: ignore[import-untyped]
from chalice.test import Client

from chalicelib.adapters.dashboard import OPEN_ATTRIBUTES, RECEIPT_ATTRIBUTES
from chalicelib.bootstrap import Container, install
from chalicelib.domain.dashboard import DEPARTMENTS, STATES
from chalicelib.domain.periods import local_day
from chalicelib.domain.policy import Market
from devstack.metering import aws_calls
from devstack.stack import LocalStack
from devstack.token import sign_in
from tests.integration.conftest import json_headers

pytestmark = pytest.mark.integration

PLANTED_NAME = "Nilüfer Planted-Karaosmanoğlu"
PLANTED_MOBILE = "0532 444 98 76"
PLANTED_EMAIL = "nilufer.planted@example.org"
PLANTED_ADDRESS = "Planted Lale Sokak No 4, Üsküdar"
PLANTED_DESCRIPTION = "Karaosmanoğlu ailesinin sağlık poliçesi gerekçesiz iptal edildi."
PLANTED = [
    PLANTED_NAME,
    PLANTED_MOBILE,
    "+905324449876",
    PLANTED_EMAIL,
    PLANTED_ADDRESS,
    PLANTED_DESCRIPTION,
    "Karaosmanoğlu",
    "Planted",
]

_tokens: dict[str, str] = {}


def token(stack: LocalStack, user: str) -> str:
    if user not in _tokens:
        _tokens[user] = sign_in(stack.describe(), user)
    return _tokens[user]


def call(client: Client, stack: LocalStack, user: str, method: str, path: str, body: Any = None) -> Any:
    headers = json_headers(Authorization=f"Bearer {token(stack, user)}")
    payload = json.dumps(body, ensure_ascii=False) if body is not None else None
    return getattr(client.http, method)(path, headers=headers, body=payload)


@contextmanager
def dynamodb_requests() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB request of the clients created in the block: its operation and parameters."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(event_name: str, params: dict[str, Any], **kwargs: Any) -> None:
        seen.append((event_name.rsplit(".", 1)[-1], dict(params)))

    entry = ("provide-client-params.dynamodb", record)
    handlers.BUILTIN_HANDLERS.append(entry)
    try:
        yield seen
    finally:
        handlers.BUILTIN_HANDLERS.remove(entry)


@pytest.fixture
def watched(
    local_stack: LocalStack,
) -> Iterator[tuple[Client, Container, list[tuple[str, dict[str, Any]]], Counter[str]]]:
    """A client on a cold container whose every DynamoDB request is recorded and every AWS call counted."""
    with dynamodb_requests() as requests, aws_calls() as counts:
        fresh = Container()
        install(fresh)
        with Client(sys.modules["app"].app) as client:
            yield client, fresh, requests, counts
        install(None)


def test_a_refresh_is_one_projected_query_per_partition_and_never_a_scan(
    local_stack: LocalStack,
    watched: tuple[Client, Container, list[tuple[str, dict[str, Any]]], Counter[str]],
    turkish_complaint: dict[str, Any],
) -> None:
    client, container, requests, counts = watched
    planted = dict(
        turkish_complaint,
        channel="phone",
        description=PLANTED_DESCRIPTION,
        contact={"name": PLANTED_NAME, "mobile": PLANTED_MOBILE, "email": PLANTED_EMAIL},
    )
    planted["contact"]["postal_address"] = PLANTED_ADDRESS
    codes = []
    for _ in range(2):
        response = call(client, local_stack, "agent", "post", "/staff/complaints", planted)
        assert response.status_code == 201, response.body
        codes.append(json.loads(response.body)["tracking_code"])
    assigned = call(
        client,
        local_stack,
        "supervisor",
        "post",
        f"/staff/complaints/{codes[0]}/actions/assign",
        {"department": "claims"},
    )
    assert assigned.status_code == 200, assigned.body
    requests.clear()
    counts.clear()

    response = call(client, local_stack, "handler", "get", "/staff/dashboard")

    assert response.status_code == 200, response.body
    partitions = len(DEPARTMENTS) * len(STATES) + container.settings.day_shards
    assert partitions == 7 * 6 + 8
    assert {name: n for name, n in counts.items() if name.startswith("dynamodb.")} == {
        "dynamodb.Query": partitions
    }
    assert Counter(op for op, _ in requests) == {"Query": partitions}
    indexes = Counter(params["IndexName"] for _, params in requests)
    assert indexes == {"by_queue": 7 * 6, "by_day": container.settings.day_shards}
    keys = {params["ExpressionAttributeValues"][":0"]["S"] for _, params in requests}
    assert "QUEUE#TR#claims#investigating" in keys
    assert "QUEUE#TR#UNASSIGNED#received" in keys
    assert not any(key.startswith(("QUEUE#IR", "DAY#IR")) for key in keys)
    for _, params in requests:
        assert "ProjectionExpression" in params
        projected = {
            params["ExpressionAttributeNames"][name.strip()]
            for name in params["ProjectionExpression"].split(",")
        }
        assert projected <= set(OPEN_ATTRIBUTES) | set(RECEIPT_ATTRIBUTES)
        assert "personal" not in projected

    board = json.loads(response.body)
    assert board["market"] == "TR"
    assert board["open"]["by_department"]["claims"]["by_status"]["investigating"] >= 1
    received = container.repository.get(codes[1])
    assert received is not None
    if local_day(Market.TR, received.received_at) == local_day(
        Market.TR, datetime.fromisoformat(board["as_of"])
    ):
        assert board["intake_today"]["by_channel"]["phone"] >= 2
    assert board["open"]["total"] >= 2
    text = response.body.decode("utf-8")
    for value in PLANTED:
        assert value not in text


def test_a_second_refresh_within_the_cache_seconds_makes_no_request_whoever_asks(
    local_stack: LocalStack,
    watched: tuple[Client, Container, list[tuple[str, dict[str, Any]]], Counter[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, container, requests, counts = watched
    assert container.settings.dashboard_cache_seconds == 10
    for user in ("supervisor", "handler-claims", "auditor", "supervisor-ir"):
        token(local_stack, user)  # signed in before counting: sign-in is Cognito's, not the dashboard's
    made: list[str] = []
    create_client = botocore.session.Session.create_client

    def counted(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service_name)
        return create_client(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counted)
    assert call(client, local_stack, "supervisor", "get", "/staff/dashboard").status_code == 200
    assert made == ["dynamodb"]  # one client for the cold container, however many threads read
    assert counts["dynamodb.Query"] == len(DEPARTMENTS) * len(STATES) + container.settings.day_shards
    requests.clear()
    counts.clear()
    for user, path in (("handler-claims", "/staff/dashboard"), ("auditor", "/staff/dashboard?market=TR")):
        again = call(client, local_stack, user, "get", path)
        assert again.status_code == 200, again.body
    assert requests == []
    assert not any(name.startswith("dynamodb.") for name in counts)
    other = call(client, local_stack, "supervisor-ir", "get", "/staff/dashboard")  # another market: read
    assert other.status_code == 200
    assert json.loads(other.body)["market"] == "IR"
    assert Counter(op for op, _ in requests) == {"Query": len(DEPARTMENTS) * len(STATES) + 8}
