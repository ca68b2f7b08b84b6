"""Fixtures shared by every tier of tests."""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

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


class Turns:
    """Under xdist, no other test runs while tests marked `alone` run their calls.

    Every other test holds a shared lock from its setup to its teardown. The call of an `alone`
    test takes it exclusively, once the other workers' current tests have ended, and keeps it
    until a test that is not `alone` comes next on this worker. While it waits it holds a
    turnstile that every test passes before taking its shared lock, so that it is not starved.
    In one process there is nobody to wait for, and nothing is locked.
    """

    def __init__(self, directory: Path | None) -> None:
        self._files: tuple[IO[bytes], IO[bytes]] | None = None
        self._alone = False
        if directory is not None:
            self._files = (
                open(directory / "turnstile.lock", "ab"),  # noqa: SIM115 (kept open for the session)
                open(directory / "running.lock", "ab"),  # noqa: SIM115
            )

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        if self._files is None:
            yield
            return
        import fcntl

        turnstile, running = self._files
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(running, fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)

    def alone(self) -> None:
        if self._files is None or self._alone:
            return
        import fcntl

        turnstile, running = self._files
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(running, fcntl.LOCK_EX)
        self._alone = True

    def together(self) -> None:
        if self._files is None or not self._alone:
            return
        import fcntl

        turnstile, running = self._files
        fcntl.flock(running, fcntl.LOCK_UN)
        fcntl.flock(turnstile, fcntl.LOCK_UN)
        self._alone = False

    def close(self) -> None:
        for file in self._files or ():
            file.close()


TURNS = pytest.StashKey[Turns]()


def pytest_configure(config: pytest.Config) -> None:
    # A worker's temporary directory is <the run's>/<worker id>: the locks live in the run's.
    worker_basetemp = config.option.basetemp if hasattr(config, "workerinput") else None
    config.stash[TURNS] = Turns(Path(worker_basetemp).parent if worker_basetemp else None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if TURNS in config.stash:
        config.stash[TURNS].close()


def _alone(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker("alone") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    turns = item.config.stash[TURNS]
    if not _alone(item):
        with turns.shared():
            return (yield)
    try:
        return (yield)
    finally:
        if not _alone(nextitem):
            turns.together()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    if _alone(item):
        item.config.stash[TURNS].alone()
    return (yield)
