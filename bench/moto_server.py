"""moto's server for the report benchmark, in a process of its own: `python -m bench.moto_server PORT`.

It listens on loopback only. moto's DynamoDB does a report's reads in time
that grows with the whole table, and spends far more per item than the
report does, so that it would measure moto rather than the report (a 50,000
complaint month: over ten minutes a read). For the benchmark's sake, and only
in this process, four of its costs are cut; what it answers is unchanged:

- A query of a global secondary index sorts every item of the table and tests
  each against the key: 240 queries a month, each the size of the table.
  Here a query on an index with one hash key reads only that partition's
  items, from a map of the table's partitions made on the first such query
  and dropped by every put or delete of the table. Within such a query the
  items are not deep-copied (nothing in a query changes them) and each
  item's size, which moto sums to cut pages at 1 MB, is measured once per
  map.
- A projection converts the whole item to plain JSON once per projected
  name; here top-level names are picked from the item.
- A Query's answer goes through moto's model-driven serialiser, item by
  item; here it is written with `json.dumps` (its items are DynamoDB JSON
  already: strings, numbers as strings, booleans, maps and lists).
- Every attribute set on an item re-measures the whole item against the
  400 KB limit; here it does not (the benchmark's items are about 2 KB).

The benchmark writes its table only by BatchWriteItem, and not while it
measures: an UpdateItem, which changes an item in place, would not drop the
map.
"""

from __future__ import annotations

import inspect
import json
import sys
import threading
from typing import Any

HOST = "127.0.0.1"

#: The partition a query of this thread reads, and the sizes of its items, while it reads it.
_reading = threading.local()


def index_partitions() -> None:
    """Make moto's index queries read one partition, not the whole table (see above)."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    query, put_item, delete_item, all_items = Table.query, Table.put_item, Table.delete_item, Table.all_items
    deep_copy, item_size = Item.__deepcopy__, Item.size
    lock = threading.Lock()

    def partitions(table: Any, attribute: str) -> tuple[dict[Any, list[Any]], dict[int, int]]:
        with lock:
            maps: dict[str, Any] = table.__dict__.setdefault("_bench_partitions", {"sizes": {}})
            if attribute not in maps:
                by_value: dict[Any, list[Any]] = {}
                for item in all_items(table):
                    value = item.attrs.get(attribute)
                    if value is not None:
                        by_value.setdefault(value, []).append(item)
                maps[attribute] = by_value
            return maps[attribute], maps["sizes"]

    signature = inspect.signature(query)

    def indexed_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        named = signature.bind(self, *args, **kwargs).arguments
        conditions = named.get("hash_key_conditions") or []
        if named.get("index_name") and len(conditions) == 1:
            attribute, value = conditions[0]
            by_value, _reading.sizes = partitions(self, attribute)
            _reading.items = list(by_value.get(value, ()))
        try:
            return query(self, *args, **kwargs)
        finally:
            _reading.items = _reading.sizes = None

    def items_of_partition(self: Any) -> list[Any]:
        items: list[Any] | None = getattr(_reading, "items", None)
        return all_items(self) if items is None else items

    def shared_while_read(self: Any, memo: Any) -> Any:
        return self if getattr(_reading, "items", None) is not None else deep_copy(self, memo)

    def size_once(self: Any) -> int:
        sizes: dict[int, int] | None = getattr(_reading, "sizes", None)
        if sizes is None:
            measured: int = item_size(self)
            return measured
        if id(self) not in sizes:
            sizes[id(self)] = item_size(self)
        return sizes[id(self)]

    def forget(write: Any) -> Any:
        def written(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                self.__dict__.pop("_bench_partitions", None)
            return write(self, *args, **kwargs)

        return written

    Table.query = indexed_query  # type: ignore[method-assign]
    Table.all_items = items_of_partition  # type: ignore[method-assign]
    Table.put_item = forget(put_item)  # type: ignore[method-assign]
    Table.delete_item = forget(delete_item)  # type: ignore[method-assign]
    Item.__deepcopy__ = shared_while_read  # type: ignore[method-assign]
    Item.size = size_once  # type: ignore[method-assign]


def project_attributes() -> None:
    """Project top-level attributes by picking them, not by converting the whole item once per name."""
    from moto.dynamodb.models.dynamo_type import Item

    project = Item.project

    def picked(self: Any, projection_expressions: list[list[str]]) -> Any:
        if any(len(path) != 1 for path in projection_expressions):
            return project(self, projection_expressions)
        projected: Any = Item.__new__(Item)
        projected.hash_key, projected.range_key = self.hash_key, self.range_key
        projected.attrs = {
            path[0]: self.attrs[path[0]] for path in projection_expressions if path[0] in self.attrs
        }
        return projected

    Item.project = picked  # type: ignore[method-assign]


def plain_query_answers() -> None:
    """Write a Query's answer with json.dumps: its items hold only DynamoDB JSON already."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    serialized = DynamoHandler.serialized

    def answer(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if self._get_action() != "Query" or not isinstance(result, dict):
            return serialized(self, action_result)
        counts = {key: result[key] for key in ("Count", "ScannedCount")}
        status, headers, _ = serialized(self, ActionResult(counts))  # moto's status and headers
        return status, headers, json.dumps(result)

    DynamoHandler.serialized = answer  # type: ignore[method-assign]


def unmeasured_item_sizes() -> None:
    """Set an item's attributes without re-measuring the whole item for each one."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]


def main(port: int) -> None:
    from moto.server import main as serve

    index_partitions()
    project_attributes()
    plain_query_answers()
    unmeasured_item_sizes()
    serve(["-H", HOST, "-p", str(port)])


if __name__ == "__main__":
    main(int(sys.argv[1]))
