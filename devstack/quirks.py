"""Workarounds for moto's CloudFormation, each with the reason it exists.

- moto skips resource types it does not support (`AWS::Cognito::*`,
  `AWS::CloudWatch::Alarm`) with a log line and a `UserWarning` per resource,
  printed twice. The devstack reports what was not created itself, once.
- moto stores a KMS key policy given as a mapping (as templates may write it)
  without turning it into JSON text; `DescribeKey` then fails with an internal
  error. Writing the resolved policy back as JSON repairs the key.
- moto's `TransactWriteItems` deep-copies every table it touches, to roll
  back on failure, and the copy includes the table's stream shard: every
  stream record the table ever produced. A transaction's cost so grows
  without bound (about 100 ms at 600 records, seen here). Stream records never
  change once appended, so the snapshot may share them: the shard's deep copy
  copies its list of records, not the records. Rollback works as before.
- moto's DynamoDB is not thread-safe, and its server serves requests on many
  threads: a transaction's snapshot can iterate a table while another request
  writes to it ("dictionary changed size during iteration", a 500). DynamoDB
  itself applies each request atomically, so the emulator takes its DynamoDB
  requests one at a time.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from devstack.aws import Clients, sdk_errors
from devstack.errors import DeployError, ResolutionError
from devstack.intrinsics import Lookups, resolve_value

_UNSUPPORTED_LOG = "No Moto CloudFormation support for"
_UNSUPPORTED_WARNING = r"Tried to parse .* but it's not supported by moto's CloudFormation"


class _DropUnsupportedResourceLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_UNSUPPORTED_LOG)


@contextmanager
def quiet_unsupported_resource_warnings() -> Iterator[None]:
    """Silence moto's per-resource 'not supported' lines while a stack is created."""
    moto_logger = logging.getLogger("moto")
    line_filter = _DropUnsupportedResourceLines()
    moto_logger.addFilter(line_filter)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_UNSUPPORTED_WARNING, category=UserWarning)
            yield
    finally:
        moto_logger.removeFilter(line_filter)


def repair_key_policies(
    clients: Clients,
    keys: Mapping[str, Mapping[str, Any]],
    key_ids: Mapping[str, str],
    lookups: Lookups,
) -> None:
    """Store each key's template policy as JSON text, so that moto's `DescribeKey` works.

    `keys` are the properties of the template's `AWS::KMS::Key` resources and
    `key_ids` their physical ids, both by logical ID.
    """
    kms = clients("kms")
    for logical_id, properties in keys.items():
        policy = properties.get("KeyPolicy")
        if not isinstance(policy, Mapping) or logical_id not in key_ids:
            continue
        try:
            resolved = json.dumps(resolve_value(policy, lookups))
        except ResolutionError as exc:
            raise DeployError(f"cannot resolve the key policy of {logical_id}: {exc}") from exc
        with sdk_errors(f"cannot store the key policy of {logical_id}", DeployError):
            kms.put_key_policy(KeyId=key_ids[logical_id], PolicyName="default", Policy=resolved)


def share_stream_records_in_snapshots() -> None:
    """Make moto's transaction snapshots share the (immutable) stream records; idempotent."""
    from moto.dynamodb.models.table import StreamShard

    def snapshot(self: Any, memo: dict[int, Any]) -> Any:
        clone = copy.copy(self)
        clone.items = list(self.items)
        clone.table = memo.get(id(self.table), self.table)
        return clone

    StreamShard.__deepcopy__ = snapshot  # type: ignore[attr-defined]


_DYNAMODB_LOCK = threading.Lock()


def serialize_dynamodb_requests() -> None:
    """Make moto's DynamoDB handle one request at a time, as an atomic service would; idempotent."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "serialized", False):
        return

    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            return original(self)

    call_action.serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
