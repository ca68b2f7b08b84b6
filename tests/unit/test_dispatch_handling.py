"""Dispatch of the handling's messages (information requests, decisions, survey, escalations), once each."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain import commands as c
from chalicelib.domain.complaint import Complaint
from chalicelib.domain.handling import escalate, handle
from chalicelib.domain.policy import ContactChannel, DecisionOutcome, Level, RootCause
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.dispatch import Change, Dispatcher, intents_for
from chalicelib.services.route_complaint import route_complaint
from chalicelib.services.submit_complaint import submit_complaint
from tests.fakes import FakeRepository, FakeSender, FixedClock


class World:
    def __init__(self, base_url: str = "https://complaints.example") -> None:
        self.repository, self.clock = FakeRepository(), FixedClock()
        self.sms, self.mail = FakeSender("sms"), FakeSender("email", "ses")
        self.topics = FakeSender("sns-topic", "sns")
        self.dispatcher = Dispatcher(
            self.repository, self.sms, self.mail, self.topics, self.clock, public_base_url=base_url
        )

    def routed(self, data: dict[str, Any]) -> str:
        receipt = submit_complaint(
            parse_submission(data), repository=self.repository, clock=self.clock, new_code=new_tracking_code
        )
        code = str(receipt.body["tracking_code"])
        route_complaint(code, repository=self.repository, clock=self.clock)
        return code

    def act(self, code: str, command: c.Command) -> tuple[Complaint, Complaint]:
        before = self.repository.complaints[code]
        after, event = handle(before, command, actor="staff:handler", now=self.clock.now())
        self.repository.apply_change(before, after, event)
        return before, after

    def deliver(self, before: Complaint, after: Complaint) -> list[str]:
        intents = intents_for(Change("MODIFY", before, after))
        for intent in intents:
            self.dispatcher.dispatch(after.tracking_code, intent)
        return intents


@pytest.fixture
def world() -> World:
    return World()


def test_an_information_request_goes_by_sms_once_and_without_a_link_to_a_turkish_number(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.routed(turkish_complaint)
    before, after = world.act(code, c.RequestInformation("Poliçe numaranızı {code} yazar mısınız?"))
    intents = world.deliver(before, after)
    assert intents == [f"information_request:{after.version}:auto"]
    ((to, body),) = world.sms.sent
    assert to == "+905321234567"
    assert "Poliçe numaranızı {code} yazar mısınız?" in body  # the handler's text, literally
    assert "http" not in body
    world.deliver(before, world.repository.complaints[code])  # a redelivered record
    assert len(world.sms.sent) == 1


def test_an_iranian_sms_and_every_e_mail_carry_the_link_to_the_page(
    world: World, persian_complaint: dict[str, Any], turkish_complaint: dict[str, Any]
) -> None:
    code = world.routed(persian_complaint)
    world.deliver(*world.act(code, c.RequestInformation("لطفاً شماره بیمه‌نامه را بفرستید")))
    ((_, body),) = world.sms.sent
    assert "https://complaints.example/fa/reply" in body
    code = world.routed(turkish_complaint)
    world.deliver(*world.act(code, c.RequestInformation("Lütfen belgeyi gönderin", ContactChannel.EMAIL)))
    ((to, subject, mail_body),) = world.mail.sent
    assert to == "ayse.yilmaz@example.com"
    assert code in subject
    assert "https://complaints.example/tr/reply" in mail_body


def _decided(world: World, code: str, outcome: DecisionOutcome) -> None:
    world.act(code, c.RecordRootCause(RootCause.CLAIMS_ASSESSMENT, "wrong exclusion applied"))
    remedy = None if outcome is DecisionOutcome.REJECTED else "pay the claim"
    world.act(code, c.Decide(outcome, remedy, None))


def test_a_rejection_names_the_external_recourse_of_the_market(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.routed(turkish_complaint)
    _decided(world, code, DecisionOutcome.REJECTED)
    before, after = world.act(
        code, c.CommunicateDecision(ContactChannel.SMS, "Talebiniz poliçe kapsamı dışında.")
    )
    world.deliver(before, after)
    ((_, body),) = world.sms.sent
    assert "kabul edilmedi" in body
    assert "Sigorta Tahkim Komisyonu" in body
    assert after.personal.messages  # the message is personal data, kept in the personal part


def test_a_decision_told_by_phone_sends_nothing(world: World, turkish_complaint: dict[str, Any]) -> None:
    code = world.routed(turkish_complaint)
    _decided(world, code, DecisionOutcome.UPHELD)
    assert (
        world.deliver(*world.act(code, c.CommunicateDecision(ContactChannel.PHONE, "Called, she accepted")))
        == []
    )
    assert world.sms.sent == []


def test_closing_invites_a_rating_once_per_closing(world: World, turkish_complaint: dict[str, Any]) -> None:
    code = world.routed(turkish_complaint)
    _decided(world, code, DecisionOutcome.UPHELD)
    world.act(code, c.CommunicateDecision(ContactChannel.PHONE, "Called"))
    before, after = world.act(code, c.Close())
    assert world.deliver(before, after) == ["survey:1"]
    ((_, body),) = world.sms.sent
    assert "1-5" in body
    world.deliver(before, world.repository.complaints[code])
    assert len(world.sms.sent) == 1


def test_without_consent_the_complainant_is_not_written_to_and_staff_are_told(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.routed(dict(turkish_complaint, consent={"contact": False}))
    world.deliver(*world.act(code, c.RequestInformation("Belge gerekli")))
    assert world.sms.sent == []
    complaint = world.repository.complaints[code]
    assert any("phone or post" in text for text in complaint.attention.values())


def test_an_escalation_notifies_its_audience_once(world: World, turkish_complaint: dict[str, Any]) -> None:
    code = world.routed(turkish_complaint)
    before = world.repository.complaints[code]
    change = escalate(before, [1, 2], ("department_supervisor", "head_of_complaints"), now=world.clock.now())
    assert change is not None
    world.repository.apply_change(before, *change)
    intents = world.deliver(before, world.repository.complaints[code])
    assert intents == ["escalation:0:1", "escalation:0:2"]
    audiences = [json.loads(attributes)["audience"] for _, _, attributes in world.topics.sent[-2:]]
    assert audiences == ["department_supervisor", "head_of_complaints"]
    messages = [json.loads(message) for _, message, _ in world.topics.sent[-2:]]
    assert all(m["tracking_code"] == code for m in messages)
    assert all("+90" not in json.dumps(m) for m in messages)  # no personal data to the topic
    sent = len(world.topics.sent)
    world.deliver(before, world.repository.complaints[code])
    assert len(world.topics.sent) == sent


def test_assessing_changes_no_message(world: World, turkish_complaint: dict[str, Any]) -> None:
    code = world.routed(turkish_complaint)
    before, after = world.act(code, c.Assess(Level.HIGH, Level.HIGH, "press interest"))
    assert world.deliver(before, replace(after)) == []


def test_a_decision_sent_late_still_says_what_was_decided(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.routed(turkish_complaint)
    _decided(world, code, DecisionOutcome.PARTLY_UPHELD)
    before, told = world.act(code, c.CommunicateDecision(ContactChannel.SMS, "Kısmi ödeme yapılacak."))
    world.act(code, c.Close())
    world.act(code, c.Reopen("appeal"))  # the decision is cleared before the message goes out
    assert world.repository.complaints[code].decision is None
    intents = intents_for(Change("MODIFY", before, told))
    (decision,) = [i for i in intents if i.startswith("decision:")]
    world.dispatcher.dispatch(code, decision)
    ((_, body),) = world.sms.sent
    assert "kısmen kabul edildi" in body
    assert "Sigorta Tahkim Komisyonu" in body
