"""`python -m devstack.token <user>` prints a demo user's ID token from the running stack, nothing else."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO, Devstack

pytestmark = pytest.mark.e2e

JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def test_the_token_command_prints_one_jwt_and_nothing_else(running_stack: Devstack) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "devstack.token", "handler"],
        cwd=REPO,
        env={**os.environ, "LOCAL_DIR": str(running_stack.local_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    assert JWT.fullmatch(lines[0]), lines[0]
    payload = lines[0].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert (claims["cognito:username"], claims["cognito:groups"]) == ("handler", ["handler"])
