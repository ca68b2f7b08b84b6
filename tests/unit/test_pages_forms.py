"""The public pages' forms over fakes: complaint, status lookup, reply and survey, as a browser posts them.

A form post calls the same use cases as the JSON API: the same validation,
idempotency, body limit, proof of identity and lockout. What fails comes back
as the same page (422) with its problems in the page's language.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import jdatetime
import pytest
from chalice.test import Client

from chalicelib.domain.lifecycle import Status
from chalicelib.domain.text import persian_digits
from chalicelib.domain.texts import STATUS_LABELS
from tests.fakes import FakeRepository
from tests.unit.conftest import Desk
from tests.unit.test_complainant_routes import closed, waiting
from tests.unit.test_pages import FORM, HOSTILE, Element, catalog_text, page_of, parse, submit

LAST4 = "4567"  # of the Turkish sample complaint's 0532 123 45 67

#: A complaint as a browser sends the form: every field, as typed, the consent boxes ticked.
TURKISH_FORM: dict[str, str] = {
    "idempotency_key": "form-key-1",
    "market": "TR",
    "category": "claim_decision",
    "health_or_safety": "no",
    "description": "Kasko hasar talebim gerekçesiz reddedildi; İzmir şubesi yanıt vermiyor.",
    "remedy_sought": "Hasarın ödenmesi",
    "contact.policy_number": "KSK-2026/88123",
    "contact.name": "Ayşe Işıl Yılmaz",
    "contact.mobile": "0532 123 45 67",
    "contact.email": "ayse.yilmaz@example.com",
    "contact.preferred_channel": "sms",
    "contact.postal_address": "",
    "consent.contact": "yes",
    "consent.disclose": "yes",
}

PERSIAN_FORM: dict[str, str] = {
    "idempotency_key": "form-key-2",
    "market": "IR",
    "category": "",
    "description": "خسارت بيمه بدنه من بعد از سه ماه هنوز پرداخت نشده است.",
    "contact.name": "زهرا محمدی‌نژاد",
    "contact.mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    "contact.email": "",
    "consent.contact": "yes",
}


def post_complaint(api: Client, language: str, form: dict[str, str], **changes: str) -> Any:
    return submit(api, f"/{language}/complain", {**form, **changes})


def code_on(document: Element) -> str:
    return document.by_id("tracking-code").words()


def visible(document: Element) -> str:
    return document.by_id("main").words()


# --- the complaint form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "form"), [("tr", TURKISH_FORM), ("en", TURKISH_FORM), ("fa", PERSIAN_FORM)]
)
def test_a_valid_form_records_the_complaint_and_shows_its_code(
    api: Client, repository: FakeRepository, language: str, form: dict[str, str]
) -> None:
    document = page_of(post_complaint(api, language, form))
    (complaint,) = repository.complaints.values()
    assert code_on(document) == complaint.tracking_code
    assert complaint.language.value == language, "the page's language is the complaint's"
    assert complaint.channel.value == "web"
    assert complaint.consent.contact is True
    assert complaint.personal.contact.name == form["contact.name"]
    assert "hidden" in document.by_id("copy-code").attrs, "the copy button waits for the script"
    assert document.all("h1")[0].words() == catalog_text(language, "confirm.title")


def test_the_confirmation_says_what_happens_next_and_by_when_in_the_markets_calendar(
    api: Client, repository: FakeRepository
) -> None:
    text = visible(page_of(post_complaint(api, "en", TURKISH_FORM)))
    (complaint,) = repository.complaints.values()
    due = complaint.expected_response_by.astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert f"We will answer by {due.day} {due:%B} {due.year}, {due:%H:%M} (Istanbul time)." in text
    assert catalog_text("en", "confirm.next.acknowledgement") in text
    assert "Sigorta Tahkim Komisyonu" in text
    assert TURKISH_FORM["description"] in text, "what they wrote, to keep"
    assert TURKISH_FORM["contact.mobile"] not in text
    assert "ayse.yilmaz" not in text


def test_a_persian_confirmation_gives_a_jalali_date_in_persian_digits(
    api: Client, repository: FakeRepository
) -> None:
    document = page_of(post_complaint(api, "fa", PERSIAN_FORM))
    (complaint,) = repository.complaints.values()
    local = complaint.expected_response_by.astimezone(dt.timezone(dt.timedelta(hours=3, minutes=30)))
    jalali = jdatetime.date.fromgregorian(date=local.date())
    month = catalog_text("fa", f"month.{jalali.month}")
    expected = persian_digits(f"{jalali.day} {month} {jalali.year}، ساعت {local:%H:%M}") + " (به وقت تهران)"
    assert expected in document.by_id("due-date").words()
    assert not re.search(r"[0-9]", document.by_id("due-date").words())


def test_without_consent_to_contact_the_confirmation_says_no_message_will_come(
    api: Client, repository: FakeRepository
) -> None:
    form = {k: v for k, v in TURKISH_FORM.items() if not k.startswith("consent.")}
    text = visible(page_of(post_complaint(api, "en", form)))
    assert catalog_text("en", "confirm.next.no_contact") in text
    (complaint,) = repository.complaints.values()
    assert complaint.consent.contact is False
    assert complaint.consent.disclose is False


def test_a_health_concern_is_told_it_comes_first(api: Client) -> None:
    text = visible(page_of(post_complaint(api, "tr", TURKISH_FORM, health_or_safety="yes")))
    assert catalog_text("tr", "confirm.next.health") in text


INVALID = {**TURKISH_FORM, "description": "kısa", "contact.email": "ayşe@", "contact.mobile": ""}


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_an_invalid_form_comes_back_with_its_problems_in_the_pages_language(
    api: Client, repository: FakeRepository, language: str
) -> None:
    document = page_of(post_complaint(api, language, INVALID), 422)
    assert not repository.complaints
    summary = document.by_id("error-summary")
    assert summary.attrs["role"] == "alert"
    assert summary.attrs["tabindex"] == "-1"
    assert "hidden" not in summary.attrs
    links = [(a.attrs["href"], a.words()) for a in summary.all("a")]
    assert links == [
        ("#description", catalog_text(language, "error.description.too_short", min=10)),
        ("#contact-email", catalog_text(language, "error.contact.email.format")),
    ]
    plain = catalog_text(
        language,
        "page.title",
        page=catalog_text(language, "complain.title"),
        site=catalog_text(language, "site.name"),
    )
    title = document.all("title")[0].words()
    assert title == catalog_text(language, "errors.title.other", count=2, title=plain)
    assert ("(۲ " if language == "fa" else "(2 ") in title
    description = document.by_id("description")
    assert description.attrs["aria-invalid"] == "true"
    assert description.attrs["aria-describedby"] == "description-hint description-error"
    assert document.by_id("description-error").words().endswith(links[0][1])
    assert description.text() == "kısa", "what was typed is kept"
    assert document.by_id("contact-email").attrs["value"] == "ayşe@"
    assert document.by_id("contact-name").attrs["value"] == "Ayşe Işıl Yılmaz"
    assert "checked" in document.by_id("market-TR").attrs
    assert "selected" in document.by_id("category").all("option", value="claim_decision")[0].attrs
    assert "aria-invalid" not in document.by_id("contact-name").attrs


def test_the_consent_boxes_are_never_ticked_for_the_visitor(api: Client) -> None:
    for response in (api.http.get("/en/complain"), post_complaint(api, "en", INVALID)):
        document = parse(response.body)
        boxes = document.all("input", type="checkbox")
        assert {box.attrs["name"] for box in boxes} == {"consent.contact", "consent.disclose"}
        assert all("checked" not in box.attrs for box in boxes)
    assert parse(post_complaint(api, "en", INVALID).body).has_id("consent-again")


def test_a_new_form_is_blank_but_for_the_market_of_its_language(api: Client) -> None:
    for language, market in (("fa", "IR"), ("tr", "TR"), ("en", None)):
        document = page_of(api.http.get(f"/{language}/complain"))
        checked = [r.attrs["value"] for r in document.all("input", type="radio") if "checked" in r.attrs]
        assert checked == ([market] if market else [])
        key = document.all("input", name="idempotency_key")[0].attrs["value"]
        assert key
        assert len(key) >= 32


def test_each_new_form_carries_its_own_key(api: Client) -> None:
    keys = {
        parse(api.http.get("/en/complain").body).all("input", name="idempotency_key")[0].attrs["value"]
        for _ in range(3)
    }
    assert len(keys) == 3


def test_an_invalid_form_keeps_its_key_so_that_the_corrected_form_is_one_complaint(
    api: Client, repository: FakeRepository
) -> None:
    document = page_of(post_complaint(api, "en", INVALID), 422)
    key = document.all("input", name="idempotency_key")[0].attrs["value"]
    assert key == TURKISH_FORM["idempotency_key"]


def test_the_same_form_sent_twice_is_one_complaint_with_one_code(
    api: Client, repository: FakeRepository
) -> None:
    first = code_on(page_of(post_complaint(api, "tr", TURKISH_FORM)))
    again = code_on(page_of(post_complaint(api, "tr", TURKISH_FORM)))
    assert first == again
    assert list(repository.complaints) == [first]


def test_a_changed_form_sent_with_a_used_key_asks_again_with_a_fresh_key(
    api: Client, repository: FakeRepository
) -> None:
    page_of(post_complaint(api, "en", TURKISH_FORM))
    document = page_of(post_complaint(api, "en", TURKISH_FORM, description="Something else went wrong."), 422)
    assert catalog_text("en", "complain.conflict") in document.by_id("error-summary").words()
    key = document.all("input", name="idempotency_key")[0].attrs["value"]
    assert key != TURKISH_FORM["idempotency_key"]
    assert len(repository.complaints) == 1
    page_of(
        post_complaint(api, "en", TURKISH_FORM, description="Something else went wrong.", idempotency_key=key)
    )
    assert len(repository.complaints) == 2


@pytest.mark.parametrize("key", ["x" * 256, "bad key", "ключ"])
def test_a_key_no_form_made_is_refused_and_replaced(
    api: Client, repository: FakeRepository, key: str
) -> None:
    document = page_of(post_complaint(api, "en", TURKISH_FORM, idempotency_key=key), 422)
    assert catalog_text("en", "error.idempotency_key.format") in document.by_id("error-summary").words()
    assert document.all("input", name="idempotency_key")[0].attrs["value"] != key
    assert not repository.complaints


def test_a_form_without_a_key_is_still_recorded(api: Client, repository: FakeRepository) -> None:
    form = {k: v for k, v in TURKISH_FORM.items() if k != "idempotency_key"}
    page_of(post_complaint(api, "en", form))
    assert len(repository.complaints) == 1


def test_the_form_and_the_json_api_share_the_rules(api: Client) -> None:
    """The script's checks carry the server's limits and the page's own messages."""
    document = page_of(api.http.get("/tr/complain"))
    description = document.by_id("description")
    assert description.attrs["data-min"] == "10"
    assert description.attrs["data-max"] == "5000"
    assert description.attrs["data-error-min"] == catalog_text("tr", "error.description.too_short", min=10)
    assert "required" in description.attrs
    assert document.by_id("market").attrs["data-required"] == catalog_text("tr", "error.market.required")
    assert document.by_id("contact-email").attrs["data-format"] == "email"


# --- hostile input -------------------------------------------------------------------------------


def test_hostile_text_is_shown_inert_on_the_confirmation(api: Client, repository: FakeRepository) -> None:
    name = "<b>Ayşe</b> İı 🙂"
    response = post_complaint(api, "en", TURKISH_FORM, description=HOSTILE, **{"contact.name": name})
    html = response.body.decode()
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    shown = parse(response.body).by_id("your-description")
    assert shown.attrs["dir"] == "auto"
    assert "user-text" in shown.attrs["class"]
    (complaint,) = repository.complaints.values()
    assert shown.text() == complaint.personal.description, "shown as stored"
    assert "\u202e" not in shown.text(), "bidi overrides are not stored, so not shown"


def test_hostile_text_is_kept_inert_in_a_form_that_comes_back(api: Client) -> None:
    response = post_complaint(
        api, "fa", INVALID, remedy_sought=HOSTILE, **{"contact.name": '"><svg onload=x>'}
    )
    html = response.body.decode()
    assert "<svg" not in html
    assert "<script>alert" not in html
    document = parse(response.body)
    assert document.by_id("remedy-sought").text() == HOSTILE
    assert document.by_id("contact-name").attrs["value"] == '"><svg onload=x>'


# --- bodies a page cannot take -------------------------------------------------------------------


def test_a_form_over_the_body_limit_gets_a_page_not_json(api: Client, repository: FakeRepository) -> None:
    response = post_complaint(api, "tr", TURKISH_FORM, description="ş" * 40_000)
    document = page_of(response, 413)
    assert document.all("html")[0].attrs["lang"] == "tr"
    assert catalog_text("tr", "problem.too_large.text", max=64) in visible(document)
    assert document.by_id("problem").all("a")[0].attrs["href"] == "/tr/complain"
    assert response.headers["Content-Security-Policy"]
    assert not repository.complaints


def test_a_form_that_is_not_utf8_gets_a_page(api: Client) -> None:
    response = api.http.post("/en/status", headers=FORM, body=b"tracking_code=%FF%FE")
    page_of(response, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
def test_a_post_of_a_type_no_form_sends_gets_a_page_not_json(
    api: Client, repository: FakeRepository, content_type: str
) -> None:
    """Chalice refuses the content type before any view: the answer is still the page's, in its language."""
    response = api.http.post("/fa/complain", headers={"Content-Type": content_type}, body=b"description=x")
    document = page_of(response, 415)
    assert document.all("html")[0].attrs["lang"] == "fa"
    assert catalog_text("fa", "problem.unreadable.title") in visible(document)
    assert document.by_id("problem").all("a")[0].attrs["href"] == "/fa/complain"
    assert not repository.complaints


def test_the_json_api_still_answers_415_as_problem_details(api: Client) -> None:
    response = api.http.post("/complaints", headers={"Content-Type": "text/plain"}, body=b"x")
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"


# --- the status lookup ---------------------------------------------------------------------------


def recorded(api: Client, form: dict[str, str] = TURKISH_FORM, language: str = "tr") -> str:
    """A new complaint sent through the form (a form of its own: a fresh key); its code."""
    return code_on(page_of(post_complaint(api, language, form, idempotency_key=uuid.uuid4().hex)))


def all_urls(document: Element) -> list[str]:
    return [v for e in document.walk() for k, v in e.attrs.items() if k in ("href", "action", "src") and v]


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_a_code_looked_up_shows_the_public_view_in_the_pages_language(api: Client, language: str) -> None:
    code = recorded(api)
    typed = code.lower().replace("-", " ")
    response = submit(api, f"/{language}/status", {"tracking_code": typed})
    document = page_of(response)
    from chalicelib.domain.policy import Language

    assert document.by_id("status-code").words() == code
    assert document.by_id("status-label").words() == STATUS_LABELS[Language(language)][Status.RECEIVED]
    assert document.by_id("status-milestones").all("li")
    assert "Location" not in response.headers
    assert not any(code in url or typed in url for url in all_urls(document)), "the code is never in a URL"


def test_the_status_page_shows_no_personal_data(api: Client) -> None:
    code = recorded(api)
    html = submit(api, "/tr/status", {"tracking_code": code}).body.decode()
    for secret in (
        "Ayşe",
        "Yılmaz",
        "0532",
        "4567",
        "ayse.yilmaz",
        "KSK-2026",
        "Kasko hasar",
        "Hasarın",
        "claim",
    ):
        assert secret not in html, secret


def test_a_persian_status_page_writes_jalali_dates_in_persian_digits(api: Client) -> None:
    code = recorded(api, PERSIAN_FORM, "fa")
    document = page_of(submit(api, "/fa/status", {"tracking_code": persian_digits(code)}))
    received = document.by_id("status-received").words()
    month_names = {catalog_text("fa", f"month.{n}") for n in range(1, 13)}
    assert any(name in received for name in month_names)
    assert re.search("[۰-۹]{4}", received)
    assert not re.search("[0-9]", received)


def test_a_status_page_dates_a_complaint_in_its_own_markets_time_zone(
    api: Client, repository: FakeRepository
) -> None:
    """An Iranian complaint made in English: its dates are Tehran's, not Istanbul's (half an hour apart)."""
    from dataclasses import replace

    code = recorded(api, PERSIAN_FORM, "en")
    complaint = repository.complaints[code]
    assert (complaint.market.value, complaint.language.value) == ("IR", "en")
    late = dt.datetime(2026, 11, 22, 20, 45, tzinfo=dt.UTC)  # 00:15 on the 23rd in Tehran, 23:45 in Istanbul
    repository.complaints[code] = replace(complaint, received_at=late)
    received = page_of(submit(api, "/en/status", {"tracking_code": code})).by_id("status-received").words()
    assert re.search(r"\b23\b", received), received
    assert not re.search(r"\b22\b", received), received


@pytest.mark.parametrize(
    ("typed", "status", "key"),
    [
        ("", 422, "error.tracking_code.required"),
        ("   ", 422, "error.tracking_code.required"),
        ("ZNVZ-BJ1C-JAHZ-F1", 422, "error.tracking_code.invalid"),
        ("not a code", 422, "error.tracking_code.invalid"),
        ("<script>", 422, "error.tracking_code.invalid"),
    ],
)
def test_a_code_that_cannot_be_right_is_refused_on_the_page(
    api: Client, repository: FakeRepository, typed: str, status: int, key: str
) -> None:
    document = page_of(submit(api, "/en/status", {"tracking_code": typed}), status)
    assert [a.words() for a in document.by_id("error-summary").all("a")] == [catalog_text("en", key)]
    assert document.by_id("tracking-code").attrs["value"] == typed
    assert "status" not in repository.calls, "refused before any read"


def test_an_unknown_code_is_a_404_page_with_the_form(api: Client) -> None:
    from chalicelib.domain.tracking import new_tracking_code

    document = page_of(submit(api, "/tr/status", {"tracking_code": new_tracking_code()}), 404)
    assert catalog_text("tr", "error.tracking_code.not_found") in document.by_id("error-summary").words()


# --- replies and ratings -------------------------------------------------------------------------


def test_the_status_page_of_a_waiting_complaint_leads_to_the_reply_form_without_a_url(desk: Desk) -> None:
    code = waiting(desk)
    document = page_of(submit(desk.client, "/en/status", {"tracking_code": code}))
    (form,) = [f for f in document.all("form") if f.attrs["action"] == "/en/reply"]
    hidden = {i.attrs["name"]: i.attrs["value"] for i in form.all("input", type="hidden")}
    assert hidden == {"tracking_code": code, "start": "1"}
    started = page_of(submit(desk.client, "/en/reply", hidden))
    assert started.by_id("tracking-code").attrs["value"] == code
    assert "hidden" in started.by_id("error-summary").attrs, "nothing is checked yet"


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_a_reply_with_the_right_digits_is_recorded(desk: Desk, language: str) -> None:
    code = waiting(desk)
    last4 = persian_digits(LAST4) if language == "fa" else LAST4
    fields = {"tracking_code": code, "mobile_last4": last4, "email": "", "message": "Kadıköy, 18 Kasım."}
    document = page_of(submit(desk.client, f"/{language}/reply", fields))
    assert document.all("h1")[0].words() == catalog_text(language, "reply.done.title")
    assert desk.repository.complaints[code].status is Status.INVESTIGATING
    assert desk.repository.events[code][-1].text == "Kadıköy, 18 Kasım."


def test_a_reply_with_the_wrong_digits_is_refused_next_to_the_digits(desk: Desk) -> None:
    code = waiting(desk)
    fields = {"tracking_code": code, "mobile_last4": "0000", "message": "Kadıköy."}
    document = page_of(submit(desk.client, "/tr/reply", fields), 422)
    links = [(a.attrs["href"], a.words()) for a in document.by_id("error-summary").all("a")]
    assert links == [("#mobile-last4", catalog_text("tr", "error.mobile_last4.mismatch"))]
    assert document.by_id("message").text() == "Kadıköy."
    assert desk.repository.complaints[code].status is Status.AWAITING_COMPLAINANT


def test_a_reply_with_the_wrong_email_is_refused_next_to_the_email(desk: Desk) -> None:
    code = waiting(desk)
    fields = {"tracking_code": code, "mobile_last4": "", "email": "someone@example.com", "message": "x"}
    document = page_of(submit(desk.client, "/en/reply", fields), 422)
    assert [a.attrs["href"] for a in document.by_id("error-summary").all("a")] == ["#email"]


def test_a_reply_nobody_asked_for_is_refused_with_a_reason(desk: Desk) -> None:
    code = recorded(desk.client)
    fields = {"tracking_code": code, "mobile_last4": LAST4, "message": "Merhaba"}
    document = page_of(submit(desk.client, "/tr/reply", fields), 409)
    assert document.by_id("error-summary").words().endswith(catalog_text("tr", "reply.not_waiting"))


def test_a_reply_with_nothing_filled_in_lists_every_problem(desk: Desk) -> None:
    document = page_of(submit(desk.client, "/en/reply", {"tracking_code": "", "message": ""}), 422)
    assert [a.attrs["href"] for a in document.by_id("error-summary").all("a")] == [
        "#tracking-code",
        "#mobile-last4",
        "#message",
    ]


def test_ten_wrong_proofs_lock_the_complaint_with_a_429_page(desk: Desk) -> None:
    code = waiting(desk)
    fields = {"tracking_code": code, "mobile_last4": "0000", "message": "x"}
    for _ in range(10):
        page_of(submit(desk.client, "/en/reply", fields), 422)
    response = submit(desk.client, "/en/reply", {**fields, "mobile_last4": LAST4})
    document = page_of(response, 429)
    assert response.headers["Retry-After"] == str(24 * 3600)
    assert catalog_text("en", "problem.too_many.text") in visible(document)
    assert desk.repository.complaints[code].status is Status.AWAITING_COMPLAINANT


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_a_closed_complaint_is_rated_once(desk: Desk, language: str) -> None:
    code = closed(desk)
    status_page = page_of(submit(desk.client, f"/{language}/status", {"tracking_code": code}))
    assert status_page.has_id("rate-handling")
    fields = {
        "tracking_code": code,
        "email": "ayse.yilmaz@example.com",
        "rating": "4",
        "comment": "Teşekkürler",
    }
    document = page_of(submit(desk.client, f"/{language}/feedback", fields))
    assert document.all("h1")[0].words() == catalog_text(language, "feedback.done.title")
    assert [f.rating for f in desk.repository.complaints[code].satisfaction.values()] == [4]
    again = page_of(submit(desk.client, f"/{language}/feedback", fields), 409)
    assert catalog_text(language, "feedback.not_allowed") in again.by_id("error-summary").words()


def test_a_rating_out_of_range_is_refused_next_to_the_rating(desk: Desk) -> None:
    code = closed(desk)
    fields = {"tracking_code": code, "mobile_last4": LAST4, "rating": "9"}
    document = page_of(submit(desk.client, "/en/feedback", fields), 422)
    links = [(a.attrs["href"], a.words()) for a in document.by_id("error-summary").all("a")]
    assert links == [("#rating", catalog_text("en", "error.rating.range"))]
    assert document.by_id("rating").attrs["tabindex"] == "-1", "the link can take the focus to the group"


def test_the_survey_offers_five_ratings_none_chosen(api: Client) -> None:
    document = page_of(api.http.get("/fa/feedback"))
    radios = document.all("input", name="rating")
    assert [r.attrs["value"] for r in radios] == ["1", "2", "3", "4", "5"]
    assert not any("checked" in r.attrs for r in radios)
    labels = [document.all("label", for_=r.attrs["id"])[0].words() for r in radios]
    assert labels[0].startswith("۱")
