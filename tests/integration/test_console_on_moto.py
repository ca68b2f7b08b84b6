"""The staff console against the local stack's template in moto: a demo user signs in with Cognito's
InitiateAuth for real, the session's token is verified with the pool's JWKS, and pages read DynamoDB.

The container is built from the stack's environment, as a cold Lambda would: the sign-in adapter is
a boto3 client of the emulator's Cognito, and the form-token key comes from Secrets Manager.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import urlencode

import boto3  # type: ignore[import-untyped]
import pytest
from chalice.test import Client

from chalicelib.adapters.sign_in import REFUSED, CognitoPasswordSignIn
from chalicelib.bootstrap import Container
from chalicelib.domain.errors import Unauthenticated
from devstack.stack import LocalStack
from tests.integration.conftest import json_headers
from tests.integration.test_identity_on_moto import PASSWORD, create_staff, unique_username

pytestmark = pytest.mark.integration

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _cookies(response: Any) -> dict[str, str]:
    values = response.headers.get("Set-Cookie") or []
    values = [values] if isinstance(values, str) else values
    return {value.split("=", 1)[0]: value.split("=", 1)[1].split(";")[0] for value in values}


def _sign_in(client: Client, username: str, password: str) -> Any:
    """The sign-in page fetched and its form posted, as a browser does it."""
    page = client.http.get("/tr/console/sign-in")
    assert page.status_code == 200, page.body[:500]
    nonce = _cookies(page)["__Host-cd-sign-in"]
    token = re.search(rb'name="csrf" value="([^"]+)"', page.body)
    assert token is not None
    fields = {"csrf": token.group(1).decode(), "next": "/tr/console/queue", "username": username}
    fields["password"] = password
    headers = {**FORM, "Cookie": f"__Host-cd-sign-in={nonce}"}
    return client.http.post("/tr/console/sign-in", headers=headers, body=urlencode(fields).encode())


def test_a_demo_handler_signs_in_and_sees_their_queue(
    local_stack: LocalStack, container: Container, client: Client
) -> None:
    answer = _sign_in(client, "handler", local_stack.demo_password)
    assert answer.status_code == 303, answer.body[:800]
    assert answer.headers["Location"] == "/tr/console/queue"
    session = _cookies(answer)["__Host-cd-session"]
    claims = json.loads(_b64(session.split(".")[1]))
    assert claims["cognito:username"] == "handler"
    assert claims["aud"] == local_stack.client_id
    queue = client.http.get("/tr/console/queue", headers={"Cookie": f"__Host-cd-session={session}"})
    assert queue.status_code == 200, queue.body[:800]
    assert b'data-username="handler"' in queue.body
    assert "Müşteri Hizmetleri".encode() in queue.body


def test_a_clerk_enters_a_phone_complaint_through_the_console_on_dynamodb(
    local_stack: LocalStack, container: Container, client: Client
) -> None:
    session = _cookies(_sign_in(client, "agent", local_stack.demo_password))["__Host-cd-session"]
    cookie = {"Cookie": f"__Host-cd-session={session}"}
    form = client.http.get("/en/console/intake", headers=cookie)
    token = re.search(rb'name="csrf" value="([^"]+)"', form.body)
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', form.body)
    assert token is not None
    assert key is not None
    fields = {
        "csrf": token.group(1).decode(),
        "idempotency_key": key.group(1).decode(),
        "market": "TR",
        "channel": "phone",
        "description": "Şubede bekletildiğini söylüyor; telefonla aradı.",
        "contact.mobile": "0532 111 22 33",
    }
    done = client.http.post("/en/console/intake", headers={**FORM, **cookie}, body=urlencode(fields).encode())
    assert done.status_code == 200, done.body[:800]
    code = re.search(rb'id="tracking-code"><bdi dir="ltr">([^<]+)<', done.body)
    assert code is not None
    view = client.http.get(
        f"/staff/complaints/{code.group(1).decode()}", headers=json_headers(Authorization=f"Bearer {session}")
    )
    assert view.status_code == 200
    assert json.loads(view.body)["received_by"] == "agent"


def test_the_refresh_token_renews_the_session_until_signing_out_revokes_it(
    local_stack: LocalStack, container: Container, client: Client
) -> None:
    """With the emulator's Cognito: REFRESH_TOKEN_AUTH renews the ID token, RevokeToken ends it."""
    signed = _cookies(_sign_in(client, "supervisor", local_stack.demo_password))
    renew = signed["__Host-cd-renew"]
    only_renewal = {"Cookie": f"__Host-cd-renew={renew}"}  # the ID token's cookie has expired
    queue = client.http.get("/en/console/queue", headers=only_renewal)
    assert queue.status_code == 200, queue.body[:800]
    fresh = _cookies(queue)["__Host-cd-session"]
    assert fresh != signed["__Host-cd-session"]
    assert json.loads(_b64(fresh.split(".")[1]))["cognito:username"] == "supervisor"
    token = re.search(rb'name="csrf" value="([^"]+)"', queue.body)
    assert token is not None
    both = {"Cookie": f"__Host-cd-session={fresh}; __Host-cd-renew={renew}"}
    out = client.http.post(
        "/en/console/sign-out", headers={**FORM, **both}, body=urlencode({"csrf": token.group(1).decode()})
    )
    assert out.status_code == 303
    assert _cookies(out) == {"__Host-cd-session": "", "__Host-cd-renew": ""}
    again = client.http.get("/en/console/queue", headers=only_renewal)
    assert again.status_code == 303
    assert again.headers["Location"].startswith("/en/console/sign-in?")
    assert "reason=expired" in again.headers["Location"]


def test_a_wrong_password_and_an_unknown_user_read_the_same(
    local_stack: LocalStack, container: Container, client: Client
) -> None:
    wrong = _sign_in(client, "handler", local_stack.demo_password + "x")
    unknown = _sign_in(client, f"nobody-{secrets.token_hex(4)}", local_stack.demo_password)
    assert wrong.status_code == unknown.status_code == 422
    assert "__Host-cd-session" not in _cookies(wrong)
    summary = [re.search(rb'<ul id="error-summary-list">(.*?)</ul>', r.body, re.S) for r in (wrong, unknown)]
    assert summary[0] is not None
    assert summary[1] is not None
    assert summary[0].group(1) == summary[1].group(1)


def test_every_refusal_of_cognito_is_one_error_of_the_adapter(local_stack: LocalStack) -> None:
    """Wrong password, unknown user, and a user who must still choose a new password."""
    idp = boto3.client(
        "cognito-idp", endpoint_url=local_stack.moto_url, region_name=local_stack.options.region
    )
    pool, client_id = local_stack.user_pool_id, local_stack.client_id
    assert pool is not None
    assert client_id is not None
    adapter = CognitoPasswordSignIn(idp, client_id)
    pending = unique_username()
    idp.admin_create_user(
        UserPoolId=pool,
        Username=pending,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )
    for username, password in (
        ("handler", local_stack.demo_password + "x"),
        (unique_username(), PASSWORD),
        (pending, PASSWORD),
    ):
        with pytest.raises(Unauthenticated) as refused:
            adapter.sign_in(username, password)
        assert str(refused.value) == REFUSED
    ready = unique_username()
    create_staff(idp, pool, ready)
    assert adapter.sign_in(ready, PASSWORD).expires_in > 0


def _b64(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
