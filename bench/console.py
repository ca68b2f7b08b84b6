"""The staff console at 5,000 open complaints: every queue page's time, requests and weight.

Issue 7 asks that the console's tables stay usable at 5,000 open complaints,
with the index doing the work. On the local stack (moto's DynamoDB on
loopback, the real Cognito emulator for the session), one Turkish department
is given 5,000 open complaints: investigating, waiting for the complainant
and decided, received over the last 40 days, so that some are overdue. A
handler of that department then, through the console's own pages (the
Chalice app in process, its session cookie an ID token from the emulator):

- walks the whole queue 50 to a page by its `Next page` links, and 200 to a
  page, and checks that every complaint is listed exactly once;
- opens the overdue-only filter;
- finds one complaint by its code and opens it;
- opens the dashboard (its cache emptied first).

For each page: the wall time of the request, the part of it spent waiting
for AWS (between botocore's before-call and after-call events), the AWS
requests it made by operation, the rows and the HTML's bytes. Seeding is
not measured.

moto's index queries sort the whole table (about 200 ms a Query at 5,000
items, and the dashboard's 50 Queries, taken one at a time by the local
stack, then exceed the client's 5 s read timeout). As in the report
benchmark, moto's in-process DynamoDB gets `bench/moto_server.py`'s cuts
first, which change its costs and not its answers; the console writes
nothing while it is measured, which those cuts need.
"""

from __future__ import annotations

import html
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.dynamodb import running_stack
from bench.reports import put_copies, received_complaint
from chalicelib.domain import commands as c
from chalicelib.domain.complaint import Complaint
from chalicelib.domain.handling import handle
from chalicelib.domain.policy import DecisionOutcome, Department, RootCause
from devstack.metering import aws_calls
from devstack.token import sign_in

OPEN = 5_000
USER = "handler"  # TR, customer_services (devstack/staff_users.py)
DEPARTMENT = Department.CUSTOMER_SERVICES
SESSION_COOKIE = "__Host-cd-session"
#: Distinct complaints made by the domain; the rest are copies under fresh codes and shards.
TEMPLATES = 500
_NEXT = re.compile(r'<a [^>]*id="next-page"[^>]*href="([^"]+)"')
_ROW = re.compile(r'id="row-([0-9A-Z-]+)"')


def run(count: int = OPEN) -> dict[str, Any]:
    """The console's figures at `count` open complaints of one department."""
    from bench import moto_server

    moto_server.index_partitions()
    moto_server.project_attributes()
    moto_server.plain_query_answers()
    with tempfile.TemporaryDirectory() as local_dir, running_stack(local_dir) as stack:
        token = sign_in(stack.describe(), USER)
        from chalicelib.bootstrap import Container, install

        container = Container()
        started = time.perf_counter()
        seeded = _seed(count, container)
        print(f"seeded {seeded} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with aws_calls() as counts, _aws_wait() as waits:
            install(Container())
            from chalice.test import Client

            with Client(sys.modules["app"].app) as client:
                console = _Console(client, token, counts, waits)
                console.get("/en/console/queue?limit=50")  # warm: imports, JWKS, templates
                results = {
                    "open_complaints": seeded,
                    "queue_50": console.walk("/en/console/queue?limit=50"),
                    "queue_200": console.walk("/en/console/queue?limit=200"),
                    "overdue_first_page": console.page("/en/console/queue?limit=50&overdue=true"),
                    "queue_api_first_page_50": console.page("/staff/queue?limit=50", api=True),
                }
                code = console.first_code
                results["find_by_code"] = console.page(f"/en/console/search?tracking_code={code}")
                # The first complaint page of a process compiles its templates; the second is warm.
                results["one_complaint_first"] = console.page(f"/en/console/complaints/{code}")
                results["one_complaint"] = console.page(f"/en/console/complaints/{code}")
                install(Container())  # a fresh container: the dashboard's cache is empty
                results["dashboard"] = console.page("/en/console/dashboard")
        install(None)
    scan = [name for name in counts if name.endswith(".Scan")]
    results["scans"] = len(scan)
    return results


class _Console:
    """Pages of the console as the signed-in member, each timed and its AWS requests counted."""

    def __init__(self, client: Any, token: str, counts: Counter[str], waits: list[float]) -> None:
        self.client = client
        self.counts = counts
        self.waits = waits
        self.cookie = f"{SESSION_COOKIE}={token}"
        self.token = token
        self.first_code = ""

    def get(self, path: str, api: bool = False) -> tuple[Any, float, dict[str, int]]:
        headers = {"Authorization": f"Bearer {self.token}"} if api else {"Cookie": self.cookie}
        self.counts.clear()
        self.waits.clear()
        start = time.perf_counter()
        answer = self.client.http.get(path, headers=headers)
        took = (time.perf_counter() - start) * 1000
        self.waited = sum(self.waits) * 1000
        assert answer.status_code in (200, 303), (path, answer.status_code, answer.body[:500])
        return answer, took, {k: v for k, v in self.counts.items() if v}

    def page(self, path: str, api: bool = False) -> dict[str, Any]:
        answer, took, calls = self.get(path, api)
        body = answer.body.decode("utf-8")
        rows = len(json.loads(body)["items"]) if api else len(set(_ROW.findall(body)))
        found = {
            "ms": round(took, 1),
            "ms_waiting_for_aws": round(self.waited, 1),
            "requests": calls,
            "rows": rows,
            "bytes": len(answer.body),
        }
        if answer.status_code != 200:
            found["status"] = answer.status_code
        print(path, found, file=sys.stderr)
        return found

    def walk(self, path: str) -> dict[str, Any]:
        """Every page of a queue by its `Next page` link; each complaint must be listed once."""
        seen: list[str] = []
        times: list[float] = []
        own: list[float] = []
        requests: list[int] = []
        operations: Counter[str] = Counter()
        sizes: list[int] = []
        url: str | None = path
        while url:
            answer, took, calls = self.get(url)
            body = answer.body.decode("utf-8")
            seen += _ROW.findall(body)
            times.append(took)
            own.append(took - self.waited)
            requests.append(sum(calls.values()))
            operations.update(calls)
            sizes.append(len(answer.body))
            found = _NEXT.search(body)
            url = html.unescape(found.group(1)) if found else None
        assert len(seen) == len(set(seen)), "a complaint was listed twice"
        print(path, f"{len(times)} pages, {sum(times) / 1000:.1f} s", file=sys.stderr)
        self.first_code = self.first_code or seen[0]
        return {
            "pages": len(times),
            "complaints_listed": len(seen),
            "ms_first_page": round(times[0], 1),
            "ms_median": round(statistics.median(times), 1),
            "ms_p95": round(sorted(times)[int(0.95 * (len(times) - 1))], 1),
            "ms_max": round(max(times), 1),
            "ms_last_page": round(times[-1], 1),
            "ms_median_besides_aws": round(statistics.median(own), 1),
            "ms_max_besides_aws": round(max(own), 1),
            "requests_per_page_max": max(requests),
            "requests_per_page_median": statistics.median(requests),
            "operations": dict(operations),
            "kb_per_page_max": round(max(sizes) / 1024, 1),
        }


@contextmanager
def _aws_wait() -> Iterator[list[float]]:
    """Seconds each AWS call of a client created in the block took, from before-call to after-call."""
    from botocore import handlers  # type: ignore[import-untyped]

    waits: list[float] = []
    started = threading.local()

    def before(**_: Any) -> None:
        started.at = time.perf_counter()

    def after(**_: Any) -> None:
        waits.append(time.perf_counter() - started.at)

    entries = [("before-call", before), ("after-call", after)]
    handlers.BUILTIN_HANDLERS.extend(entries)
    try:
        yield waits
    finally:
        for entry in entries:
            handlers.BUILTIN_HANDLERS.remove(entry)


def _open(rng: random.Random, received_at: datetime) -> Complaint:
    """A complaint of the department, open: investigating, waiting for the complainant, or decided."""
    at = received_at
    complaint = received_complaint(rng, received_at)

    def step(command: c.Command, hours: float) -> None:
        nonlocal complaint, at
        at += timedelta(hours=hours)
        complaint, _ = handle(complaint, command, actor="staff:bench", now=at)

    step(c.Assign(DEPARTMENT, f"handler{rng.randrange(12)}"), rng.uniform(0.5, 6))
    roll = rng.random()
    if roll < 0.2:
        step(c.RequestInformation("belge"), rng.uniform(2, 48))
    elif roll < 0.3:
        step(c.RecordRootCause(rng.choice(list(RootCause)), "neden"), rng.uniform(2, 48))
        step(c.Decide(rng.choice(list(DecisionOutcome)), None, None), rng.uniform(1, 24))
    elif roll < 0.5:
        step(c.AddNote("not"), rng.uniform(1, 24))
    return complaint


def _seed(count: int, container: Any) -> int:
    """Write `count` open complaints by batch writes of the repository's own items."""
    import boto3  # type: ignore[import-untyped]

    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    repository = container.repository
    settings = container.settings
    templates = [_open(rng, now - timedelta(days=rng.uniform(1, 40))) for _ in range(min(count, TEMPLATES))]
    client = boto3.client("dynamodb", region_name=settings.region)
    return put_copies(client, settings.complaints_table, repository, templates, count, settings.day_shards)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, ensure_ascii=False))
