"""A complaint's whole life through the console's forms, as people click it: intake by phone, the
handler's work, the supervisor's close; refused forms, a change made meanwhile by someone else."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.lifecycle import Status
from tests.staff_tokens import AGENT_TR, HANDLER_SERVICES_TR, SUPERVISOR_TR
from tests.unit.conftest import Desk
from tests.unit.test_console import (  # the console's fixtures, shared
    Browser,
    browser,
    capa_register,
    form_fields,
    location_of,
    page_of,
    report_requests,
    sign_in_service,
)
from tests.unit.test_pages import Element

__all__ = ["browser", "capa_register", "report_requests", "sign_in_service"]  # fixtures used here

PHONE_CALL = {
    "channel": "phone",
    "channel_detail.reference": "ÇAĞRI-2026-4411",
    "language": "tr",
    "category": "service_quality",
    "health_or_safety": "no",
    "description": "Kadıköy şubesinde personelin kaba davrandığını söylüyor; telefonla aradı.",
    "contact.name": "Ali Işık",
    "contact.mobile": "0532 111 22 33",
    "consent.contact": "yes",
}


def act(visitor: Browser, code: str, action: str, /, **fields: str) -> Element:
    """One action's form on the complaint's page, filled in and sent; the page it leads back to."""
    case = visitor.open(f"complaints/{code}")
    answer = visitor.send(case, f"action-{action.replace('_', '-')}-form", **fields)
    path, query = location_of(answer)
    assert (path, query) == (f"/en/console/complaints/{code}", {"done": [action]})
    done = visitor.open(answer.headers["Location"])
    assert done.by_id("done").attrs["role"] == "status"
    return done


def test_a_phone_complaint_from_intake_to_closing_through_the_consoles_forms(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    agent = browser(AGENT_TR, "tr")
    form = agent.open("intake")
    answer = agent.send(form, "intake-form", **PHONE_CALL)
    receipt = page_of(answer)
    code = receipt.by_id("tracking-code").words()
    complaint = desk.repository.complaints[code]
    assert complaint.channel.value == "phone"
    assert complaint.received_by == AGENT_TR.username
    assert complaint.personal.channel_reference == "ÇAĞRI-2026-4411"
    assert receipt.by_id("open-complaint").attrs["href"] == f"/tr/console/complaints/{code}"
    desk.route(code)  # the pipeline: acknowledged and routed to Customer Services

    handler = browser(HANDLER_SERVICES_TR)
    queue = handler.open("queue")
    assert queue.by_id(f"row-{code}")
    act(handler, code, "assess", urgency="high", importance="medium", reason="Tekrar arayan müşteri")
    act(handler, code, "request_information", message="Hangi gün ve saatte oldu?", channel="sms")
    assert desk.repository.complaints[code].status is Status.AWAITING_COMPLAINANT
    act(handler, code, "receive_information", text="18 Kasım, öğleden sonra.", via="phone")
    act(handler, code, "record_data_check", subject="Şube kamera kaydı", result="confirmed")
    act(handler, code, "add_note", text="Şube müdürüyle görüşüldü.")
    act(handler, code, "record_root_cause", code="staff_conduct", text="Personel eğitimi eksik.")
    act(handler, code, "decide", outcome="upheld", remedy="Yazılı özür ve eğitim", amount="")
    act(handler, code, "communicate_decision", channel="sms", message="Çalışanımız uyarıldı, özür dileriz.")
    case = handler.open(f"complaints/{code}")
    assert not case.has_id("action-close"), "only a supervisor closes"

    supervisor = browser(SUPERVISOR_TR)
    closed = act(supervisor, code, "close", text="Yanıt verildi, şikâyet kapandı.")
    assert closed.by_id("case-status").words() == "Closed"
    assert closed.has_id("action-reopen")
    actions = [event.action for event in desk.repository.events[code]]
    assert actions == [
        "submit",
        "assign",
        "assess",
        "request_information",
        "receive_information",
        "record_data_check",
        "add_note",
        "record_root_cause",
        "decide",
        "communicate_decision",
        "close",
    ]
    actors = {event.actor for event in desk.repository.events[code][2:]}
    assert actors == {f"staff:{HANDLER_SERVICES_TR.username}", f"staff:{SUPERVISOR_TR.username}"}


def test_a_refused_action_comes_back_with_each_problem_at_its_field(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    case = supervisor.open(f"complaints/{code}")
    before = list(desk.repository.events[code])
    answer = supervisor.send(case, "action-decide-form", outcome="upheld", remedy="", amount="1500,50")
    refused = page_of(answer, 422)
    assert desk.repository.events[code] == before
    assert "open" in refused.by_id("action-decide").attrs
    links = [a.attrs["href"] for a in refused.by_id("error-summary").all("a")]
    assert links == ["#decide-remedy", "#decide-amount"]
    assert refused.by_id("decide-remedy").attrs["aria-invalid"] == "true"
    assert refused.by_id("decide-remedy").attrs["aria-describedby"].endswith("decide-remedy-error")  # type: ignore[union-attr]
    assert refused.by_id("decide-amount").attrs["value"] == "1500,50"
    assert refused.all("title")[0].words().startswith("(2 errors)")
    assert "open" not in refused.by_id("action-add-note").attrs


def test_a_change_made_meanwhile_is_a_409_with_what_was_typed_kept(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    stale = supervisor.open(f"complaints/{code}")
    assert desk.act(code, "add_note", SUPERVISOR_TR, text="Başkası önce yazdı.").status_code == 200
    before = list(desk.repository.events[code])
    answer = supervisor.send(stale, "action-add-note-form", text="Benim notum.")
    conflict = page_of(answer, 409)
    assert desk.repository.events[code] == before
    assert "Someone else changed this complaint" in conflict.by_id("error-summary").words()
    assert conflict.by_id("add-note-text").text() == "Benim notum."
    _, fields = form_fields(conflict, "action-add-note-form")
    assert fields["expected_version"] == str(desk.repository.complaints[code].version)
    again = supervisor.send(conflict, "action-add-note-form")
    assert again.status_code == 303
    assert desk.repository.events[code][-1].text == "Benim notum."


def test_the_systems_own_bookkeeping_meanwhile_is_not_a_conflict(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    """A message sent (or a flag) a moment after a request for information does not refuse the next form."""
    from chalicelib.services.flag_complaint import flag_by_code

    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    stale = supervisor.open(f"complaints/{code}")
    flag_by_code(code, "acknowledgement", "no contact", repository=desk.repository, clock=desk.clock)
    answer = supervisor.send(stale, "action-add-note-form", text="Sistem kaydından sonra not.")
    assert answer.status_code == 303
    assert [e.action for e in desk.repository.events[code][-2:]] == ["flag", "add_note"]


def test_an_action_the_state_no_longer_allows_is_a_409(browser: Callable[..., Browser], desk: Desk) -> None:
    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    stale = supervisor.open(f"complaints/{code}")
    desk.act(code, "withdraw", SUPERVISOR_TR, reason="Müşteri vazgeçti.")
    _, fields = form_fields(stale, "action-decide-form")
    fields.update(outcome="rejected", expected_version="")
    answer = supervisor.post(f"complaints/{code}/actions/decide", fields)
    refused = page_of(answer, 409)
    assert "not possible in the complaint's present state" in refused.by_id("error-summary").words()


def test_an_unknown_action_is_a_404_page(browser: Callable[..., Browser], desk: Desk) -> None:
    code = desk.routed()
    supervisor = browser(SUPERVISOR_TR)
    answer = supervisor.post(f"complaints/{code}/actions/delete_everything", {"csrf": supervisor.token()})
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"


# --- intake --------------------------------------------------------------------------------------


def test_a_refused_intake_keeps_what_was_typed_but_never_the_consent(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    agent = browser(AGENT_TR)
    form = agent.open("intake")
    _, first = form_fields(form, "intake-form")
    answer = agent.send(form, "intake-form", **{**PHONE_CALL, "description": "kısa", "contact.mobile": "12"})
    refused = page_of(answer, 422)
    assert {a.attrs["href"] for a in refused.by_id("error-summary").all("a")} == {
        "#description",
        "#contact-mobile",
    }
    assert refused.by_id("contact-name").attrs["value"] == "Ali Işık"
    assert "checked" not in refused.by_id("consent-contact").attrs
    _, kept = form_fields(refused, "intake-form")
    assert kept["idempotency_key"] == first["idempotency_key"]
    assert desk.repository.complaints == {}


def test_the_same_intake_form_sent_twice_records_one_complaint(
    browser: Callable[..., Browser], desk: Desk
) -> None:
    agent = browser(AGENT_TR)
    form = agent.open("intake")
    first = page_of(agent.send(form, "intake-form", **PHONE_CALL)).by_id("tracking-code").words()
    second = page_of(agent.send(form, "intake-form", **PHONE_CALL)).by_id("tracking-code").words()
    assert first == second
    assert len(desk.repository.complaints) == 1


def test_a_social_media_intake_names_its_network(browser: Callable[..., Browser], desk: Desk) -> None:
    agent = browser(AGENT_TR)
    form = agent.open("intake")
    social = {**PHONE_CALL, "channel": "social_media", "channel_detail.network": ""}
    refused = page_of(agent.send(form, "intake-form", **social), 422)
    assert refused.by_id("channel-detail-network").attrs["aria-invalid"] == "true"
    done = page_of(agent.send(refused, "intake-form", **{**social, "channel_detail.network": "instagram"}))
    code = done.by_id("tracking-code").words()
    assert desk.repository.complaints[code].social_network is not None


def test_intake_of_another_market_is_refused(browser: Callable[..., Browser], desk: Desk) -> None:
    agent = browser(AGENT_TR)
    form = agent.open("intake")
    answer = agent.send(
        form, "intake-form", **{**PHONE_CALL, "market": "IR", "contact.mobile": "09121234567"}
    )
    assert answer.status_code == 403
    assert desk.repository.complaints == {}
