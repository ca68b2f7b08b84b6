"""Staff commands: one parser per lifecycle action, every field problem reported at once."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain import commands as c
from chalicelib.domain import policy as p
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.lifecycle import Action

LONG = "ş" * 10_000  # longer than every field allows
RTL = "\u200fبیمه‌نامه شماره ۱۲۳ \u200eKSK-2026\u200f تمدید نشد"
TURKISH = "İzmir'deki ISPARTA şubesi ılık davrandı; IŞIK Bey aramadı"
EMOJI = "Çok kötü hizmet 😡👎🏽 — 👨‍👩‍👧 ailecek mağduruz"

#: A good body for every action.
GOOD: dict[Action, dict[str, Any]] = {
    Action.ASSESS: {"urgency": "high", "importance": "low", "reason": "Ödeme gecikmesi"},
    Action.ASSIGN: {"department": "claims", "assignee": "ayse.k@tr", "reason": "hasar dosyası"},
    Action.REQUEST_INFORMATION: {"message": "Hasar fotoğraflarını gönderir misiniz?"},
    Action.RECEIVE_INFORMATION: {"text": "Fotoğrafları e-postayla gönderdim.", "via": "email"},
    Action.ADD_NOTE: {"text": "Eksper raporu bekleniyor."},
    Action.RECORD_DATA_CHECK: {"subject": "policy", "result": "confirmed"},
    Action.RECORD_ROOT_CAUSE: {"code": "claims_assessment", "text": "Eksper hatası"},
    Action.DECIDE: {"outcome": "upheld", "remedy": "Hasar ödenecek", "amount": "1500.50"},
    Action.COMMUNICATE_DECISION: {"channel": "sms", "message": "Hasarınız ödenecek."},
    Action.CLOSE: {},
    Action.REOPEN: {"reason": "Müşteri itiraz etti"},
    Action.REFER_OUT: {"reason": "external_recourse"},
    Action.WITHDRAW: {},
}


def errors_of(action: Action, data: dict[str, Any]) -> dict[str, str]:
    """The field errors of a body, as {field: code}."""
    with pytest.raises(ValidationFailed) as caught:
        c.parse_command(action, data)
    found = {e.field: e.code for e in caught.value.errors}
    assert len(found) == len(caught.value.errors), "one error per field"
    return found


def with_(action: Action, **changes: Any) -> dict[str, Any]:
    return {**GOOD[action], **changes}


# --- parse_action -------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
def test_every_action_is_found_by_its_name(action: Action) -> None:
    assert c.parse_action(action.value) is action


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Request-Information", Action.REQUEST_INFORMATION),
        ("  CLOSE ", Action.CLOSE),
        ("refer_OUT", Action.REFER_OUT),
    ],
)
def test_action_names_forgive_case_hyphens_and_spaces(raw: str, expected: Action) -> None:
    assert c.parse_action(raw) is expected


@pytest.mark.parametrize("raw", ["approve", "", "feedback", "escalate", "close!", "assessx"])
def test_an_unknown_action_is_a_field_error_listing_the_known_ones(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        c.parse_action(raw)
    ((error),) = caught.value.errors
    assert (error.field, error.code) == ("action", "choice")
    assert all(action.value in error.message for action in Action)


def test_every_action_has_a_parser() -> None:
    for action in Action:
        c.parse_command(action, GOOD[action])


# --- good bodies --------------------------------------------------------------------------------


def test_assess_reads_levels_case_insensitively_with_an_optional_override() -> None:
    command = c.parse_command(
        Action.ASSESS,
        {
            "urgency": "HIGH",
            "importance": " Medium ",
            "reason": "ok",
            "category": "Health_Claim",
            "priority": "critical",
        },
    )
    assert command == c.Assess(
        p.Level.HIGH, p.Level.MEDIUM, "ok", p.Category.HEALTH_CLAIM, p.Priority.CRITICAL
    )
    plain = c.parse_command(Action.ASSESS, GOOD[Action.ASSESS])
    assert plain == c.Assess(p.Level.HIGH, p.Level.LOW, "Ödeme gecikmesi", None, None)


def test_assign_takes_a_department_a_handler_or_both() -> None:
    assert c.parse_command(Action.ASSIGN, {"department": "finance"}) == c.Assign(
        p.Department.FINANCE, None, None
    )
    assert c.parse_command(Action.ASSIGN, {"assignee": "mehmet"}) == c.Assign(None, "mehmet", None)
    both = c.parse_command(Action.ASSIGN, GOOD[Action.ASSIGN])
    assert both == c.Assign(p.Department.CLAIMS, "ayse.k@tr", "hasar dosyası")


def test_request_information_channel_is_optional_and_only_sms_or_email() -> None:
    assert c.parse_command(Action.REQUEST_INFORMATION, {"message": "?"}) == c.RequestInformation("?", None)
    command = c.parse_command(Action.REQUEST_INFORMATION, {"message": "?", "channel": "EMAIL"})
    assert command == c.RequestInformation("?", p.ContactChannel.EMAIL)
    for channel in ("phone", "post", "fax"):
        assert errors_of(Action.REQUEST_INFORMATION, {"message": "?", "channel": channel}) == {
            "channel": "choice"
        }


def test_receive_information_defaults_to_a_reply_taken_by_phone() -> None:
    assert c.parse_command(Action.RECEIVE_INFORMATION, {"text": "cevap"}) == c.ReceiveInformation(
        "cevap", "phone"
    )
    assert c.parse_command(
        Action.RECEIVE_INFORMATION, GOOD[Action.RECEIVE_INFORMATION]
    ) == c.ReceiveInformation("Fotoğrafları e-postayla gönderdim.", "email")
    assert errors_of(Action.RECEIVE_INFORMATION, {"text": "cevap", "via": "pigeon"}) == {"via": "choice"}


def test_a_data_check_result_is_read_case_insensitively() -> None:
    command = c.parse_command(
        Action.RECORD_DATA_CHECK, {"subject": "claim file", "result": "DISCREPANCY", "text": "x"}
    )
    assert command == c.RecordDataCheck("claim file", "discrepancy", "x")


def test_a_root_cause_is_a_code_of_the_taxonomy_with_text() -> None:
    command = c.parse_command(Action.RECORD_ROOT_CAUSE, GOOD[Action.RECORD_ROOT_CAUSE])
    assert command == c.RecordRootCause(p.RootCause.CLAIMS_ASSESSMENT, "Eksper hatası")


def test_decisions_with_and_without_amounts() -> None:
    upheld = c.parse_command(Action.DECIDE, GOOD[Action.DECIDE])
    assert upheld == c.Decide(p.DecisionOutcome.UPHELD, "Hasar ödenecek", "1500.50", None)
    partly = c.parse_command(Action.DECIDE, {"outcome": "partly_upheld", "remedy": "yarısı", "text": "not"})
    assert partly == c.Decide(p.DecisionOutcome.PARTLY_UPHELD, "yarısı", None, "not")
    rejected = c.parse_command(Action.DECIDE, {"outcome": "rejected", "text": "poliçe kapsamı dışında"})
    assert rejected == c.Decide(p.DecisionOutcome.REJECTED, None, None, "poliçe kapsamı dışında")


def test_a_decision_told_by_phone_needs_the_summary_of_the_call() -> None:
    assert errors_of(Action.COMMUNICATE_DECISION, {"channel": "phone"}) == {"message": "required"}
    assert errors_of(Action.COMMUNICATE_DECISION, {"channel": "phone", "message": "  \n "}) == {
        "message": "required"
    }
    called = c.parse_command(
        Action.COMMUNICATE_DECISION, {"channel": "Phone", "message": "Aradım, bilgi verdim."}
    )
    assert called == c.CommunicateDecision(p.ContactChannel.PHONE, "Aradım, bilgi verdim.")


def test_a_decision_by_sms_or_email_may_carry_no_message_of_its_own() -> None:
    # The decision's text comes from the template; the handler's message is optional.
    assert c.parse_command(Action.COMMUNICATE_DECISION, {"channel": "email"}) == c.CommunicateDecision(
        p.ContactChannel.EMAIL, None
    )


def test_a_phone_summary_may_be_as_long_as_a_note_but_a_message_only_as_long_as_a_message() -> None:
    summary = "x" * p.NOTE_MAX
    command = c.parse_command(Action.COMMUNICATE_DECISION, {"channel": "phone", "message": summary})
    assert command == c.CommunicateDecision(p.ContactChannel.PHONE, summary)
    too_long = {"channel": "sms", "message": "x" * (p.MESSAGE_MAX + 1)}
    assert errors_of(Action.COMMUNICATE_DECISION, too_long) == {"message": "too_long"}
    assert errors_of(
        Action.COMMUNICATE_DECISION, {"channel": "phone", "message": "x" * (p.NOTE_MAX + 1)}
    ) == {"message": "too_long"}


@pytest.mark.parametrize("channel", ["post", "fax", "telegram"])
def test_a_decision_goes_by_sms_email_or_phone_only(channel: str) -> None:
    assert errors_of(Action.COMMUNICATE_DECISION, {"channel": channel, "message": "x"}) == {
        "channel": "choice"
    }


def test_close_withdraw_take_optional_text() -> None:
    assert c.parse_command(Action.CLOSE, {}) == c.Close(None)
    assert c.parse_command(Action.CLOSE, {"text": " kapandı "}) == c.Close("kapandı")
    assert c.parse_command(Action.WITHDRAW, {}) == c.Withdraw(None)
    assert c.parse_command(Action.WITHDRAW, {"reason": "Müşteri vazgeçti"}) == c.Withdraw("Müşteri vazgeçti")


def test_refer_out_reasons() -> None:
    assert c.parse_command(
        Action.REFER_OUT, {"reason": "out_of_scope", "text": "trafik cezası"}
    ) == c.ReferOut(p.ReferralReason.OUT_OF_SCOPE, "trafik cezası")


# --- required fields, all at once ---------------------------------------------------------------

REQUIRED: dict[Action, dict[str, str]] = {
    Action.ASSESS: {"urgency": "required", "importance": "required", "reason": "required"},
    Action.ASSIGN: {"department": "required"},
    Action.REQUEST_INFORMATION: {"message": "required"},
    Action.RECEIVE_INFORMATION: {"text": "required"},
    Action.ADD_NOTE: {"text": "required"},
    Action.RECORD_DATA_CHECK: {"subject": "required", "result": "required"},
    Action.RECORD_ROOT_CAUSE: {"code": "required", "text": "required"},
    Action.DECIDE: {"outcome": "required"},
    Action.COMMUNICATE_DECISION: {"channel": "required"},
    Action.REOPEN: {"reason": "required"},
    Action.REFER_OUT: {"reason": "required"},
}


@pytest.mark.parametrize("action", list(REQUIRED))
def test_an_empty_body_names_every_required_field(action: Action) -> None:
    assert errors_of(action, {}) == REQUIRED[action]


@pytest.mark.parametrize("action", list(REQUIRED))
def test_blank_and_null_values_count_as_missing(action: Action) -> None:
    # Text of spaces is blank; a choice is blank when empty (spaces in a choice are a wrong choice).
    blanks = {name: "" if (action, name) in CHOICES else "   " for name in REQUIRED[action]}
    assert errors_of(action, blanks) == REQUIRED[action]
    assert errors_of(action, dict.fromkeys(REQUIRED[action])) == REQUIRED[action]


# --- choices ------------------------------------------------------------------------------------

CHOICES: list[tuple[Action, str]] = [
    (Action.ASSESS, "urgency"),
    (Action.ASSESS, "importance"),
    (Action.ASSESS, "category"),
    (Action.ASSESS, "priority"),
    (Action.ASSIGN, "department"),
    (Action.REQUEST_INFORMATION, "channel"),
    (Action.RECEIVE_INFORMATION, "via"),
    (Action.RECORD_DATA_CHECK, "result"),
    (Action.RECORD_ROOT_CAUSE, "code"),
    (Action.DECIDE, "outcome"),
    (Action.COMMUNICATE_DECISION, "channel"),
    (Action.REFER_OUT, "reason"),
]


@pytest.mark.parametrize(("action", "name"), CHOICES)
@pytest.mark.parametrize("bad", ["nonsense", 3, ["high"], {"v": 1}, True])
def test_a_value_outside_a_choice_is_a_choice_error(action: Action, name: str, bad: Any) -> None:
    errors = errors_of(action, with_(action, **{name: bad}))
    assert errors[name] in ("choice", "type")
    assert set(errors) <= {name, "remedy"}  # an outcome the parser cannot read asks nothing of the remedy


def test_a_choice_error_lists_the_allowed_values() -> None:
    with pytest.raises(ValidationFailed) as caught:
        c.parse_command(Action.ASSESS, with_(Action.ASSESS, urgency="urgent"))
    (error,) = caught.value.errors
    assert error.message == "must be one of: high, medium, low"


def test_a_turkish_dotted_capital_i_is_not_a_latin_i_in_a_choice() -> None:
    # "HİGH" folds to "hi̇gh", not "high": choices are English codes, not Turkish words.
    assert errors_of(Action.ASSESS, with_(Action.ASSESS, urgency="HİGH")) == {"urgency": "choice"}


# --- too long -----------------------------------------------------------------------------------

TEXT_FIELDS: list[tuple[Action, str, int]] = [
    (Action.ASSESS, "reason", p.REASON_MAX),
    (Action.ASSIGN, "reason", p.REASON_MAX),
    (Action.ASSIGN, "assignee", 128),
    (Action.REQUEST_INFORMATION, "message", p.MESSAGE_MAX),
    (Action.RECEIVE_INFORMATION, "text", p.REPLY_MAX),
    (Action.ADD_NOTE, "text", p.NOTE_MAX),
    (Action.RECORD_DATA_CHECK, "subject", p.SHORT_TEXT_MAX),
    (Action.RECORD_DATA_CHECK, "text", p.NOTE_MAX),
    (Action.RECORD_ROOT_CAUSE, "text", p.NOTE_MAX),
    (Action.DECIDE, "remedy", p.REASON_MAX),
    (Action.DECIDE, "text", p.NOTE_MAX),
    (Action.COMMUNICATE_DECISION, "message", p.MESSAGE_MAX),
    (Action.CLOSE, "text", p.NOTE_MAX),
    (Action.REOPEN, "reason", p.REASON_MAX),
    (Action.REFER_OUT, "text", p.NOTE_MAX),
    (Action.WITHDRAW, "reason", p.REASON_MAX),
]


@pytest.mark.parametrize(("action", "name", "limit"), TEXT_FIELDS)
def test_ten_thousand_characters_is_too_long_for_every_text_field(
    action: Action, name: str, limit: int
) -> None:
    errors = errors_of(action, with_(action, **{name: LONG}))
    assert errors[name] == "too_long"
    assert set(errors) == {name}


@pytest.mark.parametrize(("action", "name", "limit"), TEXT_FIELDS)
def test_the_limit_itself_is_allowed_and_counted_after_trimming(
    action: Action, name: str, limit: int
) -> None:
    value = "a" * limit
    command = c.parse_command(action, with_(action, **{name: f"  {value}  "}))
    assert getattr(command, name) == value


def test_a_text_of_exactly_ten_thousand_characters_fits_nowhere_but_is_reported_once() -> None:
    errors = errors_of(
        Action.DECIDE, {"outcome": "partly_upheld", "remedy": LONG, "amount": "1", "text": LONG}
    )
    assert errors == {"remedy": "too_long", "text": "too_long"}


# --- characters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["policy\nfile", "policy\tfile", "policy\x00", "poli\x1bcy", "\u202epolicy", "a\x85b"]
)
def test_one_line_fields_refuse_control_characters(bad: str) -> None:
    assert errors_of(Action.RECORD_DATA_CHECK, {"subject": bad, "result": "confirmed"}) == {
        "subject": "characters"
    }


@pytest.mark.parametrize("bad", ["mehmet\n", "meh\x00met", "\u2066mehmet\u2069"])
def test_the_assignee_is_one_line_too(bad: str) -> None:
    assert errors_of(Action.ASSIGN, {"assignee": bad}) == {"assignee": "characters"}


@pytest.mark.parametrize("bad", ["mehmet yılmaz", "a/b", "<script>", "x" * 129])
def test_an_assignee_is_a_username(bad: str) -> None:
    assert errors_of(Action.ASSIGN, {"assignee": bad})["assignee"] in ("format", "too_long")


def test_free_text_keeps_line_breaks_and_drops_control_and_bidi_override_characters() -> None:
    command = c.parse_command(Action.ADD_NOTE, {"text": "satır 1\r\nsatır\x00 2\t\u202esonu\x7f"})
    assert command == c.AddNote("satır 1\nsatır 2\tsonu")


@pytest.mark.parametrize(("action", "name", "limit"), TEXT_FIELDS)
def test_a_lone_surrogate_is_not_text_in_any_field(action: Action, name: str, limit: int) -> None:
    errors = errors_of(action, with_(action, **{name: "yarım \ud83d karakter"}))
    assert errors == {name: "characters"}


@pytest.mark.parametrize(("action", "name", "limit"), TEXT_FIELDS)
def test_a_number_is_not_text(action: Action, name: str, limit: int) -> None:
    assert errors_of(action, with_(action, **{name: 42})) == {name: "type"}


@pytest.mark.parametrize("text", [RTL, TURKISH, EMOJI, "زهرا محمدی‌نژاد"])
def test_persian_turkish_and_emoji_text_is_kept_exactly_as_typed(text: str) -> None:
    for action, name in [
        (Action.ADD_NOTE, "text"),
        (Action.REQUEST_INFORMATION, "message"),
        (Action.REOPEN, "reason"),
        (Action.RECORD_DATA_CHECK, "subject"),
    ]:
        command = c.parse_command(action, with_(action, **{name: f"  {text}  "}))
        assert getattr(command, name) == text


def test_turkish_text_is_never_re_cased() -> None:
    command = c.parse_command(Action.ASSESS, with_(Action.ASSESS, reason="IŞIK İLE ılık"))
    assert isinstance(command, c.Assess)
    assert command.reason == "IŞIK İLE ılık"


def test_text_is_kept_in_composed_form() -> None:
    command = c.parse_command(Action.ADD_NOTE, {"text": "s\u0327"})  # s + combining cedilla
    assert command == c.AddNote("ş")


# --- decisions: remedy and amount ---------------------------------------------------------------


def test_a_rejected_complaint_grants_no_remedy() -> None:
    assert errors_of(Action.DECIDE, {"outcome": "rejected", "remedy": "özür"}) == {"remedy": "not_allowed"}


def test_a_rejected_complaint_grants_no_amount() -> None:
    assert errors_of(Action.DECIDE, {"outcome": "rejected", "amount": "0"}) == {"amount": "not_allowed"}


@pytest.mark.parametrize("outcome", ["upheld", "partly_upheld"])
def test_an_upheld_complaint_says_what_remedy_is_granted(outcome: str) -> None:
    assert errors_of(Action.DECIDE, {"outcome": outcome, "amount": "100"}) == {"remedy": "required"}


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("۱۲۳۴٫۵۰", "1234.50"),  # Persian digits and decimal separator
        ("۱٬۲۳۴٫۵", "1234.50"),  # with the Persian thousands separator
        ("١٢٣٤", "1234.00"),  # Arabic-Indic digits
        ("1,500.5", "1500.50"),
        ("12,345,678", "12345678.00"),
        (" 1500 ", "1500.00"),
        ("0", "0.00"),
        ("-0", "0.00"),
        ("1500.", "1500.00"),
        (1500, "1500.00"),
        (1500.5, "1500.50"),
        (str(p.AMOUNT_MAX), f"{p.AMOUNT_MAX}.00"),
    ],
)
def test_amounts_are_read_in_persian_and_western_digits(raw: Any, amount: str) -> None:
    command = c.parse_command(Action.DECIDE, {"outcome": "upheld", "remedy": "ödeme", "amount": raw})
    assert isinstance(command, c.Decide)
    assert command.amount == amount


def test_no_amount_is_none() -> None:
    for empty in (None, ""):
        command = c.parse_command(Action.DECIDE, {"outcome": "upheld", "remedy": "özür", "amount": empty})
        assert isinstance(command, c.Decide)
        assert command.amount is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1500,50", "type"),  # a Turkish decimal comma: never read as 150050
        ("1.500,50", "type"),
        ("1,50", "type"),
        ("1.500", "range"),  # 1500 to a Turkish reader: three decimals are refused
        ("1500.001", "range"),
        ("-1", "range"),
        (p.AMOUNT_MAX + 1, "range"),
        ("NaN", "type"),
        ("Infinity", "type"),
        ("1e5", "type"),
        ("1_000", "type"),
        ("bin beş yüz", "type"),
        ("۱۲۳۴,۵۰", "type"),
        (True, "type"),
        ([1500], "type"),
    ],
)
def test_amounts_that_cannot_be_read_safely_are_refused(raw: Any, code: str) -> None:
    assert errors_of(Action.DECIDE, {"outcome": "upheld", "remedy": "ödeme", "amount": raw}) == {
        "amount": code
    }


def test_a_decision_reports_every_field_at_once() -> None:
    errors = errors_of(Action.DECIDE, {"outcome": "partly_upheld", "amount": "abc", "text": LONG})
    assert errors == {"amount": "type", "remedy": "required", "text": "too_long"}


# --- expected_version ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "version"),
    [(7, 7), ("7", 7), (" 12 ", 12), ("۱۲", 12), ("١٢", 12), ("000000042", 42), (999_999_999, 999_999_999)],
)
def test_the_expected_version_is_read_in_any_digits(raw: Any, version: int) -> None:
    assert c.expected_version({"expected_version": raw}) == version


@pytest.mark.parametrize("body", [{}, {"expected_version": None}, {"expected_version": ""}])
def test_no_expected_version_is_none(body: dict[str, Any]) -> None:
    assert c.expected_version(body) is None


@pytest.mark.parametrize(
    "raw",
    [
        0,
        -1,
        "0",
        "-3",
        "3.0",
        3.0,
        True,
        False,
        "abc",
        10**9,
        "1" * 10,
        "²",
        "٣²",
        "१२",
        "1" * 5000,
        [1],
        "\ud800",
    ],
)
def test_a_bad_expected_version_is_a_field_error_never_a_crash(raw: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        c.expected_version({"expected_version": raw})
    assert [(e.field, e.code) for e in caught.value.errors] == [("expected_version", "type")]
