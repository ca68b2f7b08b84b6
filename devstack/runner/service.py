"""The runner as services of the local stack: event sources, schedules and the outbox watcher.

`LocalRunner(options).factories` are `ServiceFactory`s for `LocalStack`:

- the event runner: one polling thread per DynamoDB stream source and per
  SQS source, and one for all schedules, each invoking the app's handler;
- the provider watcher: SMS and e-mail that the emulator's SNS and SES took,
  into the outbox.

Both start once the app is loaded, before the API serves, and stop after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.aws import sdk_errors
from devstack.errors import DevstackError
from devstack.lookups import StackLookups
from devstack.outbox import Outbox
from devstack.runner.cron import ScheduleError, parse_schedule
from devstack.runner.describe import queue_line, stream_line
from devstack.runner.destination import Destinations
from devstack.runner.inprocess import shard_iterator_forgetter
from devstack.runner.loop import Loop
from devstack.runner.outbox import ProviderWatcher
from devstack.runner.schedule import ScheduledFunction, ScheduleRunner
from devstack.runner.settings import event_source_properties, queue_settings, stream_settings
from devstack.runner.sources import EventSources, discover
from devstack.runner.sqs import QueuePoller, describe_queue
from devstack.runner.stream import StreamPoller
from devstack.template import load_template

if TYPE_CHECKING:
    from devstack.stack import ServiceFactory, StackContext

logger = logging.getLogger("devstack.runner")

#: How long a stop waits for the polling threads to finish their current steps.
STOP_TIMEOUT_SECONDS = 5.0


class RunnerError(DevstackError):
    """Raised when an event source of the app cannot be set up (its stream or queue is not there)."""


@dataclass(frozen=True)
class RunnerOptions:
    """What the runner needs besides the started stack."""

    #: The overlay holding the event sources' failure settings (infra/functions.yaml).
    overlay: Path
    stage: str = "dev"
    #: Seconds before a failed SQS message is visible again; None keeps each queue's own timeout.
    local_visibility_timeout: int | None = 5
    #: Wait between polls of an idle source.
    poll_seconds: float = 0.5


class EventRunner:
    """Runs the app's event sources as Lambda's event-source mappings and EventBridge would."""

    def __init__(self, context: StackContext, options: RunnerOptions) -> None:
        self._context = context
        self._options = options
        self._loops: list[Loop] = []
        #: One line per event source, for the banner.
        self.described: list[str] = []

    def start(self) -> None:
        """Find the app's event sources, read their settings and start polling them.

        `RunnerError` if a source's stream or queue cannot be read.
        """
        with sdk_errors("cannot set up the app's event sources", RunnerError):
            self._set_up()
        for loop in self._loops:
            loop.start()

    def _set_up(self) -> None:
        clients = self._context.clients
        account = str(clients("sts").get_caller_identity()["Account"])
        region = clients.region
        prefix = f"{self._context.app.app_name}-{self._options.stage}"
        sources = discover(
            self._context.app, lambda name: f"arn:aws:lambda:{region}:{account}:function:{prefix}-{name}"
        )
        overlay = _overlay(self._options.overlay)
        lookups = StackLookups(resources=self._context.resources, pseudo=_pseudo(account, region))
        self._add_streams(sources, overlay, lookups, region)
        self._add_queues(sources, overlay, region)
        schedules = _schedules(sources, region, account, prefix)
        if schedules:
            runner = ScheduleRunner(schedules, account, region)
            lines = [f"{s.function.name} ← {s.expression} (UTC)" for s in schedules]
            self._add(Loop("schedules", runner.step, idle_seconds=0.25), *lines)
        for skipped in sources.skipped:
            logger.warning("runner: event source %s is not run locally", skipped)

    def _add_streams(
        self, sources: EventSources, overlay: Mapping[str, Any], lookups: StackLookups, region: str
    ) -> None:
        clients = self._context.clients
        destinations = Destinations(clients("sqs"), clients("sns"))
        for function, config in sources.streams:
            settings = stream_settings(event_source_properties(overlay, function.name, "Dynamodb"), lookups)
            streams = clients("dynamodbstreams")
            streams.describe_stream(StreamArn=config.stream_arn)  # a stream that is not there fails the start
            forget = shard_iterator_forgetter(config.stream_arn)
            stream = StreamPoller(
                function, config, settings, streams, destinations, region, forget_iterator=forget
            )
            self._add(Loop(function.name, stream.step, self._options.poll_seconds), stream_line(stream))

    def _add_queues(self, sources: EventSources, overlay: Mapping[str, Any], region: str) -> None:
        sqs = self._context.clients("sqs")
        for function, config in sources.queues:
            settings = queue_settings(event_source_properties(overlay, function.name, "Sqs"))
            poller = QueuePoller(
                function,
                config,
                settings,
                sqs,
                describe_queue(sqs, config),
                region,
                local_visibility_timeout=self._options.local_visibility_timeout,
            )
            self._add(Loop(function.name, poller.step, self._options.poll_seconds), queue_line(poller))

    def _add(self, loop: Loop, *lines: str) -> None:
        self._loops.append(loop)
        self.described.extend(lines)
        for line in lines:  # the banner shows them too
            logger.debug("runner: %s", line)

    def stop(self) -> None:
        """Stop every polling thread: all are told at once, then all are waited for, within one bound."""
        loops, self._loops = self._loops, []
        for loop in loops:
            loop.signal_stop()
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for loop in loops:
            loop.join(max(0.0, deadline - time.monotonic()))


class LocalRunner:
    """The runner's service factories for `LocalStack`, and what they run, for the banner."""

    def __init__(self, options: RunnerOptions) -> None:
        self.options = options
        self._runner: EventRunner | None = None

    @property
    def factories(self) -> list[ServiceFactory]:
        """The event runner, then the provider watcher."""
        return [self.event_runner, provider_watcher]

    def event_runner(self, context: StackContext) -> EventRunner:
        self._runner = EventRunner(context, self.options)
        return self._runner

    def describe(self) -> list[str]:
        """One line per event source that runs, once started."""
        return list(self._runner.described) if self._runner is not None else []


def provider_watcher(context: StackContext) -> ProviderWatcher:
    """The service that copies what the emulator's SNS and SES took into the outbox."""
    account = str(context.clients("sts").get_caller_identity()["Account"])
    return ProviderWatcher(Outbox(context.outbox_path), account, context.clients.region)


def _overlay(path: Path) -> Mapping[str, Any]:
    return load_template(path).document if path.is_file() else {}


def _pseudo(account: str, region: str) -> dict[str, str]:
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }


def _schedules(sources: EventSources, region: str, account: str, prefix: str) -> list[ScheduledFunction]:
    schedules = []
    for function, config in sources.schedules:
        expression = config.schedule_expression
        text = expression.to_string() if hasattr(expression, "to_string") else str(expression)
        try:
            schedule = parse_schedule(text)
        except ScheduleError as exc:
            logger.warning("runner: %s is not fired locally: %s", function.name, exc)
            continue
        rule_arn = f"arn:aws:events:{region}:{account}:rule/{prefix}-{function.name}"
        schedules.append(ScheduledFunction(function, schedule, rule_arn, text))
    return schedules
