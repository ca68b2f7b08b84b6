"""The outbox: every SMS and e-mail the system sends, one JSON object per line.

Each line has at least `channel` (`sms` or `email`), `to`, `body`, `sent_at`
(ISO 8601, UTC) and `tracking_code` (the first tracking code in the
message, or null), and also `provider` (`sns`, `ses`, `http-gateway`) and
`provider_message_id`; an e-mail adds `subject` and `from`. The file
survives restarts: it is created when absent and never truncated.

`Outbox.append` writes a line, flushes it, and prints a readable line to the
console: the console is the developer's own, and seeing what was sent is the
point. Every outbox of the process shares one lock, so lines never mix.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

OUTBOX_FILE = "outbox.jsonl"

_SYMBOL = "[0-9A-HJKMNP-TV-Z]"
#: A tracking code as it is printed (`7K3M-9XQ2-HT4W-R8`): Crockford base32, grouped 4-4-4-2.
TRACKING_CODE = re.compile(
    rf"(?<![0-9A-Z]){_SYMBOL}{{4}}-{_SYMBOL}{{4}}-{_SYMBOL}{{4}}-{_SYMBOL}{{2}}(?![0-9A-Z])"
)


def outbox_path(local_dir: Path) -> Path:
    """Where the outbox of a local directory is."""
    return local_dir / OUTBOX_FILE


def ensure_outbox(local_dir: Path) -> Path:
    """Create `local_dir` and an empty outbox in it unless they exist; return the outbox's path."""
    local_dir.mkdir(parents=True, exist_ok=True)
    outbox = outbox_path(local_dir)
    outbox.touch(exist_ok=True)
    return outbox


def tracking_code_in(text: str) -> str | None:
    """The first tracking code written in `text`, or None."""
    match = TRACKING_CODE.search(text)
    return match.group(0) if match else None


@dataclass(frozen=True)
class SentMessage:
    """One message a provider took: an SMS or an e-mail."""

    channel: str  # "sms" or "email"
    to: str
    body: str
    sent_at: datetime
    provider: str  # "sns", "ses" or "http-gateway"
    provider_message_id: str
    subject: str | None = None
    sender: str | None = None

    def as_line(self) -> dict[str, Any]:
        """The outbox line of this message, as a JSON-ready dict."""
        line: dict[str, Any] = {
            "channel": self.channel,
            "to": self.to,
            "body": self.body,
            "sent_at": self.sent_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "tracking_code": tracking_code_in(f"{self.subject or ''}\n{self.body}"),
            "provider": self.provider,
            "provider_message_id": self.provider_message_id,
        }
        if self.channel == "email":
            line["subject"] = self.subject
            line["from"] = self.sender
        return line


def console_line(message: SentMessage) -> str:
    """How a sent message shows on the console: `SMS → +90532…: text`, later lines indented."""
    if message.channel == "sms":
        heading = f"SMS → {message.to} ({message.provider}):"
        first, *rest = message.body.splitlines() or [""]
        return "\n".join([f"{heading} {first}", *_indented(rest)])
    heading = f"E-mail → {message.to} ({message.provider}): {message.subject or '(no subject)'}"
    return "\n".join([heading, *_indented(message.body.splitlines())])


def _indented(lines: list[str]) -> list[str]:
    return [f"    {line}" if line else "" for line in lines]


class Outbox:
    """Appends sent messages to an outbox file and shows them on the console."""

    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, echo: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._echo = echo if echo is not None else _print

    def append(self, message: SentMessage) -> None:
        """Write one line for `message`, flushed, then show it."""
        text = json.dumps(message.as_line(), ensure_ascii=False) + "\n"
        with self._lock:
            with self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(text)
                outbox.flush()
            self._echo(console_line(message))


def _print(text: str) -> None:
    print(text, flush=True)
