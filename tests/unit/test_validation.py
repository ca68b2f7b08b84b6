"""Validation: every field's problem reported at once, in words a person can act on."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.policy import Channel, Language, Market
from chalicelib.domain.validation import parse_submission


def errors_of(data: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_submission(data, **kwargs)
    return {e.field: e.code for e in caught.value.errors}


def test_a_turkish_mobile_number_is_stored_in_e164(turkish_complaint: dict[str, Any]) -> None:
    assert parse_submission(turkish_complaint).personal.contact.mobile == "+905321234567"


def test_a_mobile_number_typed_in_persian_digits_is_read(persian_complaint: dict[str, Any]) -> None:
    assert parse_submission(persian_complaint).personal.contact.mobile == "+989121234567"


def test_arabic_indic_digits_and_an_international_prefix_are_read(persian_complaint: dict[str, Any]) -> None:
    persian_complaint["contact"]["mobile"] = "+٩٨ ٩١٢ ١٢٣ ٤٥٦٧"
    assert parse_submission(persian_complaint).personal.contact.mobile == "+989121234567"


def test_a_landline_is_not_accepted_as_a_mobile(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["contact"]["mobile"] = "0212 555 12 12"  # an Istanbul landline
    assert errors_of(turkish_complaint) == {"contact.mobile": "not_mobile"}


def test_names_are_kept_exactly_as_typed(turkish_complaint: dict[str, Any]) -> None:
    for name in ["İSMAİL ıŞIK", "ismail ışık", "زهرا محمدی\u200cنژاد", "Ayşe 👩‍⚕️ Yılmaz"]:
        turkish_complaint["contact"]["name"] = name
        assert parse_submission(turkish_complaint).personal.contact.name == name


def test_every_faulty_field_is_reported_at_once(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint.update(market="DE", category="weather", description="short")
    turkish_complaint["contact"].update(mobile="12", email="not-an-email")
    assert errors_of(turkish_complaint) == {
        "market": "choice",
        "category": "choice",
        "description": "too_short",
        "contact.mobile": "format",
        "contact.email": "format",
    }


def test_a_complaint_needs_a_way_to_reach_the_complainant(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["contact"] = {"name": "Ali Veli"}
    assert errors_of(turkish_complaint) == {"contact.mobile": "required"}


def test_an_anonymous_letter_needs_no_contact(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint.update(channel="post", contact={})
    submission = parse_submission(turkish_complaint, channels=frozenset(Channel))
    assert submission.personal.contact.mobile is None
    assert submission.personal.contact.preferred_channel is None


def test_the_public_form_cannot_claim_to_be_a_fax(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["channel"] = "fax"
    assert errors_of(turkish_complaint) == {"channel": "channel"}


def test_social_media_complaints_name_the_network(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["channel"] = "social_media"
    assert errors_of(turkish_complaint, channels=frozenset(Channel)) == {"channel_detail.network": "required"}
    turkish_complaint["channel_detail"] = {"network": "instagram", "reference": "@ayse.yilmaz"}
    submission = parse_submission(turkish_complaint, channels=frozenset(Channel))
    assert submission.social_network is not None
    assert submission.personal.channel_reference == "@ayse.yilmaz"  # a handle is personal data


def test_a_preferred_channel_needs_its_address(turkish_complaint: dict[str, Any]) -> None:
    del turkish_complaint["contact"]["email"]
    turkish_complaint["contact"]["preferred_channel"] = "email"
    assert errors_of(turkish_complaint) == {"contact.preferred_channel": "unreachable"}


@pytest.mark.parametrize(("length", "ok"), [(9, False), (10, True), (5000, True), (5001, False)])
def test_a_description_has_ten_to_five_thousand_characters(
    turkish_complaint: dict[str, Any], length: int, ok: bool
) -> None:
    turkish_complaint["description"] = "ş" * length
    if ok:
        assert len(parse_submission(turkish_complaint).personal.description) == length
    else:
        assert set(errors_of(turkish_complaint)) == {"description"}


def test_national_identity_numbers_are_checked_by_their_market(
    turkish_complaint: dict[str, Any], persian_complaint: dict[str, Any]
) -> None:
    turkish_complaint["contact"]["national_id"] = "10000000146"  # a valid T.C. Kimlik No
    assert parse_submission(turkish_complaint).personal.contact.national_id == "10000000146"
    turkish_complaint["contact"]["national_id"] = "10000000147"
    assert errors_of(turkish_complaint) == {"contact.national_id": "checksum"}
    persian_complaint["contact"]["national_id"] = "۰۰۸۴۵۷۵۹۴۹"
    assert errors_of(persian_complaint) == {"contact.national_id": "checksum"}


def test_the_language_defaults_to_the_markets(persian_complaint: dict[str, Any]) -> None:
    del persian_complaint["language"]
    submission = parse_submission(persian_complaint)
    assert (submission.market, submission.language) == (Market.IR, Language.FA)


def test_form_style_booleans_are_read(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["health_or_safety"] = "on"
    turkish_complaint["consent"] = {"contact": "yes", "disclose": "0"}
    submission = parse_submission(turkish_complaint)
    assert submission.health_or_safety
    assert (submission.consent.contact, submission.consent.disclose) == (True, False)


def test_consent_to_disclose_is_never_assumed(turkish_complaint: dict[str, Any]) -> None:
    del turkish_complaint["consent"]
    assert parse_submission(turkish_complaint).consent.disclose is False


def test_bidirectional_overrides_are_refused_in_a_name(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["contact"]["name"] = "Ali \u202eilaV"
    assert errors_of(turkish_complaint) == {"contact.name": "characters"}


def test_invisible_controls_are_removed_from_free_text_but_persian_zwnj_is_kept(
    persian_complaint: dict[str, Any],
) -> None:
    persian_complaint["description"] = "می\u200cخواهم \u202eخسارت\u202c را بگیرم\x00\x07 لطفاً"
    description = parse_submission(persian_complaint).personal.description
    assert "\u202e" not in description
    assert "\x00" not in description
    assert "\u200c" in description


def test_markup_is_kept_as_text_not_interpreted(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["description"] = "<script>alert('x')</script> ' OR 1=1 --"
    assert parse_submission(turkish_complaint).personal.description.startswith("<script>")


def test_a_lone_surrogate_is_refused(turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["description"] = "broken \ud800 text here"
    assert errors_of(turkish_complaint) == {"description": "characters"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("market", 7),
        ("description", ["a list"]),
        ("health_or_safety", "maybe"),
        ("contact", "a string"),
        ("consent", 3),
    ],
)
def test_values_of_the_wrong_type_get_a_field_error_not_a_crash(
    turkish_complaint: dict[str, Any], field: str, value: Any
) -> None:
    turkish_complaint[field] = value
    assert field in {name.split(".")[0] for name in errors_of(turkish_complaint)}


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["market", "language", "category", "description", "contact", "consent", "kind"]),
        st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.dictionaries(st.text(), st.text())),
    )
)
def test_any_document_either_validates_or_names_its_faulty_fields(data: dict[str, Any]) -> None:
    errors = []
    try:
        parse_submission(data)
    except ValidationFailed as failed:
        errors = failed.errors
        assert errors
    assert all(error.field and error.message for error in errors)


@pytest.mark.parametrize(
    ("email", "stored"),
    [
        ("ayse.yilmaz+sikayet@example.com", "ayse.yilmaz+sikayet@example.com"),
        ("ali@örnek.com.tr", "ali@xn--rnek-4qa.com.tr"),  # an international domain, as mail services want it
        ("zahra@بیمه.ایران", "zahra@xn--ngb2dg44c.xn--mgba3a4f16a"),
    ],
)
def test_an_email_address_is_stored_as_a_mail_service_accepts_it(
    turkish_complaint: dict[str, Any], email: str, stored: str
) -> None:
    turkish_complaint["contact"]["email"] = email
    assert parse_submission(turkish_complaint).personal.contact.email == stored


@pytest.mark.parametrize(
    "email",
    [
        "a,b@example.com",
        '"quoted"@example.com',
        "<a@example.com>",
        "a@b",
        "a..b@example.com",
        "ayşe@example.com",
    ],
)
def test_an_email_address_a_mail_service_would_refuse_is_a_field_error(
    turkish_complaint: dict[str, Any], email: str
) -> None:
    turkish_complaint["contact"]["email"] = email
    assert errors_of(turkish_complaint) == {"contact.email": "format"}
