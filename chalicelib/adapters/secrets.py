"""API keys kept in AWS Secrets Manager, read when first needed.

Rules:

- A key is read on first use, not at cold start, and then kept: by default
  for the container's life; with `max_age`, for that many seconds, so that a
  key changed after deployment reaches running containers without a
  redeploy.
- A key that cannot be read is a transient `DeliveryFailed`: the message
  waits and is tried again, as for any provider outage.
- The key's value never appears in an error message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from chalicelib.domain.errors import DeliveryFailed

ApiKeySource = Callable[[], str]
"""Gives the API key of a provider; raises DeliveryFailed when it cannot."""


class SecretsManagerApiKey:
    """The string value of one Secrets Manager secret, as an `ApiKeySource`."""

    def __init__(
        self,
        secretsmanager_client: Any,
        secret_arn: str,
        *,
        max_age: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = secretsmanager_client
        self._secret_arn = secret_arn
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._value: str | None = None
        self._read_at = 0.0

    def __call__(self) -> str:
        with self._lock:
            if self._value is None or self._expired():
                self._value = self._read()
                self._read_at = self._clock()
            return self._value

    def _expired(self) -> bool:
        return self._max_age is not None and self._clock() - self._read_at >= self._max_age

    def _read(self) -> str:
        try:
            response = self._client.get_secret_value(SecretId=self._secret_arn)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "unknown")
            raise DeliveryFailed(f"the gateway's API key cannot be read: {code}", permanent=False) from exc
        except BotoCoreError as exc:
            message = f"the gateway's API key cannot be read: {type(exc).__name__}"
            raise DeliveryFailed(message, permanent=False) from exc
        value = response.get("SecretString")
        if not isinstance(value, str) or not value:
            raise DeliveryFailed("the gateway's API key secret holds no string value", permanent=False)
        return value
