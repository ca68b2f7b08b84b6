"""The local stack's demo staff users sign in, and their ID tokens carry role, department and market."""

from __future__ import annotations

import base64
import json
import stat
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.aws import Clients
from devstack.stack import LocalStack
from devstack.staff_users import DEMO_USERS, DemoUser, password_problems

pytestmark = pytest.mark.integration


def _payload(jwt: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (the signature is not what this test is about)."""
    segment = jwt.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return claims


def _sign_in(stack: LocalStack, username: str, password: str) -> dict[str, Any]:
    idp = Clients(stack.moto_url, stack.options.region)("cognito-idp")
    answer: dict[str, Any] = idp.initiate_auth(
        ClientId=stack.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return answer


@pytest.mark.parametrize("user", DEMO_USERS, ids=lambda user: user.name)
def test_a_demo_user_signs_in_and_the_id_token_says_who_they_are(
    local_stack: LocalStack, user: DemoUser
) -> None:
    answer = _sign_in(local_stack, user.name, local_stack.demo_password)

    assert "ChallengeName" not in answer  # the password is permanent: no new-password challenge
    claims = _payload(answer["AuthenticationResult"]["IdToken"])
    assert claims["token_use"] == "id"
    assert claims["aud"] == local_stack.client_id
    assert claims["iss"].endswith(f"/{local_stack.user_pool_id}")
    assert claims["cognito:username"] == user.name
    assert claims["cognito:groups"] == [user.group]
    assert claims["custom:market"] == user.market
    assert claims.get("custom:department") == user.department


def test_a_wrong_password_is_refused(local_stack: LocalStack) -> None:
    with pytest.raises(ClientError) as refused:
        _sign_in(local_stack, "handler", local_stack.demo_password + "x")
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_the_stack_file_tells_local_tools_how_to_sign_in_and_only_its_owner_reads_it(
    local_stack: LocalStack,
) -> None:
    path = local_stack.stack_file_path
    assert path.parent == local_stack.outbox_path.parent
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = json.loads(path.read_text(encoding="utf-8"))
    assert content == {
        "moto_url": local_stack.moto_url,
        "api_url": local_stack.api_url,
        "region": local_stack.options.region,
        "user_pool_id": local_stack.user_pool_id,
        "client_id": local_stack.client_id,
        "demo_password": local_stack.demo_password,
        "users": {user.name: user.describe() for user in DEMO_USERS},
    }
    assert password_problems(content["demo_password"]) == []
