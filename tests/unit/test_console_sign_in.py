"""The sign-in adapter over a stand-in for Cognito: every refusal alike, throttling and outages apart;
renewing with the refresh token and revoking it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters.sign_in import REFUSED, CognitoPasswordSignIn
from chalicelib.domain.errors import StorageUnavailable, TooManyAttempts, Unauthenticated

PASSWORD = "Right-Pass-2026!"


class FakeCognito:
    """Answers InitiateAuth with what a test sets, and remembers what it was asked."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.asked: list[dict[str, Any]] = []
        self.revoked: list[dict[str, Any]] = []

    def initiate_auth(self, **arguments: Any) -> dict[str, Any]:
        self.asked.append(arguments)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def revoke_token(self, **arguments: Any) -> dict[str, Any]:
        self.revoked.append(arguments)
        if isinstance(self.answer, Exception):
            raise self.answer
        return {}


def refusal(code: str, message: str = "no") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "InitiateAuth")


def test_a_good_password_gives_the_id_token_its_lifetime_and_the_refresh_token() -> None:
    cognito = FakeCognito(
        {
            "AuthenticationResult": {
                "IdToken": "id.token.x",
                "AccessToken": "a",
                "RefreshToken": "r",
                "ExpiresIn": 3600,
            }
        }
    )
    signed = CognitoPasswordSignIn(cognito, "client-1").sign_in("handler", PASSWORD)
    assert (signed.id_token, signed.expires_in) == ("id.token.x", 3600)
    assert cognito.asked == [
        {
            "ClientId": "client-1",
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "handler", "PASSWORD": PASSWORD},
        }
    ]
    assert signed.refresh_token == "r"
    assert "a" not in vars(signed).values()  # the access token is not kept


def test_a_refresh_token_gives_a_new_id_token() -> None:
    cognito = FakeCognito({"AuthenticationResult": {"IdToken": "id.2", "AccessToken": "a", "ExpiresIn": 900}})
    renewed = CognitoPasswordSignIn(cognito, "client-1").refresh("refresh.token")
    assert (renewed.id_token, renewed.expires_in, renewed.refresh_token) == ("id.2", 900, None)
    assert cognito.asked == [
        {
            "ClientId": "client-1",
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {"REFRESH_TOKEN": "refresh.token"},
        }
    ]


@pytest.mark.parametrize(
    "answer",
    [refusal("NotAuthorizedException", "Refresh Token has been revoked"), {"AuthenticationResult": {}}],
    ids=["revoked", "no-token"],
)
def test_a_refused_refresh_token_is_unauthenticated(answer: dict[str, Any] | Exception) -> None:
    with pytest.raises(Unauthenticated):
        CognitoPasswordSignIn(FakeCognito(answer), "client-1").refresh("refresh.token")


@pytest.mark.parametrize("token", ["", "r" * 4097])
def test_an_empty_or_oversized_refresh_token_is_refused_without_asking(token: str) -> None:
    cognito = FakeCognito({})
    with pytest.raises(Unauthenticated):
        CognitoPasswordSignIn(cognito, "client-1").refresh(token)
    CognitoPasswordSignIn(cognito, "client-1").revoke(token)
    assert cognito.asked == cognito.revoked == []


def test_signing_out_revokes_the_refresh_token() -> None:
    cognito = FakeCognito({})
    CognitoPasswordSignIn(cognito, "client-1").revoke("refresh.token")
    assert cognito.revoked == [{"Token": "refresh.token", "ClientId": "client-1"}]


@pytest.mark.parametrize("code", ["NotAuthorizedException", "UnsupportedTokenTypeException"])
def test_revoking_a_token_already_dead_is_not_an_error(code: str) -> None:
    CognitoPasswordSignIn(FakeCognito(refusal(code)), "client-1").revoke("refresh.token")


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (refusal("TooManyRequestsException"), TooManyAttempts),
        (refusal("InternalErrorException"), StorageUnavailable),
        (EndpointConnectionError(endpoint_url="x"), StorageUnavailable),
    ],
)
def test_revoking_says_when_it_could_not(failure: Exception, error: type[Exception]) -> None:
    with pytest.raises(error):
        CognitoPasswordSignIn(FakeCognito(failure), "client-1").revoke("refresh.token")


@pytest.mark.parametrize(
    "answer",
    [
        refusal("NotAuthorizedException", "Incorrect username or password."),
        refusal("NotAuthorizedException", "Password attempts exceeded"),
        refusal("UserNotFoundException", "User does not exist."),
        refusal("UserNotConfirmedException"),
        refusal("PasswordResetRequiredException"),
        {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s"},
        {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s"},
        {"AuthenticationResult": {}},
    ],
    ids=["wrong", "locked", "unknown", "unconfirmed", "reset", "new-password", "mfa", "no-token"],
)
def test_every_refusal_is_the_same_error_with_the_same_words(answer: dict[str, Any] | Exception) -> None:
    with pytest.raises(Unauthenticated) as refused:
        CognitoPasswordSignIn(FakeCognito(answer), "client-1").sign_in("handler", PASSWORD)
    assert str(refused.value) == REFUSED
    assert PASSWORD not in repr(refused.value)


@pytest.mark.parametrize(("username", "password"), [("", PASSWORD), ("handler", ""), ("x" * 129, PASSWORD)])
def test_an_empty_or_oversized_credential_is_refused_without_asking(username: str, password: str) -> None:
    cognito = FakeCognito({})
    with pytest.raises(Unauthenticated):
        CognitoPasswordSignIn(cognito, "client-1").sign_in(username, password)
    assert cognito.asked == []


@pytest.mark.parametrize("code", ["TooManyRequestsException", "LimitExceededException"])
def test_throttling_is_429_with_a_wait(code: str) -> None:
    with pytest.raises(TooManyAttempts) as throttled:
        CognitoPasswordSignIn(FakeCognito(refusal(code)), "client-1").sign_in("handler", PASSWORD)
    assert throttled.value.retry_after_seconds == 60


@pytest.mark.parametrize(
    "failure",
    [
        refusal("InternalErrorException"),
        refusal("ResourceNotFoundException"),
        EndpointConnectionError(endpoint_url="x"),
    ],
)
def test_an_outage_or_a_wrong_client_is_503_not_a_refusal(failure: Exception) -> None:
    with pytest.raises(StorageUnavailable):
        CognitoPasswordSignIn(FakeCognito(failure), "client-1").sign_in("handler", PASSWORD)
