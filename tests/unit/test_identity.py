"""CognitoTokenVerifier with keys made here and an injected JWKS fetcher: no network."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.identity import (
    FAILED_FETCH_BACKOFF,
    KEYS_UNAVAILABLE,
    REFETCH_INTERVAL,
    CognitoTokenVerifier,
    HttpJwksFetcher,
    issuer_for,
    jwks_url_for,
)
from chalicelib.domain.errors import StorageUnavailable, Unauthenticated
from chalicelib.domain.policy import Department, Market
from chalicelib.domain.staff import Role, StaffMember

REGION = "eu-central-1"
POOL = "eu-central-1_AbCdEf123"
CLIENT = "3n4b5urk1ft4fl3mg5e62d9ado"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
KID = "key-2026"
NOW = 1_800_000_000.0
JWKS_URL = "https://keys.test/jwks.json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_int(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": b64url_int(numbers.n), "e": "AQAB"}


@pytest.fixture(scope="module")
def pool_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Fetcher:
    """Serves a JWKS document and counts the fetches; `failure` makes it raise instead."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.urls: list[str] = []
        self.failure: Exception | None = None

    def __call__(self, url: str) -> Mapping[str, Any]:
        self.urls.append(url)
        if self.failure is not None:
            raise self.failure
        return self.document


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetcher(pool_key: rsa.RSAPrivateKey) -> Fetcher:
    return Fetcher({"keys": [jwk(pool_key, KID)]})


@pytest.fixture
def verifier(clock: Clock, fetcher: Fetcher) -> CognitoTokenVerifier:
    return CognitoTokenVerifier(REGION, POOL, CLIENT, jwks_url=JWKS_URL, clock=clock, fetch=fetcher)


def id_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "7f1c2d3e-aaaa-bbbb-cccc-000000000001",
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "auth_time": int(NOW) - 60,
        "iat": int(NOW) - 60,
        "exp": int(NOW) + 3540,
        "cognito:username": "handler-unit",
        "cognito:groups": ["handler"],
        "custom:department": "claims",
        "custom:market": "TR",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: Mapping[str, Any], key: rsa.RSAPrivateKey, kid: str = KID) -> str:
    return jwt.encode(dict(claims), key, algorithm="RS256", headers={"kid": kid})


def unsigned(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """header.payload, base64url-encoded, without a signature yet."""
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refused(verifier: CognitoTokenVerifier, header: str | None) -> str:
    """The reason the verifier gives; it never quotes the token."""
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(header)
    reason = str(caught.value)
    words = (header or "").split()
    token = words[-1] if words else ""
    if len(token) > 10:
        assert token not in reason
        for part in token.split("."):
            assert len(part) < 8 or part not in reason
    return reason


# --- a good token ----------------------------------------------------------------------------------


def test_a_good_id_token_gives_the_staff_member(verifier, pool_key, fetcher) -> None:
    member = verifier.verify(bearer(sign(id_claims(), pool_key)))

    assert member == StaffMember(
        username="handler-unit",
        roles=frozenset({Role.HANDLER}),
        department=Department.CLAIMS,
        market=Market.TR,
    )
    assert fetcher.urls == [JWKS_URL]


def test_the_scheme_is_case_insensitive_and_keys_are_fetched_once(verifier, pool_key, fetcher) -> None:
    token = sign(id_claims(), pool_key)

    for header in (f"bearer {token}", f"BEARER {token}", f"  Bearer   {token}  "):
        assert verifier.verify(header).username == "handler-unit"
    assert len(fetcher.urls) == 1


def test_nothing_is_fetched_before_the_first_verification(clock, fetcher) -> None:
    CognitoTokenVerifier(REGION, POOL, CLIENT, jwks_url=JWKS_URL, clock=clock, fetch=fetcher)

    assert fetcher.urls == []


def test_within_the_leeway_an_expired_token_still_passes(verifier, pool_key, clock) -> None:
    token = sign(id_claims(exp=int(NOW)), pool_key)
    clock.now = NOW + 29

    assert verifier.verify(bearer(token)).username == "handler-unit"


# --- the header ------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_header_is_refused(verifier, header, fetcher) -> None:
    assert refused(verifier, header) == "the request has no Authorization header"
    assert fetcher.urls == []


@pytest.mark.parametrize("header", ["   ", "Bearer", "Bearer "])
def test_a_header_without_a_token_is_refused(verifier, header) -> None:
    assert refused(verifier, header) == "the Authorization header is not 'Bearer <token>'"


@pytest.mark.parametrize("scheme", ["Basic", "Token", "JWT", "Bearer:"])
def test_another_scheme_is_refused(verifier, pool_key, scheme) -> None:
    token = sign(id_claims(), pool_key)

    assert "Bearer <token>" in refused(verifier, f"{scheme} {token}")


def test_a_bare_token_or_extra_words_are_refused(verifier, pool_key) -> None:
    token = sign(id_claims(), pool_key)

    assert "Bearer <token>" in refused(verifier, token)
    assert "Bearer <token>" in refused(verifier, f"Bearer {token} extra")


@pytest.mark.parametrize(
    "garbage",
    [
        "not-a-token",
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6ImtleS0yMDI2In0.bm90IGpzb24.c2ln",
        "....",
    ],
)
def test_garbage_is_refused(verifier, garbage, fetcher) -> None:
    reason = refused(verifier, bearer(garbage))

    assert reason in {
        "the token is malformed",
        "the token names no signing key",
        "the token's signature is not valid",
    }


def test_an_overlong_token_is_refused_before_parsing(verifier, fetcher) -> None:
    assert refused(verifier, bearer("a" * 20_000)) == "the token is too long"
    assert fetcher.urls == []


# --- signatures and algorithms ---------------------------------------------------------------------


def test_a_token_signed_by_another_key_with_the_pools_kid_is_refused(verifier, other_key) -> None:
    forged = sign(id_claims(), other_key, kid=KID)

    assert refused(verifier, bearer(forged)) == "the token's signature is not valid"


def test_a_tampered_payload_is_refused(verifier, pool_key) -> None:
    header, _, signature = sign(id_claims(), pool_key).split(".")
    payload = b64url(json.dumps(id_claims(**{"cognito:groups": ["supervisor"]})).encode())

    assert (
        refused(verifier, bearer(f"{header}.{payload}.{signature}")) == "the token's signature is not valid"
    )


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(verifier, alg, fetcher) -> None:
    token = unsigned({"alg": alg, "kid": KID, "typ": "JWT"}, id_claims()) + "."

    assert refused(verifier, bearer(token)) == "the token is not signed with RS256"
    assert fetcher.urls == []


def test_hs256_signed_with_the_public_key_as_secret_is_refused(verifier, pool_key, fetcher) -> None:
    """Algorithm confusion: the attacker knows the public key and uses it as an HMAC secret."""
    pem = pool_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (pem, json.dumps(jwk(pool_key, KID)).encode()):
        signing_input = unsigned({"alg": "HS256", "kid": KID, "typ": "JWT"}, id_claims())
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()

        assert (
            refused(verifier, bearer(f"{signing_input}.{b64url(mac)}"))
            == "the token is not signed with RS256"
        )
    assert fetcher.urls == []


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256", "ES256", "EdDSA"])
def test_any_other_algorithm_is_refused(verifier, pool_key, alg) -> None:
    token = unsigned({"alg": alg, "kid": KID}, id_claims()) + ".c2lnbmF0dXJl"

    assert refused(verifier, bearer(token)) == "the token is not signed with RS256"


def test_a_token_without_kid_is_refused(verifier, pool_key) -> None:
    token = jwt.encode(id_claims(), pool_key, algorithm="RS256")

    assert refused(verifier, bearer(token)) == "the token names no signing key"


def test_keys_of_the_jwks_that_are_not_rs256_signature_keys_are_ignored(clock, pool_key, other_key) -> None:
    hmac_key = {"kty": "oct", "kid": "hmac", "k": b64url(b"secret-secret-secret-secret-32by")}
    encryption_key = {**jwk(other_key, "enc"), "use": "enc"}
    fetcher = Fetcher({"keys": [hmac_key, encryption_key, "junk", jwk(pool_key, KID)]})
    verifier = CognitoTokenVerifier(REGION, POOL, CLIENT, jwks_url=JWKS_URL, clock=clock, fetch=fetcher)

    assert verifier.verify(bearer(sign(id_claims(), pool_key))).username == "handler-unit"
    assert refused(verifier, bearer(sign(id_claims(), other_key, kid="enc"))) == (
        "the token's signing key is not the pool's"
    )


# --- claims ----------------------------------------------------------------------------------------


def test_another_issuer_is_refused(verifier, pool_key) -> None:
    other_pool = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_SomeoneElse"
    for iss in (other_pool, ISSUER + "/", ISSUER.replace("https", "http"), None):
        token = sign(id_claims(iss=iss), pool_key)

        assert refused(verifier, bearer(token)) == "the token is from another issuer"


def test_another_audience_is_refused(verifier, pool_key) -> None:
    for aud in ("another-client", [CLIENT], [CLIENT, "another-client"], "", None):
        token = sign(id_claims(aud=aud), pool_key)

        assert refused(verifier, bearer(token)) == "the token is for another client"


def test_an_expired_token_is_refused(verifier, pool_key, clock) -> None:
    token = sign(id_claims(exp=int(NOW) + 100), pool_key)
    clock.now = NOW + 100 + 30

    assert refused(verifier, bearer(token)) == "the token has expired"


def test_a_token_without_exp_is_refused(verifier, pool_key) -> None:
    for exp in (None, "4102444800", True, float("nan"), float("inf")):
        token = sign(id_claims(exp=exp), pool_key)

        assert refused(verifier, bearer(token)) == "the token has no expiry"


def test_a_token_without_iat_is_refused(verifier, pool_key) -> None:
    assert refused(verifier, bearer(sign(id_claims(iat=None), pool_key))) == "the token has no issue time"


def test_a_huge_exp_is_no_crash(verifier, pool_key) -> None:
    assert verifier.verify(bearer(sign(id_claims(exp=10**400), pool_key))).username == "handler-unit"


def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(verifier, pool_key) -> None:
    assert verifier.verify(bearer(sign(id_claims(iat=int(NOW) + 30), pool_key))).username == "handler-unit"
    assert refused(verifier, bearer(sign(id_claims(iat=int(NOW) + 31), pool_key))) == (
        "the token was issued in the future"
    )


def test_a_token_not_valid_yet_is_refused(verifier, pool_key) -> None:
    assert refused(verifier, bearer(sign(id_claims(nbf=int(NOW) + 600), pool_key))) == (
        "the token is not valid yet"
    )


def test_an_access_token_is_refused(verifier, pool_key) -> None:
    """Cognito's access tokens carry `client_id`, not `aud`: the token use is what refuses them."""
    claims = id_claims(token_use="access", aud=None, client_id=CLIENT, username="handler-unit")

    assert refused(verifier, bearer(sign(claims, pool_key))) == "the token is not an ID token"
    assert refused(verifier, bearer(sign(id_claims(token_use=None), pool_key))) == (
        "the token is not an ID token"
    )


def test_a_token_naming_no_user_is_refused(verifier, pool_key) -> None:
    token = sign(id_claims(**{"cognito:username": None}), pool_key)

    assert refused(verifier, bearer(token)) == "the token names no user"


# --- fetching the keys -----------------------------------------------------------------------------


def test_an_unknown_kid_causes_one_refetch_then_is_refused(verifier, pool_key, fetcher, clock) -> None:
    verifier.verify(bearer(sign(id_claims(), pool_key)))
    clock.now += REFETCH_INTERVAL

    assert refused(verifier, bearer(sign(id_claims(), pool_key, kid="unknown"))) == (
        "the token's signing key is not the pool's"
    )
    assert len(fetcher.urls) == 2


def test_a_key_added_to_the_jwks_is_found_by_the_refetch(
    verifier, pool_key, other_key, fetcher, clock
) -> None:
    verifier.verify(bearer(sign(id_claims(), pool_key)))
    fetcher.document = {"keys": [jwk(pool_key, KID), jwk(other_key, "rotated")]}
    clock.now += REFETCH_INTERVAL

    assert verifier.verify(bearer(sign(id_claims(), other_key, kid="rotated"))).username == "handler-unit"
    assert verifier.verify(bearer(sign(id_claims(), pool_key))).username == "handler-unit"
    assert len(fetcher.urls) == 2


def test_many_unknown_kids_within_the_interval_cause_one_refetch(verifier, pool_key, fetcher, clock) -> None:
    verifier.verify(bearer(sign(id_claims(), pool_key)))
    clock.now += REFETCH_INTERVAL

    for n in range(50):
        clock.now += 1
        refused(verifier, bearer(sign(id_claims(), pool_key, kid=f"random-{n}")))
    assert len(fetcher.urls) == 2

    clock.now += REFETCH_INTERVAL
    refused(verifier, bearer(sign(id_claims(), pool_key, kid="yet-another")))
    assert len(fetcher.urls) == 3


def test_an_unknown_kid_on_the_first_request_fetches_once(verifier, pool_key, fetcher) -> None:
    refused(verifier, bearer(sign(id_claims(), pool_key, kid="unknown")))
    refused(verifier, bearer(sign(id_claims(), pool_key, kid="unknown")))

    assert len(fetcher.urls) == 1


@pytest.mark.parametrize(
    "failure",
    [StorageUnavailable(KEYS_UNAVAILABLE), TimeoutError("timed out"), ConnectionRefusedError(), ValueError()],
)
def test_keys_that_cannot_be_fetched_make_the_service_unavailable(
    verifier, pool_key, fetcher, failure
) -> None:
    fetcher.failure = failure

    with pytest.raises(StorageUnavailable, match="the identity provider's keys could not be fetched"):
        verifier.verify(bearer(sign(id_claims(), pool_key)))


@pytest.mark.parametrize(
    "document", [{}, {"keys": []}, {"keys": "nope"}, {"keys": [{"kty": "oct", "k": "c2s"}]}]
)
def test_a_jwks_without_an_rs256_key_makes_the_service_unavailable(clock, pool_key, document) -> None:
    verifier = CognitoTokenVerifier(
        REGION, POOL, CLIENT, jwks_url=JWKS_URL, clock=clock, fetch=Fetcher(document)
    )

    with pytest.raises(StorageUnavailable, match="could not be fetched"):
        verifier.verify(bearer(sign(id_claims(), pool_key)))


def test_after_a_failed_fetch_the_next_attempt_waits_a_little(verifier, pool_key, fetcher, clock) -> None:
    token = bearer(sign(id_claims(), pool_key))
    fetcher.failure = TimeoutError()
    for _ in range(10):
        with pytest.raises(StorageUnavailable):
            verifier.verify(token)
    assert len(fetcher.urls) == 1

    fetcher.failure = None
    clock.now += FAILED_FETCH_BACKOFF
    assert verifier.verify(token).username == "handler-unit"
    assert len(fetcher.urls) == 2


def test_a_failed_refetch_keeps_the_known_keys(verifier, pool_key, fetcher, clock) -> None:
    token = bearer(sign(id_claims(), pool_key))
    verifier.verify(token)
    fetcher.failure = TimeoutError()
    clock.now += REFETCH_INTERVAL

    with pytest.raises(StorageUnavailable):
        verifier.verify(bearer(sign(id_claims(), pool_key, kid="rotated")))
    assert verifier.verify(token).username == "handler-unit"


def test_jwt_library_errors_are_not_chained(verifier, other_key) -> None:
    """A chained PyJWT error would put token details into tracebacks and logs."""
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(bearer(sign(id_claims(), other_key)))

    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- where the keys are ----------------------------------------------------------------------------


def test_the_issuer_is_the_pools() -> None:
    assert issuer_for(REGION, POOL) == ISSUER


def test_the_jwks_url_is_the_pools_on_aws() -> None:
    assert jwks_url_for(REGION, POOL, {}) == f"{ISSUER}/.well-known/jwks.json"
    assert jwks_url_for(REGION, POOL, {"AWS_ENDPOINT_URL": ""}) == f"{ISSUER}/.well-known/jwks.json"


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:5000", "http://127.0.0.1:5000/", " http://127.0.0.1:5000//"]
)
def test_the_jwks_url_is_on_the_emulator_when_aws_endpoint_url_is_set(endpoint) -> None:
    url = jwks_url_for(REGION, POOL, {"AWS_ENDPOINT_URL": endpoint})

    assert url == f"http://127.0.0.1:5000/{POOL}/.well-known/jwks.json"


def test_the_verifier_derives_its_jwks_url_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/")
    assert (
        CognitoTokenVerifier(REGION, POOL, CLIENT).jwks_url
        == f"http://127.0.0.1:4566/{POOL}/.well-known/jwks.json"
    )

    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert CognitoTokenVerifier(REGION, POOL, CLIENT).jwks_url == f"{ISSUER}/.well-known/jwks.json"
    assert CognitoTokenVerifier(REGION, POOL, CLIENT, jwks_url=JWKS_URL).jwks_url == JWKS_URL


# --- the HTTP fetcher ------------------------------------------------------------------------------


class JwksServer:
    """A loopback HTTP server whose answer a test sets: (status, body, delay in seconds)."""

    def __init__(self) -> None:
        self.answer: tuple[int, bytes, float] = (200, b"{}", 0.0)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, delay = owner.answer
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()
                with contextlib.suppress(OSError):  # the client may have given up waiting
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pool/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


def test_the_http_fetcher_reads_the_jwks(jwks_server, pool_key, clock) -> None:
    jwks_server.answer = (200, json.dumps({"keys": [jwk(pool_key, KID)]}).encode(), 0.0)
    verifier = CognitoTokenVerifier(REGION, POOL, CLIENT, jwks_url=jwks_server.url, clock=clock)

    assert verifier.verify(bearer(sign(id_claims(), pool_key))).username == "handler-unit"


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, b"{}", "HTTP 500"),
        (404, b"not found", "HTTP 404"),
        (302, b"", "HTTP 302"),
        (200, b"<html>", "the document is not JSON"),
        (200, b"[1, 2]", "the document is not a JWKS"),
    ],
)
def test_the_http_fetcher_turns_bad_answers_into_unavailable(jwks_server, status, body, reason) -> None:
    jwks_server.answer = (status, body, 0.0)

    with pytest.raises(StorageUnavailable, match=KEYS_UNAVAILABLE) as caught:
        HttpJwksFetcher()(jwks_server.url)
    assert caught.value.details == {"reason": reason}


def test_the_http_fetcher_gives_up_on_a_slow_server(jwks_server) -> None:
    jwks_server.answer = (200, b"{}", 1.0)
    started = time.monotonic()

    with pytest.raises(StorageUnavailable, match=KEYS_UNAVAILABLE):
        HttpJwksFetcher(read_timeout=0.2)(jwks_server.url)
    assert time.monotonic() - started < 0.9


def test_the_http_fetcher_turns_a_refused_connection_into_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(StorageUnavailable, match=KEYS_UNAVAILABLE):
        HttpJwksFetcher()(f"http://127.0.0.1:{port}/jwks.json")


def test_the_default_timeouts_are_two_and_five_seconds() -> None:
    assert HttpJwksFetcher()._timeouts == (2.0, 5.0)
