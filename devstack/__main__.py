"""`python -m devstack`: run the local stack until Ctrl-C or SIGTERM.

Exit status: 0 after a requested stop (at any moment, start-up included),
1 when the stack cannot start or its API server stops by itself, 2 for
invalid options.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

from devstack.errors import AppLoadError, DevstackError, OptionsError
from devstack.options import PROJECT_DIR, StackOptions


class StopRequested(BaseException):
    """Raised in the main thread by SIGINT or SIGTERM; not an Exception, so nothing swallows it."""


def _request_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _force_exit(signum: int, frame: FrameType | None) -> None:
    # A second signal while stopping: the user means it.
    os._exit(128 + signum)


def _say(message: str, *, error: bool = False) -> None:
    print(message, file=sys.stderr if error else sys.stdout, flush=True)


def _configure_logging() -> None:
    """Like `chalice local`: the app's log lines on stdout; the SDK's and emulator's chatter off."""
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _make_command(environ: Mapping[str, str]) -> str:
    """How to run make for this stack (`make token`): told the stack's LOCAL_DIR if one is set."""
    local_dir = environ.get("LOCAL_DIR")
    return f"LOCAL_DIR={shlex.quote(local_dir)} make" if local_dir else "make"


def main(argv: Sequence[str] | None = None) -> int:
    """Start the stack, print the banner, serve until stopped; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the project root")
    args = parser.parse_args(argv)
    try:
        options = StackOptions.from_environ(os.environ, project_dir=args.project_dir.resolve())
    except OptionsError as exc:
        _say(f"devstack: {exc}", error=True)
        return 2

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    stack = None
    try:
        # Imported after the handlers: boto3, chalice, moto and cfn-lint take about a
        # second to import, and a Ctrl-C meanwhile must stop as cleanly as any other.
        from devstack.banner import ready_banner
        from devstack.runner import LocalRunner, RunnerOptions
        from devstack.stack import OVERLAY, LocalStack

        _configure_logging()
        _say(f"devstack: starting the local stack of {options.project_dir} ...")
        # The event-source runner and the outbox watcher: background services of the stack.
        runner = LocalRunner(
            RunnerOptions(
                overlay=options.project_dir / OVERLAY,
                stage=options.stage,
                local_visibility_timeout=options.local_visibility_timeout,
            )
        )
        stack = LocalStack(options, services=runner.factories)
        stack.start()
        _say(
            ready_banner(
                stack.api_url, stack.moto_url, stack.outbox_path, options.stack_name,
                stack.staff, stack.notes,
                event_sources=runner.describe(), sms_gateway_url=stack.sms_gateway_url,
                demo_users=stack.demo_users, demo_password=stack.demo_password,
                make=_make_command(os.environ),
            )
        )  # fmt: skip
        stack.wait()
        _say("devstack: the API server stopped by itself", error=True)
        return 1
    except StopRequested:
        return 0
    except DevstackError as exc:
        _say(f"devstack: cannot start: {exc}", error=True)
        if isinstance(exc, AppLoadError) and exc.__cause__ is not None:
            _say("".join(traceback.format_exception(exc.__cause__)), error=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, _force_exit)
        signal.signal(signal.SIGTERM, _force_exit)
        if stack is not None:
            stack.stop()
        _say("devstack: stopped")


if __name__ == "__main__":
    sys.exit(main())
