"""`make bench`: every benchmark of complaintdesk, printed as JSON and written to .local/bench.json."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench import console, dynamodb, import_time, pages, pipeline, reports, staff

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    results: dict[str, object] = {"python": sys.version.split()[0]}
    results["cold_import"] = import_time.measure(runs=11)
    with tempfile.TemporaryDirectory() as local_dir, dynamodb.running_stack(local_dir) as stack:
        results["dynamodb_requests"] = dynamodb.requests_per_operation()
        results["staff_requests"] = staff.requests_per_staff_operation(stack)
        results["intake_throughput"] = dynamodb.throughput()
    with tempfile.TemporaryDirectory() as local_dir:
        results["pipeline_requests_per_batch"] = pipeline.requests_per_batch(Path(local_dir) / "batch")
        results["pipeline_throughput"] = pipeline.throughput(Path(local_dir) / "runner")
    results["period_reports"] = reports.measure()
    results["pages"] = pages.run()
    results["console_at_5000_open"] = console.run()
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    out = ROOT / ".local" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
