"""Staff sign-in with a username and a password: Cognito's `InitiateAuth` (`USER_PASSWORD_AUTH`).

Rules:

- Every refusal looks the same to the caller, `Unauthenticated("sign-in
  refused")`: a wrong password, an unknown or unconfirmed user, a user who
  must set a new password first or answer any other challenge. The console
  says one thing for all of them, so that nobody learns from it which
  usernames exist (the pool's client also has PreventUserExistenceErrors).
- Cognito's throttling is `TooManyAttempts` (429, try again later); an
  outage or a misconfigured client is `StorageUnavailable` (503).
- Only the ID token is kept: the console's session is that token in a
  cookie. The access and refresh tokens Cognito also returns are dropped here.
- The password and the tokens never appear in an error or a log line
  (Cognito's own error messages, chained, quote neither).

`InitiateAuth` is an unauthenticated Cognito API: AWS does not evaluate IAM
policies for it, so the functions' role needs no permission for it.
"""

from __future__ import annotations

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

#: Cognito error codes that mean "not this user with this password", told apart from nothing else.
_REFUSALS: Final = frozenset(
    {
        "NotAuthorizedException",
        "UserNotFoundException",
        "UserNotConfirmedException",
        "PasswordResetRequiredException",
        "InvalidParameterException",
    }
)
_THROTTLED: Final = frozenset({"TooManyRequestsException", "LimitExceededException"})


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the ID token, and for how many seconds Cognito says it is valid."""

    id_token: str
    expires_in: int


class CognitoPasswordSignIn:
    """Signs staff in to one user pool app client; see the module's docstring."""

    def __init__(self, cognito_idp_client: Any, client_id: str) -> None:
        self._client = cognito_idp_client
        self._client_id = client_id

    def sign_in(self, username: str, password: str) -> SignedIn:
        """The ID token of this user; `Unauthenticated` for any refusal, whatever its reason."""
        if not (0 < len(username) <= USERNAME_MAX and 0 < len(password) <= PASSWORD_MAX):
            raise Unauthenticated(REFUSED)
        try:
            answer = self._client.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _REFUSALS:
                raise Unauthenticated(REFUSED) from exc
            if code in _THROTTLED:
                raise TooManyAttempts("sign-in is throttled", THROTTLED_RETRY_SECONDS) from exc
            raise StorageUnavailable("the identity provider refused the request", {"code": code}) from exc
        except BotoCoreError as exc:
            reason = type(exc).__name__
            raise StorageUnavailable("the identity provider cannot be reached", {"reason": reason}) from exc
        result = answer.get("AuthenticationResult") or {}
        token = result.get("IdToken")
        if answer.get("ChallengeName") or not isinstance(token, str) or not token:
            # NEW_PASSWORD_REQUIRED, MFA and the like: the console cannot answer them.
            raise Unauthenticated(REFUSED)
        expires_in = result.get("ExpiresIn")
        return SignedIn(token, expires_in if isinstance(expires_in, int) and expires_in > 0 else 3600)
