"""The CAPA register on DynamoDB, through PynamoDB.

One partition per market, sorted by the time-ordered id, so that a page of
the register is one Query read newest first; filters thin a page out but
never turn it into a Scan. Every change is one PutItem conditioned on the
version that was read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from chalicelib.adapters.repository import translated_errors
from chalicelib.adapters.tables import _bound
from chalicelib.domain.capa import PENDING, CapaAction, CapaKind, CapaStatus, Effectiveness
from chalicelib.domain.errors import ConcurrentUpdate, StorageUnavailable
from chalicelib.domain.policy import Department, Market, RootCause
from chalicelib.domain.views import stamp, unstamp

#: Items one request of a filtered list reads (and pays for), however few of them it keeps.
FILTERED_PAGE_SIZE = 100


class EffectivenessMap(MapAttribute[str, Any]):
    effective = BooleanAttribute()
    note = UnicodeAttribute()
    checked_at = UnicodeAttribute()
    checked_by = UnicodeAttribute()


class CapaItem(Model):
    """One corrective or preventive action; `version` makes every change conditional on the last read."""

    class Meta:
        table_name = "capa"

    market = UnicodeAttribute(hash_key=True)
    capa_id = UnicodeAttribute(range_key=True)
    version = VersionAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    root_causes = ListAttribute(of=UnicodeAttribute)
    complaints = ListAttribute(of=UnicodeAttribute, default=list)
    department = UnicodeAttribute()
    owner = UnicodeAttribute()
    due_on = UnicodeAttribute()  # YYYY-MM-DD: compares as text in date order
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    effectiveness = EffectivenessMap(null=True)


class DynamoCapaRegister:
    """Corrective and preventive actions in the CAPA table of the template."""

    def __init__(self, table_name: str, region: str) -> None:
        self._model = _bound(CapaItem, table_name, region)

    def add(self, action: CapaAction) -> None:
        """Record a new action; ConcurrentUpdate if its id is somehow taken."""
        item = self._item(action)  # without a version: the save writes 1, where no item is
        self._put(item, self._model.capa_id.does_not_exist(), f"action {action.capa_id} already exists")

    def get(self, market: Market, capa_id: str) -> CapaAction | None:
        with translated_errors("reading the action"):
            try:
                item = self._model.get(market.value, capa_id, consistent_read=True)
            except self._model.DoesNotExist:
                return None
        return _action(item)

    def save(self, before: CapaAction, after: CapaAction) -> None:
        """Write `after` whole, if the stored action is still at `before`'s version."""
        item = self._item(after)
        item.version = before.version  # the save is conditioned on it and writes it plus one
        self._put(item, None, f"action {before.capa_id} changed since version {before.version}")

    def list(
        self,
        market: Market,
        *,
        status: CapaStatus | None = None,
        root_cause: RootCause | None = None,
        due_before: date | None = None,
        limit: int = 50,
        start: dict[str, Any] | None = None,
    ) -> tuple[list[CapaAction], dict[str, Any] | None]:
        """Up to `limit` actions of a market, newest first, from `start`; and where the next page starts.

        `due_before` keeps only the actions still pending that were due before that day.
        """
        model = self._model
        filters: list[Condition] = []
        if status is not None:
            filters.append(model.status == status.value)
        if root_cause is not None:
            filters.append(model.root_causes.contains(root_cause.value))
        if due_before is not None:
            filters.append(model.status.is_in(*sorted(s.value for s in PENDING)))
            filters.append(model.due_on < due_before.isoformat())
        condition = None
        for each in filters:
            condition = each if condition is None else condition & each
        with translated_errors("reading the register"):
            pages = model.query(
                market.value,
                filter_condition=condition,
                scan_index_forward=False,
                limit=limit,
                # a filtered page reads ahead, so that a sparse filter costs few requests
                page_size=limit if condition is None else max(limit, FILTERED_PAGE_SIZE),
                last_evaluated_key=start,
            )
            items = [_action(item) for item in pages]
            last = pages.last_evaluated_key
        return items, last or None

    def _put(self, item: CapaItem, condition: Condition | None, conflict: str) -> None:
        try:
            item.save(condition=condition)
        except PynamoDBException as exc:
            if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
                raise ConcurrentUpdate(conflict) from exc
            raise StorageUnavailable(f"recording the action failed: {exc.msg}") from exc

    def _item(self, action: CapaAction) -> CapaItem:
        check = action.effectiveness
        return self._model(
            action.market.value,
            action.capa_id,
            kind=action.kind.value,
            title=action.title,
            description=action.description or None,
            root_causes=[cause.value for cause in action.root_causes],
            complaints=list(action.complaints),
            department=action.department.value,
            owner=action.owner,
            due_on=action.due_on.isoformat(),
            status=action.status.value,
            created_at=stamp(action.created_at),
            created_by=action.created_by,
            updated_at=stamp(action.updated_at),
            updated_by=action.updated_by,
            effectiveness=EffectivenessMap(
                effective=check.effective,
                note=check.note,
                checked_at=stamp(check.checked_at),
                checked_by=check.checked_by,
            )
            if check
            else None,
        )


def _action(item: CapaItem) -> CapaAction:
    check = item.effectiveness
    return CapaAction(
        capa_id=item.capa_id,
        market=Market(item.market),
        kind=CapaKind(item.kind),
        title=item.title,
        description=item.description or "",
        root_causes=tuple(RootCause(code) for code in _texts(item.root_causes)),
        complaints=_texts(item.complaints),
        department=Department(item.department),
        owner=item.owner,
        due_on=date.fromisoformat(item.due_on),
        status=CapaStatus(item.status),
        created_at=unstamp(item.created_at),
        created_by=item.created_by,
        updated_at=unstamp(item.updated_at),
        updated_by=item.updated_by,
        version=int(item.version or 1),
        effectiveness=Effectiveness(
            bool(check.effective), check.note, unstamp(check.checked_at), check.checked_by
        )
        if check
        else None,
    )


def _texts(values: Any) -> tuple[str, ...]:
    """A list of text as it reads back (PynamoDB types its elements as attributes, not str)."""
    return tuple(str(value) for value in values or ())
