"""Text rules for Persian, Turkish and English input.

Rules:

- Persian users type Persian digits (۰-۹) and sometimes Arabic-Indic digits
  (٠-٩); both mean the same numbers as ASCII digits.
- Persian text mixes Arabic and Persian forms of the same letter (ي/ی, ك/ک).
  Keyword matching must not care which form, nor about diacritics, tatweel or
  the zero-width non-joiner.
- Turkish has dotted and dotless i (İ/i, I/ı). A person's text is never
  re-cased for storage or display; keyword matching ignores case and the dot.
- Free text is stored without control characters, and without the bidi
  embedding, override and isolate controls that can disguise what text says.
  The zero-width non-joiner is part of Persian spelling and is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_PERSIAN_ZERO = 0x06F0
_ARABIC_INDIC_ZERO = 0x0660

_TO_ASCII_DIGITS: dict[int, str] = {
    **{_PERSIAN_ZERO + n: str(n) for n in range(10)},
    **{_ARABIC_INDIC_ZERO + n: str(n) for n in range(10)},
}
_TO_PERSIAN_DIGITS: dict[int, str] = {ord(str(n)): chr(_PERSIAN_ZERO + n) for n in range(10)}

ZWNJ = "\u200c"
ZWJ = "\u200d"

# Bidi embedding, override and isolate controls: they can make text read
# differently from what it is, so stored text never keeps them.
_BIDI_FORMATTING = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# Left-to-right and right-to-left marks: harmless in stored Persian text, but
# meaningless to keyword matching.
_BIDI_MARKS = [0x200E, 0x200F]

_STORAGE_CONTROLS: dict[int, None] = {
    code: None
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI_FORMATTING]
    if chr(code) not in "\n\t"
}

# Folding, applied in two passes around case folding.
_FOLD_INVISIBLES: dict[int, str | None] = {
    **{code: None for code in [*_BIDI_FORMATTING, *_BIDI_MARKS]},
    0x00AD: None,  # soft hyphen
    0x2060: None,  # word joiner
    0xFEFF: None,  # zero-width no-break space (BOM)
}
_FOLD_TURKISH_I: dict[int, str] = {ord(c): "i" for c in "İIı"}
_FOLD_LETTERS: dict[int, str | None] = {
    ord("ي"): "ی",  # Arabic yeh
    ord("ى"): "ی",  # alef maksura
    ord("ك"): "ک",  # Arabic kaf
    ord("ة"): "ه",  # teh marbuta
    ord("ۀ"): "ه",  # heh with yeh above
    ord("ە"): "ه",  # ae (the base of ۀ once decomposed)
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    0x0640: None,  # tatweel
    **{code: None for code in range(0x064B, 0x0660)},  # harakat, hamza above/below
    0x0670: None,  # superscript alef
    0x0307: None,  # combining dot above (what 'İ' leaves after case folding)
    0x200B: " ",  # zero-width space
    ord(ZWNJ): " ",
    ord(ZWJ): " ",
}

_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits read as ASCII digits; all else unchanged."""
    return text.translate(_TO_ASCII_DIGITS)


def persian_digits(text: str) -> str:
    """ASCII digits shown as Persian digits, for display to Persian readers."""
    return text.translate(_TO_PERSIAN_DIGITS)


def fold(text: str) -> str:
    """A key for keyword matching, never for display or storage.

    Two texts fold equal when they differ only in: compatibility forms
    (NFKC), case, Turkish dotted or dotless i, Arabic versus Persian letter
    forms (yeh, kaf, heh, alef with hamza or madda), Arabic diacritics and
    tatweel, Persian or Arabic-Indic versus ASCII digits, bidi marks and
    controls, and the amount or kind of whitespace (a zero-width non-joiner or
    joiner counts as a space). Folding a folded text changes nothing.
    """
    text = unicodedata.normalize("NFKC", text.translate(_FOLD_INVISIBLES))
    text = text.translate(_FOLD_TURKISH_I).casefold()
    text = text.translate(_FOLD_LETTERS)
    # Removing marks can bring a base letter and a later mark together, and
    # case folding can leave text that is not normalised: normalise again.
    text = unicodedata.normalize("NFKC", text).translate(_FOLD_LETTERS)
    return " ".join(ascii_digits(text).split())


def _keyword_pattern(folded_keyword: str) -> re.Pattern[str]:
    if _ARABIC_SCRIPT.search(folded_keyword):
        return re.compile(re.escape(folded_keyword))
    return re.compile(r"(?<!\w)" + re.escape(folded_keyword))


def contains_any(text: str, keywords: Iterable[str]) -> bool:
    """Whether the text mentions any of the keywords, compared as `fold` keys.

    A keyword in Arabic script (Persian) matches anywhere in the text, so
    prefixes and suffixes do not hide it ('بیمارستان' is found in
    'بیمارستانی'). Any other keyword must begin a word but may be followed by
    a suffix, as Turkish words take them ('hastane' is found in 'hastaneye',
    'ill' is not found in 'bill'). Empty keywords match nothing.
    """
    folded_text = fold(text)
    for keyword in keywords:
        folded_keyword = fold(keyword)
        if folded_keyword and _keyword_pattern(folded_keyword).search(folded_text):
            return True
    return False


def strip_controls(text: str) -> str:
    """Free text as it may be stored.

    Line breaks are kept (a carriage return, alone or before a line feed,
    becomes one line feed) and so are tabs; other C0 and C1 control characters
    are removed, and so are the bidi embedding, override and isolate controls.
    The zero-width non-joiner and the left-to-right and right-to-left marks
    are part of correctly written Persian and are kept.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_STORAGE_CONTROLS)
