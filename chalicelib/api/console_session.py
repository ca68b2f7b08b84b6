"""The staff console's session: the signed-in member's ID token in a cookie, and the tokens of its forms.

Rules:

- The session is two cookies (both HttpOnly, Secure, SameSite=Strict,
  Path=/): the Cognito ID token itself (`__Host-cd-session`), kept by the
  browser for as long as the token is valid, and the renewal
  (`__Host-cd-renew`): when the session ends (sign-in time plus
  CONSOLE_SESSION_HOURS), then the refresh token. Nothing is stored on the
  server: every request verifies the ID token (signature, issuer, audience,
  expiry) with the staff API's verifier.
- When the ID token has expired (the pool client's IdTokenValidity), the
  request renews it with the refresh token and carries on, a post included:
  nothing typed is lost. When the session has ended, or Cognito refuses the
  refresh token (it expired, or signing out revoked it), the request goes to
  the sign-in page, with where it was going as `next`.
- Every form posted in a session carries a synchronizer token: HMAC-SHA256 of
  the session's binding under the console key. The binding is the renewal
  cookie's value, which stays the same for the whole session, so a form drawn
  before a renewal (in another tab) is still accepted after it; a session
  without one (signed in before renewals existed) is bound to its ID token.
  The sign-in form, posted before
  there is a session, carries the HMAC of a random nonce that a short-lived
  cookie of its own holds (`__Host-cd-sign-in`). A post without its token,
  or with a wrong one, is refused before anything else is done. Tokens are
  compared in constant time.
- `next` is a path of the console in one of its languages, never anything
  that could lead to another origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.staff import StaffMember

SESSION_COOKIE: Final = "__Host-cd-session"
RENEW_COOKIE: Final = "__Host-cd-renew"
SIGN_IN_COOKIE: Final = "__Host-cd-sign-in"
#: How long a sign-in form may wait before it is sent, in seconds.
SIGN_IN_FORM_SECONDS: Final = 1800
#: The form field that carries the token.
TOKEN_FIELD: Final = "csrf"  # noqa: S105 - a field's name, not a secret
NEXT_MAX: Final = 1024
_COOKIE_MAX: Final = 8192
_ATTRIBUTES: Final = "Path=/; Secure; HttpOnly; SameSite=Strict"
#: A console path: its language, non-empty segments of unreserved characters, an optional query.
_NEXT: Final = re.compile(r"/(?:fa|tr|en)/console(?:/[\w.~%+=:@-]+)*/?(?:\?[\w.~%&=+:@/-]*)?", re.ASCII)
_NOT_NEXT: Final = ("sign-in", "sign-out")


@dataclass(frozen=True)
class Session:
    """A signed-in member: who they are, their ID token, and when the session ends."""

    token: str
    staff: StaffMember
    #: When the ID token expires (a request after it renews the token, if the session has not ended).
    expires_at: datetime
    #: When the session ends: the renewal's end, or without one the ID token's expiry.
    ends_at: datetime
    #: What the session's form tokens are bound to: the renewal cookie's value, or the ID token.
    binding: str


@dataclass(frozen=True)
class Renewal:
    """The renewal cookie: when the session ends, and the refresh token that renews its ID token.

    The cookie is sealed with an HMAC under the console key: a member cannot move the session's
    end, and a cookie not made here is no session.
    """

    ends_at: datetime
    refresh_token: str

    def seal(self, key: bytes) -> str:
        """The cookie's value: `<end, Unix seconds>~<HMAC>~<refresh token>`."""
        ends = str(int(self.ends_at.timestamp()))
        return f"{ends}~{_mac(key, 'renew', f'{ends}~{self.refresh_token}')}~{self.refresh_token}"

    @classmethod
    def open(cls, value: str | None, key: bytes) -> Renewal | None:
        """The renewal a cookie holds; None for none, or for anything `seal` did not make with `key`."""
        ends, _, rest = (value or "").partition("~")
        mac, _, refresh_token = rest.partition("~")
        if not (ends.isascii() and ends.isdigit() and len(ends) <= 10 and mac and refresh_token):
            return None
        if not token_matches(_mac(key, "renew", f"{ends}~{refresh_token}"), mac):
            return None
        return cls(datetime.fromtimestamp(int(ends), UTC), refresh_token)


class TokenVerifier(Protocol):
    """What verifies an ID token: the staff API's CognitoTokenVerifier."""

    def verify(self, authorization_header: str | None) -> StaffMember: ...


def cookies(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's cookies by name (the first of a repeated name); an oversized header gives none."""
    raw = headers.get("cookie") or ""
    if len(raw) > _COOKIE_MAX:
        return {}
    found: dict[str, str] = {}
    for part in raw.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in found:
            found[name] = value.strip().strip('"')
    return found


def open_session(
    token: str | None, verifier: TokenVerifier, renew: str | None = None, key: bytes = b""
) -> Session:
    """The session of a cookie's token, verified now; `Unauthenticated` if there is none or it is invalid.

    `renew` is the renewal cookie's value, if any (checked with the console `key`): it sets the
    session's end and binding.
    """
    if not token:
        raise Unauthenticated("no session")
    staff = verifier.verify(f"Bearer {token}")
    expires_at = _expiry(token)
    renewal = Renewal.open(renew, key) if renew and key else None
    if renewal is None or renew is None:
        return Session(token, staff, expires_at, expires_at, token)
    return Session(token, staff, expires_at, renewal.ends_at, renew)


def _expiry(token: str) -> datetime:
    """The `exp` of a token already verified."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(float(claims["exp"]), UTC)
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise Unauthenticated("the token has no expiry") from exc


def session_cookie(token: str, max_age: int) -> str:
    """The Set-Cookie value that opens a session for `max_age` seconds."""
    return f"{SESSION_COOKIE}={token}; Max-Age={max(0, max_age)}; {_ATTRIBUTES}"


def renew_cookie(sealed: str, max_age: int) -> str:
    """The Set-Cookie value of the session's renewal (`Renewal.seal`), kept until the session ends."""
    return f"{RENEW_COOKIE}={sealed}; Max-Age={max(0, max_age)}; {_ATTRIBUTES}"


def sign_in_cookie(nonce: str) -> str:
    return f"{SIGN_IN_COOKIE}={nonce}; Max-Age={SIGN_IN_FORM_SECONDS}; {_ATTRIBUTES}"


def cleared(name: str) -> str:
    """The Set-Cookie value that removes a cookie of the console."""
    return f"{name}=; Max-Age=0; {_ATTRIBUTES}"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def form_token(key: bytes, binding: str) -> str:
    """The token every form of a session carries, bound to the session's `binding`."""
    return _mac(key, "session", binding)


def sign_in_token(key: bytes, nonce: str) -> str:
    """The token the sign-in form carries, bound to the nonce of its cookie."""
    return _mac(key, "sign-in", nonce)


def _mac(key: bytes, label: str, value: str) -> str:
    digest = hmac.new(key, f"{label}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_matches(expected: str, given: Any) -> bool:
    """Whether a posted token is the expected one, compared in constant time."""
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


def safe_next(raw: Any) -> str | None:
    """A console path to go to after signing in, or None if `raw` is not one."""
    if not isinstance(raw, str) or not 0 < len(raw) <= NEXT_MAX or not _NEXT.fullmatch(raw):
        return None
    path = raw.split("?", 1)[0]
    segments = path.split("/")
    if ".." in segments or "." in segments or (len(segments) > 3 and segments[3] in _NOT_NEXT):
        return None
    return raw
