"""Scheduled handlers, fired on the wall clock with EventBridge's scheduled-event payload.

A rate counts from the moment the runner starts; a cron fires at the start of
each matching UTC minute. Each firing's `time` is the scheduled instant. A
firing that is already late when the previous one ends is skipped, not
queued (EventBridge would run it concurrently). A handler that raises is
logged and the schedule goes on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from devstack.runner.cron import Cron, Rate
from devstack.runner.events import scheduled_event
from devstack.runner.sources import Function

logger = logging.getLogger("devstack.runner")


@dataclass(frozen=True)
class ScheduledFunction:
    """A function, its schedule and the ARN of the rule that fires it."""

    function: Function
    schedule: Rate | Cron
    rule_arn: str
    expression: str


@dataclass
class _Next:
    scheduled: ScheduledFunction
    started: datetime
    at: datetime


class ScheduleRunner:
    """Every schedule of the app; `step()` fires at most one that is due."""

    def __init__(
        self,
        schedules: Sequence[ScheduledFunction],
        account: str,
        region: str,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._account = account
        self._region = region
        self._now = now
        started = now()
        self._next = [_Next(s, started, s.schedule.next_after(started, started)) for s in schedules]

    def upcoming(self) -> list[tuple[str, datetime]]:
        """Each function's next firing, soonest first."""
        return sorted(((n.scheduled.function.name, n.at) for n in self._next), key=lambda pair: pair[1])

    def step(self) -> bool:
        """Fire one schedule that is due; False when none is."""
        now = self._now()
        for entry in self._next:
            if entry.at <= now:
                self._fire(entry.scheduled, entry.at)
                entry.at = entry.scheduled.schedule.next_after(max(now, entry.at), entry.started)
                return True
        return False

    def _fire(self, scheduled: ScheduledFunction, at: datetime) -> None:
        event = scheduled_event(str(uuid.uuid4()), scheduled.rule_arn, self._account, self._region, at)
        invocation = scheduled.function.invoke(event)
        name = scheduled.function.name
        if invocation.error is not None:
            logger.error(
                "%s: the scheduled handler raised %s",
                name,
                type(invocation.error).__name__,
                exc_info=invocation.error,
            )
        else:
            logger.info("%s: fired for %s (%.0f ms)", name, event["time"], invocation.seconds * 1000)
