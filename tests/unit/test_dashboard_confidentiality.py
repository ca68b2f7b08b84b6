"""Every department sees the dashboard, so no one's personal data may ever be on it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.bootstrap import container
from tests.conftest import PERSIAN_COMPLAINT, TURKISH_COMPLAINT
from tests.fakes import FakeDashboardSource
from tests.staff_tokens import AGENT_TR, AUDITOR, HANDLER_CLAIMS_TR, SUPERVISOR_IR, SUPERVISOR_TR, Member
from tests.unit.conftest import Desk, body_of

TURKISH_PERSON = {
    "name": "Gülizar Planted-Kılıçarslan",
    "mobile": "0532 987 65 43",
    "email": "gulizar.planted@example.org",
    "national_id": "10000000146",
    "policy_number": "PLANTED-TR-77",
    "postal_address": "Çiçekçi Planted Sokak No 9, Kadıköy",
}
PERSIAN_PERSON = {
    "name": "پریسا کاشانی‌فردپور",
    "mobile": "۰۹۱۲ ۹۸۷ ۶۵۴۳",
    "email": "parisa.planted@example.ir",
    "postal_address": "تهران، خیابان نیلوفرکاشانی، پلاک ۷",
}
TURKISH_DESCRIPTION = "Zümrütçüoğlu şubesinde hasar dosyam üç aydır bekliyor."
PERSIAN_DESCRIPTION = "پرونده خسارت من در شعبه زمردنیلوفری سه ماه است معطل مانده."
NOTE = "Gülizar Hanım aradı, ikinci numarası 0533 000 11 22"

#: Every piece of the planted data, and the forms it is stored in (E.164, Western digits).
PLANTED = [
    *TURKISH_PERSON.values(),
    *PERSIAN_PERSON.values(),
    TURKISH_DESCRIPTION,
    PERSIAN_DESCRIPTION,
    NOTE,
    "+905329876543",
    "+989129876543",
    "Kılıçarslan",
    "کاشانی",
    "Zümrütçüoğlu",
    "زمردنیلوفری",
    "Çiçekçi",
    "Planted",
    "planted",
    "Bayram ödemesi",
]


@pytest.fixture
def planted(desk: Desk) -> list[str]:
    """Complaints in both markets, in several departments and states, full of unique personal data."""
    container().dashboard_source = FakeDashboardSource(desk.repository, desk.clock)  # type: ignore[misc]
    turkish = copy.deepcopy(TURKISH_COMPLAINT)
    turkish.update(
        contact={**TURKISH_PERSON, "preferred_channel": "sms"},
        description=TURKISH_DESCRIPTION,
        remedy_sought="Bayram ödemesi",
    )
    persian = copy.deepcopy(PERSIAN_COMPLAINT)
    persian.update(contact=PERSIAN_PERSON, description=PERSIAN_DESCRIPTION)
    codes = [desk.routed(turkish), desk.submit(turkish), desk.routed(persian)]
    codes.append(
        desk.intake(AGENT_TR, turkish, channel="post", channel_detail={"reference": "Planted PK 12"})
    )
    assert desk.act(codes[0], "add_note", HANDLER_CLAIMS_TR, text=NOTE).status_code == 200
    assert (
        desk.act(codes[0], "request_information", HANDLER_CLAIMS_TR, message="Gülizar, poliçe?").status_code
        == 200
    )
    desk.clock.advance(days=20)  # late enough for the overdue and at-risk lists
    for code in codes[1:3]:
        assert desk.repository.complaints[code].personal.description in (
            TURKISH_DESCRIPTION,
            PERSIAN_DESCRIPTION,
        )
    return codes


@pytest.mark.parametrize(
    ("who", "query"),
    [(SUPERVISOR_TR, ""), (HANDLER_CLAIMS_TR, ""), (SUPERVISOR_IR, ""), (AUDITOR, "?market=IR")],
)
def test_the_dashboard_carries_no_personal_data_or_free_text(
    desk: Desk, planted: list[str], who: Member, query: str
) -> None:
    response = desk.get(f"/staff/dashboard{query}", who)
    assert response.status_code == 200, response.body
    text = response.body.decode("utf-8")
    for value in PLANTED:
        assert value not in text, value
    board = body_of(response)
    assert board["open"]["total"] >= 1
    shown = {item["tracking_code"] for key in ("overdue", "oldest") for item in board[key]["items"]}
    assert shown & set(planted)  # the planted complaints are on it, by code only


def test_a_listed_complaint_has_only_codes_taxonomy_times_ages_and_shares(
    desk: Desk, planted: list[str]
) -> None:
    board = body_of(desk.get("/staff/dashboard", SUPERVISOR_TR))
    allowed = {
        "tracking_code",
        "status",
        "department",
        "category",
        "priority",
        "channel",
        "received_at",
        "expected_response_by",
        "age_seconds",
        "share_used",
        "clock_paused",
    }
    rows: list[dict[str, Any]] = [
        item for key in ("at_risk", "overdue", "oldest") for item in board[key]["items"]
    ]
    assert rows
    for row in rows:
        assert set(row) == allowed
