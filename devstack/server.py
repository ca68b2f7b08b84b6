"""The Chalice app, loaded and served the way `chalice local` does it.

Loading follows `chalice local`: the stage's config comes from
`.chalice/config.json`, its `environment_variables` are applied to this
process, `app.py` is imported from the project directory and its routes are
validated as `chalice deploy` would. Serving uses Chalice's own local server
in a thread, so the main thread stays free for signals.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.deploy.validate import validate_routes
from chalice.local import create_local_server

from devstack.errors import AppLoadError, ServerError

# How often the serving loop checks for shutdown: the delay a Ctrl-C waits for.
_BACKLOG = 128
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class LoadedApp:
    """The Chalice app object and the stage config it is served with."""

    app: Any
    config: Any


def load_app(project_dir: Path, stage: str, environ: Any) -> LoadedApp:
    """Import `app.py` once per process, after the environment it reads at import is set."""
    if "app" in sys.modules:
        raise AppLoadError(
            "app.py is already imported in this process, with an environment that is not "
            "this stack's; start the local stack in a fresh process"
        )
    factory = CLIFactory(str(project_dir), environ=environ)
    try:
        config = factory.create_config_obj(chalice_stage_name=stage)
        app = config.chalice_app
        validate_routes(app.routes)
    except Exception as exc:
        raise AppLoadError(f"cannot load the Chalice app from {project_dir}: {exc}") from exc
    return LoadedApp(app=app, config=config)


class ApiServer:
    """Chalice's local HTTP server for one app, serving from a thread."""

    def __init__(self, loaded: LoadedApp, host: str, port: int) -> None:
        self._loaded = loaded
        self._host = host
        self._requested_port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind and start serving; `ServerError` if the port cannot be bound."""
        try:
            server = create_local_server(
                self._loaded.app, self._loaded.config, self._host, self._requested_port
            )
        except OSError as exc:
            raise ServerError(
                f"cannot listen on {self._host}:{self._requested_port} (PORT): {exc.strerror or exc}"
            ) from exc
        # socketserver listens with a backlog of 5: a burst of clients (a form posted by many
        # people at once, the concurrent e2e tests) would be refused. Listen again, longer.
        server.server.socket.listen(_BACKLOG)
        # LocalDevServer.serve_forever would print the requested port, 0 included.
        self._thread = threading.Thread(
            target=server.server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name="devstack-api",
            daemon=True,
        )
        self._server = server
        self._thread.start()

    @property
    def url(self) -> str:
        """The API's base URL, with the port actually bound."""
        if self._server is None:
            raise RuntimeError("the API server is not running")
        host, port = self._server.server.server_address[:2]
        return f"http://{host}:{port}"

    def is_alive(self) -> bool:
        """Whether the serving thread still runs."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving and release the port; safe to call when not started."""
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        if server is None:
            return
        if thread is not None and thread.is_alive():
            server.shutdown()
            thread.join()
        server.server.server_close()
