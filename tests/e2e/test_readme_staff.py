"""The README's staff walk-through works as written against a running local stack (only the port differs)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.e2e.conftest import REPO, Devstack
from tests.e2e.test_readme import readme_commands_using_the_api

pytestmark = pytest.mark.e2e


def staff_blocks() -> list[str]:
    return [block for block in readme_commands_using_the_api() if "/staff/" in block]


def json_values(text: str) -> list[dict[str, object]]:
    """The JSON objects curl printed one after another (it adds no newline)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (start := text.find("{", at)) >= 0:
        value, at = decoder.raw_decode(text, start)
        values.append(value)
    return values


def test_the_readme_walks_a_complaint_from_a_phone_call_to_a_rating(running_stack: Devstack) -> None:
    intake, answer = staff_blocks()[:2]
    script = (intake + "\n" + answer).replace("http://127.0.0.1:8000", running_stack.api_url)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO,
        env={**os.environ, "LOCAL_DIR": str(running_stack.local_dir)},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    answers = json_values(done.stdout)
    queue, asked, replied, decided, told, closed, rated = answers
    assert asked["tracking_code"] in {item["tracking_code"] for item in queue["items"]}
    assert asked["status"] == "awaiting_complainant"
    assert replied["status"] == "investigating"
    assert (decided["status"], told["status"], closed["status"]) == ("decided", "responded", "closed")
    assert rated == {"tracking_code": asked["tracking_code"], "rating": 4, "thank_you": True}
