"""Staff ID tokens for tests: a user pool's RSA key made here, its JWKS, and `mint`.

The verifier under test is the real `CognitoTokenVerifier`; only the JWKS
fetch is injected (it serves this module's key), so signature, issuer,
audience, expiry and token use are checked exactly as on AWS, without a
network. The keys are made once per test session.

    from tests.staff_tokens import bearer, mint, verifier
    container.identity = verifier()
    api.http.get(path, headers=bearer(mint("ayse", ["handler"], "claims", "TR")))
"""

from __future__ import annotations

import base64
import functools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.identity import CognitoTokenVerifier, issuer_for

REGION = "eu-central-1"
POOL = "eu-central-1_Test5taff"
CLIENT = "staffconsoletestclient01"
OTHER_CLIENT = "someotherappclient000002"
ISSUER = issuer_for(REGION, POOL)
KID = "test-pool-key-1"
JWKS_URL = "https://keys.invalid/jwks.json"
LIFETIME = 3600

#: A claim given this value is left out of the token.
OMIT: Any = object()


@functools.cache
def pool_key() -> rsa.RSAPrivateKey:
    """The key the pool signs with (its public half is in the JWKS)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def forger_key() -> rsa.RSAPrivateKey:
    """Someone else's key: tokens it signs name the pool's key id, but their signatures fail."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwks() -> dict[str, Any]:
    """The pool's JWKS document, as Cognito serves it."""
    numbers = pool_key().public_key().public_numbers()
    entry = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID, "n": _b64url_int(numbers.n), "e": "AQAB"}
    return {"keys": [entry]}


def fetch(url: str) -> Mapping[str, Any]:
    """The injected JWKS fetcher: serves `jwks()` whatever the URL."""
    return jwks()


def verifier(clock: Callable[[], float] = time.time) -> CognitoTokenVerifier:
    """A real verifier of this pool's tokens, fetching its keys from `fetch`."""
    return CognitoTokenVerifier(REGION, POOL, CLIENT, jwks_url=JWKS_URL, clock=clock, fetch=fetch)


def claims(
    username: str,
    groups: Iterable[str],
    department: str | None = None,
    market: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """The claims of a valid ID token for this member, with `overrides` applied (OMIT removes one)."""
    now = int(time.time())
    values: dict[str, Any] = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "auth_time": now - 60,
        "iat": now - 60,
        "exp": now - 60 + LIFETIME,
        "cognito:username": username,
        "cognito:groups": list(groups),
    }
    if department is not None:
        values["custom:department"] = department
    if market is not None:
        values["custom:market"] = market
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not OMIT}


def mint(
    username: str,
    groups: Iterable[str],
    department: str | None = None,
    market: str | None = None,
    *,
    key: rsa.RSAPrivateKey | None = None,
    kid: str = KID,
    **claim_overrides: Any,
) -> str:
    """A signed ID token of the pool (or of `key`, for forgeries), under the key id `kid`."""
    body = claims(username, groups, department, market, **claim_overrides)
    return jwt.encode(body, key or pool_key(), algorithm="RS256", headers={"kid": kid})


def forged(
    username: str, groups: Iterable[str], department: str | None = None, market: str | None = None
) -> str:
    """A token with perfect claims and the pool's key id, signed by another key."""
    return mint(username, groups, department, market, key=forger_key())


def expired(
    username: str, groups: Iterable[str], department: str | None = None, market: str | None = None
) -> str:
    """A token that expired an hour ago (well past any leeway)."""
    now = int(time.time())
    return mint(username, groups, department, market, iat=now - 2 * LIFETIME, exp=now - LIFETIME)


def for_another_client(
    username: str, groups: Iterable[str], department: str | None = None, market: str | None = None
) -> str:
    """A genuine token of the pool, issued to another app client."""
    return mint(username, groups, department, market, aud=OTHER_CLIENT)


def bearer(token: str, **headers: str) -> dict[str, str]:
    """Request headers carrying the token (JSON bodies by default)."""
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}


class Member:
    """A staff member of the pool: who they are, and their tokens."""

    def __init__(
        self,
        username: str,
        groups: Iterable[str] = (),
        department: str | None = None,
        market: str | None = None,
    ) -> None:
        self.username = username
        self.groups = tuple(groups)
        self.department = department
        self.market = market

    def __repr__(self) -> str:
        return self.username

    def token(self, **claim_overrides: Any) -> str:
        return mint(self.username, self.groups, self.department, self.market, **claim_overrides)

    def headers(self, **extra: str) -> dict[str, str]:
        return bearer(self.token(), **extra)


#: The members most tests need: one per role, and the neighbours that must be refused.
AGENT_TR = Member("agent.tr", ["agent"], "customer_services", "TR")
AGENT_IR = Member("agent.ir", ["agent"], "customer_services", "IR")
HANDLER_CLAIMS_TR = Member("handler.claims.tr", ["handler"], "claims", "TR")
HANDLER_SERVICES_TR = Member("handler.cs.tr", ["handler"], "customer_services", "TR")
HANDLER_CLAIMS_IR = Member("handler.claims.ir", ["handler"], "claims", "IR")
SUPERVISOR_TR = Member("supervisor.tr", ["supervisor"], None, "TR")
SUPERVISOR_IR = Member("supervisor.ir", ["supervisor"], None, "IR")
AUDITOR = Member("auditor", ["auditor"])
NO_ROLE = Member("nobody.tr", [], "claims", "TR")
