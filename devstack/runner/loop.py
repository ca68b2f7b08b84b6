"""A polling thread: runs one step after another until stopped; an error never ends it.

A step does a bounded piece of work (one batch) and says whether it found
any. When it found none, or failed, the loop waits before the next step; the
wait ends at once when the loop is stopped, so a stop takes at most one step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("devstack.runner")

#: The longest wait after repeated failures of a step (the wait doubles from `idle_seconds`).
MAX_BACKOFF_SECONDS = 10.0


class Loop:
    """One daemon thread that calls `step` while it runs."""

    def __init__(self, name: str, step: Callable[[], bool], idle_seconds: float = 0.5) -> None:
        self.name = name
        self._step = step
        self._idle_seconds = idle_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; idempotent."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"runner-{self.name}", daemon=True)
            self._thread.start()

    def signal_stop(self) -> None:
        """Ask the thread to stop after its current step; returns at once."""
        self._stopping.set()

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the thread to end; say so if it does not."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("%s: still busy after %.0f s; left behind (daemon thread)", self.name, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and wait (bounded) for the thread."""
        self.signal_stop()
        self.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                busy = self._step()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("%s: polling failed (attempt %d); trying again", self.name, failures)
                busy = False
            if not busy:
                wait = min(self._idle_seconds * 2 ** min(failures, 8), MAX_BACKOFF_SECONDS)
                self._stopping.wait(wait)
