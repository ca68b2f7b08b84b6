"""Reading request bodies: JSON or an HTML form post, within a size limit.

A form's dotted field names (`contact.mobile`) become nested objects, so a
plain HTML form and a JSON client submit the same document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from chalicelib.domain.errors import (
    FieldError,
    MalformedRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ACCEPTED = (JSON, FORM)
MAX_FORM_FIELDS = 100
IDEMPOTENCY_KEY_MAX = 255


def read_payload(raw: bytes | str | None, headers: Mapping[str, str], max_bytes: int) -> dict[str, Any]:
    """The request body as a dictionary, or a precise reason why not."""
    body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw or b""
    if len(body) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    media_type = (headers.get("content-type") or JSON).split(";")[0].strip().casefold()
    if media_type not in ACCEPTED:
        raise UnsupportedMediaType(media_type, ACCEPTED)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest("the body is not valid UTF-8") from exc
    return _json(text) if media_type == JSON else _form(text)


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The client's Idempotency-Key header, if any: 1 to 255 visible ASCII characters."""
    key = headers.get("idempotency-key")
    if key is None:
        return None
    if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX or not all("!" <= c <= "~" for c in key):
        message = f"must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters"
        raise ValidationFailed([FieldError("header.Idempotency-Key", "format", message)])
    return key


def _json(text: str) -> dict[str, Any]:
    if not text.strip():
        raise MalformedRequest("the body is empty; send a JSON object")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedRequest(f"the body is not valid JSON: {_short(exc)}") from exc
    if not isinstance(data, dict):
        raise MalformedRequest("the body must be a JSON object")
    return data


def _form(text: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"the form could not be read: {_short(exc)}") from exc
    data: dict[str, Any] = {}
    for name, value in pairs:
        parent, _, child = name.partition(".")
        if not child:
            if isinstance(data.get(parent), dict):
                raise MalformedRequest(f"form field {parent!r} is both a value and a group")
            data[parent] = value
            continue
        group = data.setdefault(parent, {})
        if not isinstance(group, dict):
            raise MalformedRequest(f"form field {parent!r} is both a value and a group")
        group[child] = value
    return data


def _short(exc: BaseException) -> str:
    return str(exc)[:200] or type(exc).__name__
