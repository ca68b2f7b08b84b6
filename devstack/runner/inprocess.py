"""Housekeeping inside the in-process emulator that the AWS APIs cannot do.

moto keeps every DynamoDB Streams shard iterator it ever handed out, in a
dict of its backend, and never expires them. A poller that takes a fresh
iterator after every empty read (TRAPS.md) hands it two a poll: about 30 MB
an hour of idle polling. The stream poller tells moto to forget each iterator
once it is done with it. The emulator runs in this process, so this is a
dict removal, not an API call.
"""

from __future__ import annotations

from collections.abc import Callable


def shard_iterator_forgetter(stream_arn: str) -> Callable[[str], None]:
    """A function that removes one used shard iterator of `stream_arn`'s account and region from moto."""
    _, _, _, region, account, _ = stream_arn.split(":", 5)

    def forget(iterator: str) -> None:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        dynamodbstreams_backends[account][region].shard_iterators.pop(iterator, None)

    return forget
