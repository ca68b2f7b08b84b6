"""Fixtures of the staff API tests: the app over fakes, with a real token verifier.

`staff_api` is the shared `api` client whose container verifies ID tokens
with the real `CognitoTokenVerifier`, fed the JWKS of a key made in this test
session (tests/staff_tokens.py). `desk` wraps it with the few calls a staff
test makes over and over: enter a complaint, route it, act on it, read it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import container
from chalicelib.services.route_complaint import route_complaint
from tests.conftest import TURKISH_COMPLAINT
from tests.fakes import FakeRepository, FixedClock
from tests.staff_tokens import AGENT_TR, Member, bearer, verifier

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def staff_api(api: Client) -> Client:
    """The app over fakes; staff tokens are verified for real against the test pool's key."""
    container().identity = verifier()  # type: ignore[misc]
    return api


class Desk:
    """A staff console in miniature: HTTP calls as a member, and the fakes behind them."""

    def __init__(self, client: Client, repository: FakeRepository, clock: FixedClock) -> None:
        self.client = client
        self.repository = repository
        self.clock = clock

    # --- HTTP -----------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        who: Member | str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """One request; `who` is a member (a fresh token), a raw token, or None (no Authorization)."""
        sent = dict(JSON)
        if isinstance(who, Member):
            sent.update(who.headers())
        elif isinstance(who, str):
            sent.update(bearer(who))
        sent.update(headers or {})
        raw = b"" if body is None else body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.http.request(method, path, headers=sent, body=raw)

    def get(self, path: str, who: Member | str | None = None) -> Any:
        return self.call("GET", path, who)

    def post(self, path: str, who: Member | str | None = None, body: Any = None) -> Any:
        return self.call("POST", path, who, {} if body is None else body)

    def act(self, code: str, action: str, who: Member | str | None, /, **fields: Any) -> Any:
        return self.post(f"/staff/complaints/{code}/actions/{action}", who, fields)

    def view(self, code: str, who: Member) -> dict[str, Any]:
        """The case view, which must be there."""
        response = self.get(f"/staff/complaints/{code}", who)
        assert response.status_code == 200, response.body
        return body_of(response)

    # --- complaints -----------------------------------------------------------------------------

    def submit(self, template: Mapping[str, Any] = TURKISH_COMPLAINT, **changes: Any) -> str:
        """A complaint from the public web form; its tracking code."""
        document = {**copy.deepcopy(dict(template)), **changes}
        response = self.client.http.post("/complaints", headers=JSON, body=json.dumps(document))
        assert response.status_code == 201, response.body
        return str(body_of(response)["tracking_code"])

    def intake(
        self, who: Member = AGENT_TR, template: Mapping[str, Any] = TURKISH_COMPLAINT, **changes: Any
    ) -> str:
        """A complaint a clerk entered (by phone unless `channel` says otherwise); its tracking code."""
        document = {"channel": "phone", "channel_detail": {"reference": "CALL-1"}, **changes}
        response = self.post("/staff/complaints", who, {**copy.deepcopy(dict(template)), **document})
        assert response.status_code == 201, response.body
        return str(body_of(response)["tracking_code"])

    def route(self, code: str) -> str | None:
        """What the routing queue's handler would do: give the complaint its department."""
        return route_complaint(code, repository=self.repository, clock=self.clock)

    def routed(self, template: Mapping[str, Any] = TURKISH_COMPLAINT, **changes: Any) -> str:
        """A public complaint already with its department (claims, for the Turkish template)."""
        code = self.submit(template, **changes)
        self.route(code)
        return code


def body_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response.body)
    return body


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """The problem details of an error answer, checked for their shape."""
    assert response.status_code == status, (response.status_code, response.body)
    assert response.headers["Content-Type"] == "application/problem+json"
    body = body_of(response)
    assert body["status"] == status
    assert body["type"].startswith("urn:complaintdesk:problem:")
    return body


@pytest.fixture
def desk(staff_api: Client, repository: FakeRepository, clock: FixedClock) -> Desk:
    return Desk(staff_api, repository, clock)
