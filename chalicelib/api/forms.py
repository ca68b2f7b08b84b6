"""A form as a page shows it: what was typed, and each field's problem in the reader's language.

Rules:

- A field's problem reads as the catalog's message for that field and code
  (`error.<field>.<code>`), else for the code (`error.<code>`), else a generic
  one: the domain's English wording never reaches a page.
- What was typed comes back as typed, except the consent boxes: they are
  never ticked for the visitor.
- A field's element id is its name with hyphens for dots and underscores
  (`contact.preferred_channel` is `contact-preferred-channel`); the error
  summary links to it, in the order the fields appear.
- A form carries a random idempotency key made by the server, so that the
  same form sent twice (a double click, a reload) records one complaint.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.api.render import Texts
from chalicelib.domain import policy as p
from chalicelib.domain.errors import FieldError

if TYPE_CHECKING:
    from markupsafe import Markup

#: The numbers a field's messages may name.
LIMITS: dict[str, dict[str, int]] = {
    "description": {"min": p.DESCRIPTION_MIN, "max": p.DESCRIPTION_MAX},
    "remedy_sought": {"max": p.REMEDY_MAX},
    "contact.name": {"max": p.NAME_MAX},
    "contact.email": {"max": p.EMAIL_MAX},
    "email": {"max": p.EMAIL_MAX},
    "contact.postal_address": {"max": p.ADDRESS_MAX},
    "message": {"max": p.REPLY_MAX},
    "comment": {"max": p.COMMENT_MAX},
}
NEVER_KEPT = frozenset({"consent.contact", "consent.disclose"})
KEY_FIELD = "idempotency_key"


def field_id(name: str) -> str:
    """The element id of a field."""
    return name.replace(".", "-").replace("_", "-")


def new_key() -> str:
    """A fresh idempotency key for a form: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def flatten(payload: Mapping[str, Any]) -> dict[str, str]:
    """A form's values by dotted name, as typed; never the consent boxes."""
    values: dict[str, str] = {}
    for name, value in payload.items():
        inner = value.items() if isinstance(value, Mapping) else [("", value)]
        for child, text in inner:
            dotted = f"{name}.{child}" if child else name
            if isinstance(text, str) and dotted not in NEVER_KEPT:
                values[dotted] = text
    return values


def field_message(
    texts: Texts, error: FieldError, limits: Mapping[str, Mapping[str, int]] | None = None
) -> Markup:
    """A field's problem in the reader's words; `limits` are the numbers its messages may name."""
    numbers = (LIMITS if limits is None else limits).get(error.field, {})
    for key in (f"error.{error.field}.{error.code}", f"error.{error.code}"):
        if key in texts:
            try:
                return texts(key, **numbers)
            except KeyError:  # the message names a number this field does not have
                break
    return texts("error.generic")


@dataclass(frozen=True)
class Problem:
    """One line of the error summary; `anchor` is the id of the field it links to."""

    message: Markup
    anchor: str | None


@dataclass(frozen=True)
class FieldView:
    """What a template needs to draw one field."""

    name: str
    id: str
    value: str
    error: Markup | None

    def described_by(self, hint: bool = True) -> str:
        """The ids of the hint and of the error (when there is one), for aria-describedby."""
        ids = [f"{self.id}-hint"] if hint else []
        if self.error is not None:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


class Form:
    """A form's fields, in page order, with what was typed and what is wrong.

    `limits` replaces the public forms' numbers (LIMITS); `id_prefix` sets
    apart the element ids of one form among several on a page.
    """

    def __init__(
        self,
        texts: Texts,
        fields: tuple[str, ...],
        values: Mapping[str, str] | None = None,
        errors: Iterable[FieldError] = (),
        *,
        key: str | None = None,
        notices: Iterable[str] = (),
        limits: Mapping[str, Mapping[str, int]] | None = None,
        id_prefix: str = "",
    ) -> None:
        self.texts = texts
        self.values = dict(values or {})
        self.key = key
        self.limits = limits
        self.id_prefix = id_prefix
        self.errors: dict[str, Markup] = {}
        for error in errors:
            self.errors.setdefault(error.field, field_message(texts, error, limits))
        order = {name: position for position, name in enumerate(fields)}
        listed = sorted(self.errors.items(), key=lambda item: order.get(item[0], len(fields)))
        self.summary = [Problem(texts(notice), None) for notice in notices]
        self.summary += [Problem(m, id_prefix + field_id(f) if f in order else None) for f, m in listed]

    def field(self, name: str) -> FieldView:
        element = self.id_prefix + field_id(name)
        return FieldView(name, element, self.values.get(name, ""), self.errors.get(name))

    def message(self, name: str, code: str) -> Markup:
        """What a field's problem would say: for the script's checks, which mirror the server's."""
        return field_message(self.texts, FieldError(name, code, ""), self.limits)

    @property
    def error_count(self) -> int:
        return len(self.summary)
