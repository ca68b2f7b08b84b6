"""The complainant's own routes, POST /replies and POST /feedback, under hostile and multilingual input.

Whatever arrives, the answer is a problem with a precise reason (400, 413,
415, 422 with the field at fault), or the reply or rating is recorded as
typed, minus the invisible controls that could disguise it: never a 5xx.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TURKISH_COMPLAINT
from tests.staff_tokens import SUPERVISOR_TR
from tests.unit.conftest import Desk, body_of, problem_of

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LAST4 = "4567"  # of TURKISH_COMPLAINT's 0532 123 45 67
REPLIES, FEEDBACK = "/replies", "/feedback"


def post(desk: Desk, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    """POST a body (a document goes as UTF-8 JSON; lone surrogates as \\u escapes, as JSON allows)."""
    if not isinstance(body, str | bytes):
        text = json.dumps(body, ensure_ascii=False)
        body = json.dumps(body) if any("\ud800" <= c <= "\udfff" for c in text) else text
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    response = desk.client.http.post(path, headers=headers or JSON, body=raw)
    assert response.status_code < 500, response.body
    return response


def waiting(desk: Desk, **changes: Any) -> str:
    """A complaint waiting for the complainant's answer."""
    code = desk.routed(**changes)
    response = desk.act(code, "request_information", SUPERVISOR_TR, message="Dekontu gönderir misiniz?")
    assert response.status_code == 200
    return code


def closed(desk: Desk, **changes: Any) -> str:
    """A complaint answered and closed, ready to be rated."""
    code = desk.routed(**changes)
    for action, fields in [
        ("decide", {"outcome": "rejected"}),
        ("communicate_decision", {"channel": "sms", "message": "Talebiniz reddedildi."}),
        ("close", {}),
    ]:
        assert desk.act(code, action, SUPERVISOR_TR, **fields).status_code == 200
    return code


def fields_of(response: Any, status: int = 422) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in problem_of(response, status)["errors"]]


def reply_text(desk: Desk, code: str) -> str | None:
    """What the history recorded as the complainant's reply."""
    event = desk.repository.events[code][-1]
    assert event.action == "receive_information"
    return event.text


# --- bodies that cannot be read ------------------------------------------------------------------

UNREADABLE: list[tuple[Any, int]] = [
    ("{not json", 400),
    ("", 400),
    ("   ", 400),
    ("null", 400),
    ("[1, 2]", 400),
    ('"a string"', 400),
    ("[" * 50_000 + "]" * 50_000, 413),
    ("[" * 20_000 + "]" * 20_000, 400),  # nested too deep to parse
    ('{"rating": ' + "9" * 5000 + "}", 400),  # an integer too long to read
    (b"\xff\xfe{}", 400),  # not UTF-8
    (b'{"message": "\xed\xa0\x80"}', 400),  # a surrogate encoded in UTF-8 is not UTF-8
    ('{"message": "' + "x" * 70_000 + '"}', 413),
]


@pytest.mark.parametrize("path", [REPLIES, FEEDBACK])
@pytest.mark.parametrize(
    ("raw", "status"), UNREADABLE, ids=[f"{i}-{s}" for i, (_, s) in enumerate(UNREADABLE)]
)
def test_an_unreadable_body_is_a_problem(desk: Desk, path: str, raw: Any, status: int) -> None:
    problem_of(post(desk, path, raw), status)


@pytest.mark.parametrize("path", [REPLIES, FEEDBACK])
@pytest.mark.parametrize("size", [65_537, 200_000])
def test_a_body_over_64_kib_is_413_whatever_its_type(desk: Desk, path: str, size: int) -> None:
    problem_of(post(desk, path, "message=" + "a" * size, FORM), 413)
    problem_of(post(desk, path, json.dumps({"message": "ş" * (size // 2)})), 413)


@pytest.mark.parametrize("path", [REPLIES, FEEDBACK])
def test_a_body_just_under_the_limit_is_read_and_its_field_refused(desk: Desk, path: str) -> None:
    code = waiting(desk) if path == REPLIES else closed(desk)
    name = "message" if path == REPLIES else "comment"
    document = {"tracking_code": code, "mobile_last4": LAST4, "rating": 5, name: ""}
    document[name] = "x" * (65_536 - len(json.dumps(document)))
    assert len(json.dumps(document)) == 65_536
    assert (name, "too_long") in fields_of(post(desk, path, document))


@pytest.mark.parametrize("path", [REPLIES, FEEDBACK])
@pytest.mark.parametrize(
    ("content_type", "status"),
    [("text/plain", 415), ("multipart/form-data; boundary=x", 415), ("application/xml", 415)],
)
def test_other_content_types_are_refused(desk: Desk, path: str, content_type: str, status: int) -> None:
    problem_of(post(desk, path, {"tracking_code": "x"}, {"Content-Type": content_type}), status)


@pytest.mark.parametrize("path", [REPLIES, FEEDBACK])
def test_only_post_is_allowed(desk: Desk, path: str) -> None:
    response = desk.client.http.get(path)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"


# --- HTML forms ----------------------------------------------------------------------------------


def test_a_plain_html_form_replies_and_rates(desk: Desk) -> None:
    code = waiting(desk)
    persian_4567 = "%DB%B4%DB%B5%DB%B6%DB%B7"
    message = "Dekont+ektedir%2C+te%C5%9Fekk%C3%BCrler"
    form = f"tracking_code={code.lower()}&mobile_last4={persian_4567}&message={message}"
    response = post(desk, REPLIES, form, FORM)
    assert response.status_code == 200, response.body
    assert reply_text(desk, code) == "Dekont ektedir, teşekkürler"
    rated = closed(desk)
    response = post(desk, FEEDBACK, f"tracking_code={rated}&mobile_last4={LAST4}&rating=4&comment=", FORM)
    assert response.status_code == 201, response.body


@pytest.mark.parametrize(
    "form",
    [
        "&".join(f"f{i}=x" for i in range(101)),  # too many fields
        "message=a&message.part=b",  # a value and a group at once
        "message=%FF%FE",  # percent-encoded bytes that are not UTF-8
    ],
)
@pytest.mark.parametrize("path", [REPLIES, FEEDBACK])
def test_a_hostile_form_is_400(desk: Desk, path: str, form: str) -> None:
    problem_of(post(desk, path, form, FORM), 400)


# --- what the complainant writes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "stored"),
    [
        ("رسید پرداخت را پیوست کردم؛ شماره‌ی پیگیری ۱۲۳۴ است.", None),  # Persian, with ZWNJ and digits
        ("Dekontu ekledim. İyi çalışmalar, Işıl Hanım 🙏🏽👩‍👩‍👧", None),  # Turkish İ/ı, emoji ZWJ sequence
        ("Paid on 2026-11-20 \u202eTRY 0051\u202c", "Paid on 2026-11-20 TRY 0051"),  # bidi override removed
        ("a\u2067hidden\u2069b\u200f", "ahiddenb\u200f"),  # isolates removed; the RLM mark is kept
        ("Line one\r\nLine two\x00\x07\x1b[31m", "Line one\nLine two[31m"),  # controls removed
        ("e\u0301crit", "\u00e9crit"),  # stored in NFC
    ],
)
def test_replies_in_any_script_are_recorded_as_typed_without_disguising_controls(
    desk: Desk, message: str, stored: str | None
) -> None:
    code = waiting(desk)
    response = post(desk, REPLIES, {"tracking_code": code, "mobile_last4": LAST4, "message": message})
    assert response.status_code == 200, response.body
    assert reply_text(desk, code) == (stored if stored is not None else unicodedata.normalize("NFC", message))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"message": "\ud800 lone high surrogate"}, ("message", "characters")),
        ({"message": "tail \udfff"}, ("message", "characters")),
        ({"message": "x" * 5001}, ("message", "too_long")),
        ({"message": "😀" * 5001}, ("message", "too_long")),
        ({"message": "   \n\t "}, ("message", "required")),
        ({"message": "\u202e\u202c\x00"}, ("message", "required")),  # nothing left once cleaned
        ({"message": None}, ("message", "required")),
        ({"message": 12345}, ("message", "type")),
        ({"message": ["a"]}, ("message", "type")),
        ({"message": {"text": "a"}}, ("message", "type")),
        ({"tracking_code": None}, ("tracking_code", "required")),
        ({"tracking_code": "7K3M\u202e-9XQ2"}, ("tracking_code", "characters")),  # one line, no controls
        ({"tracking_code": "\ud83d"}, ("tracking_code", "characters")),
        ({"tracking_code": "x" * 65}, ("tracking_code", "too_long")),
        ({"tracking_code": "ZZZZ-ZZZZ-ZZZZ-ZZ"}, ("tracking_code", "invalid")),  # the check symbol fails
        ({"tracking_code": "کد پیگیری"}, ("tracking_code", "invalid")),
        ({"mobile_last4": "123"}, ("mobile_last4", "format")),
        ({"mobile_last4": "12345"}, ("mobile_last4", "format")),
        ({"mobile_last4": "45a7"}, ("mobile_last4", "format")),
        ({"mobile_last4": "\ud800\ud800\ud800\ud800"}, ("mobile_last4", "characters")),
        ({"mobile_last4": 4567}, ("mobile_last4", "type")),
        ({"mobile_last4": None}, ("mobile_last4", "required")),
        ({"mobile_last4": "0000"}, ("mobile_last4", "mismatch")),
        ({"mobile_last4": None, "email": "ayşe.yılmaz@example.com"}, ("mobile_last4", "mismatch")),
        ({"mobile_last4": None, "email": "x" * 300}, ("email", "too_long")),
    ],
)
def test_what_cannot_be_a_reply_is_a_field_error(
    desk: Desk, change: dict[str, Any], expected: tuple[str, str]
) -> None:
    code = waiting(desk)
    document = {"tracking_code": code, "mobile_last4": LAST4, "message": "Dekont ektedir.", **change}
    assert expected in fields_of(post(desk, REPLIES, document))
    assert desk.repository.complaints[code].status.value == "awaiting_complainant"


@pytest.mark.parametrize(
    "proof",
    [
        {"mobile_last4": "۴۵۶۷"},  # Persian digits
        {"mobile_last4": "٤٥٦٧"},  # Arabic-Indic digits
        {"mobile_last4": "４５６７"},  # fullwidth digits, as an East Asian keyboard types them
        {"mobile_last4": "४५६७"},  # any script's digits (the proof's check accepts them all)
        {"mobile_last4": " 45 67 "},
        {"email": "AYSE.YILMAZ@example.com"},
        {"email": "  ayse.yilmaz@EXAMPLE.COM "},
    ],
)
def test_the_proof_is_forgiving_about_how_it_is_typed(desk: Desk, proof: dict[str, str]) -> None:
    code = waiting(desk)
    response = post(desk, REPLIES, {"tracking_code": code, "message": "Ektedir.", **proof})
    assert response.status_code == 200, response.body


def test_an_international_domain_matches_in_either_form(desk: Desk) -> None:
    contact = {**TURKISH_COMPLAINT["contact"], "mobile": None, "email": "ayse@bücher.example"}
    code = waiting(desk, contact={**contact, "preferred_channel": "email"})
    assert desk.repository.complaints[code].personal.contact.email == "ayse@xn--bcher-kva.example"
    response = post(
        desk, REPLIES, {"tracking_code": code, "email": "Ayse@BÜCHER.example", "message": "Tamam."}
    )
    assert response.status_code == 200, response.body


def test_a_code_typed_loosely_still_finds_the_complaint(desk: Desk) -> None:
    code = waiting(desk)
    loose = " " + code.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "
    response = post(desk, REPLIES, {"tracking_code": loose, "mobile_last4": LAST4, "message": "Ektedir."})
    assert response.status_code == 200, response.body


@pytest.mark.parametrize("rating", [1, 5, "3", " 4 ", "۵", "٢"])
def test_a_rating_from_1_to_5_in_any_digits_is_recorded(desk: Desk, rating: Any) -> None:
    code = closed(desk)
    comment = "Teşekkürler 🌷 — ممنون"
    response = post(
        desk, FEEDBACK, {"tracking_code": code, "mobile_last4": LAST4, "rating": rating, "comment": comment}
    )
    assert response.status_code == 201, response.body
    expected = int(str(rating).strip().translate(str.maketrans("۵٢", "52")))
    assert body_of(response)["rating"] == expected
    assert desk.repository.events[code][-1].text == comment


@pytest.mark.parametrize(
    "rating",
    [0, 6, -1, 10**30, "5.0", 4.5, 5.0, True, None, [5], {"v": 5}, "five", "１", "", "5\u202e", "NaN"],
)
def test_anything_else_is_not_a_rating(desk: Desk, rating: Any) -> None:
    code = closed(desk)
    document = {"tracking_code": code, "mobile_last4": LAST4, "rating": rating}
    assert ("rating", "range") in fields_of(post(desk, FEEDBACK, document))
    assert desk.repository.complaints[code].satisfaction == {}


def test_a_json_nan_rating_is_a_field_error(desk: Desk) -> None:
    code = closed(desk)
    raw = f'{{"tracking_code": "{code}", "mobile_last4": "4567", "rating": NaN}}'
    assert ("rating", "range") in fields_of(post(desk, FEEDBACK, raw))


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("x" * 2001, ("comment", "too_long")),
        ("\udc00", ("comment", "characters")),
        (7, ("comment", "type")),
    ],
)
def test_a_comment_that_cannot_be_kept_is_a_field_error(
    desk: Desk, comment: Any, expected: tuple[str, str]
) -> None:
    code = closed(desk)
    document = {"tracking_code": code, "mobile_last4": LAST4, "rating": 5, "comment": comment}
    assert expected in fields_of(post(desk, FEEDBACK, document))


def test_feedback_before_closing_or_twice_is_409(desk: Desk) -> None:
    open_one = waiting(desk)
    document = {"tracking_code": open_one, "mobile_last4": LAST4, "rating": 5}
    problem_of(post(desk, FEEDBACK, document), 409)
    code = closed(desk)
    assert post(desk, FEEDBACK, {**document, "tracking_code": code}).status_code == 201
    problem_of(post(desk, FEEDBACK, {**document, "tracking_code": code, "rating": 1}), 409)
    assert desk.repository.complaints[code].satisfaction["1"].rating == 5


# --- whatever arrives ------------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from("\u202e\u2066\u200c\u200f\x00\ud800"), max_size=40
)
_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_FIELDS = ["tracking_code", "mobile_last4", "email", "message", "rating", "comment"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(st.sampled_from(_FIELDS) | _TEXT, _VALUE, max_size=6))
def test_no_json_document_gets_a_server_error(desk: Desk, document: dict[str, Any]) -> None:
    for path in (REPLIES, FEEDBACK):
        post(desk, path, json.dumps(document))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    proof=st.text(max_size=8),
    email=st.text(max_size=30),
    code_noise=st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ -olOIL۰۱۲۳۴۵۶۷۸۹", max_size=20),
)
def test_no_proof_or_code_as_typed_gets_a_server_error(
    desk: Desk, proof: str, email: str, code_noise: str
) -> None:
    for path in (REPLIES, FEEDBACK):
        post(desk, path, {"tracking_code": code_noise, "mobile_last4": proof, "message": "m", "rating": 3})
        post(desk, path, {"tracking_code": code_noise, "email": email, "message": "m", "rating": 3})


def test_no_proof_against_a_real_complaint_gets_a_server_error(desk: Desk) -> None:
    """The fuzzing above mostly meets unknown codes: here every proof reaches a real complaint."""
    code = waiting(desk)
    rated = closed(desk)
    for proof in ["٤٥٦٧", "４５６７", "𝟒𝟓𝟔𝟕", "߄߅߆߇", "४५६७", "\u0664\u0665\u0666\u0667"]:
        post(desk, FEEDBACK, {"tracking_code": rated, "mobile_last4": proof, "rating": 3})
    for email in [
        "ayşe@example.com",
        "AYSE.YILMAZ@EXAMPLE.COM\u0130",
        "@",
        "a@" + "b" * 300,
        "ß@ß.de",
        "x@\u202e.com",
    ]:
        post(desk, REPLIES, {"tracking_code": code, "email": email, "message": "m"})
        post(desk, FEEDBACK, {"tracking_code": rated, "email": email, "rating": 3})
