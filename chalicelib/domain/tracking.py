"""Tracking codes: the reference a complainant quotes to follow up on a complaint.

Rules:

* A code carries 65 random bits from the operating system's secure random source, written as
  13 symbols of Crockford base32 (the digits 0-9 and the letters A-Z without I, L, O and U),
  then one check symbol from the same alphabet, shown in groups of four: ``7K3M-9XQ2-HT4W-R0``.
* The check symbol exposes every single mistyped symbol and every swap of two adjacent
  symbols, including a swap with the check symbol itself.
* Reading forgives the way people copy and type codes: case does not matter; spaces,
  zero-width joiners and dashes of any kind are ignored; O reads as 0; I and L (and the
  Turkish İ and ı) read as 1; Persian and Arabic-Indic digits and fullwidth forms read as
  their ASCII counterparts. Any other character, U included, makes the code invalid.
* A code always comes back in its canonical form: upper case, grouped as above.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

from chalicelib.domain.errors import InvalidTrackingCode

__all__ = ["is_valid_tracking_code", "new_tracking_code", "parse_tracking_code"]

_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DATA_SYMBOLS: Final = 13  # 13 symbols x 5 bits = 65 random bits
_LENGTH: Final = _DATA_SYMBOLS + 1
_GROUP: Final = 4
_MAX_INPUT: Final = 64


def _reading_table() -> dict[str, int]:
    table = {c: v for v, c in enumerate(_ALPHABET)}
    table.update({c.lower(): v for c, v in list(table.items())})
    table.update(dict.fromkeys("Oo", 0))
    table.update(dict.fromkeys("IiLlİı", 1))
    for zero in (0x06F0, 0x0660):  # Persian and Arabic-Indic digits
        table.update({chr(zero + d): d for d in range(10)})
    return table


_READS_AS: Final = _reading_table()
_IGNORED: Final = frozenset(
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphen and Unicode dashes
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, ZWNJ, ZWJ, word joiner, BOM
    "\u200e\u200f"  # LRM and RLM, which come along when a code is copied from Persian text
)


def _powers_of_alpha() -> tuple[int, ...]:
    # GF(32) as bit polynomials modulo the irreducible x^5 + x^2 + 1. Since 31 is prime,
    # x (= 2) has order 31, so alpha^1 .. alpha^14 are 14 distinct non-zero weights.
    powers, value = [], 1
    for _ in range(31):
        powers.append(value)
        value <<= 1
        if value & 0b100000:
            value ^= 0b100101
    return tuple(powers)


_EXP: Final = _powers_of_alpha()
_LOG: Final = {value: power for power, value in enumerate(_EXP)}


def _weighted_sum(values: Iterable[int]) -> int:
    """GF(32) sum of alpha^(i+1) * v_i; a code is valid exactly when this is zero.

    A substitution adds alpha^(i+1) * e with e != 0; swapping a != b at i, i+1 adds
    alpha^(i+1) * (1 + alpha) * (a + b). Both are non-zero in a field, so both are caught.
    """
    total = 0
    for position, value in enumerate(values, start=1):
        if value:
            total ^= _EXP[(_LOG[value] + position) % 31]
    return total


def _canonical(values: Sequence[int]) -> str:
    symbols = "".join(_ALPHABET[v] for v in values)
    return "-".join(symbols[i : i + _GROUP] for i in range(0, len(symbols), _GROUP))


def new_tracking_code() -> str:
    """Return a fresh, unguessable tracking code in canonical form."""
    data = [secrets.randbelow(32) for _ in range(_DATA_SYMBOLS)]
    total = _weighted_sum(data)
    check = _EXP[(_LOG[total] - _LENGTH) % 31] if total else 0
    return _canonical([*data, check])


def parse_tracking_code(text: str) -> str:
    """Read a tracking code as a person typed or pasted it; return its canonical form.

    Raises InvalidTrackingCode when the text is too long, has the wrong number of symbols,
    holds a character that is not part of a code, or fails its check symbol.
    """
    if not isinstance(text, str):
        raise InvalidTrackingCode("a tracking code must be text")
    if len(text) > _MAX_INPUT:
        raise InvalidTrackingCode(f"too long to be a tracking code (over {_MAX_INPUT} characters)")
    values: list[int] = []
    for char in unicodedata.normalize("NFKC", text):
        if char.isspace() or char in _IGNORED:
            continue
        value = _READS_AS.get(char)
        if value is None:
            shown = f"{char!r} " if char.isprintable() else ""
            raise InvalidTrackingCode(
                f"unexpected character {shown}(U+{ord(char):04X}): tracking codes use only"
                " the digits 0-9 and the letters A-Z except U"
            )
        values.append(value)
    if len(values) != _LENGTH:
        raise InvalidTrackingCode(
            f"wrong length: a tracking code has {_LENGTH} symbols, this has {len(values)}"
        )
    if _weighted_sum(values):
        raise InvalidTrackingCode(
            "check symbol does not match — a symbol may be mistyped or two may be swapped"
        )
    return _canonical(values)


def is_valid_tracking_code(text: str) -> bool:
    """Tell whether the text reads as a tracking code under the rules of parse_tracking_code."""
    try:
        parse_tracking_code(text)
    except InvalidTrackingCode:
        return False
    return True
