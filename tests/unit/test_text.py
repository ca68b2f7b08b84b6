"""Text rules for Persian, Turkish and English input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.text import (
    ascii_digits,
    contains_any,
    fold,
    persian_digits,
    strip_controls,
)

RLO = "\u202e"  # right-to-left override
PDF = "\u202c"  # pop directional formatting
ZWNJ = "\u200c"

# Text rich in what the folding rules are about: Persian and Arabic letter
# forms, diacritics, Turkish i's, digits, combining marks and invisibles.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "يىكةۀەأإآٱاکیه\u0640\u064b\u064e\u0650\u0651\u0652\u0654\u0670"
            "İIıiĞğŞşÇçÖöÜü\u0307\u0301\u0308"
            "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789"
            "\u200c\u200d\u200b\u200e\u200f\u202a\u202e\u2066\u2069\u00ad\ufeff \t\n"
            "ﻛﺘﺎﺏﻻﬁßẞΣσς"
        ),
        st.characters(),
    ),
)


class TestDigits:
    def test_persian_digits_read_as_ascii(self):
        assert ascii_digits("کد ۱۴۰۵۰۷۲۳") == "کد 14050723"

    def test_arabic_indic_digits_read_as_ascii(self):
        assert ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"

    def test_ascii_digits_leaves_everything_else_unchanged(self):
        assert ascii_digits("Poliçe no: ABC-12, بیمه") == "Poliçe no: ABC-12, بیمه"

    def test_ascii_digits_show_as_persian_digits(self):
        assert persian_digits("CD-2026-0042") == "CD-۲۰۲۶-۰۰۴۲"

    @given(st.text())
    def test_persian_digits_read_back_as_the_same_ascii_text(self, text):
        ascii_text = ascii_digits(text)
        assert ascii_digits(persian_digits(ascii_text)) == ascii_text


class TestFold:
    @pytest.mark.parametrize(
        ("arabic_form", "persian_form"),
        [
            ("بيمه", "بیمه"),  # Arabic yeh
            ("شكايت", "شکایت"),  # Arabic kaf and yeh
            ("مصطفى", "مصطفی"),  # alef maksura
            ("ﻛﺘﺎﺏ", "کتاب"),  # presentation forms
        ],
    )
    def test_arabic_and_persian_letter_forms_fold_equal(self, arabic_form, persian_form):
        assert fold(arabic_form) == fold(persian_form)

    def test_teh_marbuta_heh_with_yeh_above_and_hamza_forms_fold_to_plain_letters(self):
        assert fold("خانۀ") == fold("خانه") == fold("خانة")
        assert fold("أمير إسلام آب ٱ") == fold("امیر اسلام اب ا")

    def test_diacritics_and_tatweel_do_not_matter(self):
        assert fold("بِيمـــه") == fold("بیمه")

    def test_zwnj_folds_to_a_space(self):
        assert fold(f"نامه{ZWNJ}ها") == "نامه ها"

    def test_turkish_dotted_and_dotless_i_fold_equal_in_any_case(self):
        assert fold("İSTANBUL") == fold("istanbul") == fold("ıstanbul") == fold("ISTANBUL")

    def test_a_capital_dotted_i_typed_as_i_and_combining_dot_folds_like_the_others(self):
        assert fold("I\u0307STANBUL") == "istanbul"

    def test_digits_fold_to_ascii(self):
        assert fold("۱۲۳") == fold("١٢٣") == "123"

    def test_bidi_controls_and_marks_are_dropped(self):
        assert fold(f"{RLO}abc{PDF}\u200f\u2066x\u2069") == "abcx"

    def test_whitespace_runs_collapse_and_ends_are_stripped(self):
        assert fold("  Sağlık \t\n  sorunu  ") == "sağlik sorunu"

    @given(tricky_text)
    def test_fold_is_idempotent(self, text):
        once = fold(text)
        assert fold(once) == once

    @given(st.text())
    def test_fold_never_raises_on_arbitrary_text(self, text):
        assert isinstance(fold(text), str)


class TestContainsAny:
    def test_finds_a_turkish_keyword_in_upper_case_text(self):
        assert contains_any("SAĞLIK SORUNUM VAR", ["sağlık"])

    def test_finds_a_persian_keyword_written_with_arabic_yeh(self):
        assert contains_any("بيمارستان بستري شدم", ["بیمارستان"])

    def test_finds_a_persian_keyword_inside_a_longer_word(self):
        assert contains_any(f"هزینه‌های بیمارستانی{ZWNJ}ام", ["بیمارستان"])

    @pytest.mark.parametrize("text", ["hastanede yatıyorum", "Hastaneye gittim", "HASTANE"])
    def test_matches_a_turkish_keyword_with_suffixes(self, text):
        assert contains_any(text, ["hastane"])

    def test_does_not_match_a_latin_keyword_inside_a_word(self):
        assert not contains_any("my bill is wrong", ["ill"])

    def test_matches_a_latin_keyword_after_punctuation(self):
        assert contains_any("(ill) since May", ["ill"])

    def test_matches_a_multi_word_keyword_across_any_whitespace(self):
        assert contains_any("Kalp\n  krizi geçirdim", ["kalp krizi"])

    def test_is_false_when_no_keyword_occurs(self):
        assert not contains_any("Poliçemi iptal etmek istiyorum", ["hastane", "sağlık"])

    def test_empty_keywords_match_nothing(self):
        assert not contains_any("anything", ["", "   ", ZWNJ])

    def test_accepts_any_iterable_of_keywords(self):
        assert contains_any("acil durum", (k for k in ["yok", "acil"]))


class TestStripControls:
    def test_keeps_zwnj(self):
        assert strip_controls(f"می{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"

    def test_removes_the_right_to_left_override(self):
        assert strip_controls(f"invoice{RLO}fdp.exe") == "invoicefdp.exe"

    def test_removes_embedding_and_isolate_controls(self):
        assert strip_controls("\u202aa\u202bb\u202cc\u202dd\u2066e\u2067f\u2068g\u2069") == ("abcdefg")

    def test_keeps_line_feeds_and_tabs_and_turns_carriage_returns_into_line_feeds(self):
        assert strip_controls("a\r\nb\rc\nd\te") == "a\nb\nc\nd\te"

    def test_removes_c0_and_c1_controls(self):
        assert strip_controls("a\x00b\x07c\x1bd\x7fe\x85f\x9fg") == "abcdefg"

    def test_keeps_left_to_right_and_right_to_left_marks(self):
        assert strip_controls("\u200fسلام\u200e") == "\u200fسلام\u200e"

    @given(st.text())
    def test_leaves_no_control_other_than_line_feed_and_tab(self, text):
        cleaned = strip_controls(text)
        assert all(c in "\n\t" or not (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) for c in cleaned)
        assert not set(cleaned) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
