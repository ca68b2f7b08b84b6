"""Counting AWS API calls from botocore's own events, for tests and benchmarks.

Every botocore session registers the built-in handlers when it is created,
so a handler added to that list counts the calls of every client created
while the block runs (boto3's and PynamoDB's alike), and of no other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore import handlers  # type: ignore[import-untyped]


@contextmanager
def aws_calls() -> Iterator[Counter[str]]:
    """Yield a Counter of 'service.Operation' for calls by clients created in the block."""
    counts: Counter[str] = Counter()

    def count(event_name: str, **kwargs: Any) -> None:
        counts[event_name.removeprefix("before-call.")] += 1

    entry = ("before-call", count)
    handlers.BUILTIN_HANDLERS.append(entry)
    try:
        yield counts
    finally:
        handlers.BUILTIN_HANDLERS.remove(entry)
