"""The CAPA register on the template's CapaTable in moto: writes conditioned on the version, pages by Query.

The table is shared by the whole session, so list assertions look only at
the actions each test opened (in order) and at properties every page must
have, never at the table's total contents.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.capa import DynamoCapaRegister
from chalicelib.bootstrap import Container
from chalicelib.domain.capa import CapaAction, CapaStatus
from chalicelib.domain.errors import ConcurrentUpdate, StorageUnavailable
from chalicelib.domain.policy import Department, Market, RootCause
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.services import capa as use
from devstack.metering import aws_calls
from devstack.stack import LocalStack
from tests.fakes import FixedClock

pytestmark = pytest.mark.integration

HANDLER = StaffMember("elif.kaya", frozenset({Role.HANDLER}), Department.CLAIMS, Market.TR)
SUPERVISOR = StaffMember("murat.sup", frozenset({Role.SUPERVISOR}), Department.CUSTOMER_SERVICES, Market.TR)
AUDITOR = StaffMember("denetci", frozenset({Role.AUDITOR}))


@pytest.fixture
def clock() -> FixedClock:
    """Today, so that due dates relative to it are valid; it moves only when a test moves it."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def metered(local_stack: LocalStack) -> Iterator[tuple[DynamoCapaRegister, Counter[str]]]:
    """A register on a cold container whose every AWS call is counted."""
    with aws_calls() as counts:
        yield Container().capa, counts


@pytest.fixture
def register(metered: tuple[DynamoCapaRegister, Counter[str]]) -> DynamoCapaRegister:
    return metered[0]


def due(clock: FixedClock, days: int) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


def open_action(
    register: DynamoCapaRegister, clock: FixedClock, staff: StaffMember = HANDLER, **changes: Any
) -> dict[str, Any]:
    payload = {
        "kind": "corrective",
        "title": "Hasar red yazısı şablonunu düzelt — İzmir",
        "description": "فرم\u200cهای خسارت را اصلاح کنید 📄",
        "root_causes": ["communication"],
        "complaints": [new_tracking_code(), new_tracking_code()],
        "due_on": due(clock, 30),
        **changes,
    }
    view = use.create_capa(payload, staff=staff, register=register, clock=clock)
    clock.advance(milliseconds=1)
    return view


def update(
    register: DynamoCapaRegister, clock: FixedClock, capa_id: str, staff: StaffMember = HANDLER, **body: Any
) -> dict[str, Any]:
    return use.update_capa(capa_id, body, staff=staff, register=register, clock=clock)


def test_an_action_is_opened_read_back_and_changed_with_its_version(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    opened = open_action(register, clock)
    read = use.get_capa(opened["capa_id"], staff=AUDITOR, register=register, clock=clock)
    assert read == opened
    assert (read["version"], read["status"], read["description"]) == (1, "open", opened["description"])

    done = update(register, clock, opened["capa_id"], status="done", expected_version=1)
    verified = update(
        register,
        clock,
        opened["capa_id"],
        SUPERVISOR,
        effectiveness={"effective": True, "note": "Üç aydır aynı şikâyet gelmedi."},
        expected_version=2,
    )
    assert (done["version"], verified["version"], verified["status"]) == (2, 3, "verified_effective")
    stored = use.get_capa(opened["capa_id"], staff=HANDLER, register=register, clock=clock)
    assert stored == verified
    assert stored["effectiveness"]["note"] == "Üç aydır aynı şikâyet gelmedi."
    assert stored["effectiveness"]["checked_by"] == "staff:murat.sup"


def test_a_stale_expected_version_is_refused_with_the_current_one(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action(register, clock)["capa_id"]
    update(register, clock, capa_id, status="in_progress")
    with pytest.raises(ConcurrentUpdate) as caught:
        update(register, clock, capa_id, status="done", expected_version=1)
    assert (caught.value.state, caught.value.version) == ("in_progress", 2)


def test_two_saves_from_the_same_read_exactly_one_is_written(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action(register, clock)["capa_id"]
    before = register.get(Market.TR, capa_id)
    assert before is not None
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(title: str) -> None:
        after = replace(before, title=title, version=before.version + 1)
        barrier.wait()
        try:
            register.save(before, after)
            outcomes.append(title)
        except ConcurrentUpdate:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(f"başlık {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("refused") == 1
    current = register.get(Market.TR, capa_id)
    assert current is not None
    assert (current.version, current.title) == (2, next(o for o in outcomes if o != "refused"))


@dataclass
class ReadTogether:
    """A register whose reads wait for each other, so two updates both start from the same version."""

    inner: DynamoCapaRegister
    barrier: threading.Barrier

    def get(self, market: Market, capa_id: str) -> CapaAction | None:
        found = self.inner.get(market, capa_id)
        if found is not None and found.version == 1:
            self.barrier.wait()
        return found

    def add(self, action: CapaAction) -> None:
        self.inner.add(action)

    def save(self, before: CapaAction, after: CapaAction) -> None:
        self.inner.save(before, after)

    def list(self, market: Market, **options: Any) -> tuple[list[CapaAction], dict[str, Any] | None]:
        return self.inner.list(market, **options)


def test_two_staff_changing_an_action_at_once_one_wins_and_the_other_learns_what_won(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action(register, clock)["capa_id"]
    racing = ReadTogether(register, threading.Barrier(2))
    results: dict[str, Any] = {}

    def change(name: str, staff: StaffMember, body: dict[str, Any]) -> None:
        try:
            results[name] = use.update_capa(capa_id, body, staff=staff, register=racing, clock=clock)
        except ConcurrentUpdate as exc:
            results[name] = exc

    threads = [
        threading.Thread(target=change, args=("handler", HANDLER, {"status": "in_progress"})),
        threading.Thread(target=change, args=("supervisor", SUPERVISOR, {"status": "cancelled"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lost = [r for r in results.values() if isinstance(r, ConcurrentUpdate)]
    won = [r for r in results.values() if isinstance(r, dict)]
    assert len(lost) == 1
    assert len(won) == 1
    assert (lost[0].state, lost[0].version) == (won[0]["status"], 2)
    stored = register.get(Market.TR, capa_id)
    assert stored is not None
    assert (stored.status.value, stored.version) == (won[0]["status"], 2)


def test_the_register_pages_newest_first_without_gaps_or_repeats(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    created = [open_action(register, clock, title=f"Eylem {n}")["capa_id"] for n in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = use.list_capa(params, staff=HANDLER, register=register, clock=clock)
        assert len(page["items"]) <= 3
        seen += [item["capa_id"] for item in page["items"]]
        pages += 1
        cursor = page["cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    assert [capa_id for capa_id in seen if capa_id in created] == list(reversed(created))
    assert pages >= 3


def test_the_register_filters_by_status_root_cause_and_overdue_in_the_query(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    late = open_action(register, clock, root_causes=["system_error", "billing_error"], due_on=due(clock, 0))
    done = open_action(register, clock, root_causes=["billing_error"], due_on=due(clock, 0))
    update(register, clock, done["capa_id"], status="done")
    later = open_action(register, clock, due_on=due(clock, 60))
    mine = {late["capa_id"], done["capa_id"], later["capa_id"]}
    clock.advance(days=2)

    def listed(**params: str) -> list[dict[str, Any]]:
        items = use.list_capa({"limit": "200", **params}, staff=SUPERVISOR, register=register, clock=clock)
        return list(items["items"])

    by_status = listed(status="done")
    assert {i["status"] for i in by_status} == {"done"}
    assert {i["capa_id"] for i in by_status} & mine == {done["capa_id"]}
    by_cause = listed(root_cause="billing_error")
    assert all("billing_error" in i["root_causes"] for i in by_cause)
    assert [i["capa_id"] for i in by_cause if i["capa_id"] in mine] == [done["capa_id"], late["capa_id"]]
    overdue = listed(overdue="true")
    assert all(i["overdue"] for i in overdue)
    assert {i["capa_id"] for i in overdue} & mine == {late["capa_id"]}
    both = listed(root_cause="system_error", status="open", overdue="true")
    assert {i["capa_id"] for i in both} & mine == {late["capa_id"]}


def test_every_request_is_one_key_read_write_or_query_and_never_a_scan(
    metered: tuple[DynamoCapaRegister, Counter[str]], clock: FixedClock
) -> None:
    register, counts = metered
    opened = open_action(register, clock)
    assert dict(counts) == {"dynamodb.PutItem": 1}
    counts.clear()
    use.get_capa(opened["capa_id"], staff=HANDLER, register=register, clock=clock)
    assert dict(counts) == {"dynamodb.GetItem": 1}
    counts.clear()
    update(register, clock, opened["capa_id"], status="in_progress")
    assert dict(counts) == {"dynamodb.GetItem": 1, "dynamodb.PutItem": 1}
    counts.clear()
    filters = {"status": "in_progress", "root_cause": "communication", "overdue": "false"}
    page = use.list_capa({"limit": "1", **filters}, staff=SUPERVISOR, register=register, clock=clock)
    assert [item["capa_id"] for item in page["items"]] == [opened["capa_id"]]
    use.list_capa(
        {"market": "TR", "limit": "2", "cursor": page["cursor"] or "", "overdue": "true"},
        staff=AUDITOR,
        register=register,
        clock=clock,
    )
    assert set(counts) == {"dynamodb.Query"}


def test_the_stored_item_keeps_lists_dates_and_the_version_the_template_expects(
    register: DynamoCapaRegister, clock: FixedClock
) -> None:
    opened = open_action(register, clock, root_causes=["system_error", "communication"])
    item = register._model.get("TR", opened["capa_id"])
    raw = item.serialize()
    assert raw["market"] == {"S": "TR"}
    assert raw["version"] == {"N": "1"}
    assert raw["root_causes"] == {"L": [{"S": "system_error"}, {"S": "communication"}]}
    assert raw["due_on"] == {"S": opened["due_on"]}
    assert "effectiveness" not in raw


def test_a_missing_table_is_storage_unavailable_not_a_botocore_error(local_stack: LocalStack) -> None:
    settings = Container().settings
    missing = DynamoCapaRegister("no-such-capa-table", settings.region)
    with pytest.raises(StorageUnavailable) as caught:
        missing.get(Market.TR, "CAPA-TR-20261123T073000000000Z-7KQM")
    assert caught.value.__cause__ is not None
    with pytest.raises(StorageUnavailable):
        missing.list(Market.IR, root_cause=RootCause.OTHER, status=CapaStatus.OPEN)
