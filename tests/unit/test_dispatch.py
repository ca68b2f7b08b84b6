"""Dispatch: each message a change owes is sent once and recorded on the complaint."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import ConcurrentUpdate, DeliveryFailed
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.dispatch import ACKNOWLEDGEMENT, SUPERVISOR_ALERT, Change, Dispatcher, intents_for
from chalicelib.services.process_changes import ChangeRecord, process_changes
from chalicelib.services.route_complaint import route_complaint
from chalicelib.services.submit_complaint import submit_complaint
from tests.fakes import FakeQueue, FakeRepository, FakeSender, FixedClock


class World:
    """A repository with senders and a queue, all fakes."""

    def __init__(self) -> None:
        self.repository, self.clock = FakeRepository(), FixedClock()
        self.sms, self.mail = FakeSender("sms"), FakeSender("email", "ses")
        self.topics, self.queue = FakeSender("sns-topic", "sns"), FakeQueue()
        self.dispatcher = Dispatcher(self.repository, self.sms, self.mail, self.topics, self.clock)

    def submit(self, data: dict[str, Any]) -> str:
        receipt = submit_complaint(
            parse_submission(data), repository=self.repository, clock=self.clock, new_code=new_tracking_code
        )
        return str(receipt.body["tracking_code"])

    def insert(self, code: str) -> ChangeRecord:
        return ChangeRecord(f"seq-{code}", Change("INSERT", None, self.repository.complaints[code]))


@pytest.fixture
def world() -> World:
    return World()


def test_a_new_complaint_is_acknowledged_by_sms_in_its_language(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    notice = world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    ((to, body),) = world.sms.sent
    assert to == "+905321234567"
    assert code in body
    assert "Başvurunuz alındı" in body
    complaint = world.repository.complaints[code]
    assert complaint.notices[ACKNOWLEDGEMENT] == notice
    assert (notice.status, notice.channel, notice.message_id) == ("sent", "sms", "fake-1")
    assert [m.code.value for m in complaint.milestones] == ["received", "acknowledged"]
    assert [e.action for e in world.repository.events[code]] == ["submit", "notify"]


def test_dispatching_again_sends_nothing_more(world: World, turkish_complaint: dict[str, Any]) -> None:
    code = world.submit(turkish_complaint)
    for _ in range(3):
        world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert len(world.sms.sent) == 1


def test_a_complaint_preferring_email_is_acknowledged_by_email(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    turkish_complaint["contact"]["preferred_channel"] = "email"
    code = world.submit(turkish_complaint)
    world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert world.sms.sent == []
    ((to, subject, _body),) = world.mail.sent
    assert (to, code in subject) == ("ayse.yilmaz@example.com", True)


def test_without_consent_nothing_is_sent_and_that_is_recorded(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    turkish_complaint["consent"] = {"contact": False}
    code = world.submit(turkish_complaint)
    notice = world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert world.sms.sent == world.mail.sent == []
    assert notice.status == "skipped"
    assert "consent" in (notice.reason or "")
    assert "acknowledged" not in [m.code.value for m in world.repository.complaints[code].milestones]


def test_a_passing_failure_flags_the_complaint_and_is_retried_until_it_goes_through(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    world.sms.fail_next(permanent=False, times=2)
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert ACKNOWLEDGEMENT in world.repository.complaints[code].attention
    world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    complaint = world.repository.complaints[code]
    assert len(world.sms.sent) == 1
    assert ACKNOWLEDGEMENT not in complaint.attention  # cleared once it went through


def test_a_permanent_failure_is_recorded_and_left_for_staff(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    world.sms.fail_next(permanent=True)
    notice = world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert notice.status == "failed"
    assert "could not be delivered" in world.repository.complaints[code].attention[ACKNOWLEDGEMENT]
    world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)  # a retried record
    assert world.sms.sent == []


def test_a_change_by_someone_else_between_sending_and_recording_does_not_send_twice(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    world.repository.fail_next_changes(ConcurrentUpdate(code))  # a clerk saved it a moment before us
    world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert len(world.sms.sent) == 1
    assert world.repository.complaints[code].notices[ACKNOWLEDGEMENT].status == "sent"


def test_a_health_concern_alerts_the_supervisors_at_once(
    world: World, persian_complaint: dict[str, Any]
) -> None:
    persian_complaint["health_or_safety"] = True
    code = world.submit(persian_complaint)
    record = world.insert(code)
    assert intents_for(record.change) == [ACKNOWLEDGEMENT, SUPERVISOR_ALERT]
    process_changes([record], dispatcher=world.dispatcher, queue=world.queue)
    ((topic, message, attributes),) = world.topics.sent
    assert topic == "supervisor"
    assert code in message
    assert '"market": "IR"' in attributes
    assert "۰۹۱۲" not in message
    assert "+98912" not in message


def test_a_batch_reports_only_the_records_that_failed(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    codes = [world.submit(turkish_complaint) for _ in range(3)]
    world.queue.refuse.add(codes[2])
    world.sms.fail_next(permanent=False)  # the first acknowledgement fails
    failed = process_changes([world.insert(c) for c in codes], dispatcher=world.dispatcher, queue=world.queue)
    assert failed == [f"seq-{codes[0]}", f"seq-{codes[2]}"]
    assert world.queue.sent == codes[:2]


def test_a_retried_batch_sends_no_second_acknowledgement(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    codes = [world.submit(turkish_complaint) for _ in range(4)]
    records = [world.insert(c) for c in codes]
    process_changes(records, dispatcher=world.dispatcher, queue=world.queue)
    process_changes(records, dispatcher=world.dispatcher, queue=world.queue)
    acknowledged = [code for code in codes for _, body in world.sms.sent if code in body]
    assert sorted(acknowledged) == sorted(codes)  # each code once, no code twice
    assert len(world.sms.sent) == 4


def test_routing_assigns_the_department_once_and_a_redelivery_changes_nothing(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    assert route_complaint(code, repository=world.repository, clock=world.clock) == "claims"
    routed = world.repository.complaints[code]
    assert (routed.status.value, routed.version) == ("investigating", 2)
    assert route_complaint(code, repository=world.repository, clock=world.clock) == "claims"
    assert world.repository.complaints[code].version == 2
    assert [e.action for e in world.repository.events[code]] == ["submit", "assign"]


def test_the_department_is_told_once_when_its_complaint_arrives(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    before = world.repository.complaints[code]
    route_complaint(code, repository=world.repository, clock=world.clock)
    change = Change("MODIFY", before, world.repository.complaints[code])
    for _ in range(2):
        process_changes([ChangeRecord("s2", change)], dispatcher=world.dispatcher, queue=world.queue)
    ((topic, _message, attributes),) = world.topics.sent
    assert topic == "department"
    assert '"department": "claims"' in attributes


def test_every_attempt_at_one_acknowledgement_carries_the_same_key(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    world.sms.fail_next(permanent=False, times=2)
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert len(set(world.sms.keys)) == 1
    assert world.sms.keys[0]


def test_a_sent_message_whose_record_fails_once_is_recorded_without_sending_again(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    from chalicelib.domain.errors import StorageUnavailable

    code = world.submit(turkish_complaint)
    outage = StorageUnavailable("DynamoDB is briefly unavailable")
    world.repository.fail_next_changes(outage, outage)
    world.dispatcher.dispatch(code, ACKNOWLEDGEMENT)
    assert len(world.sms.sent) == 1
    assert world.repository.complaints[code].notices[ACKNOWLEDGEMENT].status == "sent"


def test_a_stale_department_notice_is_skipped_when_the_complaint_has_moved_on(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    code = world.submit(turkish_complaint)
    route_complaint(code, repository=world.repository, clock=world.clock)  # to claims
    notice = world.dispatcher.dispatch(code, "department_notice:finance")
    assert notice.status == "skipped"
    assert world.topics.sent == []


def test_records_left_when_time_runs_short_are_not_started_but_retried(
    world: World, turkish_complaint: dict[str, Any]
) -> None:
    codes = [world.submit(turkish_complaint) for _ in range(3)]
    seconds = iter([30.0, 12.0, 5.0])
    failed = process_changes(
        [world.insert(c) for c in codes],
        dispatcher=world.dispatcher,
        queue=world.queue,
        time_left=lambda: next(seconds),
    )
    assert failed == [f"seq-{codes[2]}"]
    assert len(world.sms.sent) == 2
    assert world.queue.sent == codes[:2]  # the started ones are still routed
