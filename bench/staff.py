"""AWS requests per staff operation, on a warm container of the local stack.

Each staff request verifies an ID token of a demo user, signed in through the
emulator's Cognito; the pool's keys are fetched once per container, over
HTTP, and are not an AWS API call. Counted from botocore's own events.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from bench.dynamodb import COMPLAINT, _client
from chalicelib.bootstrap import Container, install
from devstack.metering import aws_calls
from devstack.stack import LocalStack
from devstack.token import sign_in


def requests_per_staff_operation(stack: LocalStack) -> dict[str, Any]:
    """DynamoDB (and other AWS) requests of each staff operation, after a warm-up request."""
    tokens = {user: sign_in(stack.describe(), user) for user in ("agent", "supervisor", "handler")}

    def headers(user: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[user]}"}

    results: dict[str, dict[str, int]] = {}
    with aws_calls() as counts:
        install(Container())
        with _client() as client:
            body = json.dumps({**COMPLAINT, "channel": "phone"})
            code = json.loads(
                client.http.post("/staff/complaints", headers=headers("agent"), body=body).body
            )["tracking_code"]
            assign = json.dumps({"department": "customer_services"})
            client.http.post(
                f"/staff/complaints/{code}/actions/assign", headers=headers("supervisor"), body=assign
            )

            def measure(name: str, method: str, path: str, user: str, payload: Any = None) -> None:
                counts.clear()
                data = json.dumps(payload) if payload is not None else None
                answer = getattr(client.http, method)(path, headers=headers(user), body=data)
                assert answer.status_code < 300, (name, answer.status_code, answer.body)
                results[name] = dict(Counter(counts))

            measure("intake", "post", "/staff/complaints", "agent", {**COMPLAINT, "channel": "fax"})
            measure("view", "get", f"/staff/complaints/{code}", "handler")
            measure(
                "lifecycle_action",
                "post",
                f"/staff/complaints/{code}/actions/add_note",
                "handler",
                {"text": "x"},
            )
            measure("reveal_personal_data", "post", f"/staff/complaints/{code}/personal-data", "handler", {})
            measure("history", "get", f"/staff/complaints/{code}/history", "handler")
            measure("queue_page_all_open_states", "get", "/staff/queue?limit=50", "handler")
            measure("queue_page_one_state", "get", "/staff/queue?status=investigating&limit=50", "handler")
            measure(
                "contact_search", "post", "/staff/search", "agent", {"mobile": COMPLAINT["contact"]["mobile"]}
            )
    install(None)
    return {
        "per_operation": results,
        "note": "no Scan in any of them; a queue page reads one partition per state",
    }
