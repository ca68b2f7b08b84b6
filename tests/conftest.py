"""Fixtures shared by every tier of tests."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container, install
from chalicelib.settings import ENVIRONMENT, Settings
from tests.fakes import FakeRepository, FixedClock

# app.py reads its event sources' names at import; tests that use fakes get placeholders.
# The integration tier's local stack overwrites them with the real names before it imports app.
for _name in ENVIRONMENT:
    os.environ.setdefault(_name, f"test-{_name.lower()}")

#: A valid web complaint from Turkey. Tests copy and change it.
TURKISH_COMPLAINT: dict[str, Any] = {
    "market": "TR",
    "language": "tr",
    "kind": "complaint",
    "category": "claim_decision",
    "description": "Kasko hasar talebim gerekçesiz reddedildi; İzmir şubesi yanıt vermiyor.",
    "remedy_sought": "Hasarın ödenmesi",
    "contact": {
        "name": "Ayşe Işıl Yılmaz",
        "mobile": "0532 123 45 67",
        "email": "ayse.yilmaz@example.com",
        "policy_number": "KSK-2026/88123",
        "preferred_channel": "sms",
    },
    "consent": {"contact": True, "disclose": False},
    "health_or_safety": False,
}

#: A valid web complaint from Iran, typed with Persian digits and Arabic letter forms.
PERSIAN_COMPLAINT: dict[str, Any] = {
    "market": "IR",
    "language": "fa",
    "category": "claim_payment_delay",
    "description": "خسارت بيمه بدنه من بعد از سه ماه هنوز پرداخت نشده است.",
    "contact": {
        "name": "زهرا محمدی‌نژاد",
        "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "national_id": "۰۰۸۴۵۷۵۹۴۸",
    },
    "consent": {"contact": True},
}


@pytest.fixture
def turkish_complaint() -> dict[str, Any]:
    return copy.deepcopy(TURKISH_COMPLAINT)


@pytest.fixture
def persian_complaint() -> dict[str, Any]:
    return copy.deepcopy(PERSIAN_COMPLAINT)


@pytest.fixture
def repository() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def fake_settings(**overrides: Any) -> Settings:
    """Settings whose resource names point nowhere: for tests that use fakes."""
    values = {name.lower(): f"test-{name.lower()}" for name in ENVIRONMENT}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def api(repository: FakeRepository, clock: FixedClock) -> Iterator[Client]:
    """The Chalice app over fakes: HTTP in, use cases out, no I/O."""
    from app import app

    container = Container(fake_settings())
    container.repository = repository  # type: ignore[misc]
    container.clock = clock  # type: ignore[misc]
    install(container)
    with Client(app) as client:
        yield client
    install(None)


# --- in parallel (pytest-xdist; see addopts in pyproject.toml) ----------------------------------------

#: Tiers whose tests share one local stack for the session (tests/e2e/conftest.py): each tier is one
#: unit of work, so that one worker runs its tests one after another on one stack, as without xdist.
WHOLE_TIERS = ("tests/browser/", "tests/e2e/")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile`, with each of WHOLE_TIERS as one unit; every other test file is a unit.

    Units are handed out in the order they are collected (`--no-loadscope-reorder`), so the
    long e2e tier starts at once while the other worker takes the remaining files one by one.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope: str = super()._split_scope(nodeid)
            return next((tier for tier in WHOLE_TIERS if scope.startswith(tier)), scope)

    return Scheduling(config, log)
