"""SMS senders without AWS: the router, the routes setting, the HTTP gateway sender
against the fake gateway on loopback, the API key cache and the SDK error mapping."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import urllib3
from botocore.exceptions import (  # type: ignore[import-untyped]
    ClientError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from chalicelib.adapters.secrets import SecretsManagerApiKey
from chalicelib.adapters.sms import HttpGatewaySmsSender, SmsRouter, SnsSmsSender, parse_routes, sdk_errors
from chalicelib.domain.errors import ConfigurationError, DeliveryFailed
from chalicelib.services.ports import Delivery
from devstack.sms_gateway import FakeSmsGateway

API_KEY = "gateway-test-key"
IRANIAN_MOBILE = "+989121234567"
TURKISH_MOBILE = "+905321234567"
PERSIAN_TEXT = "شکایت شما با کد ZNVZ-BJ1C-JAHZ-F0 ثبت شد. بیمه‌گر تا ۵ روز کاری پاسخ می‌دهد."


@dataclass
class RecordingSender:
    """An SmsSender that only remembers what it was asked to send."""

    name: str
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send_sms(self, to: str, body: str, *, key: str | None = None) -> Delivery:
        self.sent.append((to, body))
        return Delivery("sms", self.name, f"{self.name}-{len(self.sent)}")


@dataclass
class FakeSecretsManager:
    """Secrets Manager's get_secret_value, counting reads; fails while `failing` is set."""

    value: str = API_KEY
    failing: bool = False
    reads: int = 0

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.reads += 1
        if self.failing:
            error = {"Error": {"Code": "InternalServiceError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}
            raise ClientError(error, "GetSecretValue")
        return {"ARN": SecretId, "SecretString": self.value}


@pytest.fixture
def gateway() -> Iterator[FakeSmsGateway]:
    with FakeSmsGateway(API_KEY) as running:
        yield running


def http_sender(url: str, key: str = API_KEY, **options: Any) -> HttpGatewaySmsSender:
    options = {"timeout": 2.0, "backoff": 0.05, **options}
    return HttpGatewaySmsSender(url, lambda: key, **options)


def wait_for(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------


def test_iranian_numbers_go_to_the_http_gateway_and_every_other_number_to_sns() -> None:
    http, sns = RecordingSender("http-gateway"), RecordingSender("sns")
    router = SmsRouter({98: http}, default=sns)

    router.send_sms(IRANIAN_MOBILE, "iran")
    router.send_sms(TURKISH_MOBILE, "turkey")
    router.send_sms("+4915123456789", "germany")

    assert http.sent == [(IRANIAN_MOBILE, "iran")]
    assert sns.sent == [(TURKISH_MOBILE, "turkey"), ("+4915123456789", "germany")]


def test_the_router_returns_the_delivery_of_the_sender_it_chose() -> None:
    router = SmsRouter({98: RecordingSender("http-gateway")}, default=RecordingSender("sns"))
    assert router.send_sms(IRANIAN_MOBILE, "x") == Delivery("sms", "http-gateway", "http-gateway-1")


@pytest.mark.parametrize("to", ["09121234567", "not a number", ""])
def test_a_destination_that_is_not_e164_fails_permanently_before_any_provider(to: str) -> None:
    sns = RecordingSender("sns")
    with pytest.raises(DeliveryFailed) as failed:
        SmsRouter({}, default=sns).send_sms(to, "x")
    assert failed.value.permanent is True
    assert sns.sent == []


@pytest.mark.parametrize(
    ("spec", "routes"),
    [
        ("98=http", {98: "http"}),
        ("98=http,90=sns", {98: "http", 90: "sns"}),
        (" +98 = http , ", {98: "http"}),
        ("", {}),
    ],
)
def test_sms_routes_are_read_from_country_codes_and_providers(spec: str, routes: dict[int, str]) -> None:
    assert parse_routes(spec) == routes


@pytest.mark.parametrize(
    "spec",
    ["98", "98:http", "=http", "98=", "98=pigeon", "iran=http", "999=http", "98=http,98=sns", "۹۸=http"],
)
def test_a_malformed_sms_routes_setting_fails_the_cold_start(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="SMS_ROUTES"):
        parse_routes(spec)


# --------------------------------------------------------------------------
# SNS (request shape only; tests/integration/test_senders.py runs it on moto)
# --------------------------------------------------------------------------


@dataclass
class RecordingSns:
    """The two SNS calls of the SMS sender, recorded; `opted_out` numbers say so."""

    opted_out: set[str] = field(default_factory=set)
    published: list[dict[str, Any]] = field(default_factory=list)

    def check_if_phone_number_is_opted_out(self, phoneNumber: str) -> dict[str, bool]:
        return {"isOptedOut": phoneNumber in self.opted_out}

    def publish(self, **request: Any) -> dict[str, str]:
        self.published.append(request)
        return {"MessageId": f"sns-{len(self.published)}"}


def test_sns_sms_are_transactional_and_carry_the_registered_sender_id() -> None:
    sns = RecordingSns()
    delivery = SnsSmsSender(sns, sender_id="SIGORTA").send_sms(TURKISH_MOBILE, "Şikâyetiniz alındı")

    assert delivery == Delivery("sms", "sns", "sns-1")
    assert sns.published == [
        {
            "PhoneNumber": TURKISH_MOBILE,
            "Message": "Şikâyetiniz alındı",
            "MessageAttributes": {
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "SIGORTA"},
            },
        }
    ]


def test_without_a_sender_id_sns_sms_name_none() -> None:
    sns = RecordingSns()
    SnsSmsSender(sns).send_sms(TURKISH_MOBILE, "x")
    assert list(sns.published[0]["MessageAttributes"]) == ["AWS.SNS.SMS.SMSType"]


def test_sns_is_not_asked_to_send_to_a_number_that_opted_out() -> None:
    sns = RecordingSns(opted_out={TURKISH_MOBILE})
    with pytest.raises(DeliveryFailed) as failed:
        SnsSmsSender(sns).send_sms(TURKISH_MOBILE, "x")
    assert failed.value.permanent is True
    assert sns.published == []


# --------------------------------------------------------------------------
# The HTTP gateway sender against the fake gateway
# --------------------------------------------------------------------------


def test_the_gateway_takes_a_persian_message_intact_as_utf8_json(gateway: FakeSmsGateway) -> None:
    delivery = http_sender(gateway.url, sender_id="BIMEH").send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)

    (message,) = gateway.messages
    assert (message["to"], message["text"], message["sender"]) == (IRANIAN_MOBILE, PERSIAN_TEXT, "BIMEH")
    assert len(message["client_ref"]) == 32
    assert delivery == Delivery("sms", "http-gateway", message["message_id"])
    (attempt,) = gateway.attempts
    assert attempt["content_type"] == "application/json; charset=utf-8"


def test_the_sender_field_is_left_out_without_a_sender_id(gateway: FakeSmsGateway) -> None:
    http_sender(gateway.url).send_sms(IRANIAN_MOBILE, "x")
    assert gateway.messages[0]["sender"] is None


def test_each_message_gets_its_own_client_ref(gateway: FakeSmsGateway) -> None:
    sender = http_sender(gateway.url)
    first, second = sender.send_sms(IRANIAN_MOBILE, "x"), sender.send_sms(IRANIAN_MOBILE, "x")
    assert first.message_id != second.message_id
    assert len({m["client_ref"] for m in gateway.messages}) == 2


@pytest.mark.parametrize("status", [503, 500, 429, 408])
def test_a_passing_failure_is_retried_under_the_same_client_ref(gateway: FakeSmsGateway, status: int) -> None:
    gateway.fail_next(status)

    delivery = http_sender(gateway.url).send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)

    assert [a["status"] for a in gateway.attempts] == [status, 200]
    (message,) = gateway.messages
    assert delivery.message_id == message["message_id"]
    assert [a["client_ref"] for a in gateway.attempts] == [message["client_ref"]] * 2


def test_a_retry_after_a_timeout_is_recorded_once_thanks_to_its_client_ref(gateway: FakeSmsGateway) -> None:
    # The first attempt is taken by the gateway after the client gave up on it.
    gateway.delay_next(0.4)

    delivery = http_sender(gateway.url, timeout=0.2).send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)

    wait_for(lambda: len(gateway.attempts) == 2)  # the delayed attempt ends on the gateway's side
    (message,) = gateway.messages
    assert delivery.message_id == message["message_id"]
    assert [a["client_ref"] for a in gateway.attempts] == [message["client_ref"]] * 2


def test_three_failures_in_a_row_are_a_transient_failure(gateway: FakeSmsGateway) -> None:
    gateway.fail_next(503, times=3)

    with pytest.raises(DeliveryFailed) as failed:
        http_sender(gateway.url).send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)

    assert failed.value.permanent is False
    assert [a["status"] for a in gateway.attempts] == [503, 503, 503]
    assert gateway.messages == []


def test_the_retries_back_off(gateway: FakeSmsGateway) -> None:
    gateway.fail_next(503, times=3)
    started = time.monotonic()
    with pytest.raises(DeliveryFailed):
        http_sender(gateway.url, backoff=0.2).send_sms(IRANIAN_MOBILE, "x")
    # urllib3 retries the first failure at once, then waits backoff x 2.
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize("status", [400, 403, 404, 413, 422])
def test_a_refusal_is_permanent_and_not_retried(gateway: FakeSmsGateway, status: int) -> None:
    gateway.fail_next(status)

    with pytest.raises(DeliveryFailed) as failed:
        http_sender(gateway.url).send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)

    assert failed.value.permanent is True
    assert len(gateway.attempts) == 1


def test_a_wrong_api_key_is_permanent_and_not_retried(gateway: FakeSmsGateway) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        http_sender(gateway.url, key="stale-key").send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)

    assert failed.value.permanent is True
    assert [a["status"] for a in gateway.attempts] == [401]
    assert gateway.messages == []


def test_a_redirect_is_permanent_and_not_followed(gateway: FakeSmsGateway) -> None:
    gateway.fail_next(302)
    with pytest.raises(DeliveryFailed) as failed:
        http_sender(gateway.url).send_sms(IRANIAN_MOBILE, "x")
    assert failed.value.permanent is True
    assert len(gateway.attempts) == 1


def test_a_success_without_a_message_id_is_permanent_so_the_sms_is_not_sent_twice(
    gateway: FakeSmsGateway,
) -> None:
    gateway.fail_next(200)  # 200 with {"error": ...}: no message_id
    with pytest.raises(DeliveryFailed, match="without a message_id") as failed:
        http_sender(gateway.url).send_sms(IRANIAN_MOBILE, "x")
    assert failed.value.permanent is True
    assert len(gateway.attempts) == 1


def test_a_gateway_slower_than_the_timeout_is_a_transient_failure(gateway: FakeSmsGateway) -> None:
    gateway.delay_next(0.5, times=2)
    started = time.monotonic()

    with pytest.raises(DeliveryFailed) as failed:
        http_sender(gateway.url, timeout=0.2, attempts=2, backoff=0).send_sms(IRANIAN_MOBILE, "x")

    assert failed.value.permanent is False
    assert time.monotonic() - started < 1.5


def test_a_gateway_that_is_not_listening_is_a_transient_failure() -> None:
    url = f"http://127.0.0.1:{free_port()}/send"
    with pytest.raises(DeliveryFailed) as failed:
        http_sender(url, backoff=0).send_sms(IRANIAN_MOBILE, "x")
    assert failed.value.permanent is False
    assert isinstance(failed.value.__cause__, urllib3.exceptions.HTTPError)


def test_no_failure_names_the_number_or_the_text(gateway: FakeSmsGateway) -> None:
    gateway.fail_next(400)
    with pytest.raises(DeliveryFailed) as failed:
        http_sender(gateway.url).send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)
    assert IRANIAN_MOBILE not in str(failed.value)
    assert "9121234567" not in str(failed.value)
    assert PERSIAN_TEXT not in str(failed.value)


@pytest.mark.parametrize("url", ["ftp://gateway/send", "gateway/send", "http:///send"])
def test_a_gateway_url_that_is_not_http_fails_the_cold_start(url: str) -> None:
    with pytest.raises(ConfigurationError):
        HttpGatewaySmsSender(url, lambda: API_KEY)


# --------------------------------------------------------------------------
# The API key
# --------------------------------------------------------------------------


def test_the_api_key_is_read_once_and_kept(gateway: FakeSmsGateway) -> None:
    secrets = FakeSecretsManager()
    sender = HttpGatewaySmsSender(gateway.url, SecretsManagerApiKey(secrets, "arn:secret"))

    sender.send_sms(IRANIAN_MOBILE, "one")
    sender.send_sms(IRANIAN_MOBILE, "two")

    assert secrets.reads == 1
    assert len(gateway.messages) == 2


def test_an_unreadable_api_key_is_a_transient_failure_and_is_read_again_next_time() -> None:
    secrets = FakeSecretsManager(failing=True)
    key = SecretsManagerApiKey(secrets, "arn:secret")

    with pytest.raises(DeliveryFailed) as failed:
        key()
    assert failed.value.permanent is False

    secrets.failing = False
    assert key() == API_KEY
    assert secrets.reads == 2


def test_an_empty_secret_is_a_transient_failure() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        SecretsManagerApiKey(FakeSecretsManager(value=""), "arn:secret")()
    assert failed.value.permanent is False


def test_with_a_max_age_a_changed_key_reaches_a_running_container() -> None:
    now = [0.0]
    secrets = FakeSecretsManager(value="first")
    key = SecretsManagerApiKey(secrets, "arn:secret", max_age=300, clock=lambda: now[0])

    assert key() == "first"
    secrets.value = "second"
    now[0] = 299.0
    assert key() == "first"
    now[0] = 300.0
    assert key() == "second"


# --------------------------------------------------------------------------
# The AWS SDK error mapping (SNS, SES)
# --------------------------------------------------------------------------


def client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Publish")


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (client_error("InvalidParameter", 400), True),
        (client_error("MessageRejected", 400), True),
        (client_error("AuthorizationError", 403), True),
        (client_error("Throttling", 400), False),
        (client_error("Throttled", 429), False),
        (client_error("KMSThrottling", 400), False),
        (client_error("InternalError", 500), False),
        (client_error("SomethingNew", 503), False),
        (EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com"), False),
        (ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"), False),
        (ParamValidationError(report="Message is required"), True),
    ],
)
def test_sdk_errors_are_delivery_failures_permanent_only_when_retrying_cannot_help(
    error: Exception, permanent: bool
) -> None:
    with pytest.raises(DeliveryFailed) as failed, sdk_errors("sns"):
        raise error
    assert failed.value.permanent is permanent
    assert failed.value.__cause__ is error


# --------------------------------------------------------------------------
# The fake gateway itself
# --------------------------------------------------------------------------


def test_the_fake_gateway_refuses_a_body_that_breaks_the_protocol(gateway: FakeSmsGateway) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    bodies = [b"not json", b"[]", json.dumps({"to": "0912", "text": "x", "client_ref": "r"}).encode()]
    for body in bodies:
        response = urllib3.request("POST", gateway.url, body=body, headers=headers, retries=False)
        assert response.status == 400, body
    assert gateway.messages == []


def test_the_fake_gateway_hands_each_new_message_to_its_callback_and_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: list[dict[str, Any]] = []
    with FakeSmsGateway(API_KEY, on_message=seen.append) as gateway:
        http_sender(gateway.url).send_sms(IRANIAN_MOBILE, PERSIAN_TEXT)
        assert urllib3.request("GET", gateway.url, retries=False).status == 405
    assert [m["text"] for m in seen] == [PERSIAN_TEXT]
    assert capsys.readouterr() == ("", "")
