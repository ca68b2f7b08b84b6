"""The README's curl commands work exactly as written (only the port is the test stack's)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.e2e.conftest import REPO, Devstack

pytestmark = pytest.mark.e2e

SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def readme_commands_using_the_api() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [block for block in SHELL_BLOCK.findall(text) if "curl" in block]


def run(block: str, stack: Devstack) -> str:
    script = block.replace("http://127.0.0.1:8000", stack.api_url)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_readme_shows_a_submission_and_a_lookup() -> None:
    blocks = readme_commands_using_the_api()
    assert len(blocks) >= 2
    assert "/complaints" in blocks[0]
    assert "/status" in blocks[0]


def test_the_readme_submit_and_lookup_commands_work_as_written(running_stack: Devstack) -> None:
    output = run(readme_commands_using_the_api()[0], running_stack)
    code_line, view_line = output.strip().splitlines()[-2:]
    code = code_line.removeprefix("tracking code: ")
    view = json.loads(view_line)
    assert view["tracking_code"] == code
    assert view["status_label"] == "Alındı"


def test_the_readme_form_post_in_persian_works_as_written(running_stack: Devstack) -> None:
    receipt = json.loads(run(readme_commands_using_the_api()[1], running_stack))
    assert receipt["status"] == "received"
    # a health claim is critical: due at the close of the next Iranian business day
    assert receipt["expected_response_by"] > receipt["received_at"]
