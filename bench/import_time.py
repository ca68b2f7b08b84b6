"""Cold import of app.py against `import boto3`, in fresh interpreters.

Each run starts a new Python process, so nothing is cached in memory; the
figure includes interpreter start-up for both sides alike. Runs alternate so
that a noisy neighbour hurts both equally.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _environment() -> dict[str, str]:
    """app.py reads its event sources' names at import, as Lambda sets them."""
    from chalicelib.settings import ENVIRONMENT

    return {**os.environ, **{name: f"bench-{name.lower()}" for name in ENVIRONMENT}}


def _once(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=ROOT, check=True, env=_environment())
    return (time.perf_counter() - start) * 1000


def measure(runs: int = 11) -> dict[str, float]:
    """Median milliseconds of each import over `runs` fresh interpreters, and their ratio."""
    _once("import app")  # warm the file-system cache and write bytecode once
    _once("import boto3")
    app_ms, boto_ms = [], []
    for _ in range(runs):
        app_ms.append(_once("import app"))
        boto_ms.append(_once("import boto3"))
    app_median, boto_median = statistics.median(app_ms), statistics.median(boto_ms)
    return {
        "runs": runs,
        "import_app_ms": round(app_median, 1),
        "import_boto3_ms": round(boto_median, 1),
        "ratio": round(app_median / boto_median, 2),
        "goal_ratio_at_most": 1.2,
    }


if __name__ == "__main__":
    print(measure())
