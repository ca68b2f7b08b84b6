"""How the local stack is configured: a few environment variables, all optional.

| variable                 | default   | meaning                                                       |
|--------------------------|-----------|---------------------------------------------------------------|
| PORT                     | 8000      | port of the API (0: any free port)                            |
| MOTO_PORT                | 5001      | port of the AWS emulator (0: any free port)                   |
| AWS_REGION               | us-east-1 | region of the emulated resources                              |
| LOCAL_DIR                | .local    | where the outbox and stack.json live; relative to the project |
| LOCAL_VISIBILITY_TIMEOUT | 5         | seconds before a failed SQS message comes back                |
| LOCAL_FAULTS             | (none)    | AWS calls to fail on purpose: `sns.Publish=0.3`               |
| DEMO_PASSWORD            | (random)  | password of every demo staff user                             |

Everything listens on 127.0.0.1 only. The default region is us-east-1,
the region moto writes into raw stream records whatever the region (the
event-source runner gives handlers the stack's own region).

LOCAL_VISIBILITY_TIMEOUT only shortens the wait before a message that a
handler failed is delivered again (the routing queue's own timeout is 180 s);
receive counts and the move to the dead-letter queue are as on AWS. A value
at or above a queue's own timeout keeps the queue's timing.

DEMO_PASSWORD must meet the user pool's password policy (12 characters or
more, with a lower-case and an upper-case letter, a digit and a symbol).
Without it, each start makes up a new one (devstack/staff_users.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack.errors import OptionsError
from devstack.staff_users import password_problems

HOST = "127.0.0.1"
#: What a started stack tells local tools, such as `python -m devstack.token` (devstack/stack.py).
STACK_FILE = "stack.json"
PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StackOptions:
    """Where the project is and where the stack listens."""

    project_dir: Path = PROJECT_DIR
    port: int = 8000
    moto_port: int = 5001
    region: str = "us-east-1"
    local_dir: Path = Path(".local")
    stack_name: str = "complaintdesk-local"
    stage: str = "dev"
    local_visibility_timeout: int = 5
    #: AWS calls the emulator fails on purpose, as `service.Action=share` (devstack/faults.py).
    faults: str = ""
    #: The demo staff users' password; empty: a random one for each start.
    demo_password: str = field(default="", repr=False)

    @property
    def local_path(self) -> Path:
        """The local directory: `local_dir`, relative to the project unless absolute."""
        return self.local_dir if self.local_dir.is_absolute() else self.project_dir / self.local_dir

    @property
    def stack_file_path(self) -> Path:
        """The stack file of a started stack: in the local directory, next to the outbox."""
        return self.local_path / STACK_FILE

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], project_dir: Path = PROJECT_DIR) -> StackOptions:
        """Read the variables of the table above; an invalid value is an `OptionsError`."""
        return cls(
            project_dir=project_dir,
            port=_port(environ, "PORT", cls.port),
            moto_port=_port(environ, "MOTO_PORT", cls.moto_port),
            region=environ.get("AWS_REGION") or cls.region,
            local_dir=Path(environ.get("LOCAL_DIR") or cls.local_dir),
            faults=environ.get("LOCAL_FAULTS", ""),
            demo_password=_demo_password(environ),
            local_visibility_timeout=_seconds(
                environ, "LOCAL_VISIBILITY_TIMEOUT", cls.local_visibility_timeout
            ),
        )


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise OptionsError(f"{name} must be a port number, not {raw!r}") from None
    if not 0 <= port <= 65535:
        raise OptionsError(f"{name} must be between 0 and 65535, not {port}")
    return port


def _seconds(environ: Mapping[str, str], name: str, default: int) -> int:
    """A visibility timeout: whole seconds from 0 to 43200 (12 hours, SQS's maximum)."""
    raw = environ.get(name)
    if not raw:
        return default
    try:
        seconds = int(raw)
    except ValueError:
        raise OptionsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 <= seconds <= 43200:
        raise OptionsError(f"{name} must be between 0 and 43200 seconds, not {seconds}")
    return seconds


def _demo_password(environ: Mapping[str, str]) -> str:
    """DEMO_PASSWORD, if set: it must meet the user pool's password policy."""
    password = environ.get("DEMO_PASSWORD", "")
    problems = password_problems(password) if password else []
    if problems:
        needs = ", ".join(problems)
        raise OptionsError(f"DEMO_PASSWORD does not meet the user pool's password policy; it needs {needs}")
    return password
