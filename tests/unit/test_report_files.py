"""Report files: neutralised cells, and workbooks a manager can open, read back from their XML parts."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.report_files import Section, neutralise, sheet_name, write_workbook

HOSTILE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        (HOSTILE, "'" + HOSTILE),
        ("+90 532 123 45 67", "'+90 532 123 45 67"),
        ("-5 gün gecikme", "'-5 gün gecikme"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=سلام", "'=سلام"),
        ("-İptal", "'-İptal"),
    ],
)
def test_a_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(cell: str, stored: str) -> None:
    assert neutralise(cell) == stored


@pytest.mark.parametrize(
    "cell",
    [
        "خسارت بیمه بدنه پرداخت نشده است",
        "İstanbul ılık, IĞDIR ışık",
        "😀 teşekkürler",
        "a=b",
        " =1",
        "1-2",
        "",
        "'=already",
    ],
)
def test_any_other_text_is_kept_as_it_is(cell: str) -> None:
    assert neutralise(cell) == cell


def test_sheet_names_are_made_safe_short_and_unique() -> None:
    taken: set[str] = set()

    names = [
        sheet_name("Received by category / department [all]", taken),
        sheet_name("Received by category / department [all] again", taken),
        sheet_name("'quoted'", taken),
        sheet_name("History", taken),
        sheet_name("دسته‌بندی", taken),
        sheet_name("DESTEK", taken),
        sheet_name("destek", taken),
    ]

    assert names[0] == "Received by category department"
    assert names[1] == "Received by category depart (2)"
    assert names[2:] == ["quoted", "History_", "دسته‌بندی", "DESTEK", "destek (2)"]
    assert all(len(name) <= 31 for name in names)


def test_a_section_with_kinds_names_one_kind_per_column() -> None:
    with pytest.raises(ValueError, match="1 kinds for 2 headers"):
        Section("Bad", "Bad", ["a", "b"], [], kinds=["text"])


def build_workbook(*sections: Section, language: str = "en") -> zipfile.ZipFile:
    stream = io.BytesIO()
    write_workbook(
        stream,
        title="Monthly complaints report: TR, 2026-11",
        language=language,
        summary=[("Received", 1234), ("Acknowledged within an hour", 0.875, "share"), ("Note", HOSTILE)],
        sections=sections,
        generated_at=datetime(2026, 12, 1, 0, 5, tzinfo=UTC),
    )
    return zipfile.ZipFile(io.BytesIO(stream.getvalue()))


def parts(book: zipfile.ZipFile, pattern: str) -> dict[str, str]:
    return {name: book.read(name).decode("utf-8") for name in book.namelist() if re.fullmatch(pattern, name)}


def sheet(book: zipfile.ZipFile, number: int) -> str:
    return book.read(f"xl/worksheets/sheet{number}.xml").decode("utf-8")


PERSIAN_CHANNELS = Section(
    name="کانال دریافت",
    title="دریافتی بر اساس کانال",
    headers=["کانال", "تعداد", "سهم"],
    rows=[["وب", 700, 0.7], ["پیامک", 250, 0.25], ["تلفن", 50, 0.05]],
    chart="column",
    right_to_left=True,
    kinds=["text", "count", "share"],
)
TURKISH_DECISIONS = Section(
    name="Kararlar",
    title="Kararlar: haklı, kısmen haklı, ret",
    headers=["Karar", "Adet"],
    rows=[["Haklı", 40], ["Kısmen haklı", 25], ["Ret", 35]],
    chart="pie",
)
HOSTILE_CAUSES = Section(
    name="Root causes",
    title="Root-cause Pareto",
    headers=["Root cause", "Complaints", "Median hours to resolve", "Note"],
    rows=[[HOSTILE, 12, 30.5, "+1 555 0100"], ["@import", 3, None, "-"], ["Delay", 1, 1.25, None]],
    kinds=["text", "count", "duration", "text"],
)


def test_the_workbook_has_a_summary_sheet_then_one_sheet_per_section() -> None:
    book = build_workbook(PERSIAN_CHANNELS, TURKISH_DECISIONS, HOSTILE_CAUSES, language="tr")

    names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode("utf-8"))
    assert names == ["Özet", "کانال دریافت", "Kararlar", "Root causes"]
    summary = sheet(book, 1)
    assert "Monthly complaints report: TR, 2026-11" in summary
    assert "2026-12-01T00:05+00:00" in summary
    assert "<v>1234</v>" in summary
    assert "<v>0.875</v>" in summary


def test_section_sheets_hold_their_texts_a_header_filter_and_frozen_headers() -> None:
    book = build_workbook(PERSIAN_CHANNELS, TURKISH_DECISIONS)

    persian, turkish = sheet(book, 2), sheet(book, 3)
    for text in ("دریافتی بر اساس کانال", "کانال", "سهم", "پیامک"):
        assert f">{text}</t>" in persian
    for text in ("Kararlar: haklı, kısmen haklı, ret", "Kısmen haklı"):
        assert f">{text}</t>" in turkish
    assert '<autoFilter ref="A3:C6"/>' in persian
    assert '<pane ySplit="3" topLeftCell="A4"' in persian
    assert "<cols>" in persian


def test_only_the_persian_sheets_read_right_to_left() -> None:
    book = build_workbook(PERSIAN_CHANNELS, TURKISH_DECISIONS, language="fa")

    assert 'rightToLeft="1"' in sheet(book, 1)  # a Persian summary
    assert 'rightToLeft="1"' in sheet(book, 2)
    assert 'rightToLeft="1"' not in sheet(book, 3)


def test_a_section_with_a_chart_gets_a_native_chart_of_its_first_numeric_column() -> None:
    book = build_workbook(PERSIAN_CHANNELS, TURKISH_DECISIONS, HOSTILE_CAUSES)

    charts = parts(book, r"xl/charts/chart\d+\.xml")
    assert sorted(charts) == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]  # none for the causes
    column, pie = charts["xl/charts/chart1.xml"], charts["xl/charts/chart2.xml"]
    assert '<c:barDir val="col"/>' in column
    assert "<c:f>'کانال دریافت'!$B$4:$B$6</c:f>" in column
    assert "<c:f>'کانال دریافت'!$A$4:$A$6</c:f>" in column
    # cached values, for viewers that draw a chart without recalculating it
    assert "<c:v>پیامک</c:v>" in column
    assert "<c:v>250</c:v>" in column
    assert "<c:pieChart>" in pie
    assert "<c:f>Kararlar!$B$4:$B$6</c:f>" in pie


def test_shares_and_durations_have_their_number_formats() -> None:
    book = build_workbook(PERSIAN_CHANNELS, HOSTILE_CAUSES)

    styles = book.read("xl/styles.xml").decode("utf-8")
    assert 'formatCode="0.0%"' in styles
    assert 'formatCode="[h]:mm"' in styles
    # 30.5 hours is stored as days, the unit of Excel's durations
    assert "<v>1.270833333333333</v>" in sheet(book, 3)


def test_no_cell_is_ever_a_formula_and_hostile_text_is_neutralised() -> None:
    book = build_workbook(HOSTILE_CAUSES)

    for name, xml in parts(book, r"xl/worksheets/sheet\d+\.xml").items():
        assert "<f>" not in xml, name
    causes = sheet(book, 2)
    assert ">'=cmd|' /C calc'!A0</t>" in causes
    assert ">'@import</t>" in causes
    assert ">'+1 555 0100</t>" in causes
    assert ">'-</t>" in causes
    assert ">'=cmd|' /C calc'!A0</t>" in sheet(book, 1)


def test_an_empty_section_still_has_its_headers_and_no_chart() -> None:
    empty = Section("Escalations", "Escalations", ["Complaint", "Level"], [], chart="bar")

    book = build_workbook(empty)

    assert ">Escalations</t>" in sheet(book, 2)
    assert not parts(book, r"xl/charts/.*")


def test_a_charts_texts_are_references_to_neutralised_cells_never_literal_text() -> None:
    hostile_chart = Section("Evil", HOSTILE, ["x!A1", "Sheet1!$A$1"], [[HOSTILE, 3]], chart="bar")

    chart = build_workbook(hostile_chart).read("xl/charts/chart1.xml").decode("utf-8")

    assert "<c:f>Evil!$A$1</c:f>" in chart  # the title cell
    assert "<c:f>Evil!$B$3</c:f>" in chart  # the series name's header cell
    assert "<c:v>'=cmd|' /C calc'!A0</c:v>" in chart
    assert "calc'!A0</c:f>" not in chart
