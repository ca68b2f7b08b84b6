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
- Even so, that snapshot copies every item of a table, once for each
  operation that names the table, so every write costs the size of the
  tables (the end-to-end test of 200 complaints: 56 s, 24 s without it). A
  transaction can change only the items at the keys it names, and append to
  the stream, so the snapshot need hold only those items and the stream's
  length: within a transaction moto's copy of a table is the table itself
  (its rollback puts back the same table), and on the rollback the items are
  put back, and the stream cut back, in place. The tables keep their
  identity, so a stream iterator taken before a failed transaction no longer
  reads an orphaned shard.
- moto's Cognito has no `RevokeToken`: the console's sign-out revokes the
  session's refresh token with it. The emulator gets the operation as AWS
  documents it: a refresh token of the named app client stops working
  (moto then refuses it, as it does after `GlobalSignOut`); any other token
  is left alone and the answer is empty, as AWS answers.
- moto's DynamoDB is not thread-safe, and its server serves requests on many
  threads: a transaction's snapshot can iterate a table while another request
  writes to it ("dictionary changed size during iteration", a 500). DynamoDB
  itself applies each request atomically, so the emulator takes its DynamoDB
  requests one at a time.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
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


_TRANSACTION = threading.local()


class _CopyInTransactions:
    """The `copy` module as moto's DynamoDB backend sees it: within a transaction, a table is its own copy."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(_TRANSACTION, "active", False) and isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)


@dataclass
class _TouchedItems:
    """What a transaction can change: the items at the keys it names, and each stream's length."""

    # (table, hash key, range key, the item there or None, whether the range key's bucket was there)
    items: dict[tuple[int, Any, Any], tuple[Any, Any, Any, Any, bool]] = field(default_factory=dict)
    streams: list[tuple[Any, list[Any], int]] = field(default_factory=list)

    @classmethod
    def of(cls, backend: Any, transact_items: list[dict[str, Any]]) -> _TouchedItems:
        """Snapshot, like moto, the tables named by name (not by ARN); each op by name or ARN."""
        touched = cls()
        tables: dict[int, Any] = {}
        for item in transact_items:
            for op in item.values():
                name = op.get("TableName") if isinstance(op, Mapping) else None
                if isinstance(name, str) and name in backend.tables:
                    tables[id(backend.tables[name])] = backend.tables[name]
        for table in tables.values():
            shard = table.stream_shard
            if shard is not None:
                touched.streams.append((shard, shard.items, len(shard.items)))
        for item in transact_items:
            for op_type, op in item.items():
                table = _table_of(backend, op)
                if table is None or id(table) not in tables:
                    continue
                key = _key_of(table, op.get("Item") if op_type == "Put" else op.get("Key"))
                if key is not None:
                    touched.add(table, *key)
        return touched

    def add(self, table: Any, hash_key: Any, range_key: Any) -> None:
        if (id(table), hash_key, range_key) in self.items:
            return
        if range_key is None:
            current, bucket_there = table.items.get(hash_key), True
        else:
            bucket = table.items.get(hash_key)
            current, bucket_there = (bucket or {}).get(range_key), bucket is not None
        snapshot = copy.deepcopy(current)  # an update changes the live item in place
        self.items[(id(table), hash_key, range_key)] = (table, hash_key, range_key, snapshot, bucket_there)

    def restore(self) -> None:
        for table, hash_key, range_key, item, bucket_there in self.items.values():
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is not None:
                table.items[hash_key][range_key] = item
            elif (bucket := table.items.get(hash_key)) is not None:
                bucket.pop(range_key, None)
                if not bucket and not bucket_there:  # a read of a missing key leaves an empty bucket
                    del table.items[hash_key]
        for shard, records, length in self.streams:
            del records[length:]
            shard.items = records


def _table_of(backend: Any, op: Any) -> Any:
    from moto.dynamodb.exceptions import ResourceNotFoundException

    name = op.get("TableName") if isinstance(op, Mapping) else None
    if not isinstance(name, str):
        return None
    try:
        return backend.get_table(name)
    except ResourceNotFoundException:
        return None


def _key_of(table: Any, attributes: Any) -> tuple[Any, Any] | None:
    """Where a key (or an item) is stored, as moto finds it; None where moto could not write."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if not isinstance(attributes, Mapping) or not all(name in attributes for name in names):
        return None
    try:
        values = [DynamoType(attributes[name]) for name in names]
    except Exception:  # moto fails the op on such a value before it writes anything
        return None
    return values[0], values[1] if len(values) > 1 else None


def snapshot_only_touched_items() -> None:
    """Make moto's transactions snapshot, and roll back, only the items they name; idempotent.

    moto rolls back (and so this does) on a cancelled transaction and on a
    validation error met while applying it, which is re-raised; not on a
    request with too many items, nor on an item with several operations, which
    moto checks only as it reaches that item (the items before it stay written).
    """
    import moto.dynamodb.models as models
    from moto.dynamodb.exceptions import (
        MockValidationException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "snapshots_touched_items", False):
        return
    models.copy = _CopyInTransactions(Table)  # type: ignore[attr-defined,assignment]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = _TouchedItems.of(self, transact_items) if len(transact_items) <= 100 else _TouchedItems()
        outer = getattr(_TRANSACTION, "active", False)
        _TRANSACTION.active = True
        try:
            original(self, transact_items)
        except (TransactionCanceledException, MockValidationException) as exc:
            if not isinstance(exc, TransactWriteSingleOpException):
                touched.restore()
            raise
        finally:
            _TRANSACTION.active = outer

    transact_write_items.snapshots_touched_items = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


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


def revocable_refresh_tokens() -> None:
    """Give moto's Cognito the `RevokeToken` operation (see above); idempotent."""
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import EmptyResult

    if hasattr(CognitoIdpResponse, "revoke_token"):
        return

    def revoke_token(self: Any) -> Any:
        token, client_id = self._get_param("Token"), self._get_param("ClientId")
        for pool in self.backend.user_pools.values():
            held = pool.refresh_tokens.get(token)
            if held is not None and held[0] == client_id:
                pool.refresh_tokens[token] = None  # moto's mark of a signed-out refresh token
        return EmptyResult()

    CognitoIdpResponse.revoke_token = revoke_token  # type: ignore[attr-defined]
