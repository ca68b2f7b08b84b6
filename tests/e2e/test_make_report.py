"""`make report`: a period's report built by the running stack's report function and copied locally.

The whole way: a complaint through the public API, the supervisor's request
through the API, the report queue, the stack's event-source runner, the
bucket in the emulator, the download link, and the copy under the local
directory with the S3 key layout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zipfile import ZipFile

import pytest

from tests.e2e.conftest import REPO, Devstack, request

pytestmark = pytest.mark.e2e


def test_make_report_builds_on_the_stack_and_copies_the_files(running_stack: Devstack) -> None:
    complaint = {
        "market": "TR",
        "language": "tr",
        "kind": "complaint",
        "category": "claim_decision",
        "description": "Hasar talebim gerekçesiz reddedildi, açıklama istiyorum.",
        "contact": {"name": "Report Planted Özgür", "mobile": "+905331112299"},
        "consent": {"contact": True},
    }
    status, body = request("POST", f"{running_stack.api_url}/complaints", complaint)
    assert status == 201, body
    code = json.loads(body)["tracking_code"]
    today = (datetime.now(UTC) + timedelta(hours=3)).date().isoformat()  # Istanbul's date

    done = subprocess.run(
        ["make", "-s", "report", "MARKET=TR", "PERIOD=daily", f"DATE={today}"],
        cwd=REPO,
        env={**os.environ, "LOCAL_DIR": str(running_stack.local_dir), "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr + done.stdout
    folder = running_stack.local_dir / "reports" / "TR" / "daily" / today
    assert sorted(p.name for p in folder.iterdir()) == ["complaints.csv", "report.xlsx", "summary.json"]
    assert done.stdout.split() == [
        str(folder / name) for name in ("complaints.csv", "report.xlsx", "summary.json")
    ]
    csv_text = (folder / "complaints.csv").read_text(encoding="utf-8-sig")
    assert code in csv_text
    assert "Planted" not in csv_text
    assert "905331112299" not in csv_text
    assert json.loads((folder / "summary.json").read_text(encoding="utf-8"))["received"]["total"] >= 1
    assert ZipFile(folder / "report.xlsx").testzip() is None


def test_make_report_without_a_stack_says_so(tmp_path: object) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.report",
            "--market",
            "TR",
            "--period",
            "daily",
            "--date",
            "2026-11-20",
        ],
        cwd=REPO,
        env={**os.environ, "LOCAL_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "make run" in done.stderr
