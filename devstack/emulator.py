"""The embedded AWS emulator: moto's server, in a thread of this process.

Port 0 asks the OS for a free port; `url` gives the port actually bound.
"""

from __future__ import annotations

import logging

from moto.server import ThreadedMotoServer

from devstack.errors import EmulatorError


class _MotoServer(ThreadedMotoServer):
    """moto's threaded server, which reports a failed bind instead of waiting forever.

    moto's `start()` waits for an event that its thread sets only after the
    socket is bound. If the port is taken, werkzeug prints why and raises
    `SystemExit` in that thread, which dies quietly, and `start()` never
    returns. This records the failure and wakes `start()` up.
    """

    bind_error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except (OSError, SystemExit) as exc:
            self.bind_error = exc
            self._server_ready_event.set()


class Emulator:
    """moto's server on a loopback address."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._requested_port = port
        self._server: _MotoServer | None = None

    def start(self) -> None:
        """Bind and serve; `EmulatorError` if the port cannot be bound.

        The emulator's access log is an implementation detail of the local
        stack: one line per SDK call would drown what the system itself says.
        """
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = _MotoServer(ip_address=self._host, port=self._requested_port, verbose=False)
        server.start()
        if server.bind_error is not None:
            server.stop()
            reason = getattr(server.bind_error, "strerror", None) or "the port is in use"
            raise EmulatorError(f"cannot listen on {self._host}:{self._requested_port} (MOTO_PORT): {reason}")
        self._server = server

    @property
    def url(self) -> str:
        """The emulator's endpoint URL, with the port actually bound."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving; safe to call when not started."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
