"""Period reports: a month's build against the raw index reads of the same items, and its memory.

A Turkish month of 30 days is seeded with 10,000 complaints and then topped
up to 50,000: domain complaints with a realistic mix of channels,
categories, languages and handling (open, answered, closed and rated,
reopened, escalated, referred out, withdrawn, health-flagged), written with
the repository's `to_item` by batch writes. Seeding is not measured.

moto runs as a server process of its own, on loopback (`bench/moto_server.py`,
which cuts moto's own per-item costs without changing its answers): its
tables and objects are not in the memory measured. Every figure of a size
comes from fresh interpreters, started the same way for both sizes, that
first build an empty day (imports, clients and connection pools made):

- time: `PeriodReports.build(period)` against the raw reads of the same
  partitions (the same PynamoDB query, client, projection and page size, as
  many threads as the report's workers, every page fetched, no item turned
  into anything), alternating, best and median of `repeats`; wall time, and
  the CPU time of the report's process (every thread);
- memory: tracemalloc's peak during the build (and, for comparison, during
  the raw reads), in a process of its own; and the timing process's peak
  resident set (VmHWM) after its first build.

The machine may be shared: each round runs the build and the raw reads back
to back, and the ratio is the median of the rounds' ratios.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.domain import commands as c
from chalicelib.domain.complaint import Complaint, Milestone, MilestoneCode, Submission, Triage
from chalicelib.domain.handling import escalate, handle, record_feedback
from chalicelib.domain.periods import PeriodKind, ReportPeriod, period_of, scheduled_firing
from chalicelib.domain.policy import (
    Category,
    Channel,
    ContactChannel,
    DecisionOutcome,
    Department,
    Market,
    ReferralReason,
    RootCause,
    SocialNetwork,
)
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.triage import assess
from chalicelib.domain.validation import parse_submission
from chalicelib.services.submit_complaint import received as submitted
from devstack.aws import emulator_environment

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REGION = "us-east-1"
SIZES = (10_000, 50_000)
REPEATS = 3
SHARDS = 8  # the settings' default DAY_SHARDS
WORKERS = 8  # the settings' default REPORT_WORKERS
MONTH = period_of(Market.TR, PeriodKind.MONTHLY, date(2026, 11, 1))  # November: 30 days
#: The report runs at the scheduled firing after the month ends.
NOW = scheduled_firing(Market.TR, date(2026, 12, 1))
#: An empty day: the warm-up build reads it, to import and connect before anything is measured.
EMPTY_DAY = period_of(Market.TR, PeriodKind.DAILY, date(2026, 12, 1))
TABLE, BUCKET = "complaintdesk-bench-reports", "complaintdesk-bench-reports"
MEMORY_GOAL_MB = 20
RATIO_GOAL = 1.3
MB = 1024 * 1024


# --- the measurement as `make bench` runs it -----------------------------------------------------


def measure(sizes: tuple[int, ...] = SIZES, repeats: int = REPEATS) -> dict[str, Any]:
    """Seed each size in turn (the same month, topped up) and measure it in fresh processes."""
    from chalicelib.adapters.report_source import PAGE_SIZE

    started, load = time.perf_counter(), round(os.getloadavg()[0], 1)
    results: dict[str, Any] = {
        "period": f"{MONTH.market.value} {MONTH.kind.value} {MONTH.label} ({len(MONTH.days)} days)",
        "partitions": len(MONTH.days) * SHARDS,
        "workers": WORKERS,
        "page_size": PAGE_SIZE,
        "repeats": repeats,
    }
    with _moto_server() as url, _pointed_at(url):
        resources = _create_resources()
        rng = random.Random(20261101)
        seeded, seeding = 0, 0.0
        for size in sizes:
            start = time.perf_counter()
            seeded += _seed(size - seeded, rng, resources)
            seeding += time.perf_counter() - start
            timing = _child("time", size, resources, repeats)
            memory = _child("memory", size, resources, repeats)
            results[str(size)] = {**timing, **memory}
    first, last = results[str(sizes[0])], results[str(sizes[-1])]

    def growth(name: str) -> float:
        return round(float(last[name]) - float(first[name]), 1)

    results["memory_growth"] = {
        "from": sizes[0],
        "to": sizes[-1],
        "tracemalloc_peak_growth_mb": growth("tracemalloc_peak_mb"),
        "raw_reads_tracemalloc_peak_growth_mb": growth("raw_reads_tracemalloc_peak_mb"),
        "max_rss_growth_mb": growth("max_rss_mb"),
        "goal_at_most_mb": MEMORY_GOAL_MB,
    }
    results["goal_ratio_at_most"] = RATIO_GOAL
    results["seeding_seconds"] = round(seeding, 1)
    results["load_average_at_start_and_end"] = [load, round(os.getloadavg()[0], 1)]
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    return results


@dataclass(frozen=True)
class Resources:
    """Where the bench's complaints and report files live on the emulator."""

    table: str
    bucket: str
    kms_key_arn: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _moto_server() -> Iterator[str]:
    """moto's server in a process of its own, on loopback; stopped on exit."""
    port = _free_port()
    url = f"http://{HOST}:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.moto_server", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2):  # noqa: S310
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def _pointed_at(url: str) -> Iterator[None]:
    """Every AWS client of this process and its children goes to the emulator; restored on exit."""
    before = dict(os.environ)
    change = emulator_environment(os.environ, url, REGION, os.devnull)
    for name in change.unset:
        os.environ.pop(name, None)
    os.environ.update(change.set)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


def _create_resources() -> Resources:
    """The complaints table with its indexes as the models declare them, a KMS key and the bucket."""
    import boto3  # type: ignore[import-untyped]

    _tables(TABLE).complaints.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    arn: str = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    return Resources(TABLE, BUCKET, arn)


#: The emulator on a shared two-core machine may take longer than the app's 5 s to answer.
EMULATOR_READ_TIMEOUT = 120


def _tables(table: str) -> Any:
    from chalicelib.adapters.tables import bind_tables

    tables = bind_tables(table, f"{table}-history", f"{table}-idempotency", REGION)
    meta: Any = tables.complaints.Meta
    meta.read_timeout_seconds = EMULATOR_READ_TIMEOUT
    return tables


def _child(mode: str, size: int, resources: Resources, repeats: int) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (the environment points at the emulator)."""
    config = {"mode": mode, "size": size, "repeats": repeats, **dataclasses.asdict(resources)}
    answer = subprocess.run(
        [sys.executable, "-m", "bench.reports", json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if answer.returncode != 0:
        raise RuntimeError(
            f"the {mode} measurement of {size} failed ({answer.returncode}):\n{answer.stderr[-4000:]}"
        )
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


# --- in the measuring process ------------------------------------------------------------------


def _run_child(config: dict[str, Any]) -> dict[str, Any]:
    resources = Resources(config["table"], config["bucket"], config["kms_key_arn"])
    size, repeats = int(config["size"]), int(config["repeats"])
    reports, tables = _period_reports(resources)
    reports.build(EMPTY_DAY)  # imports XlsxWriter, makes the clients and their pools
    _raw_reads(tables, EMPTY_DAY)
    if config["mode"] == "memory":
        tracemalloc.start()
        built = reports.build(MONTH)
        build_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        items = _raw_reads(tables, MONTH)
        raw_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert built.received == items == size, (built.received, items, size)
        return {
            "tracemalloc_peak_mb": round(build_peak / MB, 1),
            "raw_reads_tracemalloc_peak_mb": round(raw_peak / MB, 1),
        }
    build: list[tuple[float, float]] = []
    raw: list[tuple[float, float]] = []
    max_rss = 0.0
    for round_ in range(repeats):
        built, spent = _timed(lambda: reports.build(MONTH))
        assert built.received == size, (built.received, size)
        build.append(spent)
        if round_ == 0:
            max_rss = _max_rss()
        items, spent = _timed(lambda: _raw_reads(tables, MONTH))
        assert items == size, (items, size)
        raw.append(spent)
    # Each round's build and raw reads run back to back, so the machine's load weighs on both alike.
    wall_ratio = statistics.median(b / r for (b, _), (r, _) in zip(build, raw, strict=True))
    cpu_ratio = statistics.median(b / r for (_, b), (_, r) in zip(build, raw, strict=True))
    return {
        "build_seconds": _spread(w for w, _ in build),
        "raw_seconds": _spread(w for w, _ in raw),
        "ratio": round(wall_ratio, 2),
        "report_process_cpu_seconds": {
            "build": _spread(cpu for _, cpu in build),
            "raw": _spread(cpu for _, cpu in raw),
            "ratio": round(cpu_ratio, 2),
        },
        "max_rss_mb": round(max_rss, 1),
    }


def _spread(seconds: Iterable[float]) -> dict[str, float]:
    values = list(seconds)
    return {"best": round(min(values), 2), "median": round(statistics.median(values), 2)}


def _timed(work: Callable[[], Any]) -> tuple[Any, tuple[float, float]]:
    """The result of `work`, its wall time and this process's CPU time (every thread)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def _max_rss() -> float:
    """This process's largest resident set so far, in MiB.

    Linux keeps `ru_maxrss` across exec, so a child started by a big process reports the
    parent's size; the memory map's high-water mark (VmHWM) starts afresh at exec.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _period_reports(resources: Resources) -> tuple[Any, Any]:
    """The report service as the container makes it, without CAPA and backlog (they read elsewhere)."""
    import boto3
    from botocore.config import Config  # type: ignore[import-untyped]

    from chalicelib.adapters.report_files import S3ReportStore
    from chalicelib.adapters.report_source import DynamoReportSource
    from chalicelib.services.period_reports import PeriodReports

    tables = _tables(resources.table)
    s3 = boto3.session.Session(region_name=REGION).client(
        "s3", config=Config(signature_version="s3v4", connect_timeout=2, read_timeout=EMULATOR_READ_TIMEOUT)
    )
    store = S3ReportStore(s3, resources.bucket, kms_key_id=resources.kms_key_arn)

    class Clock:
        def now(self) -> datetime:
            return NOW

    reports = PeriodReports(DynamoReportSource(tables, SHARDS), store, Clock(), workers=WORKERS)
    return reports, tables


def _raw_reads(tables: Any, period: ReportPeriod) -> int:
    """Every item of the period's partitions fetched as the report source asks for them, and dropped.

    The same query as `DynamoReportSource.day_rows` (client, index, projection, page size),
    as many threads as the report's workers, every page; each page is counted and let go.
    """
    from chalicelib.adapters.report_source import PAGE_SIZE, REPORT_ATTRIBUTES
    from chalicelib.adapters.repository import day_partition

    def partition(key: str) -> int:
        pages = tables.complaints.by_day.query(
            key, attributes_to_get=list(REPORT_ATTRIBUTES), page_size=PAGE_SIZE
        ).page_iter
        return sum(len(page.get("Items", ())) for page in pages)

    keys = [day_partition(period.market, day, shard) for day in period.days for shard in range(SHARDS)]
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="raw") as pool:
        return sum(pool.map(partition, keys))


# --- the complaints ----------------------------------------------------------------------------

_CHANNELS = {
    Channel.WEB: 50,
    Channel.PHONE: 18,
    Channel.EMAIL: 12,
    Channel.SOCIAL_MEDIA: 6,
    Channel.IN_PERSON: 5,
    Channel.POST: 5,
    Channel.FAX: 4,
}
_CATEGORIES = {
    Category.CLAIM_DECISION: 20,
    Category.CLAIM_PAYMENT_DELAY: 18,
    Category.HEALTH_CLAIM: 6,
    Category.POLICY_ISSUANCE: 8,
    Category.PREMIUM_BILLING: 12,
    Category.CANCELLATION_REFUND: 10,
    Category.AGENT_CONDUCT: 8,
    Category.SERVICE_QUALITY: 12,
    Category.OTHER: 6,
}
#: How far each complaint got, and how often.
_PATHS = {
    "received": 4,
    "assessed": 3,
    "investigating": 14,
    "awaiting_complainant": 5,
    "information_received": 3,
    "decided": 4,
    "responded": 12,
    "closed": 30,
    "closed_late": 2,
    "reopened": 5,
    "reopened_answered": 3,
    "escalated": 8,
    "referred_out": 4,
    "withdrawn": 3,
}
_DESCRIPTION = "Kasko hasar talebim gerekçesiz reddedildi; şube yanıt vermiyor."
_ACTOR = "staff:bench"


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def complaint(rng: random.Random, received_at: datetime, now: datetime = NOW) -> Complaint:
    """One Turkish complaint received at `received_at`, handled along a random path as far as `now`."""
    return _handled(received_complaint(rng, received_at), _pick(rng, _PATHS), rng, now)


def received_complaint(rng: random.Random, received_at: datetime) -> Complaint:
    """One Turkish complaint as intake leaves it: a random channel, category and language, triaged."""
    channel: Channel = _pick(rng, _CHANNELS)
    network = rng.choice(list(SocialNetwork)) if channel is Channel.SOCIAL_MEDIA else None
    submission, triage = _submission(
        channel,
        network,
        _pick(rng, _CATEGORIES),
        "en" if rng.random() < 0.08 else "tr",
        "inquiry" if rng.random() < 0.1 else "complaint",
        rng.random() < 0.3,
        rng.random() < 0.04,
    )
    received = submitted(submission, triage, new_tracking_code(), received_at)
    if rng.random() < 0.97:  # the acknowledgement goes out within minutes, unless it failed
        acknowledged = Milestone(
            MilestoneCode.ACKNOWLEDGED, received_at + timedelta(seconds=rng.randrange(20, 900))
        )
        received = dataclasses.replace(received, milestones=(*received.milestones, acknowledged))
    return received


@functools.cache
def _submission(
    channel: Channel,
    network: SocialNetwork | None,
    category: Category,
    language: str,
    kind: str,
    disclose: bool,
    health: bool,
) -> tuple[Submission, Triage]:
    """A checked submission and its triage, made once for each combination (triage reads the text)."""
    payload: dict[str, Any] = {
        "market": "TR",
        "language": language,
        "kind": kind,
        "channel": channel.value,
        "category": category.value,
        "description": _DESCRIPTION,
        "contact": {"name": "Deniz Işık", "mobile": "+905320000000"},
        "consent": {"contact": True, "disclose": disclose},
        "health_or_safety": health,
    }
    if network is not None:
        payload["channel_detail"] = {"network": network.value}
    submission = parse_submission(payload, channels=frozenset(Channel))
    return submission, assess(submission)


def _handled(complaint: Complaint, path: str, rng: random.Random, now: datetime) -> Complaint:
    """The complaint after the steps of its path that happened before `now`."""
    hours = 0.0

    def later(low: float, high: float) -> float:
        nonlocal hours
        hours += rng.uniform(low, high)
        return hours

    department = rng.choice(list(Department))
    assign = c.Assign(department, f"handler{rng.randrange(40)}")
    root_cause = c.RecordRootCause(rng.choice(list(RootCause)), "neden")
    amount = f"{rng.randrange(100, 90000)}.00" if rng.random() < 0.4 else None
    decide = c.Decide(rng.choice(list(DecisionOutcome)), "çözüm" if amount else None, amount)
    tell = c.CommunicateDecision(
        rng.choice([ContactChannel.SMS, ContactChannel.EMAIL, ContactChannel.PHONE]), "karar"
    )
    steps: list[tuple[float, c.Command | str]] = []
    if path == "assessed":
        steps = [(later(0.5, 8), c.Assess(complaint.triage.urgency, complaint.triage.importance, "ilk"))]
    elif path == "referred_out":
        steps = [(later(1, 48), c.ReferOut(rng.choice(list(ReferralReason))))]
    elif path != "received":
        steps = [(later(0.5, 8), assign)]
    if path in ("awaiting_complainant", "information_received"):
        steps.append((later(12, 72), c.RequestInformation("belge")))
        if path == "information_received":
            steps.append((later(12, 96), c.ReceiveInformation("belge geldi", "public")))
    if path == "withdrawn":
        steps.append((later(2, 120), c.Withdraw()))
    if path == "escalated":
        steps += [
            (later(24, 96), c.AddNote("not")),
            (later(72, 120), "escalate:1"),
            (later(24, 72), "escalate:2"),
        ]
    if path in ("decided", "responded", "closed", "closed_late", "reopened", "reopened_answered"):
        slow = 150.0 if path == "closed_late" else 0.0
        steps += [(later(12, 72), root_cause), (later(12 + slow, 96 + slow), decide)]
        if path != "decided":
            steps.append((later(1, 24), tell))
        if path not in ("decided", "responded"):
            steps += [(later(12, 72), c.Close()), (later(1, 96), "feedback")]
        if path in ("reopened", "reopened_answered"):
            steps += [(later(24, 120), c.Reopen("itiraz")), (later(24, 48), "escalate:1")]
        if path == "reopened_answered":
            steps += [(later(24, 72), c.Decide(DecisionOutcome.REJECTED, None, None)), (later(1, 12), tell)]
    for offset, step in steps:
        at = complaint.received_at + timedelta(hours=offset)
        if at >= now:
            break
        if step == "feedback":
            if rng.random() < 0.6:
                complaint, _ = record_feedback(complaint, rng.choice((1, 2, 3, 4, 4, 5, 5, 5)), None, now=at)
        elif isinstance(step, str):
            levels = list(range(1, int(step.rpartition(":")[2]) + 1))
            escalated = escalate(complaint, levels, ("supervisor", "head"), now=at)
            complaint = escalated[0] if escalated else complaint
        else:
            complaint, _ = handle(complaint, step, actor=_ACTOR, now=at)
    return complaint


def _receipt_times(rng: random.Random, count: int) -> list[datetime]:
    """Instants spread over the month's local days, busier in working hours."""
    span = (MONTH.end - MONTH.start).total_seconds()
    times: list[datetime] = []
    while len(times) < count:
        at = MONTH.start + timedelta(seconds=rng.uniform(0, span))
        local_hour = (at + timedelta(hours=3)).hour  # Istanbul is UTC+3 all year
        if 9 <= local_hour < 18 or rng.random() < 0.35:
            times.append(at.astimezone(UTC).replace(microsecond=0))
    return times


#: Distinct complaints made by the domain; the rest are copies of them under fresh codes.
TEMPLATES = 4000


def _seed(count: int, rng: random.Random, resources: Resources) -> int:
    """Write `count` complaints of the month; seeding speed matters, it is not measured.

    Each template is stored with the repository's `to_item` (and the version PynamoDB writes
    with it); a copy is that item under a fresh tracking code and the day shard of that code,
    the two attributes `to_item` derives from the code.
    """
    import boto3
    from botocore.config import Config

    from chalicelib.adapters.repository import DynamoComplaintRepository

    if count <= 0:
        return 0
    tables = _tables(resources.table)
    repository = DynamoComplaintRepository(tables, tables.complaints._get_connection().connection, SHARDS)
    templates = [complaint(rng, at) for at in _receipt_times(rng, min(count, TEMPLATES))]
    client = boto3.client("dynamodb", region_name=REGION, config=Config(parameter_validation=False))
    return put_copies(client, resources.table, repository, templates, count, SHARDS)


def put_copies(
    client: Any, table: str, repository: Any, templates: list[Complaint], count: int, shards: int
) -> int:
    """Write `count` items by batch writes on two threads: the templates' items as the repository's
    `to_item` stores them (with the version PynamoDB writes), in turn, each under a fresh tracking
    code and that code's day shard (the two attributes `to_item` derives from the code).
    """
    from chalicelib.adapters.repository import day_shard

    stored = [
        {**repository.to_item(each).serialize(), "version": {"N": str(each.version)}} for each in templates
    ]

    def item(n: int) -> dict[str, Any]:
        template, code = templates[n % len(templates)], new_tracking_code()
        shard = day_shard(dataclasses.replace(template, tracking_code=code), shards)
        return {**stored[n % len(templates)], "tracking_code": {"S": code}, "day_shard": {"S": shard}}

    def write(start: int) -> int:
        batch = [{"PutRequest": {"Item": item(n)}} for n in range(start, min(start + 25, count))]
        pending = {table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return len(batch)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return sum(pool.map(write, range(0, count, 25)))


if __name__ == "__main__":
    print(json.dumps(_run_child(json.loads(sys.argv[1]))))
