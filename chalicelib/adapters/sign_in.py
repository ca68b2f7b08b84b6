"""Staff sign-in with a username and a password: Cognito's `InitiateAuth` (`USER_PASSWORD_AUTH`).

Rules:

- Every refusal looks the same to the caller, `Unauthenticated("sign-in
  refused")`: a wrong password, an unknown or unconfirmed user, a user who
  must set a new password first or answer any other challenge. The console
  says one thing for all of them, so that nobody learns from it which
  usernames exist (the pool's client also has PreventUserExistenceErrors).
- Cognito's throttling is `TooManyAttempts` (429, try again later); an
  outage or a misconfigured client is `StorageUnavailable` (503).
- The ID token and the refresh token are kept (the console's session is
  their two cookies); the access token is dropped here.
- `refresh` exchanges the refresh token for a new ID token
  (`REFRESH_TOKEN_AUTH`): a refused one (expired, revoked) is
  `Unauthenticated`, like a refused password.
- `revoke` revokes the refresh token (`RevokeToken`; the pool client has
  token revocation on), so that a signed-out session cannot be renewed.
- The password and the tokens never appear in an error or a log line
  (Cognito's own error messages, chained, quote neither).

`InitiateAuth` and `RevokeToken` are unauthenticated Cognito APIs: AWS does
not evaluate IAM policies for them, so the functions' role needs no
permission for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from chalicelib.domain.errors import StorageUnavailable, TooManyAttempts, Unauthenticated

REFUSED: Final = "sign-in refused"
#: How long a throttled sign-in is asked to wait before trying again, in seconds.
THROTTLED_RETRY_SECONDS: Final = 60
#: Longest username and password passed on (Cognito's own limits are 128 and 256).
USERNAME_MAX: Final = 128
PASSWORD_MAX: Final = 256
#: Longest refresh token passed on (Cognito's are about 1,800 characters).
REFRESH_TOKEN_MAX: Final = 4096

#: Cognito error codes that mean "not this user with this password" (or "not a token it will take"),
#: told apart from nothing else.
_REFUSALS: Final = frozenset(
    {
        "NotAuthorizedException",
        "UserNotFoundException",
        "UserNotConfirmedException",
        "PasswordResetRequiredException",
        "InvalidParameterException",
        "UnsupportedTokenTypeException",
    }
)
_THROTTLED: Final = frozenset({"TooManyRequestsException", "LimitExceededException"})


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in or renewal: the ID token, its life in seconds, and the refresh token."""

    id_token: str
    expires_in: int
    #: None after a renewal (Cognito does not rotate it), and from a pool client that gives none.
    refresh_token: str | None = None


class CognitoPasswordSignIn:
    """Signs staff in to one user pool app client; see the module's docstring."""

    def __init__(self, cognito_idp_client: Any, client_id: str) -> None:
        self._client = cognito_idp_client
        self._client_id = client_id

    def sign_in(self, username: str, password: str) -> SignedIn:
        """The ID token of this user; `Unauthenticated` for any refusal, whatever its reason."""
        if not (0 < len(username) <= USERNAME_MAX and 0 < len(password) <= PASSWORD_MAX):
            raise Unauthenticated(REFUSED)
        return self._tokens("USER_PASSWORD_AUTH", {"USERNAME": username, "PASSWORD": password})

    def refresh(self, refresh_token: str) -> SignedIn:
        """A new ID token for a refresh token; `Unauthenticated` once it has expired or been revoked."""
        if not 0 < len(refresh_token) <= REFRESH_TOKEN_MAX:
            raise Unauthenticated(REFUSED)
        return self._tokens("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token})

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (and the tokens it gave): a signed-out session is not renewed."""
        if not 0 < len(refresh_token) <= REFRESH_TOKEN_MAX:
            return
        try:
            with _translated("sign-out"):
                self._client.revoke_token(Token=refresh_token, ClientId=self._client_id)
        except Unauthenticated:
            return  # already expired, revoked or never valid: nothing left to revoke

    def _tokens(self, flow: str, parameters: dict[str, str]) -> SignedIn:
        with _translated("sign-in"):
            answer = self._client.initiate_auth(
                ClientId=self._client_id, AuthFlow=flow, AuthParameters=parameters
            )
        result = answer.get("AuthenticationResult") or {}
        token = result.get("IdToken")
        if answer.get("ChallengeName") or not isinstance(token, str) or not token:
            # NEW_PASSWORD_REQUIRED, MFA and the like: the console cannot answer them.
            raise Unauthenticated(REFUSED)
        expires_in = result.get("ExpiresIn")
        refresh = result.get("RefreshToken")
        return SignedIn(
            token,
            expires_in if isinstance(expires_in, int) and expires_in > 0 else 3600,
            refresh if isinstance(refresh, str) and refresh else None,
        )


@contextmanager
def _translated(doing: str) -> Iterator[None]:
    """Cognito's errors as the console's: a refusal, throttling (429), or an outage (503)."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _REFUSALS:
            raise Unauthenticated(REFUSED) from exc
        if code in _THROTTLED:
            raise TooManyAttempts(f"{doing} is throttled", THROTTLED_RETRY_SECONDS) from exc
        raise StorageUnavailable("the identity provider refused the request", {"code": code}) from exc
    except BotoCoreError as exc:
        reason = type(exc).__name__
        raise StorageUnavailable("the identity provider cannot be reached", {"reason": reason}) from exc
