"""Failures on purpose: the emulator refuses a share of chosen AWS calls.

`LOCAL_FAULTS="sns.Publish=0.3"` makes 30% of SNS Publish calls answer 500
InternalFailure, as an outage would, so that the system's own retries can
be watched at work. Faults sit at the AWS boundary, inside the emulator:
the app and its SDK see exactly what they would see from AWS.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from moto.core.responses import BaseResponse

from devstack.errors import OptionsError

_MESSAGE = "fault injected by the local stack"
_XML_ERROR = (
    "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
    "<Message>fault injected by the local stack</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
)


def parse_faults(spec: str) -> dict[tuple[str, str], float]:
    """`"sns.Publish=0.3,sqs.SendMessageBatch=0.1"` -> {("sns", "Publish"): 0.3, ...}."""
    faults: dict[tuple[str, str], float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        target, _, rate = part.partition("=")
        service, _, action = target.strip().partition(".")
        try:
            share = float(rate)
        except ValueError:
            share = -1.0
        if not service or not action or not 0.0 <= share <= 1.0:
            raise OptionsError(f"LOCAL_FAULTS: {part!r} is not <service>.<Action>=<share from 0 to 1>")
        faults[(service.casefold(), action)] = share
    return faults


@contextmanager
def injected(faults: Mapping[tuple[str, str], float], seed: int | None = None) -> Iterator[None]:
    """Make the in-process emulator fail these calls at these rates while the block runs."""
    if not faults:
        yield
        return
    chance = random.Random(seed)  # noqa: S311 - chaos, not cryptography
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        share = faults.get(((self.service_name or "").casefold(), self._get_action()), 0.0)
        if share and chance.random() < share:
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.dumps(
                    {"__type": "InternalFailure", "message": "fault injected by the local stack"}
                )
                return 500, {"Content-Type": "application/x-amz-json-1.0"}, body
            return 500, {"Content-Type": "text/xml"}, _XML_ERROR
        return original(self)

    BaseResponse.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseResponse.call_action = original  # type: ignore[method-assign]
