"""How many SMS segments a text takes.

A text made only of GSM-7 characters fits 160 to a segment (153 when split;
the extension characters count twice). Anything else, Persian and most
Turkish text included, is sent as UCS-2: 70 UTF-16 units to a segment, 67
when split.
"""

from __future__ import annotations

from dataclasses import dataclass

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    """The encoding a text needs and the number of segments it fills."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    count: int


def segments(text: str) -> Segments:
    """The encoding and segment count of an SMS body."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text):
        units = sum(2 if c in _GSM7_EXTENSION else 1 for c in text)
        return Segments("GSM-7", units, 1 if units <= 160 else -(-units // 153))
    units = len(text.encode("utf-16-le")) // 2
    return Segments("UCS-2", units, 1 if units <= 70 else -(-units // 67))
