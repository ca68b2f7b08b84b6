"""The devstack's own AWS clients, and the environment that points the app at the emulator.

The devstack's clients name the emulator explicitly, so they never depend on
the order in which the environment is set. The app's clients (boto3 and
PynamoDB) read the environment that `emulator_environment` describes; the
stack applies it before the app is imported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from botocore.parsers import ResponseParserError  # type: ignore[import-untyped]

from devstack.errors import DevstackError

#: moto accepts any credentials; these are the ones its documentation uses.
EMULATOR_KEY_ID = "testing"
EMULATOR_KEY = "testing"

#: Variables that would send a client elsewhere than the emulator, or make it
#: read a developer's real AWS profile.
_LEAKY_PREFIXES = ("AWS_ENDPOINT_URL_",)
_LEAKY_NAMES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)

# The emulator answers the same way every time: a retry only repeats its error.
_NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@dataclass(frozen=True)
class EnvironmentChange:
    """Variables to set and variables to remove, in that order."""

    set: Mapping[str, str]
    unset: tuple[str, ...]


def emulator_environment(
    environ: Mapping[str, str], endpoint_url: str, region: str, devnull: str
) -> EnvironmentChange:
    """Point every AWS client of a process at the emulator, and nowhere else.

    Credentials are fixed test values; the shared config and credentials
    files are replaced by `devnull`, so a developer's `~/.aws` never leaks in;
    per-service endpoint variables and profiles are removed. Account-based
    endpoints are disabled, or DynamoDB Streams calls miss the emulator.
    """
    return EnvironmentChange(
        set={
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": EMULATOR_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": EMULATOR_KEY,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "AWS_CONFIG_FILE": devnull,
            "AWS_SHARED_CREDENTIALS_FILE": devnull,
        },
        unset=tuple(
            sorted(name for name in environ if name in _LEAKY_NAMES or name.startswith(_LEAKY_PREFIXES))
        ),
    )


class Clients:
    """boto3 clients of the emulator, one per service, created on first use."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=EMULATOR_KEY_ID,
            aws_secret_access_key=EMULATOR_KEY,
            region_name=region,
        )
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        """The client of one service, e.g. `clients("cloudformation")`."""
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.endpoint_url, config=_NO_RETRIES
            )
        return self._clients[service]


@contextmanager
def sdk_errors(doing: str, error: type[DevstackError]) -> Iterator[None]:
    """Turn an SDK error raised while `doing` something into `error`, keeping the cause."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise error(f"{doing}: {exc}") from exc
    except ResponseParserError as exc:
        # moto answers an internal error with an HTML page, which the SDK cannot parse.
        raise error(f"{doing}: the emulator failed; its traceback is printed above") from exc
