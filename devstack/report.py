"""`python -m devstack.report`: build one period's report on the running local stack and copy its files.

    make report MARKET=TR PERIOD=monthly DATE=2026-11-15

It goes the way a supervisor goes: signs the market's demo supervisor in,
asks for the report (`POST /staff/reports`), waits until the stack's report
function has written `summary.json` (the last file of a build), then fetches
each file through the download link the API gives, and writes it under the
local directory with its S3 key: `.local/reports/TR/monthly/2026-11/...`.

Exit status: 0 with the files copied, 2 (with the reason on stderr) when the
stack is not running, the request is refused, or the build does not finish
within `--timeout` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack.options import PROJECT_DIR, StackOptions
from devstack.token import TokenError, find_user, read_stack_file, sign_in

SUPERVISORS = {"TR": "supervisor", "IR": "supervisor-ir"}
POLL_SECONDS = 0.5


class ReportError(Exception):
    """Why the report could not be built or copied; the message is for the developer."""


def _call(url: str, token: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the loopback stack
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
    except (urllib.error.URLError, OSError) as exc:
        raise ReportError(f"the local stack does not answer at {url}: {exc}") from exc


def build_and_copy(
    stack: Mapping[str, Any], market: str, period: str, day: str, local_dir: Path, timeout: float
) -> list[Path]:
    """Ask for the report, wait for it, copy its files; the paths written."""
    token = sign_in(stack, find_user(stack["users"], SUPERVISORS.get(market.upper(), "supervisor")))
    api = str(stack["api_url"]).rstrip("/")
    asked_at = datetime.now(UTC)
    status, answer = _call(f"{api}/staff/reports", token, {"market": market, "period": period, "date": day})
    if status != 202:
        raise ReportError(f"the request was refused ({status}): {json.dumps(answer, ensure_ascii=False)}")
    label, kind, market = answer["label"], answer["period"], answer["market"]
    deadline = time.monotonic() + timeout
    while True:
        status, listed = _call(f"{api}/staff/reports?market={market}&period={kind}", token)
        if status != 200:
            raise ReportError(f"listing reports failed ({status}): {listed}")
        files = _fresh_files(listed["reports"], label, asked_at)
        if files:
            break
        if time.monotonic() > deadline:
            raise ReportError(f"{market} {kind} {label} was not built within {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    written = []
    for name in files:
        status, link = _call(f"{api}/staff/reports/{market}/{kind}/{label}/{name}", token)
        if status != 200:
            raise ReportError(f"no link to {name} ({status}): {link}")
        target = local_dir / link["key"]
        target.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(link["url"], timeout=60) as response:  # noqa: S310 - the loopback emulator
            target.write_bytes(response.read())
        written.append(target)
    return written


def _fresh_files(reports: list[dict[str, Any]], label: str, since: datetime) -> list[str]:
    """The report's file names once its summary was written after `since`; else none."""
    for report in reports:
        if report["label"] != label:
            continue
        by_name = {f["name"]: f for f in report["files"]}
        summary = by_name.get("summary.json")
        if summary and datetime.fromisoformat(summary["written_at"]) >= since.replace(microsecond=0):
            return sorted(by_name)
    return []


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.report", description=__doc__)
    parser.add_argument("--market", required=True, choices=["IR", "TR", "ir", "tr"])
    parser.add_argument("--period", required=True, choices=["daily", "weekly", "monthly"])
    parser.add_argument("--date", required=True, help="a day of the period, YYYY-MM-DD (Gregorian)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the build")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the project root")
    args = parser.parse_args(argv)
    options = StackOptions.from_environ(
        {"LOCAL_DIR": environ.get("LOCAL_DIR", "")}, project_dir=args.project_dir.resolve()
    )
    try:
        stack = read_stack_file(options.stack_file_path)
        written = build_and_copy(
            stack, args.market.upper(), args.period, args.date, options.local_path, args.timeout
        )
    except (TokenError, ReportError) as exc:
        print(f"devstack.report: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
