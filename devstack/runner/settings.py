"""Event-source failure settings, read from the file that configures them on AWS.

`infra/functions.yaml` holds, per function, the properties of its event
source: `Resources.<Function>.Properties.Events.<Function><Kind>EventSource.Properties`,
where `<Function>` is Chalice's logical id of the handler's name
(`on_complaint_change` -> `OnComplaintChange`) and `<Kind>` is `Dynamodb` or
`Sqs`. The runner reads the same properties, so that local retries, bisection
and on-failure destinations behave as the deployed mapping will.

A setting the overlay leaves out takes the local default below and is listed
in `defaulted`. The one exception is `FunctionResponseTypes`: once the
overlay has a block for the handler, a block without
`ReportBatchItemFailures` makes the runner ignore a returned
`batchItemFailures`, exactly as AWS would (the whole batch then counts as a
success); without any block the runner honours it. The defaults are not AWS's own (AWS retries a stream batch
until its records expire and neither bisects nor reports partial failures
unless told): they keep a poison record from stalling a local shard while the
overlay has no block for a new handler yet. `infra/package.py` refuses a
package without these settings, so the deployed mapping never relies on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalice.utils import to_cfn_resource_name

from devstack.intrinsics import Lookups, resolve_value

#: Local defaults of a DynamoDB stream source whose overlay block lacks a setting.
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 3
DEFAULT_BISECT = True
DEFAULT_MAXIMUM_RECORD_AGE = -1
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
#: The failure settings of a stream source, by their CloudFormation names.
SETTING_NAMES = (
    "MaximumRetryAttempts",
    "BisectBatchOnFunctionError",
    "MaximumRecordAgeInSeconds",
    "DestinationConfig",
    "FunctionResponseTypes",
)


@dataclass(frozen=True)
class StreamFailureSettings:
    """How a stream source retries, splits and gives up on a failing batch."""

    #: Retries after the first invocation; -1 retries until the records expire.
    maximum_retry_attempts: int = DEFAULT_MAXIMUM_RETRY_ATTEMPTS
    bisect_batch_on_function_error: bool = DEFAULT_BISECT
    #: Oldest record age, in seconds, that is still sent to the function; -1: any.
    maximum_record_age_in_seconds: int = DEFAULT_MAXIMUM_RECORD_AGE
    #: ARN of an SQS queue or SNS topic that hears of discarded batches; None: nobody.
    on_failure_destination: str | None = None
    #: Whether a returned `batchItemFailures` counts (AWS ignores it unless enabled).
    report_batch_item_failures: bool = True
    #: The settings that the overlay left out, by their CloudFormation names.
    defaulted: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueSourceSettings:
    """How a queue source treats a returned `batchItemFailures`."""

    report_batch_item_failures: bool = True
    defaulted: tuple[str, ...] = ()


def event_source_properties(overlay: Mapping[str, Any], handler_name: str, kind: str) -> Mapping[str, Any]:
    """The overlay's properties of one handler's event source (`kind`: Dynamodb or Sqs); {} if none."""
    function = to_cfn_resource_name(handler_name)
    node: Any = overlay
    for key in ("Resources", function, "Properties", "Events", f"{function}{kind}EventSource", "Properties"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def stream_settings(properties: Mapping[str, Any], lookups: Lookups) -> StreamFailureSettings:
    """The failure settings of a stream source, with intrinsics (`!GetAtt`, `!Ref`) resolved."""
    defaulted = [name for name in SETTING_NAMES if name not in properties]
    properties = resolve_value(
        {name: properties[name] for name in SETTING_NAMES if name in properties}, lookups
    )
    destination = _on_failure_destination(properties)
    return StreamFailureSettings(
        maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS)),
        bisect_batch_on_function_error=_boolean(properties.get("BisectBatchOnFunctionError", DEFAULT_BISECT)),
        maximum_record_age_in_seconds=int(
            properties.get("MaximumRecordAgeInSeconds", DEFAULT_MAXIMUM_RECORD_AGE)
        ),
        on_failure_destination=destination,
        report_batch_item_failures=_reports_failures(properties),
        defaulted=tuple(defaulted),
    )


def queue_settings(properties: Mapping[str, Any]) -> QueueSourceSettings:
    """The settings of a queue source (its retries and DLQ are the queue's own redrive policy)."""
    return QueueSourceSettings(
        report_batch_item_failures=_reports_failures(properties),
        defaulted=() if "FunctionResponseTypes" in properties else ("FunctionResponseTypes",),
    )


def _reports_failures(properties: Mapping[str, Any]) -> bool:
    """Whether a returned `batchItemFailures` counts: as on AWS once the overlay has a block."""
    if not properties:
        return True
    return REPORT_BATCH_ITEM_FAILURES in (properties.get("FunctionResponseTypes") or [])


def _on_failure_destination(properties: Mapping[str, Any]) -> str | None:
    config = properties.get("DestinationConfig")
    on_failure = config.get("OnFailure") if isinstance(config, Mapping) else None
    destination = on_failure.get("Destination") if isinstance(on_failure, Mapping) else None
    return str(destination) if destination else None


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() == "true"
    return bool(value)
