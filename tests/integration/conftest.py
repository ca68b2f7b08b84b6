"""The integration tier: the app in process, against the real template deployed into moto.

One local stack per test session: moto's server on a free loopback port, with
infra/template.yaml deployed into it exactly as `make run` does.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container, install
from devstack.metering import aws_calls
from devstack.options import StackOptions
from devstack.stack import LocalStack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # app.py is imported afresh by the stack, with the stack's environment.
    sys.modules.pop("app", None)
    install(None)
    options = StackOptions(port=0, moto_port=0, local_dir=tmp_path_factory.mktemp("local"))
    with LocalStack(options) as stack:
        yield stack
    sys.modules.pop("app", None)


@pytest.fixture
def container(local_stack: LocalStack) -> Iterator[Container]:
    """A fresh composition root reading the stack's environment, as a cold Lambda would."""
    fresh = Container()
    install(fresh)
    yield fresh
    install(None)


@pytest.fixture
def client(container: Container) -> Iterator[Client]:
    app = sys.modules["app"].app
    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def metered(local_stack: LocalStack) -> Iterator[tuple[Client, Counter[str]]]:
    """A client on a cold container whose every AWS call is counted."""
    with aws_calls() as counts:
        install(Container())
        app = sys.modules["app"].app
        with Client(app) as test_client:
            yield test_client, counts
        install(None)


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def json_headers(**extra: str) -> dict[str, Any]:
    return {"Content-Type": "application/json", **extra}
