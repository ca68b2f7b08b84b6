"""The console's catalogs: complete in every language, and the only source of words on its pages.

As for the public pages: every console page is rendered with catalogs whose
every message is a marker (⟦key⟧), and every text a reader can see or hear
must then be markers and data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import chalicelib.api.console_pages as console_pages
from chalicelib.api import console_case, console_records
from chalicelib.api.forms import field_message
from chalicelib.api.render import CATALOGS, TEMPLATES, Texts, area_catalog, catalog
from chalicelib.domain import capa as cp
from chalicelib.domain import policy as p
from chalicelib.domain.commands import parse_command
from chalicelib.domain.complaint import MilestoneCode
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.lifecycle import Action, Status
from chalicelib.domain.periods import PeriodKind
from chalicelib.domain.policy import Language
from chalicelib.domain.staff import Role
from tests.staff_tokens import AGENT_TR, AUDITOR, HANDLER_CLAIMS_TR, SUPERVISOR_TR
from tests.unit.conftest import Desk
from tests.unit.test_console import (  # the console's fixtures, shared
    Browser,
    browser,
    capa_register,
    page_of,
    report_requests,
    sign_in_service,
)
from tests.unit.test_console_screens import NOTE, PERSONAL, planted
from tests.unit.test_pages import HOSTILE, Element, parse
from tests.unit.test_pages_catalogs import placeholders

__all__ = ["browser", "capa_register", "report_requests", "sign_in_service"]  # fixtures used here

OWN = {
    language: json.loads((CATALOGS / "console" / f"{language}.json").read_text("utf-8"))
    for language in Language
}
MARKER = re.compile(r"⟦[^⟧]*⟧")
SPOKEN = (
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "data-ending",
    "data-sending",
    "data-pause",
    "data-resume",
)
CONSOLE_TEMPLATES = sorted((TEMPLATES / "console").glob("*.html"))


# --- the catalogs --------------------------------------------------------------------------------


def test_every_language_has_the_same_console_messages() -> None:
    english = set(OWN[Language.EN])
    for language in (Language.FA, Language.TR):
        assert set(OWN[language]) == english, set(OWN[language]) ^ english


@pytest.mark.parametrize("key", sorted(OWN[Language.EN]))
def test_a_console_message_names_the_same_placeholders_in_every_language(key: str) -> None:
    names = {language: placeholders(OWN[language][key]) for language in Language}
    assert len({frozenset(n) for n in names.values()}) == 1, names


def test_console_messages_are_plain_text_and_persian_ones_write_persian_digits() -> None:
    for language, messages in OWN.items():
        assert not [k for k, v in messages.items() if re.search(r"[<>]|&\w+;", v)], language
    assert not [k for k, v in OWN[Language.FA].items() if re.search("[0-9]", v)]


def test_the_console_adds_words_and_rewords_only_field_problems() -> None:
    """The shared words (months, categories, the form's summary) are the public pages'; a field's
    problem may read differently on a staff form (error.message.required: 'Write the message.')."""
    for language in Language:
        shared = catalog(language)
        redefined = {key for key in OWN[language] if key in shared}
        assert all(key.startswith("error.") for key in redefined), redefined


def test_every_key_a_console_template_names_is_in_the_catalogs() -> None:
    named = set()
    for template in CONSOLE_TEMPLATES:
        source = template.read_text("utf-8")
        named |= set(re.findall(r"\bt\('([a-z_.-]+[a-z_])'", source))
        plurals = re.findall(r"\bt\.plural\('([a-z_.]+[a-z_])'", source)
        named |= {f"{key}.{form}" for key in plurals for form in ("one", "other")}
    assert len(named) > 150
    merged = area_catalog("console", Language.EN)
    assert named <= set(merged), named - set(merged)


def _label_keys() -> Iterator[str]:
    """Every key the console's code builds from a value of the domain."""
    families: dict[str, Any] = {
        "console.role": Role,
        "console.department": [*(d.value for d in p.Department), "unassigned"],
        "console.market": p.Market,
        "console.status": Status,
        "console.priority": p.Priority,
        "console.level": p.Level,
        "console.channel": p.Channel,
        "console.contact_channel": p.ContactChannel,
        "console.kind": p.Kind,
        "console.language": p.Language,
        "console.network": p.SocialNetwork,
        "console.root_cause": p.RootCause,
        "console.outcome": p.DecisionOutcome,
        "console.referral": p.ReferralReason,
        "console.data_check": ("confirmed", "discrepancy"),
        "console.notice_status": ("sent", "skipped", "failed"),
        "console.notice_channel": ("sms", "email", "sns-topic"),
        "console.milestone": MilestoneCode,
        "console.event": [*(a.value for a in Action), "submit", "feedback", "escalate", "notify", "flag"],
        "console.read": ("personal_data", "history_text"),
        "console.period": PeriodKind,
        "console.report_file": console_records.REPORT_FILES.values(),
        "console.capa_kind": cp.CapaKind,
        "console.capa_status": cp.CapaStatus,
        "console.done": Action,
        "console.action": Action,
        "category": p.Category,
        "console.intent": (
            "acknowledgement",
            "supervisor_alert",
            "department_notice",
            "information_request",
            "decision",
            "survey",
            "escalation",
            "stream",
            "routing",
        ),
    }
    for prefix, values in families.items():
        for value in values:
            yield f"{prefix}.{value.value if hasattr(value, 'value') else value}"
    for action, specs in console_case.ACTION_FIELDS.items():
        yield f"console.action.{action.value}.submit"
        for spec in specs:
            yield f"console.field.{action.value}.{spec.name}"
            yield from (f"{spec.labels}.{option}" for option in spec.options)
    for key in console_pages.PROBLEMS.values():
        yield f"console.problem.{key[1]}.title"
        yield f"console.problem.{key[1]}.text"


def test_every_label_the_console_builds_is_in_every_language() -> None:
    keys = set(_label_keys())
    for language in Language:
        merged = area_catalog("console", language)
        assert keys <= set(merged), (language, sorted(keys - set(merged)))


# --- every field problem the console's forms can meet has its own words --------------------------


def _problems() -> Iterator[FieldError]:
    bad = dict.fromkeys(("urgency", "importance", "department", "code", "via", "result", "channel"), "x")
    bad.update(reason="x" * 600, assignee="a b", message="", text="", subject="")
    bad.update(outcome="rejected", remedy="r", amount="1.234")
    for action in Action:
        for payload in ({}, bad, {**bad, "outcome": "upheld", "remedy": "", "amount": "x"}):
            try:
                parse_command(action, payload)
            except ValidationFailed as exc:
                yield from exc.errors
    from tests.fakes import FixedClock
    from tests.unit.test_capa import TR_CLAIMS_HANDLER

    created: list[dict[str, Any]] = [
        {},
        {"kind": "x", "title": "", "root_causes": ["nope"], "complaints": ["XX"], "due_on": "2020-01-01"},
        {"kind": "corrective", "title": "t", "root_causes": "communication", "due_on": "1300-01-01"},
        {
            "kind": "corrective",
            "title": "t",
            "root_causes": "communication",
            "due_on": "2099-01-01",
            "owner": "a b",
        },
    ]
    for payload in created:
        try:
            cp.parse_new_capa(payload, TR_CLAIMS_HANDLER, now=FixedClock().now())
        except ValidationFailed as exc:
            yield from exc.errors
    changed: list[dict[str, Any]] = [
        {"status": "verified_effective"},
        {"status": "done", "effectiveness": {"effective": "true", "note": ""}},
        {"status": "verified_ineffective", "effectiveness": {"effective": "true", "note": "n"}},
        {"effectiveness": {"note": "n"}},
    ]
    for payload in changed:
        try:
            cp.parse_capa_update(payload)
        except ValidationFailed as exc:
            yield from exc.errors
    yield from (FieldError(name, "required", "") for name in ("username", "password", "reason", "period"))
    yield from (FieldError("mobile", code, "") for code in ("required", "format", "not_mobile"))
    yield FieldError("date", "invalid", "")
    yield FieldError("market", "choice", "")
    yield FieldError("cursor", "invalid", "")
    yield FieldError("limit", "range", "")
    yield FieldError("channel", "channel", "")
    yield FieldError("channel_detail.network", "required", "")
    yield FieldError("contact.national_id", "checksum", "")


def _shown_against(field: str) -> str:
    """The field a problem is shown against: a list's items' problems against the list."""
    return field.split(".")[0] if field.startswith(("root_causes.", "complaints.")) else field


PROBLEMS = sorted({(_shown_against(e.field), e.code) for e in _problems()})


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(("field", "code"), PROBLEMS)
def test_every_console_field_problem_reads_in_the_pages_language(
    language: Language, field: str, code: str
) -> None:
    texts = Texts(language, area_catalog("console", language))
    limits = {field: {"max": 100, "min": 10}}
    message = str(field_message(texts, FieldError(field, code, "DOMAIN WORDING"), limits))
    assert "DOMAIN WORDING" not in message
    assert "{" not in message
    assert message != str(texts("error.generic")), (field, code)


# --- no words of their own in the console's templates --------------------------------------------


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every console message replaced by a marker."""
    english = area_catalog("console", Language.EN)
    markers = {
        key: f"⟦{key}⟧" + "".join(f"{{{n}}}" for n in sorted(placeholders(text)))
        for key, text in english.items()
    }
    monkeypatch.setattr(console_pages, "area_catalog", lambda area, language: markers)


def _data(desk: Desk, extra: list[str]) -> list[str]:
    data = [*p.EXTERNAL_RECOURSE.values(), *extra, *PERSONAL.values(), NOTE, HOSTILE.strip()]
    for complaint in desk.repository.complaints.values():
        data += [complaint.tracking_code, complaint.personal.description, complaint.received_by or ""]
        data += [str(e.actor) for e in desk.repository.events[complaint.tracking_code]]
        data += [str(v) for e in desk.repository.events[complaint.tracking_code] for v in e.details.values()]
    data += [m.username for m in (AGENT_TR, HANDLER_CLAIMS_TR, SUPERVISOR_TR, AUDITOR)]
    data += ["staff:", "TRY", "{count}"]
    return sorted({d for d in data if d}, key=len, reverse=True)


def _words_outside_catalogs(document: Element, data: list[str]) -> list[str]:
    def left_over(text: str) -> str:
        text = MARKER.sub(" ", text)
        for value in data:
            text = text.replace(value, " ")
        return re.sub(r"[\s0-9۰-۹:.\-/]", "", text)

    found = []
    for element in document.walk():
        if element.tag in ("script", "style"):
            continue
        for child in element.children:
            if isinstance(child, str) and left_over(child):
                found.append(f"<{element.tag} id={element.attrs.get('id')}> {child.strip()!r}")
        for name, value in element.attrs.items():
            spoken = name in SPOKEN or name.startswith(("data-error", "data-title", "data-required"))
            if spoken and value and left_over(value):
                found.append(f"<{element.tag} {name}={value!r}>")
    return found


def test_every_word_on_every_console_page_comes_from_a_catalog(
    browser: Callable[..., Browser], desk: Desk, marked: None
) -> None:
    code = planted(desk)
    desk.routed(category="health_claim", description="Kemoterapi ödemesi yapılmadı, tedavim durdu.")
    desk.clock.advance(days=20)
    supervisor = browser(SUPERVISOR_TR)
    case = supervisor.open(f"complaints/{code}")
    answers = [supervisor.last]
    answers.append(supervisor.send(case, "action-decide-form", outcome="upheld", remedy="", amount="x"))
    answers.append(supervisor.send(case, "reveal-form", reason="Müşteri telefonda"))
    answers.append(supervisor.send(case, "reveal-form", reason=""))
    answers.append(supervisor.send(case, "action-add-note-form", text="İkinci not"))
    answers.append(supervisor.get(answers[-1].headers["Location"]))
    answers.append(supervisor.send(case, "action-add-note-form", text="Eski sürümle not"))
    for path in (
        "queue",
        "queue?overdue=true",
        "queue?priority=nope",
        "search",
        "search?tracking_code=XX",
        "intake",
        "dashboard",
        "dashboard?refresh=on",
        "reports",
        "capa",
        "capa/new",
        "capa/CAPA-TR-20261123T073000000000Z-ABCD",
        "reports/TR/daily/2026-11-03/summary.json",
        "/tr/console/queue?department=finance",
    ):
        answers.append(supervisor.get(path))
    search = parse(supervisor.get("search").body)
    answers.append(supervisor.send(search, "contact-form", mobile=PERSONAL["mobile"]))
    answers.append(supervisor.send(search, "contact-form", mobile="12"))
    intake = parse(supervisor.get("intake").body)
    answers.append(supervisor.send(intake, "intake-form", description="kısa", channel="social_media"))
    done = supervisor.send(intake, "intake-form", description=HOSTILE, **{"contact.mobile": "05321234567"})
    answers.append(done)
    new = parse(supervisor.get("capa/new").body)
    answers.append(supervisor.send(new, "capa-form", title="", due_on="x"))
    cause = {"root_causes.communication": "communication"}
    created = supervisor.send(
        new, "capa-form", kind="corrective", title="Eylem", due_on="2026-12-30", **cause
    )
    capa_page = supervisor.get(created.headers["Location"])
    answers.append(capa_page)
    capa_id = created.headers["Location"].split("/")[-1].split("?")[0]
    changed = supervisor.send(parse(capa_page.body), "capa-change-form", status="done")
    check = {"effectiveness.effective": "false", "effectiveness.note": "Tekrarladı"}
    done_page = parse(supervisor.get(changed.headers["Location"]).body)
    verified = supervisor.send(done_page, "capa-change-form", status="verified_ineffective", **check)
    answers.append(supervisor.get(verified.headers["Location"]))
    reports = parse(supervisor.get("reports").body)
    answers.append(supervisor.send(reports, "build-form", period="", date="x"))
    answers.append(browser().get("sign-in?reason=expired"))
    visitor = browser()
    answers.append(
        visitor.send(parse(visitor.get("sign-in").body), "sign-in-form", username="x", password="y")
    )
    answers.append(visitor.send(parse(visitor.get("sign-in").body), "sign-in-form", username="", password=""))
    answers.append(visitor.post("sign-in", {"csrf": "x"}))
    auditor = browser(AUDITOR)
    answers += [auditor.get(f"complaints/{code}"), auditor.get("dashboard"), auditor.get(f"capa/{capa_id}")]
    answers.append(auditor.post(f"complaints/{code}/actions/close", {"csrf": auditor.token()}))
    typed = [
        "Eylem",
        "Tekrarladı",
        "İkinci not",
        "Eski sürümle not",
        "Müşteri telefonda",
        "kısa",
        "05321234567",
    ]
    data = _data(desk, [capa_id, *typed])
    rendered = 0
    for answer in answers:
        if answer.status_code == 303:
            continue
        document = parse(answer.body)
        assert MARKER.search(document.words()), "rendered with the markers"
        assert not _words_outside_catalogs(document, data), (
            answer.status_code,
            _words_outside_catalogs(document, data),
        )
        rendered += 1
    assert rendered >= 30
    assert page_of(answers[0])
