"""The report source decodes day-index items itself: exactly what the repository's `from_item` makes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.report_source import REPORT_ATTRIBUTES, complaint_of
from chalicelib.adapters.repository import WITHHELD, DynamoComplaintRepository, from_item
from chalicelib.adapters.tables import bind_tables
from chalicelib.domain import commands as c
from chalicelib.domain import policy as p
from chalicelib.domain.complaint import Complaint, Notice
from chalicelib.domain.handling import escalate, handle, record_feedback
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.unit.test_handling import received
from tests.unit.test_reports_domain import handled_complaint

TABLES = bind_tables("complaints", "history", "idempotency", "us-east-1")
REPOSITORY = DynamoComplaintRepository(TABLES, connection=None, day_shards=8)  # type: ignore[arg-type]
MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def steps(complaint: Complaint, *commands: c.Command) -> Complaint:
    at = complaint.updated_at
    for command in commands:
        at += timedelta(hours=5, minutes=17, microseconds=123)
        complaint, _ = handle(complaint, command, actor="staff:ayse", now=at)
    return complaint


def complaints() -> list[Complaint]:
    new = received(TURKISH_COMPLAINT, at=MONDAY)
    assign = c.Assign(p.Department.CLAIMS, "mehmet")
    closed = steps(
        new,
        assign,
        c.RecordRootCause(p.RootCause.BILLING_ERROR, "neden"),
        c.Decide(p.DecisionOutcome.UPHELD, "ödeme", "1500.50"),
        c.CommunicateDecision(p.ContactChannel.EMAIL, "karar"),
        c.Close(),
    )
    rated, _ = record_feedback(closed, 5, None, now=closed.updated_at + timedelta(hours=1))
    escalated = escalate(steps(new, assign), [1, 2], ("supervisor", "head"), now=MONDAY + timedelta(days=9))
    assert escalated is not None
    noticed = dataclasses.replace(
        new,
        notices={"ack": Notice("sent", MONDAY, "sms")},
        attention={"overdue": "2026-11-30"},
        received_by="clerk",
    )
    return [
        new,
        noticed,
        steps(new, c.Assess(p.Level.HIGH, p.Level.LOW, "ilk")),
        steps(new, assign, c.RequestInformation("belge")),
        steps(new, assign, c.RequestInformation("belge"), c.ReceiveInformation("geldi", "public")),
        closed,
        rated,
        steps(rated, c.Reopen("itiraz")),
        escalated[0],
        handled_complaint(),
        steps(new, c.ReferOut(p.ReferralReason.EXTERNAL_RECOURSE)),
        steps(new, c.ReferOut(p.ReferralReason.OUT_OF_SCOPE)),
        steps(new, assign, c.Withdraw()),
        received(PERSIAN_COMPLAINT, at=MONDAY),
        dataclasses.replace(
            received(TURKISH_COMPLAINT, at=MONDAY, health_or_safety=True),
            channel=p.Channel.SOCIAL_MEDIA,
            social_network=p.SocialNetwork.X,
        ),
    ]


def as_read(complaint: Complaint) -> dict[str, Any]:
    """The item as the day index returns it to a report: its projected attributes only."""
    stored = REPOSITORY.to_item(complaint).serialize()
    stored["version"] = {"N": str(complaint.version)}  # PynamoDB sets it as it writes
    return {name: value for name, value in stored.items() if name in REPORT_ATTRIBUTES}


@pytest.mark.parametrize("complaint", complaints(), ids=lambda c: f"{c.status.value}-v{c.version}")
def test_a_report_decodes_an_item_as_the_repository_does(complaint: Complaint) -> None:
    raw = as_read(complaint)
    decoded = complaint_of(raw)
    assert decoded == from_item(TABLES.complaints.from_raw_data(raw))
    assert decoded.personal == WITHHELD
    assert (decoded.notices, decoded.attention) == ({}, {})
    assert dataclasses.replace(decoded, personal=complaint.personal) == dataclasses.replace(
        complaint, notices={}, attention={}
    )
