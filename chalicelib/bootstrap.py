"""The composition root: builds each adapter once per Lambda container, lazily.

A function pays at cold start only for what it uses: the settings are read on
first use, and PynamoDB (with botocore) is imported only when a request first
needs the repository. Tests install a container of fakes with `install`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.services.ports import Clock, CodeSource, ComplaintRepository


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Container:
    """The adapters of one deployment, each built on first use."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @cached_property
    def settings(self) -> Settings:
        return self._settings or Settings.from_environ()

    @cached_property
    def repository(self) -> ComplaintRepository:
        from pynamodb.connection import Connection

        from chalicelib.adapters.repository import DynamoComplaintRepository
        from chalicelib.adapters.tables import bind_tables

        s = self.settings
        tables = bind_tables(s.complaints_table, s.history_table, s.idempotency_table, s.region)
        return DynamoComplaintRepository(tables, Connection(region=s.region), s.day_shards)

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    @cached_property
    def new_code(self) -> CodeSource:
        from chalicelib.domain.tracking import new_tracking_code

        return new_tracking_code


_container: Container | None = None


def container() -> Container:
    """The container of this Lambda container (built on first call)."""
    global _container
    if _container is None:
        _container = Container()
    return _container


def install(replacement: Container | None) -> None:
    """Use another container (tests); None goes back to building from the environment."""
    global _container
    _container = replacement
