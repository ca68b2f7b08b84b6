"""The CAPA register (ISO 10002 8.6): its rules, its use cases over an in-memory register, its routes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest

from chalicelib.api import capa as api
from chalicelib.api.problem import guarded
from chalicelib.bootstrap import Container
from chalicelib.domain import capa as c
from chalicelib.domain.capa import CapaAction, CapaStatus, CapaUpdate, Verdict
from chalicelib.domain.errors import (
    CapaNotFound,
    ConcurrentUpdate,
    Forbidden,
    IllegalTransition,
    ValidationFailed,
)
from chalicelib.domain.policy import Department, Market, RootCause
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.services import capa as use
from tests.conftest import fake_settings
from tests.fakes import FixedClock

TODAY = date(2026, 11, 23)  # FixedClock's day, in Istanbul and in Tehran

TR_CLAIMS_HANDLER = StaffMember("elif.kaya", frozenset({Role.HANDLER}), Department.CLAIMS, Market.TR)
TR_FINANCE_HANDLER = StaffMember("ali.yıldız", frozenset({Role.HANDLER}), Department.FINANCE, Market.TR)
TR_SUPERVISOR = StaffMember(
    "murat.sup", frozenset({Role.SUPERVISOR}), Department.CUSTOMER_SERVICES, Market.TR
)
IR_SUPERVISOR = StaffMember("zahra.sup", frozenset({Role.SUPERVISOR}), Department.CLAIMS, Market.IR)
AUDITOR = StaffMember("denetci", frozenset({Role.AUDITOR}))
TR_AGENT = StaffMember("agent.tr", frozenset({Role.AGENT}), Department.CUSTOMER_SERVICES, Market.TR)

CODES = [new_tracking_code() for _ in range(3)]

#: A valid request to open an action, as a Turkish claims handler writes it.
ACTION: dict[str, Any] = {
    "kind": "corrective",
    "title": "Red yazılarında gerekçe İzmir şubesinde eksik",
    "description": "Şablonu güncelle;\npersonele eğitim ver.",
    "root_causes": ["communication", "claims_assessment"],
    "complaints": CODES[:2],
    "due_on": "2026-12-15",
}


@dataclass
class FakeCapaRegister:
    """The register in a dictionary, paged and filtered the way the DynamoDB Query is."""

    actions: dict[tuple[Market, str], CapaAction] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    save_failures: list[Exception] = field(default_factory=list)

    def add(self, action: CapaAction) -> None:
        self.calls.append("add")
        key = (action.market, action.capa_id)
        if key in self.actions:
            raise ConcurrentUpdate(f"action {action.capa_id} already exists")
        self.actions[key] = action

    def get(self, market: Market, capa_id: str) -> CapaAction | None:
        self.calls.append("get")
        return self.actions.get((market, capa_id))

    def save(self, before: CapaAction, after: CapaAction) -> None:
        self.calls.append("save")
        if self.save_failures:
            raise self.save_failures.pop(0)
        current = self.actions[(before.market, before.capa_id)]
        if current.version != before.version:
            raise ConcurrentUpdate(f"action {before.capa_id} changed")
        assert after.version == before.version + 1
        self.actions[(after.market, after.capa_id)] = after

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
        self.calls.append("list")
        rows = sorted(
            (a for (m, _), a in self.actions.items() if m is market), key=lambda a: a.capa_id, reverse=True
        )
        if start is not None:
            rows = [a for a in rows if a.capa_id < start["capa_id"]["S"]]
        rows = [
            a
            for a in rows
            if (status is None or a.status is status)
            and (root_cause is None or root_cause in a.root_causes)
            and (due_before is None or (a.status in c.PENDING and a.due_on < due_before))
        ]
        page = rows[:limit]
        more = len(rows) > limit
        return page, {"market": {"S": market.value}, "capa_id": {"S": page[-1].capa_id}} if more else None


@pytest.fixture
def register() -> FakeCapaRegister:
    return FakeCapaRegister()


@pytest.fixture
def open_action(register: FakeCapaRegister, clock: FixedClock) -> Callable[..., dict[str, Any]]:
    """Opens an action (the defaults above, changed by keyword) and moves the clock on a second."""

    def opener(staff: StaffMember = TR_CLAIMS_HANDLER, **changes: Any) -> dict[str, Any]:
        view = use.create_capa({**ACTION, **changes}, staff=staff, register=register, clock=clock)
        clock.advance(seconds=1)
        return view

    return opener


def field_errors(caught: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.code for e in caught.value.errors}


def parse(**changes: Any) -> c.CapaDraft:
    return c.parse_new_capa({**ACTION, **changes}, TR_CLAIMS_HANDLER, now=FixedClock().now())


def refused(**changes: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse(**changes)
    return field_errors(caught)


# --- ids -----------------------------------------------------------------------------------------


def test_ids_sort_by_creation_time_within_a_market_and_carry_their_market(clock: FixedClock) -> None:
    first = c.new_capa_id(Market.TR, clock.now())
    clock.advance(microseconds=1)
    second = c.new_capa_id(Market.TR, clock.now())
    assert first < second
    assert first.startswith("CAPA-TR-20261123T073000000000Z-")
    assert c.parse_capa_id(second) == (Market.TR, second)


def test_an_id_is_read_forgivingly_as_typed_in_any_case_or_with_persian_digits() -> None:
    typed = "  capa-ir-۲۰۲۶۱۱۲۳T۰۷۳۰۰۰۰۰۰۰۰۰z-7kqm "
    assert c.parse_capa_id(typed) == (Market.IR, "CAPA-IR-20261123T073000000000Z-7KQM")


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "CAPA-XX-20261123T073000000000Z-7KQM",
        "CAPA-TR-20261123T073000000000Z-7KQU",  # U is not a Crockford symbol
        "CAPA-TR-20261123T073000000000Z-7KQM' OR '1'='1",
        "../../etc/passwd",
        "CAPA-TR-" + "9" * 5000,
        "CAPA-TR-20261123T073000000000Z-7KQM\x00",
    ],
)
def test_anything_but_an_action_id_is_refused_before_the_register_is_read(
    hostile: str, register: FakeCapaRegister
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        use.get_capa(hostile, staff=TR_SUPERVISOR, register=register, clock=FixedClock())
    assert field_errors(caught) == {"capa_id": "format"}
    assert register.calls == []


# --- opening an action: field by field -----------------------------------------------------------


def test_a_handler_opens_an_action_for_their_own_department_in_their_market() -> None:
    draft = parse()
    assert (draft.market, draft.department, draft.owner) == (Market.TR, Department.CLAIMS, "elif.kaya")
    assert draft.root_causes == (RootCause.COMMUNICATION, RootCause.CLAIMS_ASSESSMENT)
    assert draft.complaints == tuple(CODES[:2])
    assert draft.due_on == date(2026, 12, 15)


def test_turkish_dotted_and_dotless_i_are_kept_exactly_as_typed() -> None:
    draft = parse(title="İADE SÜRECİ ıslak imza istiyor", owner="ayşe.ışık")
    assert draft.title == "İADE SÜRECİ ıslak imza istiyor"
    assert draft.owner == "ayşe.ışık"


def test_persian_text_keeps_its_zero_width_non_joiner_but_loses_disguising_bidi_overrides() -> None:
    draft = parse(description="اصلاح فرم\u200cهای خسارت \u202eexe.txt\u202c و آموزش")
    assert "\u200c" in draft.description
    assert "\u202e" not in draft.description
    assert "\u202c" not in draft.description


def test_emoji_and_markup_are_kept_as_text_not_interpreted() -> None:
    draft = parse(title="Fix 🚑 delays <script>alert(1)</script>", description="👍🏽 done\r\nnext")
    assert draft.title == "Fix 🚑 delays <script>alert(1)</script>"
    assert draft.description == "👍🏽 done\nnext"


def test_a_due_date_may_be_typed_with_persian_or_arabic_indic_digits() -> None:
    assert parse(due_on="۲۰۲۶-۱۲-۱۵").due_on == date(2026, 12, 15)
    assert parse(due_on="٢٠٢٦-١٢-١٥").due_on == date(2026, 12, 15)


def test_a_solar_hijri_date_is_refused_with_a_hint_to_use_the_gregorian_calendar() -> None:
    assert refused(due_on="۱۴۰۵-۰۹-۲۴") == {"due_on": "calendar"}


@pytest.mark.parametrize(
    ("due_on", "code"),
    [
        ("2026-11-22", "past"),
        ("2035-01-01", "range"),
        ("2026-02-30", "format"),
        ("15/12/2026", "format"),
        ("2026-12-15T00:00:00Z", "format"),
        ("٢٠٢٦-١٢-١٥\n", "characters"),
    ],
)
def test_a_due_date_must_be_a_real_day_from_today_to_three_years_ahead(due_on: str, code: str) -> None:
    assert refused(due_on=due_on) == {"due_on": code}


def test_a_due_date_of_today_in_the_markets_own_time_zone_is_not_past() -> None:
    assert parse(due_on="2026-11-23").due_on == TODAY


def test_every_faulty_field_is_reported_at_once() -> None:
    errors = refused(
        kind="fix",
        title="",
        root_causes=[],
        complaints=["7K3M-9XQ2-HT4W-R8", 12],
        due_on="soon",
        owner="not a username!",
    )
    assert errors == {
        "kind": "choice",
        "title": "required",
        "root_causes": "required",
        "complaints.0": "invalid",
        "complaints.1": "invalid",
        "due_on": "format",
        "owner": "format",
    }


def test_a_title_is_one_line_of_at_most_200_characters_and_a_description_at_most_4000() -> None:
    assert refused(title="x" * 201) == {"title": "too_long"}
    assert refused(title="line one\nline two") == {"title": "characters"}
    assert refused(description="ğ" * 4001) == {"description": "too_long"}
    assert parse(title="ş" * 200, description="ü" * 4000).title == "ş" * 200


def test_an_unknown_root_cause_is_pointed_out_by_its_position() -> None:
    assert refused(root_causes=["communication", "bad_luck"]) == {"root_causes.1": "choice"}


def test_root_causes_and_complaints_may_come_as_text_from_a_form_and_are_deduplicated() -> None:
    lower = CODES[0].lower().replace("-", " ")
    draft = parse(root_causes="Communication, communication، system_error", complaints=f"{lower}\n{CODES[0]}")
    assert draft.root_causes == (RootCause.COMMUNICATION, RootCause.SYSTEM_ERROR)
    assert draft.complaints == (CODES[0],)


def test_an_action_names_at_most_200_complaints() -> None:
    assert refused(complaints=[CODES[0]] * 201) == {"complaints": "too_many"}
    assert len(parse(complaints=[new_tracking_code() for _ in range(200)]).complaints) == 200


@pytest.mark.parametrize(
    "hostile",
    [{"$ne": None}, ["a"], 12, True, "\ud800"],
)
def test_a_title_that_is_not_text_is_refused_whatever_it_is(hostile: Any) -> None:
    assert set(refused(title=hostile)) == {"title"}


def test_a_misspelt_or_smuggled_field_is_refused_not_silently_ignored() -> None:
    errors = refused(due_date="2026-12-15", version=99, **{"__proto__": {}})
    assert errors == {"due_date": "unknown", "version": "unknown", "__proto__": "unknown"}


def test_a_flood_of_unknown_fields_gets_a_bounded_answer() -> None:
    payload = {**ACTION, **{f"x{i}": 1 for i in range(5000)}}
    with pytest.raises(ValidationFailed) as caught:
        c.parse_new_capa(payload, TR_CLAIMS_HANDLER, now=FixedClock().now())
    assert len(caught.value.errors) == c.UNKNOWN_REPORTED


# --- who may open, read and change ---------------------------------------------------------------


def test_a_new_action_is_open_and_answered_with_its_view(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister
) -> None:
    view = open_action()
    assert view["status"] == "open"
    assert view["next_statuses"] == ["in_progress", "done", "cancelled"]
    assert view["overdue"] is False
    assert (view["version"], view["created_by"], view["effectiveness"]) == (1, "staff:elif.kaya", None)
    assert view["created_at"] == "2026-11-23T07:30:00Z"
    assert register.calls == ["add"]


def test_a_handler_cannot_open_an_action_for_another_department(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister
) -> None:
    with pytest.raises(Forbidden):
        open_action(department="finance")
    assert register.actions == {}


def test_a_supervisor_opens_actions_for_any_department_of_their_market_only(
    open_action: Callable[..., dict[str, Any]],
) -> None:
    assert open_action(TR_SUPERVISOR, department="finance", owner="ali.yıldız")["department"] == "finance"
    with pytest.raises(Forbidden):
        open_action(TR_SUPERVISOR, market="IR", department="finance")


@pytest.mark.parametrize("member", [AUDITOR, TR_AGENT])
def test_auditors_and_agents_cannot_open_actions(
    member: StaffMember, open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister
) -> None:
    with pytest.raises(Forbidden):
        open_action(member, department="claims")
    assert register.calls == []


def test_a_handler_cannot_change_another_departments_action(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action()["capa_id"]
    with pytest.raises(Forbidden):
        use.update_capa(capa_id, {"status": "done"}, staff=TR_FINANCE_HANDLER, register=register, clock=clock)


def test_a_handler_cannot_hand_their_action_to_another_department_but_a_supervisor_can(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action()["capa_id"]
    with pytest.raises(Forbidden):
        use.update_capa(
            capa_id, {"department": "finance"}, staff=TR_CLAIMS_HANDLER, register=register, clock=clock
        )
    moved = use.update_capa(
        capa_id, {"department": "finance"}, staff=TR_SUPERVISOR, register=register, clock=clock
    )
    assert (moved["department"], moved["version"]) == ("finance", 2)


def test_a_supervisor_of_another_market_cannot_read_or_change_an_action(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action()["capa_id"]
    with pytest.raises(Forbidden):
        use.get_capa(capa_id, staff=IR_SUPERVISOR, register=register, clock=clock)
    with pytest.raises(Forbidden):
        use.update_capa(capa_id, {"status": "done"}, staff=IR_SUPERVISOR, register=register, clock=clock)


def test_an_auditor_reads_any_markets_register_but_must_say_which(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action()["capa_id"]
    assert use.get_capa(capa_id, staff=AUDITOR, register=register, clock=clock)["capa_id"] == capa_id
    with pytest.raises(ValidationFailed) as caught:
        use.list_capa({}, staff=AUDITOR, register=register, clock=clock)
    assert field_errors(caught) == {"market": "required"}
    listed = use.list_capa({"market": "tr"}, staff=AUDITOR, register=register, clock=clock)
    assert [item["capa_id"] for item in listed["items"]] == [capa_id]


def test_staff_other_than_auditors_list_only_their_own_markets_register(
    register: FakeCapaRegister, clock: FixedClock
) -> None:
    assert use.list_capa(None, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)["market"] == "TR"
    with pytest.raises(Forbidden):
        use.list_capa({"market": "IR"}, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)
    with pytest.raises(Forbidden):
        use.list_capa({}, staff=TR_AGENT, register=register, clock=clock)


def test_an_unknown_action_is_not_found(register: FakeCapaRegister, clock: FixedClock) -> None:
    with pytest.raises(CapaNotFound):
        use.get_capa(
            "CAPA-TR-20261123T073000000000Z-7KQM", staff=TR_SUPERVISOR, register=register, clock=clock
        )


# --- status moves and the effectiveness check ----------------------------------------------------


def an_action(status: CapaStatus = CapaStatus.OPEN, **changes: Any) -> CapaAction:
    now = FixedClock().now()
    draft = parse()
    action = c.open_capa(draft, capa_id=c.new_capa_id(Market.TR, now), staff=TR_CLAIMS_HANDLER, now=now)
    return replace(action, status=status, **changes)


def move(action: CapaAction, target: CapaStatus) -> CapaAction:
    verdict = Verdict(target is CapaStatus.VERIFIED_EFFECTIVE, "Şikâyetler durdu.")
    update = CapaUpdate(status=target, verdict=verdict if target in c.VERIFIED else None)
    return c.revise(action, update, staff=TR_SUPERVISOR, now=FixedClock().now())


@pytest.mark.parametrize("source", list(CapaStatus))
@pytest.mark.parametrize("target", list(CapaStatus))
def test_a_status_moves_only_where_the_register_allows(source: CapaStatus, target: CapaStatus) -> None:
    action = an_action(source)
    if target is source:
        return
    if target in c.MOVES[source]:
        after = move(action, target)
        assert (after.status, after.version, after.updated_by) == (target, 2, "staff:murat.sup")
    else:
        with pytest.raises(IllegalTransition) as caught:
            move(action, target)
        assert caught.value.state == source.value
        assert caught.value.allowed == tuple(s.value for s in c.MOVES[source])


def test_the_happy_path_runs_from_open_to_verified_effective() -> None:
    action = an_action()
    for target in (CapaStatus.IN_PROGRESS, CapaStatus.DONE, CapaStatus.VERIFIED_EFFECTIVE):
        action = move(action, target)
    assert action.effectiveness is not None
    assert (action.effectiveness.effective, action.effectiveness.checked_by) == (True, "staff:murat.sup")
    assert action.status in c.FINAL


def test_verifying_a_done_action_requires_the_effectiveness_check() -> None:
    with pytest.raises(ValidationFailed) as caught:
        c.parse_capa_update({"status": "verified_effective"})
    assert field_errors(caught) == {"effectiveness": "required"}
    with pytest.raises(ValidationFailed) as caught:
        c.parse_capa_update({"effectiveness": {"note": "?"}})
    assert field_errors(caught) == {"effectiveness.effective": "required"}


def test_the_effectiveness_check_alone_verifies_a_done_action_in_its_direction() -> None:
    update = c.parse_capa_update({"effectiveness": {"effective": "false", "note": "Yine şikâyet geldi."}})
    after = c.revise(an_action(CapaStatus.DONE), update, staff=TR_SUPERVISOR, now=FixedClock().now())
    assert after.status is CapaStatus.VERIFIED_INEFFECTIVE
    assert after.effectiveness is not None
    assert after.effectiveness.note == "Yine şikâyet geldi."


def test_an_effectiveness_check_that_contradicts_the_status_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        c.parse_capa_update(
            {"status": "verified_effective", "effectiveness": {"effective": False, "note": "no"}}
        )
    assert field_errors(caught) == {"effectiveness.effective": "mismatch"}
    with pytest.raises(ValidationFailed) as caught:
        c.parse_capa_update({"status": "done", "effectiveness": {"effective": True, "note": "yes"}})
    assert field_errors(caught) == {"effectiveness.effective": "not_allowed"}


@pytest.mark.parametrize("status", [CapaStatus.OPEN, CapaStatus.IN_PROGRESS, CapaStatus.VERIFIED_EFFECTIVE])
def test_an_effectiveness_check_is_recorded_only_when_a_done_action_is_verified(status: CapaStatus) -> None:
    update = c.parse_capa_update({"effectiveness": {"effective": True, "note": "İşe yaradı."}})
    with pytest.raises(IllegalTransition):
        c.revise(an_action(status), update, staff=TR_SUPERVISOR, now=FixedClock().now())


def test_an_ineffective_action_is_reopened_only_with_a_due_date_not_yet_past() -> None:
    action = an_action(CapaStatus.VERIFIED_INEFFECTIVE, due_on=date(2026, 11, 1))
    with pytest.raises(ValidationFailed) as caught:
        move(action, CapaStatus.IN_PROGRESS)
    assert field_errors(caught) == {"due_on": "past"}
    update = c.parse_capa_update({"status": "in_progress", "due_on": "2027-01-31"})
    reopened = c.revise(action, update, staff=TR_SUPERVISOR, now=FixedClock().now())
    assert (reopened.status, reopened.due_on) == (CapaStatus.IN_PROGRESS, date(2027, 1, 31))


@pytest.mark.parametrize("final", sorted(c.FINAL))
def test_a_final_action_cannot_be_edited(final: CapaStatus) -> None:
    with pytest.raises(IllegalTransition) as caught:
        c.revise(an_action(final), CapaUpdate(title="new"), staff=TR_SUPERVISOR, now=FixedClock().now())
    assert caught.value.action == "edit"


def test_sending_back_an_overdue_actions_unchanged_due_date_is_no_change_at_all() -> None:
    action = an_action(CapaStatus.IN_PROGRESS, due_on=date(2026, 11, 1))
    update = c.parse_capa_update({"due_on": "2026-11-01", "title": action.title})
    assert c.revise(action, update, staff=TR_SUPERVISOR, now=FixedClock().now()) is action


def test_moving_an_overdue_due_date_into_the_past_is_refused() -> None:
    action = an_action(CapaStatus.IN_PROGRESS, due_on=date(2026, 11, 1))
    with pytest.raises(ValidationFailed) as caught:
        c.revise(action, CapaUpdate(due_on=date(2026, 11, 2)), staff=TR_SUPERVISOR, now=FixedClock().now())
    assert field_errors(caught) == {"due_on": "past"}


def test_an_update_may_clear_the_description_and_the_complaints_but_not_the_title_or_root_causes() -> None:
    update = c.parse_capa_update({"description": "", "complaints": []})
    assert (update.description, update.complaints) == ("", ())
    with pytest.raises(ValidationFailed) as caught:
        c.parse_capa_update({"title": "", "root_causes": [], "expected_version": "x"})
    assert field_errors(caught) == {
        "title": "required",
        "root_causes": "required",
        "expected_version": "type",
    }


# --- overdue -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "due_on", "overdue"),
    [
        (CapaStatus.OPEN, date(2026, 11, 22), True),
        (CapaStatus.IN_PROGRESS, date(2026, 11, 22), True),
        (CapaStatus.OPEN, TODAY, False),  # due today is not late yet
        (CapaStatus.DONE, date(2026, 1, 1), False),
        (CapaStatus.CANCELLED, date(2026, 1, 1), False),
        (CapaStatus.VERIFIED_EFFECTIVE, date(2026, 1, 1), False),
    ],
)
def test_an_action_is_overdue_only_while_its_work_is_pending_after_its_due_date(
    status: CapaStatus, due_on: date, overdue: bool
) -> None:
    assert c.is_overdue(an_action(status, due_on=due_on), TODAY) is overdue


def test_an_action_becomes_overdue_the_day_after_it_was_due_in_its_market(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action(due_on="2026-11-23")["capa_id"]
    clock.advance(hours=13)  # 20:30 UTC: 23:30 in Istanbul (UTC+3), still the day it is due
    assert use.get_capa(capa_id, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)["overdue"] is False
    clock.advance(minutes=30)  # 00:00 on the 24th in Istanbul, while it is still the 23rd in UTC
    view = use.get_capa(capa_id, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)
    assert view["overdue"] is True


# --- updates and concurrency ---------------------------------------------------------------------


def test_an_update_with_a_stale_expected_version_is_a_conflict_naming_the_current_one(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action()["capa_id"]
    use.update_capa(
        capa_id, {"status": "in_progress"}, staff=TR_CLAIMS_HANDLER, register=register, clock=clock
    )
    with pytest.raises(ConcurrentUpdate) as caught:
        use.update_capa(
            capa_id,
            {"status": "done", "expected_version": 1},
            staff=TR_CLAIMS_HANDLER,
            register=register,
            clock=clock,
        )
    assert (caught.value.state, caught.value.version) == ("in_progress", 2)


def test_a_writer_that_lost_the_race_learns_the_state_the_winner_left(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    capa_id = open_action()["capa_id"]
    register.save_failures.append(ConcurrentUpdate("changed"))
    with pytest.raises(ConcurrentUpdate) as caught:
        use.update_capa(capa_id, {"status": "done"}, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)
    assert (caught.value.state, caught.value.version) == ("open", 1)


def test_an_update_that_changes_nothing_writes_nothing(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    view = open_action()
    register.calls.clear()
    same = use.update_capa(
        view["capa_id"],
        {"title": view["title"], "status": "open", "expected_version": "۱"},
        staff=TR_CLAIMS_HANDLER,
        register=register,
        clock=clock,
    )
    assert same == view
    assert register.calls == ["get"]


# --- listing -------------------------------------------------------------------------------------


def test_the_register_lists_newest_first_a_page_at_a_time_without_gaps_or_repeats(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    created = [open_action(title=f"Eylem {i}")["capa_id"] for i in range(7)]
    seen: list[str] = []
    params: dict[str, str] = {"limit": "۳"}
    while True:
        page = use.list_capa(params, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)
        seen += [item["capa_id"] for item in page["items"]]
        if page["cursor"] is None:
            break
        params = {"limit": "3", "cursor": page["cursor"]}
    assert seen == list(reversed(created))


def test_the_register_filters_by_status_root_cause_and_overdue(
    open_action: Callable[..., dict[str, Any]], register: FakeCapaRegister, clock: FixedClock
) -> None:
    late = open_action(root_causes=["system_error"], due_on="2026-11-24")["capa_id"]
    done = open_action(root_causes=["system_error"], due_on="2026-11-24")["capa_id"]
    use.update_capa(done, {"status": "done"}, staff=TR_CLAIMS_HANDLER, register=register, clock=clock)
    later = open_action(due_on="2027-03-01")["capa_id"]
    clock.advance(days=2)

    def ids(**params: str) -> list[str]:
        page = use.list_capa(params, staff=TR_SUPERVISOR, register=register, clock=clock)
        return [item["capa_id"] for item in page["items"]]

    assert ids(status="done") == [done]
    assert ids(root_cause="system_error") == [done, late]
    assert ids(overdue="true") == [late]
    assert ids(overdue="false") == [later, done, late]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"status": "closed"}, "status"),
        ({"root_cause": "bad_luck"}, "root_cause"),
        ({"overdue": "maybe"}, "overdue"),
        ({"market": "US"}, "market"),
    ],
)
def test_list_parameters_are_checked(params: dict[str, str], field: str, register: FakeCapaRegister) -> None:
    with pytest.raises(ValidationFailed) as caught:
        use.list_capa(params, staff=TR_SUPERVISOR, register=register, clock=FixedClock())
    assert list(field_errors(caught)) == [field]
    assert register.calls == []


def cursor_of(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


GOOD_ID = "CAPA-TR-20261123T073000000000Z-7KQM"


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        "%%%",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        cursor_of([1, 2]),
        cursor_of({"market": {"S": "TR"}}),
        cursor_of({"market": {"S": "IR"}, "capa_id": {"S": GOOD_ID}}),  # another market's partition
        cursor_of({"market": {"S": "TR"}, "capa_id": {"S": GOOD_ID.replace("TR", "IR")}}),
        cursor_of({"market": {"S": "TR"}, "capa_id": {"S": "' OR 1=1 --"}}),
        cursor_of({"market": {"S": "TR"}, "capa_id": {"N": "1"}}),
        cursor_of({"market": {"S": "TR"}, "capa_id": {"S": GOOD_ID, "N": "1"}}),
        cursor_of({"market": {"S": "TR"}, "capa_id": {"S": GOOD_ID}, "status": {"S": "open"}}),
        "x" * 5000,
    ],
)
def test_a_tampered_cursor_is_refused_before_the_register_is_read(
    cursor: str, register: FakeCapaRegister
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        use.list_capa({"cursor": cursor}, staff=TR_SUPERVISOR, register=register, clock=FixedClock())
    assert field_errors(caught) == {"cursor": "invalid"}
    assert register.calls == []


def test_a_cursor_the_register_gave_is_taken() -> None:
    key = {"market": {"S": "TR"}, "capa_id": {"S": GOOD_ID}}
    register = FakeCapaRegister()
    use.list_capa({"cursor": cursor_of(key)}, staff=TR_SUPERVISOR, register=register, clock=FixedClock())
    assert register.calls == ["list"]


# --- the routes' work ----------------------------------------------------------------------------


@pytest.fixture
def container(register: FakeCapaRegister, clock: FixedClock) -> Container:
    built = Container(fake_settings(max_body_bytes=65536))
    built.capa = register  # type: ignore[assignment]
    built.clock = clock
    return built


JSON = {"content-type": "application/json"}


def body_of(response: Any) -> Any:
    return json.loads(response.body)


def test_the_routes_open_change_read_and_list_an_action(container: Container) -> None:
    created = api.create(json.dumps(ACTION, ensure_ascii=False), JSON, TR_CLAIMS_HANDLER, container)
    assert created.status_code == 201
    assert created.headers["Content-Type"] == "application/json; charset=utf-8"
    capa_id = body_of(created)["capa_id"]
    changed = api.update(capa_id, '{"status": "in_progress"}', JSON, TR_CLAIMS_HANDLER, container)
    assert (changed.status_code, body_of(changed)["status"]) == (200, "in_progress")
    assert body_of(api.get(capa_id.lower(), AUDITOR, container))["version"] == 2
    listed = api.list_actions({"market": "TR"}, AUDITOR, container)
    assert [item["capa_id"] for item in body_of(listed)["items"]] == [capa_id]
    assert set(body_of(listed)) == {"market", "status", "root_cause", "overdue", "items", "cursor"}


def test_route_errors_become_problem_details(container: Container) -> None:
    create, update, get = guarded(api.create), guarded(api.update), guarded(api.get)
    assert create("[1]", JSON, TR_CLAIMS_HANDLER, container).status_code == 400
    assert create("x" * 70000, JSON, TR_CLAIMS_HANDLER, container).status_code == 413
    assert create("{}", JSON, AUDITOR, container).status_code == 403
    invalid = create('{"title": "x"}', JSON, TR_CLAIMS_HANDLER, container)
    assert invalid.status_code == 422
    assert {e["field"] for e in body_of(invalid)["errors"]} >= {"kind", "root_causes", "due_on"}
    assert get(GOOD_ID, TR_SUPERVISOR, container).status_code == 404
    capa_id = body_of(create(json.dumps(ACTION), JSON, TR_CLAIMS_HANDLER, container))["capa_id"]
    illegal = update(
        capa_id,
        '{"status": "verified_effective", "effectiveness": {"effective": true, "note": "ok"}}',
        JSON,
        TR_CLAIMS_HANDLER,
        container,
    )
    assert illegal.status_code == 409
    assert body_of(illegal)["allowed_actions"] == ["in_progress", "done", "cancelled"]
