"""The outbox: every SMS and e-mail the system sends, one JSON object per line.

Each line has at least `channel` (`sms` or `email`), `to`, `body`, `sent_at`
and `tracking_code`. The file survives restarts: it is created when absent
and never truncated.
"""

from __future__ import annotations

from pathlib import Path

OUTBOX_FILE = "outbox.jsonl"


def outbox_path(local_dir: Path) -> Path:
    """Where the outbox of a local directory is."""
    return local_dir / OUTBOX_FILE


def ensure_outbox(local_dir: Path) -> Path:
    """Create `local_dir` and an empty outbox in it unless they exist; return the outbox's path."""
    local_dir.mkdir(parents=True, exist_ok=True)
    outbox = outbox_path(local_dir)
    outbox.touch(exist_ok=True)
    return outbox
