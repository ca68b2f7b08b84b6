"""Verifying staff ID tokens of the Cognito user pool, the same way locally and on AWS.

Staff requests carry `Authorization: Bearer <ID token>`. `CognitoTokenVerifier`
checks, in this order, and refuses with `Unauthenticated` at the first failure:

- the header is `Bearer <token>` (the scheme in any case);
- the token's header names RS256 and a key id (`alg: none`, HS256 and every
  other algorithm are refused before any key is looked up);
- the signature, with that key of the pool's JWKS;
- `iss` is the pool, `token_use` is `id`, `aud` is the app client;
- `exp` is in the future and `iat` is present (both up to `leeway` seconds,
  on the injected clock); `nbf`, if present, is in the past.

Reasons are short and fixed: they never quote the token or any part of it,
and errors from the JWT library are not chained, so that no log line carries
a token either.

The JWKS is fetched on the first verification (not at import or
construction) and kept for the life of the container. A token whose key id
is unknown causes one re-fetch at most, and re-fetches are rate-limited (one
per `REFETCH_INTERVAL` seconds), so random key ids cannot make us hammer the
JWKS endpoint. A JWKS that cannot be fetched raises `StorageUnavailable`
(503: the client may try again), never `Unauthenticated`.

Where the keys come from (`jwks_url_for`): the pool's JWKS on AWS, or, when
`AWS_ENDPOINT_URL` points the process at the local emulator, the same path on
the emulator, which serves the JWKS of its pools there. The verification
itself is the same code in both cases. `AWS_ENDPOINT_URL` must never be set
in a deployed function: moto signs the tokens of every pool with one key
that ships inside moto, so anyone can mint tokens that its JWKS accepts.

PyJWT (and, through it, `cryptography`) and urllib3 are imported on the
first verification, not when this module is imported: functions that never
verify a token do not pay for them at cold start.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from chalicelib.domain.errors import ConfigurationError, StorageUnavailable, Unauthenticated
from chalicelib.domain.staff import StaffMember, staff_from_claims

if TYPE_CHECKING:
    import urllib3
    from jwt import PyJWK

#: The only signature algorithm accepted (Cognito signs with RS256).
ALGORITHM: Final = "RS256"
#: At most one JWKS re-fetch for an unknown key id in this many seconds.
REFETCH_INTERVAL: Final = 60.0
#: After a failed fetch, no new attempt for this many seconds (503 at once meanwhile).
FAILED_FETCH_BACKOFF: Final = 5.0
CONNECT_TIMEOUT: Final = 2.0
READ_TIMEOUT: Final = 5.0
#: Longer "tokens" are refused before any parsing (Cognito ID tokens are a few KiB).
MAX_TOKEN_CHARS: Final = 16_384
#: A JWKS document larger than this is not the pool's.
MAX_JWKS_BYTES: Final = 1 << 20

KEYS_UNAVAILABLE: Final = "the identity provider's keys could not be fetched"

#: Fetches the JWKS document at a URL. Raises `StorageUnavailable` (or
#: `OSError` / `ValueError`, which mean the same) when it cannot.
JwksFetcher = Callable[[str], Mapping[str, Any]]


def issuer_for(region: str, user_pool_id: str) -> str:
    """The `iss` of the pool's tokens; the same locally, where the emulator imitates it."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_url_for(region: str, user_pool_id: str, environ: Mapping[str, str]) -> str:
    """Where the pool's JWKS is: on the emulator when `AWS_ENDPOINT_URL` is set, else on AWS."""
    endpoint = (environ.get("AWS_ENDPOINT_URL") or "").strip().rstrip("/")
    if endpoint:
        return f"{endpoint}/{user_pool_id}/.well-known/jwks.json"
    return f"{issuer_for(region, user_pool_id)}/.well-known/jwks.json"


class HttpJwksFetcher:
    """GETs a JWKS document over HTTP(S), giving up in seconds (2 s connect, 5 s read, no retry).

    Redirects are not followed: the JWKS is at a known URL.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        self._timeouts = (connect_timeout, read_timeout)
        self._pool = pool

    def __call__(self, url: str) -> Mapping[str, Any]:
        import urllib3

        if self._pool is None:
            self._pool = urllib3.PoolManager()
        connect_timeout, read_timeout = self._timeouts
        try:
            response = self._pool.request(
                "GET",
                url,
                headers={"Accept": "application/json"},
                timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
                retries=False,
                redirect=False,
                preload_content=False,
            )
            try:
                body = response.read(MAX_JWKS_BYTES + 1)
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": type(exc).__name__}) from exc
        if response.status != 200:
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": f"HTTP {response.status}"})
        if len(body) > MAX_JWKS_BYTES:
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": "the document is too large"})
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": "the document is not JSON"}) from exc
        if not isinstance(document, dict):
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": "the document is not a JWKS"})
        return document


class CognitoTokenVerifier:
    """Verifies the ID tokens of one user pool's app client; see the module's docstring."""

    def __init__(
        self,
        region: str,
        user_pool_id: str,
        client_id: str,
        *,
        jwks_url: str | None = None,
        clock: Callable[[], float] = time.time,
        leeway: int = 30,
        fetch: JwksFetcher | None = None,
    ) -> None:
        if not (region and user_pool_id and client_id):
            raise ConfigurationError("the token verifier needs a region, a user pool id and a client id")
        if leeway < 0:
            raise ConfigurationError("the token verifier's leeway cannot be negative")
        self.issuer = issuer_for(region, user_pool_id)
        self.jwks_url = jwks_url or jwks_url_for(region, user_pool_id, os.environ)
        self._client_id = client_id
        self._clock = clock
        self._leeway = leeway
        self._fetch: JwksFetcher = fetch if fetch is not None else HttpJwksFetcher()
        self._lock = threading.Lock()
        self._keys: dict[str, PyJWK] | None = None
        self._no_fetch_before = float("-inf")

    def verify(self, authorization_header: str | None) -> StaffMember:
        """The staff member the header's ID token names; `Unauthenticated` if it is not valid.

        Raises `StorageUnavailable` when the pool's keys cannot be fetched.
        """
        import jwt

        token = _bearer_token(authorization_header)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("the token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("the token is not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the token names no signing key")
        key = self._signing_key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                # Only the signature here: the claims are checked below, on our clock.
                options={
                    "verify_signature": True,
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_iss": False,
                    "verify_jti": False,
                    "verify_nbf": False,
                    "verify_sub": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the token's signature is not valid") from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is malformed") from None
        self._check_claims(claims)
        return staff_from_claims(claims)

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise Unauthenticated("the token is from another issuer")
        # Before `aud`: Cognito's access tokens have no `aud` (they have `client_id`).
        if claims.get("token_use") != "id":
            raise Unauthenticated("the token is not an ID token")
        if claims.get("aud") != self._client_id:
            raise Unauthenticated("the token is for another client")
        now = self._clock()
        exp = _number(claims, "exp")
        if exp is None:
            raise Unauthenticated("the token has no expiry")
        if now >= exp + self._leeway:
            raise Unauthenticated("the token has expired")
        iat = _number(claims, "iat")
        if iat is None:
            raise Unauthenticated("the token has no issue time")
        if iat > now + self._leeway:
            raise Unauthenticated("the token was issued in the future")
        if "nbf" in claims:
            nbf = _number(claims, "nbf")
            if nbf is None or nbf > now + self._leeway:
                raise Unauthenticated("the token is not valid yet")

    def _signing_key(self, kid: str) -> PyJWK:
        """The pool's key `kid`: fetched on first use, re-fetched once (rate-limited) if unknown."""
        with self._lock:
            if self._keys is None:
                if self._clock() < self._no_fetch_before:
                    raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": "a recent fetch failed"})
                self._keys = self._fetch_keys()
            elif kid not in self._keys and self._clock() >= self._no_fetch_before:
                self._keys = self._fetch_keys()
            key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("the token's signing key is not the pool's")
        return key

    def _fetch_keys(self) -> dict[str, PyJWK]:
        """The pool's RS256 signing keys by key id; the next fetch is allowed later, success or not."""
        self._no_fetch_before = self._clock() + FAILED_FETCH_BACKOFF
        try:
            document = self._fetch(self.jwks_url)
        except StorageUnavailable:
            raise
        except (OSError, ValueError) as exc:
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": type(exc).__name__}) from exc
        keys = _rs256_keys(document)
        if not keys:
            raise StorageUnavailable(KEYS_UNAVAILABLE, {"reason": "the JWKS has no RS256 signing key"})
        self._no_fetch_before = self._clock() + REFETCH_INTERVAL
        return keys


def _rs256_keys(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """The RSA signature keys of a JWKS document that may sign RS256, by key id; others are ignored."""
    import jwt

    keys: dict[str, PyJWK] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            keys[kid] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            continue
    return keys


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header:
        raise Unauthenticated("the request has no Authorization header")
    parts = authorization_header.split()
    if len(parts) != 2 or parts[0].casefold() != "bearer":
        raise Unauthenticated("the Authorization header is not 'Bearer <token>'")
    token = parts[1]
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated("the token is too long")
    return token


def _number(claims: Mapping[str, Any], name: str) -> int | float | None:
    """A numeric claim (seconds since the epoch), or None if it is missing or not a finite number."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
