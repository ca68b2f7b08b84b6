"""SMS delivery: AWS SNS, a local HTTP gateway for Iran, and the router between them.

Rules every sender here keeps:

- A provider's failure leaves only as `DeliveryFailed`, raised from the
  original error. It is permanent when sending the same message again cannot
  help (a refused number or parameter, a bad API key, a 4xx other than 408
  and 429) and transient otherwise (5xx, 408, 429, throttling, timeouts,
  connection errors).
- Neither the number nor the text of a message is ever logged or put in an
  error message. Errors carry the provider's error code or HTTP status, never
  the provider's error text, which may echo the number.
- SMS are transactional (Turkey allows nothing else).
- SNS does not deliver to Iran, so `SmsRouter` sends each destination to the
  provider configured for its country calling code (`SMS_ROUTES`), and every
  other destination to SNS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import phonenumbers
import urllib3
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError  # type: ignore[import-untyped]

from chalicelib.adapters.secrets import ApiKeySource
from chalicelib.domain.errors import ConfigurationError, DeliveryFailed
from chalicelib.services.ports import Delivery, SmsSender

#: HTTP statuses that mean "try again later" even though they are 4xx.
RETRYABLE_4XX: Final = frozenset({408, 429})
#: AWS error codes that mean "try again later" whatever their HTTP status.
TRANSIENT_AWS_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "KMSThrottling",
        "KMSThrottlingException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def is_permanent_status(status: int) -> bool:
    """A refusal that repeating cannot change: any 4xx except 408 and 429."""
    return 400 <= status < 500 and status not in RETRYABLE_4XX


@contextmanager
def sdk_errors(provider: str) -> Iterator[None]:
    """Turn every botocore failure inside the block into `DeliveryFailed`."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
        permanent = code not in TRANSIENT_AWS_CODES and is_permanent_status(status)
        raise DeliveryFailed(
            f"{provider} refused the message: {code} (HTTP {status})", permanent=permanent
        ) from exc
    except BotoCoreError as exc:
        # A parameter botocore refuses before sending is our input, and stays wrong.
        raise DeliveryFailed(
            f"{provider} could not be reached: {type(exc).__name__}",
            permanent=isinstance(exc, ParamValidationError),
        ) from exc


class SnsSmsSender:
    """Sends transactional SMS through SNS, refusing numbers that opted out.

    SNS accepts a publish to an opted-out number and then drops the message
    silently, so the number is checked first (one more request) and an
    opted-out number is a permanent failure that a person gets to see.
    """

    def __init__(self, sns_client: Any, sender_id: str = "", *, check_opt_out: bool = True) -> None:
        self._sns = sns_client
        self._attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        }
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        self._check_opt_out = check_opt_out

    def send_sms(self, to: str, body: str, *, key: str | None = None) -> Delivery:
        with sdk_errors("sns"):
            if (
                self._check_opt_out
                and self._sns.check_if_phone_number_is_opted_out(phoneNumber=to)["isOptedOut"]
            ):
                raise DeliveryFailed("sns: the number opted out of SMS from this account", permanent=True)
            response = self._sns.publish(PhoneNumber=to, Message=body, MessageAttributes=self._attributes)
        return Delivery("sms", "sns", str(response["MessageId"]))


class HttpGatewaySmsSender:
    """Sends SMS through an HTTP gateway: `POST <url>` with a JSON body and a bearer key.

    Protocol: the body is `{"to", "text", "sender" (when set), "client_ref"}`;
    the gateway answers 2xx with `{"message_id": "..."}`. Rules:

    - One message keeps one `client_ref` over all its attempts, and across
      retried invocations when the caller passes a `key`, so that the gateway
      can recognise a retry of a message it already took.
    - 500, 502, 503, 504, 408, 429, timeouts and connection errors are
      retried (`attempts` in all, exponential backoff from `backoff` seconds;
      a Retry-After is honoured up to 2 s), then fail as transient; another
      5xx fails as transient at once. With the defaults one send lasts at
      most about 3 x 5 s; the stream handler stops starting records when
      its invocation's time runs short.
    - Any other 4xx fails at once as permanent; so does a redirect (the URL
      is wrong, and the key must not follow it elsewhere).
    - A 2xx without a message id fails as permanent: the gateway may have
      sent the SMS, so sending again risks a duplicate, and a server that
      answers 2xx without the protocol's body is a wrong URL, which no retry
      fixes.
    """

    def __init__(
        self,
        url: str,
        api_key_source: ApiKeySource,
        *,
        sender_id: str = "",
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.2,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        parsed = urllib3.util.parse_url(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigurationError("the SMS gateway URL must be an http(s) URL with a host")
        if attempts < 1:
            raise ConfigurationError("the SMS gateway needs at least one attempt")
        self._url = url
        self._api_key = api_key_source
        self._sender_id = sender_id
        self._timeout = urllib3.Timeout(total=timeout)
        self._retries = urllib3.Retry(
            total=attempts - 1,
            backoff_factor=backoff,
            status_forcelist=(500, 502, 503, 504, 408, 429),
            allowed_methods={"POST"},
            raise_on_status=False,
            retry_after_max=2,
        )
        self._pool = pool or urllib3.PoolManager()

    def send_sms(self, to: str, body: str, *, key: str | None = None) -> Delivery:
        client_ref = key or uuid.uuid4().hex
        message: dict[str, str] = {"to": to, "text": body, "client_ref": client_ref}
        if self._sender_id:
            message["sender"] = self._sender_id
        headers = {
            "Authorization": f"Bearer {self._api_key()}",
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
        }
        try:
            response = self._pool.request(
                "POST",
                self._url,
                body=json.dumps(message, ensure_ascii=False).encode("utf-8"),
                headers=headers,
                retries=self._retries,
                timeout=self._timeout,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = (exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else None) or exc
            raise DeliveryFailed(
                f"SMS gateway not reached (client_ref {client_ref}): {type(reason).__name__}", permanent=False
            ) from exc
        return Delivery("sms", "http-gateway", _message_id(response, client_ref))


def _message_id(response: urllib3.BaseHTTPResponse, client_ref: str) -> str:
    """The gateway's id for an accepted message; `DeliveryFailed` for any other answer."""
    status = response.status
    where = f"SMS gateway answered HTTP {status} (client_ref {client_ref})"
    if not 200 <= status < 300:
        permanent = is_permanent_status(status) or 300 <= status < 400
        raise DeliveryFailed(where, permanent=permanent)
    try:
        answer = json.loads(response.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DeliveryFailed(f"{where} without a JSON body", permanent=True) from exc
    message_id = answer.get("message_id") if isinstance(answer, dict) else None
    if not isinstance(message_id, str) or not message_id:
        raise DeliveryFailed(f"{where} without a message_id", permanent=True)
    return message_id


#: Providers a destination can be routed to in `SMS_ROUTES`.
PROVIDERS: Final = ("http", "sns")


def parse_routes(spec: str) -> dict[int, str]:
    """Read `SMS_ROUTES`: comma-separated `<country calling code>=<http|sns>`, e.g. "98=http".

    An empty spec routes nothing (everything goes to SNS). A code that is not
    a country calling code, a provider not in `PROVIDERS`, or a code given
    twice is a `ConfigurationError`, so a typo fails the first message
    loudly (its record is retried) instead of sending Iranian SMS into SNS.
    """
    routes: dict[int, str] = {}
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        code_text, separator, provider = (piece.strip() for piece in entry.partition("="))
        code_text = code_text.removeprefix("+")
        if not separator or not code_text.isdigit() or not code_text.isascii():
            raise ConfigurationError(f"SMS_ROUTES: {entry!r} is not <country calling code>=<provider>")
        code = int(code_text)
        if code not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            raise ConfigurationError(f"SMS_ROUTES: {code} is not a country calling code")
        if provider not in PROVIDERS:
            raise ConfigurationError(f"SMS_ROUTES: {provider!r} is not one of {', '.join(PROVIDERS)}")
        if code in routes:
            raise ConfigurationError(f"SMS_ROUTES: {code} is routed twice")
        routes[code] = provider
    return routes


class SmsRouter:
    """Sends each SMS through the sender of its destination's country calling code.

    A destination that is not an E.164 number (`+` and digits) fails as
    permanent before any provider is asked.
    """

    def __init__(self, routes: Mapping[int, SmsSender], default: SmsSender) -> None:
        self._routes = dict(routes)
        self._default = default

    def sender_for(self, to: str) -> SmsSender:
        """The sender that serves the E.164 number `to`."""
        try:
            country_code = phonenumbers.parse(to).country_code
        except phonenumbers.NumberParseException as exc:
            raise DeliveryFailed("the destination is not an E.164 number", permanent=True) from exc
        if country_code is None:
            return self._default
        return self._routes.get(country_code, self._default)

    def send_sms(self, to: str, body: str, *, key: str | None = None) -> Delivery:
        return self.sender_for(to).send_sms(to, body, key=key)
