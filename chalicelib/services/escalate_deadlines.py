"""Find complaints at risk and overdue, and escalate each level once (runs every 15 minutes).

Candidates come from the by-queue index, partition by partition (market,
department, running state), only those due before a horizon: a complaint
due later cannot have used its threshold share yet. Each candidate is then
read whole and its exact share of business time used decides the level.
Paused complaints (waiting for the complainant) and answered ones are not
in the running states and are never escalated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.deadlines import risk_horizon, share_used, watched
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.handling import escalate, escalation_levels
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import Department, Market
from chalicelib.services.ports import Clock, ComplaintRepository

PAGE = 100
ATTEMPTS = 5


@dataclass
class EscalationRun:
    """What one run looked at and did."""

    candidates: int = 0
    escalated: list[str] = field(default_factory=list)
    conflicts: int = 0


def escalate_deadlines(
    *,
    repository: ComplaintRepository,
    clock: Clock,
    chain: tuple[str, ...],
    thresholds: tuple[float, ...],
) -> EscalationRun:
    """Escalate every complaint that reached a threshold since the last run."""
    now = clock.now()
    run = EscalationRun()
    departments: list[str | None] = [d.value for d in Department] + [None]
    for market in Market:
        due_before = risk_horizon(market, now, thresholds[0])
        for department in departments:
            for status in [s for s in Status if watched(market, s)]:
                start = None
                while True:
                    found = repository.queue_slice(
                        market, department, status, limit=PAGE, due_before=due_before, start=start
                    )
                    for summary in found.items:
                        run.candidates += 1
                        _escalate_one(summary.tracking_code, repository, now, chain, thresholds, run)
                    if found.next_key is None:
                        break
                    start = found.next_key
    return run


def _escalate_one(
    code: str,
    repository: ComplaintRepository,
    now: datetime,
    chain: tuple[str, ...],
    thresholds: tuple[float, ...],
    run: EscalationRun,
) -> None:
    for _ in range(ATTEMPTS):
        complaint = repository.get(code)
        if complaint is None or not watched(complaint.market, complaint.status):
            return
        change = escalate(
            complaint, escalation_levels(share_used(complaint, now), thresholds), chain, now=now
        )
        if change is None:
            return
        try:
            repository.apply_change(complaint, *change)
            run.escalated.append(code)
            return
        except ConcurrentUpdate:
            run.conflicts += 1
            continue
