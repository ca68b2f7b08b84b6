"""Staff case handling against the template deployed into moto: real tokens, real indexes, real transactions.

The demo users of the local stack sign in through Cognito; their ID tokens
are verified against the pool's JWKS served by the emulator; every change
is a TransactWriteItems conditioned on the version; queues and searches are
index queries, never a scan.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container, install
from devstack.metering import aws_calls
from devstack.stack import LocalStack
from devstack.token import sign_in
from tests.fakes import FixedClock
from tests.integration.conftest import json_headers

pytestmark = pytest.mark.integration

_tokens: dict[str, str] = {}


def token(stack: LocalStack, user: str) -> str:
    """A demo user's ID token, signed in once per session through the emulator's Cognito."""
    if user not in _tokens:
        _tokens[user] = sign_in(stack.describe(), user)
    return _tokens[user]


@pytest.fixture
def staff_client(local_stack: LocalStack) -> Iterator[tuple[Client, Container]]:
    """A client on a fresh container whose AWS calls `counts` counts (clients are made on first use)."""
    with aws_calls() as counts:
        fresh = Container()
        install(fresh)
        with Client(sys.modules["app"].app) as client:
            client.counts = counts  # type: ignore[attr-defined]
            yield client, fresh
        install(None)


def measured(client: Client) -> Counter[str]:
    """The client's call counter, emptied: what follows is what gets counted."""
    counts: Counter[str] = client.counts  # type: ignore[attr-defined]
    counts.clear()
    return counts


def call(client: Client, stack: LocalStack, user: str, method: str, path: str, body: Any = None) -> Any:
    headers = json_headers(Authorization=f"Bearer {token(stack, user)}")
    payload = json.dumps(body, ensure_ascii=False) if body is not None else None
    return getattr(client.http, method)(path, headers=headers, body=payload)


def intake(client: Client, stack: LocalStack, complaint: dict[str, Any], **changes: Any) -> str:
    body = {**complaint, "channel": "phone", **changes}
    response = call(client, stack, "agent", "post", "/staff/complaints", body)
    assert response.status_code == 201, response.body
    return str(json.loads(response.body)["tracking_code"])


def act(client: Client, stack: LocalStack, user: str, code: str, action: str, **body: Any) -> Any:
    return call(client, stack, user, "post", f"/staff/complaints/{code}/actions/{action}", body)


def test_a_clerk_enters_a_phone_complaint_and_a_handler_works_it(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    client, _ = staff_client
    code = intake(client, local_stack, turkish_complaint, category="service_quality")
    assert (
        act(client, local_stack, "supervisor", code, "assign", department="customer_services").status_code
        == 200
    )
    answer = act(
        client,
        local_stack,
        "handler",
        code,
        "assess",
        urgency="high",
        importance="high",
        reason="repeat caller",
    )
    assert answer.status_code == 200, answer.body
    view = json.loads(answer.body)
    assert view["priority"] == "high"
    assert view["received_by"] == "agent"
    assert "close" not in view["allowed_actions"]  # handlers do not close
    other = act(client, local_stack, "handler-claims", code, "add_note", text="not ours")
    assert other.status_code == 403


def test_every_change_is_one_read_and_one_transaction(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    client, _ = staff_client
    code = intake(client, local_stack, turkish_complaint)
    act(client, local_stack, "supervisor", code, "assign", department="customer_services")
    counts = measured(client)
    assert act(client, local_stack, "handler", code, "add_note", text="called back").status_code == 200
    assert _dynamodb(counts) == {"dynamodb.GetItem": 1, "dynamodb.TransactWriteItems": 1}
    counts = measured(client)
    assert call(client, local_stack, "handler", "get", f"/staff/complaints/{code}").status_code == 200
    assert _dynamodb(counts) == {"dynamodb.GetItem": 1}
    counts = measured(client)
    assert (
        call(
            client, local_stack, "handler", "post", f"/staff/complaints/{code}/personal-data", {}
        ).status_code
        == 200
    )
    assert _dynamodb(counts) == {"dynamodb.GetItem": 1, "dynamodb.PutItem": 1}


def _dynamodb(counts: Counter[str]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if name.startswith("dynamodb.")}


def test_two_staff_acting_at_once_one_wins_and_nothing_is_lost(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    client, container = staff_client
    code = intake(client, local_stack, turkish_complaint)
    act(client, local_stack, "supervisor", code, "assign", department="customer_services")
    version = json.loads(call(client, local_stack, "handler", "get", f"/staff/complaints/{code}").body)[
        "version"
    ]
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def note(text: str) -> None:
        barrier.wait()
        results.append(
            act(client, local_stack, "handler", code, "add_note", text=text, expected_version=version)
        )

    threads = [threading.Thread(target=note, args=(f"note {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409]
    loser = json.loads(next(r for r in results if r.status_code == 409).body)
    assert loser["version"] == version + 1
    assert loser["state"] == "investigating"
    changes, _ = container.repository.history(code)
    assert [e.seq for e in changes] == list(range(1, version + 2))
    assert [e.action for e in changes].count("add_note") == 1


def test_two_transactions_from_the_same_read_exactly_one_commits(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    from chalicelib.domain.commands import AddNote
    from chalicelib.domain.errors import ConcurrentUpdate
    from chalicelib.domain.handling import handle

    client, container = staff_client
    code = intake(client, local_stack, turkish_complaint)
    before = container.repository.get(code)
    assert before is not None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(text: str) -> None:
        after, event = handle(before, AddNote(text), actor="staff:test", now=before.updated_at)
        barrier.wait()
        try:
            container.repository.apply_change(before, after, event)
            outcomes.append("committed")
        except ConcurrentUpdate:
            outcomes.append("refused")

    threads = [threading.Thread(target=write, args=(f"note {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["committed", "refused"]
    current = container.repository.get(code)
    assert current is not None
    assert current.version == before.version + 1
    changes, _ = container.repository.history(code)
    assert [e.seq for e in changes] == list(range(1, before.version + 2))


def test_a_department_queue_is_an_index_query_in_due_order_with_pages(
    local_stack: LocalStack, staff_client: tuple[Client, Container], persian_complaint: dict[str, Any]
) -> None:
    client, _ = staff_client
    codes: list[str] = []
    user = "supervisor-ir"
    for _ in range(7):
        body = {**persian_complaint, "channel": "fax", "channel_detail": {"reference": "+98 21 5555 0000"}}
        response = call(client, local_stack, user, "post", "/staff/complaints", body)
        assert response.status_code == 201, response.body
        codes.append(json.loads(response.body)["tracking_code"])
    for code in codes[:5]:
        assert act(client, local_stack, user, code, "assign", department="finance").status_code == 200
    seen: list[str] = []
    cursor = None
    counts = measured(client)
    while True:
        path = "/staff/queue?department=finance&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = json.loads(call(client, local_stack, user, "get", path).body)
        seen.extend(item["tracking_code"] for item in page["items"])
        cursor = page["cursor"]
        if cursor is None:
            break
    assert set(codes[:5]) <= set(seen)
    assert len(seen) == len(set(seen))
    assert "dynamodb.Scan" not in counts
    assert counts["dynamodb.Query"] >= 3
    dues = [json.loads(call(client, local_stack, user, "get", "/staff/queue?department=finance").body)]
    due_times = [item["expected_response_by"] for item in dues[0]["items"]]
    assert due_times == sorted(due_times)
    handler = call(client, local_stack, "handler", "get", "/staff/queue?department=finance")
    assert handler.status_code == 403


def test_a_complainant_is_found_by_a_keyed_hash_of_their_mobile_number(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    client, container = staff_client
    mobile = "+905329876543"
    body = dict(
        turkish_complaint,
        contact={**turkish_complaint["contact"], "mobile": mobile, "email": "ipek@example.com"},
    )
    first, second = intake(client, local_stack, body), intake(client, local_stack, body)
    item = container.repository._tables.complaints.get(first)  # type: ignore[attr-defined]
    assert item.mobile_hash
    assert mobile not in item.mobile_hash
    assert len(item.mobile_hash) == 64
    raw = {k: v for k, v in item.serialize().items() if k != "personal"}
    assert mobile not in json.dumps(raw)
    assert "ipek@example.com" not in json.dumps(raw)
    counts = measured(client)
    found = call(client, local_stack, "agent", "post", "/staff/search", {"mobile": "0532 987 65 43"})
    assert found.status_code == 200, found.body
    listed = [i["tracking_code"] for i in json.loads(found.body)["items"]]
    assert {first, second} <= set(listed)
    assert mobile not in found.body.decode()
    assert "dynamodb.Scan" not in counts
    by_mail = call(client, local_stack, "agent", "post", "/staff/search", {"email": "IPEK@example.com"})
    assert {first, second} <= {i["tracking_code"] for i in json.loads(by_mail.body)["items"]}


def test_history_shows_changes_and_records_who_read_personal_data(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    client, _ = staff_client
    code = intake(client, local_stack, turkish_complaint)
    act(client, local_stack, "supervisor", code, "assign", department="customer_services")
    act(client, local_stack, "handler", code, "add_note", text="Ayşe called: claim file 88123")
    revealed = call(
        client,
        local_stack,
        "handler",
        "post",
        f"/staff/complaints/{code}/personal-data",
        {"reason": "call back"},
    )
    assert json.loads(revealed.body)["contact"]["name"] == turkish_complaint["contact"]["name"]
    audit = json.loads(call(client, local_stack, "auditor", "get", f"/staff/complaints/{code}/history").body)
    actions = [e["action"] for e in audit["events"]]
    assert actions[0] == "submit"
    assert "add_note" in actions
    assert "assign" in actions
    note = next(e for e in audit["events"] if e["action"] == "add_note")
    assert note["text"] is None
    assert note["text_withheld"] is True
    assert [r["actor"] for r in audit["personal_data_reads"]] == ["staff:handler"]
    assert (
        call(
            client, local_stack, "auditor", "post", f"/staff/complaints/{code}/personal-data", {}
        ).status_code
        == 403
    )


def test_escalation_runs_twice_and_escalates_once(
    local_stack: LocalStack, staff_client: tuple[Client, Container], turkish_complaint: dict[str, Any]
) -> None:
    client, container = staff_client
    code = intake(client, local_stack, dict(turkish_complaint, health_or_safety=True))
    complaint = container.repository.get(code)
    assert complaint is not None
    from chalicelib.api.staff import escalation_run

    late = Container()
    late.clock = FixedClock(complaint.expected_response_by.replace(microsecond=0))  # type: ignore[misc]
    late.clock.advance(hours=1)  # type: ignore[attr-defined]
    first = escalation_run(late)
    second = escalation_run(late)
    assert first["escalated"] >= 1
    assert second["escalated"] == 0
    after = container.repository.get(code)
    assert after is not None
    assert set(after.escalations) == {"0:1", "0:2"}
    changes, _ = container.repository.history(code)
    assert [e.action for e in changes].count("escalate") == 1


def test_wrong_proofs_are_counted_per_complaint_in_a_window_that_expires(
    local_stack: LocalStack, staff_client: tuple[Client, Container]
) -> None:
    from datetime import UTC, datetime, timedelta

    _, container = staff_client
    repository = container.repository
    code, now, window = "TEST-PROOF-0000-01", datetime(2026, 11, 23, 9, tzinfo=UTC), timedelta(hours=24)
    assert repository.failed_proofs(code, now) == 0
    assert repository.count_failed_proof(code, now, window) == 1
    assert repository.count_failed_proof(code, now + timedelta(hours=1), window) == 2
    assert repository.failed_proofs(code, now + timedelta(hours=2)) == 2
    later = now + timedelta(hours=25)
    assert repository.failed_proofs(code, later) == 0
    assert repository.count_failed_proof(code, later, window) == 1
