"""The pages' message catalogs: complete in every language, and the only source of words on a page.

The proof that templates hold no words of their own: every page is rendered
with catalogs whose every message is a marker (⟦key⟧), and every text a
visitor can read, or hear from an attribute, must then be markers and data.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

import chalicelib.api.pages as pages
import chalicelib.api.render as render
from chalicelib.api.forms import field_message
from chalicelib.api.render import CATALOGS, TEMPLATES, Texts, template_names
from chalicelib.domain import policy as p
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.policy import Language
from chalicelib.domain.texts import MILESTONE_LABELS, STATUS_LABELS
from chalicelib.domain.validation import Fields, complainant_proof, parse_submission
from tests.conftest import TURKISH_COMPLAINT
from tests.unit.conftest import Desk
from tests.unit.test_complainant_routes import closed as closed_complaint
from tests.unit.test_complainant_routes import waiting as waiting_complaint
from tests.unit.test_pages import HOSTILE, Element, parse, submit
from tests.unit.test_pages_forms import recorded

MESSAGES = {language: json.loads((CATALOGS / f"{language}.json").read_text("utf-8")) for language in Language}
MARKER = re.compile(r"⟦[^⟧]*⟧")
#: Attributes whose text a visitor sees or hears, or the script shows.
SPOKEN = ("title", "alt", "placeholder", "aria-label", "data-copied", "data-copy-failed", "data-sending")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- the catalogs --------------------------------------------------------------------------------


def test_every_language_has_the_same_messages() -> None:
    english = set(MESSAGES[Language.EN])
    for language in (Language.FA, Language.TR):
        assert set(MESSAGES[language]) == english, language


@pytest.mark.parametrize("key", sorted(MESSAGES[Language.EN]))
def test_a_message_names_the_same_placeholders_in_every_language(key: str) -> None:
    names = {language: placeholders(MESSAGES[language][key]) for language in Language}
    assert len({frozenset(n) for n in names.values()}) == 1, names


def test_messages_are_plain_text_never_markup() -> None:
    for language, messages in MESSAGES.items():
        marked = [k for k, v in messages.items() if re.search(r"[<>]|&\w+;", v)]
        assert not marked, (language, marked)


def test_persian_messages_write_persian_digits() -> None:
    sample_code = "ZNVZ-BJ1C-JAHZ-F0"
    latin = [k for k, v in MESSAGES[Language.FA].items() if re.search("[0-9]", v.replace(sample_code, ""))]
    assert not latin


def test_every_key_a_template_names_is_in_the_catalogs() -> None:
    named = set()
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text("utf-8")
        named |= set(re.findall(r"\bt\('([a-z_.]+[a-z_])'", source))
        plurals = re.findall(r"\bt\.plural\('([a-z_.]+[a-z_])'", source)
        named |= {f"{key}.{form}" for key in plurals for form in ("one", "other")}
    assert named
    assert named <= set(MESSAGES[Language.EN]), named - set(MESSAGES[Language.EN])


# --- every field problem the public forms can meet has words in every language ------------------


def _problems() -> Iterator[FieldError]:
    bad_submissions: list[dict[str, Any]] = [
        {},
        {"market": "DE", "category": "x", "kind": "x", "language": "de", "health_or_safety": "maybe"},
        {**TURKISH_COMPLAINT, "description": "x" * 5001, "remedy_sought": "x" * 2001},
        {**TURKISH_COMPLAINT, "description": "kısa", "contact": {"mobile": "12", "email": "a@"}},
        {**TURKISH_COMPLAINT, "contact": {"mobile": "0212 123 45 67", "name": "a\u202eb"}},
        {
            **TURKISH_COMPLAINT,
            "contact": {"email": "a@b.com", "preferred_channel": "post", "name": "x" * 201},
        },
        {**TURKISH_COMPLAINT, "contact": {"mobile": "05321234567", "policy_number": "<x>"}},
        {**TURKISH_COMPLAINT, "contact": {"mobile": "0" * 33, "policy_number": "x" * 65}},
        {**TURKISH_COMPLAINT, "contact": {"mobile": "05321234567", "national_id": "12345678901"}},
        {**TURKISH_COMPLAINT, "contact": {"mobile": "05321234567", "postal_address": "x" * 501}},
        {**TURKISH_COMPLAINT, "consent": {"contact": "perhaps"}, "description": "\ud800 x" * 5},
        {**TURKISH_COMPLAINT, "contact": {"mobile": "05321234567", "preferred_channel": "pigeon"}},
    ]
    for payload in bad_submissions:
        try:
            parse_submission(payload)
        except ValidationFailed as exc:
            yield from exc.errors
    for proof in ({}, {"mobile_last4": "12"}, {"mobile_last4": "1" * 17}, {"email": "x" * 255}):
        fields = Fields(proof)
        complainant_proof(fields)
        yield from fields.errors
    yield FieldError("tracking_code", "required", "")
    yield FieldError("tracking_code", "invalid", "")
    yield FieldError("tracking_code", "not_found", "")
    yield FieldError("mobile_last4", "mismatch", "")
    yield FieldError("email", "mismatch", "")
    yield FieldError("message", "required", "")
    yield FieldError("message", "too_long", "")
    yield FieldError("comment", "too_long", "")
    yield FieldError("rating", "range", "")
    yield FieldError("idempotency_key", "format", "")


PROBLEMS = sorted({(e.field, e.code) for e in _problems()})


def test_the_problems_list_covers_what_the_forms_can_meet() -> None:
    codes = {code for _, code in PROBLEMS}
    assert {"required", "choice", "type", "characters", "too_long", "too_short", "format"} <= codes
    assert {"not_mobile", "unreachable", "checksum", "range", "mismatch", "invalid"} <= codes


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(("field", "code"), PROBLEMS)
def test_every_field_problem_reads_as_a_message_of_the_pages_language(
    language: Language, field: str, code: str
) -> None:
    texts = Texts(language)
    message = str(field_message(texts, FieldError(field, code, "is not right")))
    assert "is not right" not in message, "the domain's English wording never reaches a page"
    assert "{" not in message, "every placeholder is filled"
    if (field, code) != ("contact.national_id", "checksum"):  # no such field on the public form
        assert message != str(texts("error.generic")), (field, code)


def test_an_unknown_problem_falls_back_to_the_generic_message() -> None:
    texts = Texts(Language.TR)
    assert field_message(texts, FieldError("no.such", "oddity", "x")) == texts("error.generic")
    assert field_message(texts, FieldError("no.such", "too_long", "x")) == texts("error.generic")


# --- no words of their own in the templates ------------------------------------------------------


def _marker_catalog() -> dict[str, str]:
    return {
        key: f"⟦{key}⟧" + "".join(f"{{{name}}}" for name in sorted(placeholders(text)))
        for key, text in MESSAGES[Language.EN].items()
    }


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every catalog replaced by markers; the templates rendered are recorded."""
    markers = _marker_catalog()
    monkeypatch.setattr(render, "catalog", lambda language: markers)
    monkeypatch.setattr(pages, "catalog", lambda language: markers)
    rendered: list[str] = []
    real = pages.render

    def recording(template: str, texts: Texts, **context: Any) -> str:
        rendered.append(template)
        return real(template, texts, **context)

    monkeypatch.setattr(pages, "render", recording)
    return rendered


def _data() -> list[str]:
    """What a page may show that is not a message: labels of the domain, the policy, contacts."""
    data = [*p.EXTERNAL_RECOURSE.values()]
    for labels in (*STATUS_LABELS.values(), *MILESTONE_LABELS.values()):
        data += labels.values()
    contacts = json.loads((render.WEB / "contact.json").read_text("utf-8"))["markets"]
    for market in contacts.values():
        data += [market["phone"], market["fax"], market["post"], market["email"], *market["social_media"]]
    data += ["{count}", "08:00", "16:00", "12:00", "09:00", "18:00"]
    return sorted(data, key=len, reverse=True)


def _left_over(text: str, data: list[str]) -> str:
    text = MARKER.sub(" ", text)
    for value in data:
        text = text.replace(value, " ")
    return re.sub(r"[\s0-9۰-۹:]", "", text)


def _words_outside_catalogs(document: Element, data: list[str]) -> list[str]:
    found = []
    for element in document.walk():
        if element.tag in ("script", "style"):
            continue
        for child in element.children:
            if isinstance(child, str) and _left_over(child, data):
                found.append(f"<{element.tag}> {child.strip()!r}")
        for name, value in element.attrs.items():
            spoken = name in SPOKEN or name.startswith(("data-error", "data-title", "data-required"))
            if spoken and value and _left_over(value, data):
                found.append(f"<{element.tag} {name}={value!r}>")
    return found


def test_every_word_on_every_page_comes_from_a_catalog(marked: list[str], desk: Desk) -> None:
    client: Client = desk.client
    typed = {**_typed_form(), "description": HOSTILE, "remedy_sought": "short"}
    recorded(client, typed, "en")
    waiting, closed = waiting_complaint(desk), closed_complaint(desk)
    responses = [
        *(client.http.get(f"/en/{slug}") for slug in ("", "complain", "status", "reply", "feedback")),
        client.http.get("/de/"),
        submit(client, "/en/complain", {**typed, "description": "short", "contact.mobile": "12"}),
        submit(client, "/en/complain", {**typed, "idempotency_key": "one", "market": "IR"}),
        submit(client, "/en/complain", typed),
        submit(client, "/en/status", {"tracking_code": "nonsense"}),
        submit(client, "/en/status", {"tracking_code": waiting}),
        submit(client, "/en/status", {"tracking_code": closed}),
        submit(client, "/en/reply", {"tracking_code": waiting, "mobile_last4": "4567", "message": "ok"}),
        submit(client, "/en/feedback", {"tracking_code": closed, "mobile_last4": "4567", "rating": "5"}),
        submit(client, "/en/feedback", {"tracking_code": closed, "mobile_last4": "4567", "rating": "5"}),
        submit(client, "/en/reply", {"message": "x" * 70_000}),
    ]
    assert set(marked) == set(template_names()), "every template was rendered"
    stored = desk.repository.complaints.values()
    data = [*_data(), *(c.tracking_code for c in stored), *(c.personal.description for c in stored)]
    data += [v for v in typed.values() if v]
    for response in responses:
        document = parse(response.body)
        assert MARKER.search(document.words()), "rendered with the markers"
        assert not _words_outside_catalogs(document, data), _words_outside_catalogs(document, data)


def _typed_form() -> dict[str, str]:
    return {
        "market": "TR",
        "description": "Kasko hasar talebim gerekçesiz reddedildi.",
        "contact.name": "Ali Işık",
        "contact.mobile": "0532 111 45 67",
        "consent.contact": "yes",
    }
