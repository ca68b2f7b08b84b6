"""A fake HTTP SMS gateway on loopback, for the local stack and tests.

It speaks the protocol of `chalicelib.adapters.sms.HttpGatewaySmsSender`:
`POST /send` with `Authorization: Bearer <key>` and a UTF-8 JSON body
`{"to", "text", "sender"?, "client_ref"}`, answered by
`200 {"message_id": "..."}`.

Rules:

- A wrong or missing key is 401, a body that breaks the protocol is 400,
  another path is 404, another method 405; errors are `{"error": "..."}`.
- A `client_ref` seen before is answered with the message id it got the
  first time and is not recorded again: a retried message is one message.
- Tests script the next requests, in order: `fail_next(status)` answers with
  that status and records nothing; `delay_next(seconds)` waits, then answers
  normally (the message is recorded even if the client gave up waiting,
  as a real gateway would have sent it).
- `on_message` sees each new message before it is recorded; if it raises,
  the request is a 500 and nothing is recorded.
- Quiet: no access log and no tracebacks on stderr.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

PATH = "/send"
_MAX_BODY = 64 * 1024

MessageCallback = Callable[[dict[str, Any]], None]


class _Reject(Exception):
    """A request the gateway answers with an error status."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class FakeSmsGateway:
    """An SMS gateway that records what it is sent instead of sending it."""

    def __init__(
        self,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_message: MessageCallback | None = None,
    ) -> None:
        self.api_key = api_key
        self.on_message = on_message
        self._address = (host, port)
        self._lock = threading.RLock()
        self._messages: list[dict[str, Any]] = []
        self._by_ref: dict[str, str] = {}
        self._attempts: list[dict[str, Any]] = []
        self._script: deque[tuple[str, float]] = deque()
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------

    def start(self) -> None:
        """Bind and serve in a daemon thread; returns once the port is bound."""
        if self._server is not None:
            return
        server = _QuietServer(self._address, _handler_for(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sms-gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSmsGateway:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests see and script -------------------------------------------

    @property
    def url(self) -> str:
        """The URL to POST messages to, with the port actually bound."""
        if self._server is None:
            raise RuntimeError("the fake SMS gateway is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every message taken, once each, in order of arrival (a copy)."""
        with self._lock:
            return [dict(message) for message in self._messages]

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """Every request to the send path: `client_ref` (if readable), `content_type` and `status`."""
        with self._lock:
            return [dict(attempt) for attempt in self._attempts]

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with `status` and record nothing."""
        with self._lock:
            self._script.extend([("fail", float(status))] * times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Wait `seconds` before handling each of the next `times` requests."""
        with self._lock:
            self._script.extend([("delay", seconds)] * times)

    # -- handling one request -------------------------------------------------

    def handle(self, authorization: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """The status and JSON answer to one POST to the send path."""
        with self._lock:
            action, argument = self._script.popleft() if self._script else ("", 0.0)
        if action == "delay":
            time.sleep(argument)
        try:
            if action == "fail":
                raise _Reject(int(argument), "failure scripted by the test")
            if not hmac.compare_digest(authorization.encode(), f"Bearer {self.api_key}".encode()):
                raise _Reject(HTTPStatus.UNAUTHORIZED, "wrong or missing API key")
            message = _parse(body)
            status, answer = int(HTTPStatus.OK), {"message_id": self._take(message)}
        except _Reject as exc:
            status, answer = exc.status, {"error": exc.error}
        with self._lock:
            self._attempts.append(
                {"client_ref": _client_ref(body), "content_type": content_type, "status": status}
            )
        return status, answer

    def _take(self, message: dict[str, Any]) -> str:
        with self._lock:
            known = self._by_ref.get(message["client_ref"])
            if known is not None:
                return known
            message["message_id"] = f"fake-{uuid.uuid4().hex}"
            message["received_at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
            if self.on_message is not None:
                try:
                    self.on_message(dict(message))
                except Exception as exc:
                    raise _Reject(HTTPStatus.INTERNAL_SERVER_ERROR, "the message could not be kept") from exc
            self._messages.append(message)
            self._by_ref[message["client_ref"]] = message["message_id"]
            return str(message["message_id"])


def _client_ref(body: bytes) -> str | None:
    """The client_ref of a request body, if it has a readable one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    client_ref = data.get("client_ref") if isinstance(data, dict) else None
    return client_ref if isinstance(client_ref, str) else None


def _parse(body: bytes) -> dict[str, Any]:
    """The message in a request body; `_Reject` (400) says what is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Reject(HTTPStatus.BAD_REQUEST, "the body is not UTF-8 JSON") from exc
    if not isinstance(data, dict):
        raise _Reject(HTTPStatus.BAD_REQUEST, "the body is not a JSON object")
    to, text, client_ref = data.get("to"), data.get("text"), data.get("client_ref")
    sender = data.get("sender")
    if not (isinstance(to, str) and to.startswith("+") and to[1:].isdigit() and to.isascii()):
        raise _Reject(HTTPStatus.BAD_REQUEST, "'to' is not an E.164 number")
    if not (isinstance(text, str) and text):
        raise _Reject(HTTPStatus.BAD_REQUEST, "'text' is missing or empty")
    if not (isinstance(client_ref, str) and client_ref):
        raise _Reject(HTTPStatus.BAD_REQUEST, "'client_ref' is missing or empty")
    if sender is not None and not isinstance(sender, str):
        raise _Reject(HTTPStatus.BAD_REQUEST, "'sender' is not a string")
    return {"to": to, "text": text, "sender": sender, "client_ref": client_ref}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-request is no news; print no traceback."""


def _handler_for(gateway: FakeSmsGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            if self.path != PATH:
                self._answer(HTTPStatus.NOT_FOUND, {"error": "no such path"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "the body is too large"})
                return
            body = self.rfile.read(length)
            headers = self.headers
            self._answer(
                *gateway.handle(headers.get("Authorization", ""), headers.get("Content-Type", ""), body)
            )

        def do_GET(self) -> None:
            self._answer(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "use POST"})

        do_PUT = do_DELETE = do_PATCH = do_GET

        def _answer(self, status: int, answer: dict[str, Any]) -> None:
            payload = json.dumps(answer).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                # The client gave up waiting (a test's timeout); nobody is left to answer.
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """No access log."""

    return Handler
