"""Checking a submission, field by field, before anything is recorded.

Every problem is reported at once, each against the field that has it, so a
person can fix them all in one go. Names and free text are kept as typed:
never re-cased, only trimmed, with invisible control characters removed from
free text and refused in single-line fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

import phonenumbers

from chalicelib.domain import policy as p
from chalicelib.domain.complaint import Consent, Contact, PersonalData, Submission
from chalicelib.domain.errors import FieldError, ValidationFailed
from chalicelib.domain.text import ascii_digits, strip_controls

E = TypeVar("E", bound=StrEnum)

_TRUE = frozenset({"true", "on", "yes", "1"})
_FALSE = frozenset({"false", "off", "no", "0", ""})
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_EMAIL_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{1,62}$"
)
_POLICY_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,63}$")


class Fields:
    """Collects field errors while reading a mapping."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def fail(self, name: str, code: str, message: str) -> None:
        """Report a field's problem; the first problem of a field is the one shown."""
        if not self.failed(name):
            self.errors.append(FieldError(self.prefix + name, code, message))

    def failed(self, *names: str) -> bool:
        """Whether any of these fields already has a problem."""
        return any(e.field in {self.prefix + n for n in names} for e in self.errors)

    def nested(self, name: str) -> Fields:
        value = self.data.get(name)
        if value is not None and not isinstance(value, Mapping):
            self.fail(name, "type", "must be an object")
            value = None
        child = Fields(value or {}, f"{self.prefix}{name}.")
        child.errors = self.errors
        return child

    def choice(
        self, name: str, kind: type[E], default: E | None = None, *, required: bool = True
    ) -> E | None:
        raw = self.data.get(name)
        if raw is None or raw == "":
            if default is None and required:
                self.fail(name, "required", "is required")
            return default
        if isinstance(raw, str):
            for member in kind:
                if member.value.casefold() == raw.strip().casefold():
                    return member
        allowed = ", ".join(m.value for m in kind)
        self.fail(name, "choice", f"must be one of: {allowed}")
        return default

    def flag(self, name: str) -> bool:
        raw = self.data.get(name)
        if raw is None or isinstance(raw, bool):
            return bool(raw)
        if isinstance(raw, str) and raw.strip().casefold() in _TRUE | _FALSE:
            return raw.strip().casefold() in _TRUE
        self.fail(name, "type", "must be true or false")
        return False

    def text(self, name: str, *, max_len: int, multiline: bool = False) -> str | None:
        raw = self.data.get(name)
        if raw is None:
            return None
        if not isinstance(raw, str):
            self.fail(name, "type", "must be text")
            return None
        if any(0xD800 <= ord(c) <= 0xDFFF for c in raw):
            self.fail(name, "characters", "contains characters that are not valid text")
            return None
        value = unicodedata.normalize("NFC", raw)
        if multiline:
            value = strip_controls(value)
        elif value != strip_controls(value) or "\n" in value or "\t" in value:
            self.fail(name, "characters", "must be one line without control characters")
            return None
        value = value.strip()
        if len(value) > max_len:
            self.fail(name, "too_long", f"must be at most {max_len} characters")
            return None
        return value or None


def parse_submission(
    data: Mapping[str, Any],
    *,
    channels: frozenset[p.Channel] = frozenset({p.Channel.WEB}),
    received_by: str | None = None,
) -> Submission:
    """A checked submission, or ValidationFailed listing every field at fault."""
    f = Fields(data)
    market = f.choice("market", p.Market)
    language = f.choice("language", p.Language, p.DEFAULT_LANGUAGE.get(market) if market else p.Language.EN)
    channel = f.choice("channel", p.Channel, p.Channel.WEB)
    if channel is not None and channel not in channels:
        f.fail("channel", "channel", f"must be one of: {', '.join(sorted(channels))}")
    kind = f.choice("kind", p.Kind, p.Kind.COMPLAINT)
    category = f.choice("category", p.Category, p.Category.OTHER)
    description = f.text("description", max_len=p.DESCRIPTION_MAX, multiline=True)
    if description is None or len(description) < p.DESCRIPTION_MIN:
        f.fail("description", "too_short", f"must be at least {p.DESCRIPTION_MIN} characters")
    remedy = f.text("remedy_sought", max_len=p.REMEDY_MAX, multiline=True)
    health = f.flag("health_or_safety")
    detail = f.nested("channel_detail")
    network = detail.choice("network", p.SocialNetwork, required=channel is p.Channel.SOCIAL_MEDIA)
    reference = detail.text("reference", max_len=p.SHORT_TEXT_MAX)
    consent_fields = f.nested("consent")
    consent = Consent(contact=consent_fields.flag("contact"), disclose=consent_fields.flag("disclose"))
    contact = _contact(f.nested("contact"), market, channel)
    if f.errors or not (market and language and channel and kind and category and description):
        raise ValidationFailed(f.errors)
    return Submission(
        market=market,
        language=language,
        channel=channel,
        kind=kind,
        category=category,
        personal=PersonalData(
            contact=contact, description=description, remedy_sought=remedy, channel_reference=reference
        ),
        consent=consent,
        health_or_safety=health,
        social_network=network if channel is p.Channel.SOCIAL_MEDIA else None,
        received_by=received_by,
    )


def _contact(f: Fields, market: p.Market | None, channel: p.Channel | None) -> Contact:
    name = f.text("name", max_len=p.NAME_MAX)
    mobile = _mobile(f, market)
    email = _email(f)
    national_id = _national_id(f, market)
    policy_number = f.text("policy_number", max_len=64)
    if policy_number and not _POLICY_NUMBER.match(ascii_digits(policy_number)):
        f.fail("policy_number", "format", "may hold only letters, digits, spaces and . / _ -")
    address = f.text("postal_address", max_len=p.ADDRESS_MAX, multiline=True)
    preferred = f.choice(
        "preferred_channel", p.ContactChannel, _default_channel(mobile, email, address), required=False
    )
    needs = {
        p.ContactChannel.SMS: mobile,
        p.ContactChannel.PHONE: mobile,
        p.ContactChannel.EMAIL: email,
        p.ContactChannel.POST: address,
    }
    given = mobile or email or address
    if preferred is not None and not needs[preferred] and given and not f.failed("mobile", "email"):
        f.fail("preferred_channel", "unreachable", f"needs a {_NEEDED[preferred]} to be given")
    if not given and channel is not p.Channel.POST and not f.failed("mobile", "email"):
        f.fail("mobile", "required", "give a mobile number or an e-mail address so that we can reach you")
    return Contact(
        name=name,
        mobile=mobile,
        email=email,
        national_id=national_id,
        policy_number=ascii_digits(policy_number) if policy_number else None,
        postal_address=address,
        preferred_channel=preferred if given else None,
    )


_NEEDED = {
    p.ContactChannel.SMS: "mobile number",
    p.ContactChannel.PHONE: "mobile number",
    p.ContactChannel.EMAIL: "e-mail address",
    p.ContactChannel.POST: "postal address",
}


def _default_channel(mobile: str | None, email: str | None, address: str | None) -> p.ContactChannel | None:
    if mobile:
        return p.ContactChannel.SMS
    if email:
        return p.ContactChannel.EMAIL
    return p.ContactChannel.POST if address else None


def _mobile(f: Fields, market: p.Market | None) -> str | None:
    raw = f.text("mobile", max_len=32)
    if raw is None:
        return None
    try:
        number = phonenumbers.parse(ascii_digits(raw), market.value if market else None)
    except phonenumbers.NumberParseException:
        f.fail(
            "mobile",
            "format",
            "is not a phone number; write it with its country code, e.g. +90 532 123 45 67",
        )
        return None
    kinds = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in kinds:
        f.fail("mobile", "not_mobile", "is not a valid mobile number")
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(f: Fields) -> str | None:
    """An address a mail service accepts: a plain local part; an international domain in ASCII form."""
    raw = f.text("email", max_len=p.EMAIL_MAX)
    if raw is None:
        return None
    local, _, domain = raw.rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_domain = ""
    if len(local) > 64 or not _EMAIL_LOCAL.match(local) or not _EMAIL_DOMAIN.match(ascii_domain):
        f.fail("email", "format", "is not an e-mail address")
        return None
    return f"{local}@{ascii_domain}"


def _national_id(f: Fields, market: p.Market | None) -> str | None:
    raw = f.text("national_id", max_len=32)
    if raw is None:
        return None
    digits = re.sub(r"[\s-]", "", ascii_digits(raw))
    checks = {p.Market.IR: _valid_iranian_id, p.Market.TR: _valid_turkish_id}
    check = checks.get(market) if market else None
    if check is not None and not check(digits):
        f.fail("national_id", "checksum", "is not a valid national identity number")
        return None
    return digits


def _valid_iranian_id(digits: str) -> bool:
    """An Iranian national code: ten digits whose last is a mod-11 check."""
    if not re.fullmatch(r"\d{10}", digits) or len(set(digits)) == 1:
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    check = int(digits[9])
    return check == total if total < 2 else check == 11 - total


def _valid_turkish_id(digits: str) -> bool:
    """A Turkish identity number (T.C. Kimlik No): eleven digits with two checks."""
    if not re.fullmatch(r"[1-9]\d{10}", digits):
        return False
    d = [int(c) for c in digits]
    tenth = (7 * sum(d[0:9:2]) - sum(d[1:8:2])) % 10
    return d[9] == tenth and d[10] == sum(d[:10]) % 10


def contact_detail(f: Fields, market: p.Market | None) -> tuple[str | None, str | None]:
    """One mobile number or e-mail address to search by, normalised as a submission stores it."""
    given = [name for name in ("mobile", "email") if f.data.get(name) not in (None, "")]
    if len(given) != 1:
        f.fail("mobile", "required", "give either a mobile number or an e-mail address")
        return None, None
    value = _mobile(f, market) if given[0] == "mobile" else _email(f)
    return given[0], value


def complainant_proof(f: Fields) -> tuple[str | None, str | None]:
    """A complainant's proof: the last four digits of the mobile number on file, or the e-mail address."""
    digits = f.text("mobile_last4", max_len=16)
    email = f.text("email", max_len=p.EMAIL_MAX)
    if digits is not None:
        digits = re.sub(r"\s", "", ascii_digits(digits))
        if not re.fullmatch(r"\d{4}", digits):
            f.fail("mobile_last4", "format", "must be the last four digits of your mobile number")
            digits = None
    if digits is None and email is None and not f.failed("mobile_last4", "email"):
        f.fail("mobile_last4", "required", "give the last four digits of your mobile number, or your e-mail")
    return digits, email
