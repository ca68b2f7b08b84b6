"""`python -m devstack` runs the system on one machine, as `make run` does.

The stack runs as a subprocess on free loopback ports, with its outbox under
the test's temporary directory. It is ready when GET /health answers 200, and
Ctrl-C (or SIGTERM) stops it with exit status 0. A stack that cannot be built
refuses to start, exits non-zero and says why.
"""

from __future__ import annotations

import json
import signal
import socket
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from devstack.banner import EXAMPLE_COMPLAINT
from tests.e2e.conftest import Devstack, StartDevstack, request

pytestmark = pytest.mark.e2e


def _personal_data(complaint: Mapping[str, object]) -> list[str]:
    contact = complaint["contact"]
    assert isinstance(contact, Mapping)
    return [str(contact[key]) for key in ("name", "mobile", "email", "national_id", "policy_number")]


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


# --- a running stack ---------------------------------------------------------------------------


def test_a_ready_stack_answers_health_and_has_an_outbox(running_stack: Devstack) -> None:
    assert request("GET", f"{running_stack.api_url}/health")[0] == 200
    assert (running_stack.local_dir / "outbox.jsonl").is_file()


def test_a_complaint_gets_a_tracking_code_and_its_status_shows_no_personal_data(
    running_stack: Devstack,
) -> None:
    status, text = request("POST", f"{running_stack.api_url}/complaints", EXAMPLE_COMPLAINT)
    assert status == 201, text
    created = json.loads(text)
    assert {"tracking_code", "status", "received_at", "expected_response_by"} <= created.keys()

    status, text = request(
        "POST", f"{running_stack.api_url}/status", {"tracking_code": created["tracking_code"]}
    )
    assert status == 200, text
    view = json.loads(text)
    assert view["tracking_code"] == created["tracking_code"]
    assert view["status"] == created["status"]
    assert view["status_label"]
    for personal in _personal_data(EXAMPLE_COMPLAINT):
        assert personal.casefold() not in text.casefold(), f"status view shows {personal!r}"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_stack_cleanly(start_devstack: StartDevstack, signum: int) -> None:
    devstack = start_devstack()
    devstack.wait_until_healthy(timeout=60)

    assert devstack.send(signum, timeout=10) == 0, devstack.output
    assert "Traceback" not in devstack.output
    assert not _listening(devstack.api_url)


# --- a stack that cannot be built --------------------------------------------------------------

QUEUE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  RoutingQueue:
    Type: AWS::SQS::Queue
"""


def _project(root: Path, template: str, overlay: str, required: list[str]) -> Path:
    """A project with its own template, overlay and required environment, and no app."""
    (root / "infra").mkdir(parents=True)
    (root / "infra" / "template.yaml").write_text(template, encoding="utf-8")
    (root / "infra" / "functions.yaml").write_text(textwrap.dedent(overlay), encoding="utf-8")
    (root / "chalicelib").mkdir()
    (root / "chalicelib" / "__init__.py").write_text("", encoding="utf-8")
    (root / "chalicelib" / "settings.py").write_text(
        f"ENVIRONMENT = {dict.fromkeys(required, 'required')!r}\n", encoding="utf-8"
    )
    return root


def test_a_variable_the_overlay_cannot_resolve_stops_the_start_and_is_named(
    start_devstack: StartDevstack, tmp_path: Path
) -> None:
    project = _project(
        tmp_path / "project",
        QUEUE_TEMPLATE,
        """\
        Globals:
          Function:
            Environment:
              Variables:
                ROUTING_QUEUE_URL: !Ref RoutingQueue
                COMPLAINTS_STREAM_ARN: !GetAtt RoutingQueue.StreamArn
        """,
        required=["ROUTING_QUEUE_URL", "COMPLAINTS_STREAM_ARN", "HISTORY_TABLE"],
    )
    devstack = start_devstack("--project-dir", str(project))

    assert devstack.wait_for_exit(timeout=30) == 1
    assert "COMPLAINTS_STREAM_ARN: Fn::GetAtt RoutingQueue.StreamArn" in devstack.output
    assert "HISTORY_TABLE: not set by the overlay" in devstack.output
    assert "ROUTING_QUEUE_URL:" not in devstack.output
    assert not _listening(devstack.api_url)


def test_a_template_the_emulator_rejects_stops_the_start(
    start_devstack: StartDevstack, tmp_path: Path
) -> None:
    broken = QUEUE_TEMPLATE + (
        "    Properties:\n"
        "      RedrivePolicy:\n"
        "        deadLetterTargetArn: !GetAtt MissingQueue.Arn\n"
        "        maxReceiveCount: 3\n"
    )
    overlay = "Globals: {Function: {Environment: {Variables: {Q: !Ref RoutingQueue}}}}\n"
    project = _project(tmp_path / "project", broken, overlay, required=["Q"])
    devstack = start_devstack("--project-dir", str(project))

    assert devstack.wait_for_exit(timeout=30) == 1
    assert "CloudFormation rejected" in devstack.output
    assert "MissingQueue" in devstack.output
    assert not _listening(devstack.api_url)
