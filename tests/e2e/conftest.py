"""Run `python -m devstack` as a subprocess and talk HTTP to it, on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
#: What the stack says when it cannot bind the port it was given.
PORT_CLASH = re.compile(r"cannot listen on \S+ \((?:MOTO_)?PORT\): Address already in use")


def free_ports(count: int) -> list[int]:
    """Distinct ports that were free a moment ago (held together, so never the same one twice)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind((HOST, 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def request(
    method: str, url: str, body: Any = None, timeout: float = 10.0, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """Status and body text of one request; an HTTP error status is an answer, not an exception."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {**({} if body is None else {"Content-Type": "application/json"}), **(headers or {})}
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


class Devstack:
    """One `python -m devstack` process, its collected output and its API."""

    #: How often a start is tried again when another process took one of its ports meanwhile.
    PORT_ATTEMPTS = 3

    def __init__(self, local_dir: Path, *args: str, extra_env: dict[str, str] | None = None) -> None:
        self.local_dir = local_dir
        self._args = args
        self._extra_env = extra_env or {}
        self._attempts = 0
        self._start()

    def _start(self) -> None:
        """Start the process on two ports that are free now; its output starts afresh."""
        self._attempts += 1
        port, moto_port = free_ports(2)
        self.api_url = f"http://{HOST}:{port}"
        self.moto_url = f"http://{HOST}:{moto_port}"
        env = {
            **os.environ,
            **self._extra_env,
            "PORT": str(port),
            "MOTO_PORT": str(moto_port),
            "LOCAL_DIR": str(self.local_dir),
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", *self._args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: list[str] = []
        # Drain the pipe all the time, or a chatty process blocks on a full pipe.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _restarted_after_a_port_clash(self) -> bool:
        """Start again if the process exited because a port chosen for it was taken meanwhile.

        The ports are free when chosen, but another process (another test worker, say) may bind one
        before the stack does; then the stack says so and exits, and a new start on new ports is
        no different from a first one.
        """
        if self.process.poll() is None or self._attempts >= self.PORT_ATTEMPTS:
            return False
        self._reader.join(timeout=5)
        if not PORT_CLASH.search(self.output):
            return False
        self._start()
        return True

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return "".join(self._lines)

    def wait_until_healthy(self, timeout: float = 60.0) -> None:
        """Poll GET /health until it answers 200; fail with the output if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._restarted_after_a_port_clash():
                continue
            if self.process.poll() is not None:
                pytest.fail(f"devstack exited with {self.process.returncode}:\n{self.output}")
            try:
                if request("GET", f"{self.api_url}/health", timeout=2.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"GET /health did not answer 200 within {timeout:.0f} s:\n{self.output}")

    def wait_for_exit(self, timeout: float) -> int:
        """The exit status; fail with the output if the process still runs after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"devstack still running after {timeout:.0f} s:\n{self.output}")
            if not self._restarted_after_a_port_clash():
                break
        self._reader.join(timeout=5)
        return status

    def send(self, signum: int = signal.SIGINT, timeout: float = 10.0) -> int:
        """Send a signal (Ctrl-C by default) and return the exit status."""
        self.process.send_signal(signum)
        return self.wait_for_exit(timeout)

    def kill(self) -> None:
        """Stop a process that a test left running."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the shared running stack run `alone` under xdist (tests/conftest.py), and last.

    They drive the stack as a user does, one command right after another, while its pipeline
    works in the background: a lookup expects the complaint still "received", a staff action
    expects nobody else wrote the complaint in between. Another test's load shifts those timings.
    Last, because by then the other workers are mostly on short tests, which end soon.
    """
    on_running_stack = [item for item in items if "running_stack" in getattr(item, "fixturenames", ())]
    for item in on_running_stack:
        item.add_marker(pytest.mark.alone)
        items.remove(item)
    items.extend(on_running_stack)


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devstack]:
    """One ready stack of this repository, shared by the tests that only talk HTTP to it."""
    devstack = Devstack(tmp_path_factory.mktemp("devstack") / "local")
    try:
        devstack.wait_until_healthy(timeout=60)
        yield devstack
    finally:
        devstack.kill()


StartDevstack = Callable[..., Devstack]


@pytest.fixture
def start_devstack(tmp_path: Path) -> Iterator[StartDevstack]:
    """Start devstack processes (arguments as for `python -m devstack`); kill leftovers."""
    started: list[Devstack] = []

    def start(*args: str) -> Devstack:
        devstack = Devstack(tmp_path / "local", *args)
        started.append(devstack)
        return devstack

    yield start
    for devstack in started:
        devstack.kill()
