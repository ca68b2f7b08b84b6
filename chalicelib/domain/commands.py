"""What staff ask of a complaint: one command per lifecycle action, checked field by field.

A command carries only what its action needs. Every field problem is
reported at once, like a submission's. Free text is kept as typed (trimmed,
control characters removed); choices are read case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.domain import policy as p
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.lifecycle import Action
from chalicelib.domain.text import ascii_digits
from chalicelib.domain.validation import Fields

_USERNAME = re.compile(r"^[\w.@+-]{1,128}$")
_VERSION = re.compile(r"[0-9]{1,9}")
#: An amount as typed, once Persian separators are read: digits, commas only between
#: thousands, a point before the decimals. "1500,50" (a Turkish decimal comma) does not
#: pass, so that it is never read as 150050.
_AMOUNT = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]*))?")


@dataclass(frozen=True)
class Assess:
    urgency: p.Level
    importance: p.Level
    reason: str
    category: p.Category | None = None
    priority: p.Priority | None = None  # a supervisor's override of the matrix


@dataclass(frozen=True)
class Assign:
    department: p.Department | None
    assignee: str | None
    reason: str | None = None


@dataclass(frozen=True)
class RequestInformation:
    message: str
    channel: p.ContactChannel | None = None  # sms or email; None: the complainant's preference


@dataclass(frozen=True)
class ReceiveInformation:
    text: str
    via: str  # "public" (the reply route) or the channel a clerk took it from


@dataclass(frozen=True)
class AddNote:
    text: str


@dataclass(frozen=True)
class RecordDataCheck:
    subject: str  # what was checked: "policy", "claim file", "payment record"
    result: str  # "confirmed" or "discrepancy"
    text: str | None = None


@dataclass(frozen=True)
class RecordRootCause:
    code: p.RootCause
    text: str


@dataclass(frozen=True)
class Decide:
    outcome: p.DecisionOutcome
    remedy: str | None
    amount: str | None
    text: str | None = None


@dataclass(frozen=True)
class CommunicateDecision:
    channel: p.ContactChannel
    message: str | None  # sent by SMS or e-mail; for a phone call, the summary of the call


@dataclass(frozen=True)
class Close:
    text: str | None = None


@dataclass(frozen=True)
class Reopen:
    reason: str


@dataclass(frozen=True)
class ReferOut:
    reason: p.ReferralReason
    text: str | None = None


@dataclass(frozen=True)
class Withdraw:
    reason: str | None = None


Command = (
    Assess
    | Assign
    | RequestInformation
    | ReceiveInformation
    | AddNote
    | RecordDataCheck
    | RecordRootCause
    | Decide
    | CommunicateDecision
    | Close
    | Reopen
    | ReferOut
    | Withdraw
)

DATA_CHECK_RESULTS = ("confirmed", "discrepancy")


def parse_action(raw: str) -> Action:
    """The action a route names; unknown names are a field error, listing the known ones."""
    for action in Action:
        if action.value == raw.strip().casefold().replace("-", "_"):
            return action
    raise ValidationFailed([_choice_error("action", [a.value for a in Action])])


def parse_command(action: Action, data: Mapping[str, Any]) -> Command:
    """The command of an action from a request body, or ValidationFailed listing every fault."""
    f = Fields(data)
    command = _PARSERS[action](f)
    if f.errors or command is None:
        raise ValidationFailed(f.errors)
    return command


def expected_version(data: Mapping[str, Any]) -> int | None:
    """The version of the complaint the client last saw, if it sent one."""
    raw = data.get("expected_version")
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValidationFailed([_error("expected_version", "type", "must be a whole number")])
    # Only ASCII digits after folding Persian and Arabic-Indic ones: str.isdigit also takes "²",
    # which int() refuses, and a very long digit string is past int()'s conversion limit.
    text = (str(raw) if 0 < raw < 10**9 else "") if isinstance(raw, int) else ascii_digits(raw).strip()
    if not _VERSION.fullmatch(text) or int(text) == 0:
        raise ValidationFailed([_error("expected_version", "type", "must be a whole number")])
    return int(text)


def _required_text(f: Fields, name: str, max_len: int, *, multiline: bool = True) -> str | None:
    value = f.text(name, max_len=max_len, multiline=multiline)
    if value is None and not f.failed(name):
        f.fail(name, "required", "is required")
    return value


def _assess(f: Fields) -> Assess | None:
    urgency = f.choice("urgency", p.Level)
    importance = f.choice("importance", p.Level)
    category = f.choice("category", p.Category, required=False)
    priority = f.choice("priority", p.Priority, required=False)
    reason = _required_text(f, "reason", p.REASON_MAX)
    if not (urgency and importance and reason):
        return None
    return Assess(urgency, importance, reason, category, priority)


def _assign(f: Fields) -> Assign | None:
    department = f.choice("department", p.Department, required=False)
    assignee = f.text("assignee", max_len=128)
    if assignee is not None and not _USERNAME.match(assignee):
        f.fail("assignee", "format", "must be a staff username")
    if department is None and assignee is None and not f.failed("department", "assignee"):
        f.fail("department", "required", "give a department, a handler (assignee), or both")
    reason = f.text("reason", max_len=p.REASON_MAX, multiline=True)
    return Assign(department, assignee, reason)


def _request_information(f: Fields) -> RequestInformation | None:
    message = _required_text(f, "message", p.MESSAGE_MAX)
    channel = f.choice("channel", p.ContactChannel, required=False)
    if channel not in (None, p.ContactChannel.SMS, p.ContactChannel.EMAIL):
        f.fail("channel", "choice", "must be one of: sms, email")
    return RequestInformation(message, channel) if message else None


def _receive_information(f: Fields) -> ReceiveInformation | None:
    text = _required_text(f, "text", p.REPLY_MAX)
    via = f.choice("via", p.Channel, p.Channel.PHONE)
    return ReceiveInformation(text, via.value) if text and via else None


def _add_note(f: Fields) -> AddNote | None:
    text = _required_text(f, "text", p.NOTE_MAX)
    return AddNote(text) if text else None


def _record_data_check(f: Fields) -> RecordDataCheck | None:
    subject = _required_text(f, "subject", p.SHORT_TEXT_MAX, multiline=False)
    result = f.text("result", max_len=32)
    if result is None and not f.failed("result"):
        f.fail("result", "required", "is required")
    if result is None or result.casefold() not in DATA_CHECK_RESULTS:
        f.fail("result", "choice", f"must be one of: {', '.join(DATA_CHECK_RESULTS)}")
    text = f.text("text", max_len=p.NOTE_MAX, multiline=True)
    if not (subject and result):
        return None
    return RecordDataCheck(subject, result.casefold(), text)


def _record_root_cause(f: Fields) -> RecordRootCause | None:
    code = f.choice("code", p.RootCause)
    text = _required_text(f, "text", p.NOTE_MAX)
    return RecordRootCause(code, text) if code and text else None


def _decide(f: Fields) -> Decide | None:
    outcome = f.choice("outcome", p.DecisionOutcome)
    remedy = f.text("remedy", max_len=p.REASON_MAX, multiline=True)
    amount = _amount(f, "amount")
    if outcome is p.DecisionOutcome.REJECTED:
        for name, value in (("remedy", remedy), ("amount", amount)):
            if value:
                f.fail(name, "not_allowed", "a rejected complaint grants no remedy or amount")
    if outcome in (p.DecisionOutcome.UPHELD, p.DecisionOutcome.PARTLY_UPHELD) and not remedy:
        f.fail("remedy", "required", "say what remedy is granted")
    text = f.text("text", max_len=p.NOTE_MAX, multiline=True)
    return Decide(outcome, remedy, amount, text) if outcome else None


def _amount(f: Fields, name: str) -> str | None:
    raw = f.data.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        f.fail(name, "type", "must be a number")
        return None
    text = ascii_digits(str(raw)).strip().replace("٫", ".").replace("٬", ",")
    match = _AMOUNT.fullmatch(text)
    if match is None:
        f.fail(name, "type", "must be a number, such as 1500 or 1500.50")
        return None
    value = Decimal(text.replace(",", ""))
    # "1.500" is 1500 to a Turkish reader: more than two decimals is refused, even zeros.
    if value < 0 or value > p.AMOUNT_MAX or len(match.group(1) or "") > 2:
        f.fail(name, "range", f"must be between 0 and {p.AMOUNT_MAX} with at most two decimals")
        return None
    return str(value.copy_abs().quantize(Decimal("0.01")))  # copy_abs: "-0" is 0.00


def _communicate_decision(f: Fields) -> CommunicateDecision | None:
    channel = f.choice("channel", p.ContactChannel)
    if channel is not None and channel not in p.DECISION_CHANNELS:
        f.fail("channel", "choice", "must be one of: sms, email, phone")
    message = f.text(
        "message",
        max_len=p.MESSAGE_MAX if channel is not p.ContactChannel.PHONE else p.NOTE_MAX,
        multiline=True,
    )
    if channel is p.ContactChannel.PHONE and not message and not f.failed("message"):
        f.fail("message", "required", "summarise the call")
    return CommunicateDecision(channel, message) if channel else None


def _close(f: Fields) -> Close:
    return Close(f.text("text", max_len=p.NOTE_MAX, multiline=True))


def _reopen(f: Fields) -> Reopen | None:
    reason = _required_text(f, "reason", p.REASON_MAX)
    return Reopen(reason) if reason else None


def _refer_out(f: Fields) -> ReferOut | None:
    reason = f.choice("reason", p.ReferralReason)
    text = f.text("text", max_len=p.NOTE_MAX, multiline=True)
    return ReferOut(reason, text) if reason else None


def _withdraw(f: Fields) -> Withdraw:
    return Withdraw(f.text("reason", max_len=p.REASON_MAX, multiline=True))


_PARSERS: dict[Action, Callable[[Fields], Command | None]] = {
    Action.ASSESS: _assess,
    Action.ASSIGN: _assign,
    Action.REQUEST_INFORMATION: _request_information,
    Action.RECEIVE_INFORMATION: _receive_information,
    Action.ADD_NOTE: _add_note,
    Action.RECORD_DATA_CHECK: _record_data_check,
    Action.RECORD_ROOT_CAUSE: _record_root_cause,
    Action.DECIDE: _decide,
    Action.COMMUNICATE_DECISION: _communicate_decision,
    Action.CLOSE: _close,
    Action.REOPEN: _reopen,
    Action.REFER_OUT: _refer_out,
    Action.WITHDRAW: _withdraw,
}


def _error(field: str, code: str, message: str) -> FieldError:
    return FieldError(field, code, message)


def _choice_error(field: str, allowed: list[str]) -> FieldError:
    return _error(field, "choice", f"must be one of: {', '.join(allowed)}")
