"""One line per running event source, for the banner: what runs it and how it fails."""

from __future__ import annotations

from devstack.runner.settings import SETTING_NAMES
from devstack.runner.sqs import QueuePoller
from devstack.runner.stream import StreamPoller


def stream_line(stream: StreamPoller) -> str:
    """E.g. `on_change ← stream of items (batch 25, 5 retries, bisect on error, on failure → failures)`."""
    settings = stream.settings
    if settings.maximum_retry_attempts < 0:
        retries = "retries until the records expire"
    else:
        retries = f"{settings.maximum_retry_attempts} retries"
    bisect = ", bisect on error" if settings.bisect_batch_on_function_error else ""
    destination = short(settings.on_failure_destination) if settings.on_failure_destination else "nowhere"
    table = stream.stream_arn.split("/")[1] if "/" in stream.stream_arn else stream.stream_arn
    notes = []
    if not settings.report_batch_item_failures:
        notes.append("batchItemFailures ignored (no ReportBatchItemFailures)")
    if len(settings.defaulted) == len(SETTING_NAMES):
        notes.append("infra/functions.yaml has no settings for it: local defaults")
    elif settings.defaulted:
        notes.append(f"local defaults for {', '.join(settings.defaulted)}")
    return (
        f"{stream.name} ← stream of {table} (batch {stream.batch_size}, {retries}{bisect}, "
        f"on failure → {destination}{''.join(f'; {note}' for note in notes)})"
    )


def queue_line(poller: QueuePoller) -> str:
    """E.g. `route ← queue routing (batch 10, failed messages back after 5 s, DLQ dlq after 5 receives)`."""
    queue = poller.queue
    if queue.dead_letter_arn:
        redrive = f"DLQ {short(queue.dead_letter_arn)} after {queue.max_receive_count} receives"
    else:
        redrive = "no DLQ"
    back = poller.retry_visibility if poller.retry_visibility is not None else queue.visibility_timeout
    ignored = "" if poller.settings.report_batch_item_failures else "; batchItemFailures ignored"
    return (
        f"{poller.name} ← queue {short(queue.arn)} "
        f"(batch {poller.batch_size}, failed messages back after {back} s, {redrive}{ignored})"
    )


def short(arn: str) -> str:
    """The last part of an ARN: a queue's or topic's name."""
    return arn.rsplit(":", 1)[-1]
