"""Staff ID tokens of the local stack's user pool, verified for real with the JWKS moto serves over HTTP.

The verifier is built as a Lambda function would build it, from the stack's
environment: with `AWS_ENDPOINT_URL` set, it fetches the pool's JWKS from the
emulator, and the rest of the verification is the code that runs on AWS.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.adapters.identity import CognitoTokenVerifier
from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.policy import Department, Market
from chalicelib.domain.staff import Role, StaffMember
from devstack.stack import LocalStack

pytestmark = pytest.mark.integration

PASSWORD = "Staff-Pass-2026!"  # meets the template's policy: 12+, upper, lower, digit, symbol


@pytest.fixture
def idp(local_stack: LocalStack) -> Any:
    return boto3.client(
        "cognito-idp", endpoint_url=local_stack.moto_url, region_name=local_stack.options.region
    )


@pytest.fixture
def verifier(local_stack: LocalStack) -> CognitoTokenVerifier:
    """The verifier of the stack's pool and console client, from the stack's environment."""
    environment = local_stack.environment
    return CognitoTokenVerifier(
        local_stack.options.region, environment["USER_POOL_ID"], environment["USER_POOL_CLIENT_ID"]
    )


def unique_username() -> str:
    """Not one of the demo users (agent, handler, supervisor, ...) nor another test's."""
    return f"it-identity-{secrets.token_hex(4)}"


def create_staff(idp: Any, pool_id: str, username: str, *, group: str | None = "handler") -> None:
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "custom:department", "Value": "claims"},
            {"Name": "custom:market", "Value": "TR"},
        ],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
    if group is not None:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)


def sign_in(idp: Any, client_id: str, username: str) -> dict[str, str]:
    answer = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    result: dict[str, str] = answer["AuthenticationResult"]
    return result


@pytest.fixture
def signed_in(local_stack: LocalStack, idp: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """A new handler of the claims department in Turkey, signed in through the console client."""
    pool_id = local_stack.environment["USER_POOL_ID"]
    username = unique_username()
    create_staff(idp, pool_id, username)
    yield username, sign_in(idp, local_stack.environment["USER_POOL_CLIENT_ID"], username)
    idp.admin_delete_user(UserPoolId=pool_id, Username=username)


def test_the_id_token_of_a_sign_in_gives_the_staff_member(
    local_stack: LocalStack, verifier: CognitoTokenVerifier, signed_in: tuple[str, dict[str, str]]
) -> None:
    username, tokens = signed_in

    member = verifier.verify(f"Bearer {tokens['IdToken']}")

    assert member == StaffMember(
        username=username,
        roles=frozenset({Role.HANDLER}),
        department=Department.CLAIMS,
        market=Market.TR,
    )
    pool_id = local_stack.environment["USER_POOL_ID"]
    assert verifier.jwks_url == f"{local_stack.moto_url}/{pool_id}/.well-known/jwks.json"


def test_the_access_token_of_the_same_sign_in_is_refused(
    verifier: CognitoTokenVerifier, signed_in: tuple[str, dict[str, str]]
) -> None:
    _, tokens = signed_in

    with pytest.raises(Unauthenticated, match="the token is not an ID token"):
        verifier.verify(f"Bearer {tokens['AccessToken']}")


def test_an_id_token_for_another_client_of_the_pool_is_refused(
    local_stack: LocalStack, idp: Any, verifier: CognitoTokenVerifier
) -> None:
    pool_id = local_stack.environment["USER_POOL_ID"]
    other = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"it-identity-other-{secrets.token_hex(4)}",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    username = unique_username()
    try:
        create_staff(idp, pool_id, username)
        tokens = sign_in(idp, other, username)

        with pytest.raises(Unauthenticated, match="the token is for another client"):
            verifier.verify(f"Bearer {tokens['IdToken']}")
    finally:
        idp.admin_delete_user(UserPoolId=pool_id, Username=username)
        idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=other)


def test_an_id_token_of_another_pool_is_refused(
    local_stack: LocalStack, idp: Any, verifier: CognitoTokenVerifier
) -> None:
    """moto signs every pool's tokens with one key, so only `iss` and `aud` tell the pools apart."""
    pool_id = idp.create_user_pool(
        PoolName=f"it-identity-other-{secrets.token_hex(4)}",
        Schema=[
            {"Name": "department", "AttributeDataType": "String", "Mutable": True},
            {"Name": "market", "AttributeDataType": "String", "Mutable": True},
        ],
    )["UserPool"]["Id"]
    try:
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="other-console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        idp.create_group(UserPoolId=pool_id, GroupName="handler")
        username = unique_username()
        create_staff(idp, pool_id, username)
        tokens = sign_in(idp, client_id, username)
        # The same signing key as the stack's pool: the signature alone would let this token in.
        other_verifier = CognitoTokenVerifier(local_stack.options.region, pool_id, client_id)
        assert other_verifier.verify(f"Bearer {tokens['IdToken']}").username == username

        with pytest.raises(Unauthenticated, match="the token is from another issuer"):
            verifier.verify(f"Bearer {tokens['IdToken']}")
    finally:
        idp.delete_user_pool(UserPoolId=pool_id)
