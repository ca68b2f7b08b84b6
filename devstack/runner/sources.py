"""The app's event sources and the functions behind them, found on the Chalice app object.

Chalice records every `@app.on_dynamodb_record`, `@app.on_sqs_message` and
`@app.schedule` in `app.event_sources`, and keeps each decorated handler in
`app.handler_map` under its name. A handler is called as Lambda calls it,
`handler(event, context)`, and returns what the function returns. Sources of
other kinds (S3, SNS, Kinesis, event patterns) are listed as not run locally.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

from devstack.runner.batch import Outcome, Verdict

logger = logging.getLogger("devstack.runner")

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Invocation:
    """One call of a handler: what it returned, or what it raised."""

    request_id: str
    response: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Function:
    """A Lambda function of the app: its name, ARN and handler."""

    name: str
    arn: str
    handler: Handler = field(repr=False)
    memory_mb: int = 512
    timeout_seconds: int = 30

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Call the handler with `event` and a Lambda context; an exception is returned, not raised."""
        context = LambdaContext(self.name, self.memory_mb, self.timeout_seconds * 1000)
        context.invoked_function_arn = self.arn
        started = time.monotonic()
        try:
            response = self.handler(event, context)
        except Exception as exc:
            return Invocation(context.aws_request_id, error=exc, seconds=time.monotonic() - started)
        return Invocation(context.aws_request_id, response=response, seconds=time.monotonic() - started)


@dataclass(frozen=True)
class EventSources:
    """The app's event sources that the runner runs, with their functions."""

    streams: list[tuple[Function, DynamoDBEventConfig]] = field(default_factory=list)
    queues: list[tuple[Function, SQSEventConfig]] = field(default_factory=list)
    schedules: list[tuple[Function, ScheduledEventConfig]] = field(default_factory=list)
    #: Sources of kinds that are not run locally, as "name (kind)".
    skipped: list[str] = field(default_factory=list)


def discover(app: Any, function_arn: Callable[[str], str]) -> EventSources:
    """The event sources of a Chalice app; `function_arn` names each function's ARN."""
    sources = EventSources()
    handlers: Mapping[str, Handler] = getattr(app, "handler_map", {})
    for config in getattr(app, "event_sources", []):
        handler = handlers.get(config.name)
        if handler is None:
            sources.skipped.append(f"{config.name} (no handler)")
            continue
        function = Function(config.name, function_arn(config.name), handler)
        if isinstance(config, DynamoDBEventConfig):
            sources.streams.append((function, config))
        elif isinstance(config, SQSEventConfig):
            sources.queues.append((function, config))
        elif isinstance(config, ScheduledEventConfig):
            sources.schedules.append((function, config))
        else:
            sources.skipped.append(f"{config.name} ({type(config).__name__})")
    return sources


def log_invocation(
    name: str, size: int, verdict: Verdict, identifiers: list[str], invocation: Invocation
) -> None:
    """One line per invocation: the source, its records and failures; never a record's content."""
    milliseconds = invocation.seconds * 1000
    if verdict.outcome is Outcome.ERROR:
        error = invocation.error
        logger.error(
            "%s: %d records, the handler raised %s (%.0f ms)",
            name,
            size,
            type(error).__name__,
            milliseconds,
            exc_info=error,
        )
    elif verdict.outcome is Outcome.INVALID:
        logger.warning("%s: %d records, batchItemFailures names no item of the batch: all failed", name, size)
    else:
        failed = len(verdict.failed_items(identifiers))
        logger.info("%s: %d records, %d failed (%.0f ms)", name, size, failed, milliseconds)
