"""The layout of a report workbook, and the workbook of a period's figures. Pure: no I/O.

A workbook is a summary sheet of key figures and one sheet per breakdown,
each a table with a native chart. Labels are in the market's language
(Persian sheets read right to left); taxonomy values stay the codes the CSV
and the API use, so that sheets and files can be joined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Cell = str | int | float | None
ColumnKind = Literal["text", "count", "number", "share", "duration"]
"""How a column's numbers read: a share is a fraction (0.25 reads 25.0%), a duration is in hours."""


@dataclass(frozen=True)
class Section:
    """One sheet of a workbook: a table, with a native chart of its first numeric column if asked.

    `name` is made safe for Excel when written (31 characters at most, none
    of []:*?/\\, unique). `kinds` gives each column's kind; left empty, a
    column is text, count or number after its first value.
    """

    name: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    chart: Literal["column", "bar", "pie", "line"] | None = None
    right_to_left: bool = False
    kinds: Sequence[ColumnKind] = ()

    def __post_init__(self) -> None:
        if self.kinds and len(self.kinds) != len(self.headers):
            raise ValueError(
                f"section {self.name!r}: {len(self.kinds)} kinds for {len(self.headers)} headers"
            )

    def column_kinds(self) -> list[ColumnKind]:
        if self.kinds:
            return list(self.kinds)
        return [
            kind_of(next((r[i] for r in self.rows if i < len(r) and r[i] is not None), None))
            for i in range(len(self.headers))
        ]


Figure = tuple[str, Cell] | tuple[str, Cell, ColumnKind]
"""A key figure of the summary sheet: label, value and, optionally, the value's kind."""


def kind_of(value: Cell) -> ColumnKind:
    """A column's kind after its first value: text, or a count or number."""
    if isinstance(value, str):
        return "text"
    return "number" if isinstance(value, float) else "count"


@dataclass(frozen=True)
class WorkbookLayout:
    """Everything a workbook shows: its title and language, the key figures and the sheets."""

    title: str
    language: str
    figures: Sequence[Figure]
    sections: Sequence[Section]


_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "report": "Complaints report",
        "received": "Received",
        "within_hour": "Acknowledged within one hour",
        "on_time": "Answered on time",
        "late": "Answered late",
        "overdue_unanswered": "Overdue, not answered",
        "overdue_now": "Overdue now",
        "reopen_rate": "Reopen rate",
        "escalated": "Escalated",
        "health": "Health or safety",
        "health_median": "Health or safety: median hours to first response",
        "satisfaction": "Average satisfaction (1-5)",
        "response_rate": "Survey response rate",
        "open_backlog": "Open backlog (now)",
        "capa_opened": "CAPA opened",
        "capa_closed": "CAPA closed",
        "capa_overdue": "CAPA overdue (now)",
        "count": "Count",
        "share": "Share",
        "cumulative": "Cumulative share",
        "by_channel": "By channel",
        "by_category": "By category",
        "by_priority": "By priority",
        "by_department": "By department",
        "by_language": "By language",
        "by_kind": "Complaint or inquiry",
        "status_now": "Status now",
        "times": "Business time",
        "measure": "Measure",
        "median_hours": "Median (business hours)",
        "p90_hours": "90th percentile (business hours)",
        "to_acknowledge": "To acknowledge",
        "to_first_response": "To first response",
        "to_resolution": "To resolution",
        "root_causes": "Root causes",
        "decisions": "Decisions",
        "satisfaction_sheet": "Satisfaction",
        "rating": "Rating",
        "backlog": "Open backlog by age",
        "age": "Age",
        "value": "Value",
    },
    "tr": {
        "report": "Şikâyet raporu",
        "received": "Alınan",
        "within_hour": "Bir saat içinde alındı bildirilen",
        "on_time": "Süresinde yanıtlanan",
        "late": "Geç yanıtlanan",
        "overdue_unanswered": "Süresi geçmiş, yanıtlanmamış",
        "overdue_now": "Şu an süresi geçmiş",
        "reopen_rate": "Yeniden açılma oranı",
        "escalated": "Üst kademeye iletilen",
        "health": "Sağlık veya güvenlik",
        "health_median": "Sağlık veya güvenlik: ilk yanıta medyan iş saati",
        "satisfaction": "Ortalama memnuniyet (1-5)",
        "response_rate": "Anket yanıt oranı",
        "open_backlog": "Açık şikâyetler (şu an)",
        "capa_opened": "Açılan DÖF",
        "capa_closed": "Kapanan DÖF",
        "capa_overdue": "Süresi geçmiş DÖF (şu an)",
        "count": "Sayı",
        "share": "Oran",
        "cumulative": "Kümülatif oran",
        "by_channel": "Kanala göre",
        "by_category": "Kategoriye göre",
        "by_priority": "Önceliğe göre",
        "by_department": "Birime göre",
        "by_language": "Dile göre",
        "by_kind": "Şikâyet veya bilgi talebi",
        "status_now": "Şu anki durum",
        "times": "İş süresi",
        "measure": "Ölçü",
        "median_hours": "Medyan (iş saati)",
        "p90_hours": "90. yüzdelik (iş saati)",
        "to_acknowledge": "Alındı bildirimine",
        "to_first_response": "İlk yanıta",
        "to_resolution": "Çözüme",
        "root_causes": "Kök nedenler",
        "decisions": "Kararlar",
        "satisfaction_sheet": "Memnuniyet",
        "rating": "Puan",
        "backlog": "Yaşa göre açık şikâyetler",
        "age": "Yaş",
        "value": "Değer",
    },
    "fa": {
        "report": "گزارش شکایات",
        "received": "دریافت‌شده",
        "within_hour": "اعلام وصول در یک ساعت",
        "on_time": "پاسخ به‌موقع",
        "late": "پاسخ با تأخیر",
        "overdue_unanswered": "مهلت گذشته، بی‌پاسخ",
        "overdue_now": "مهلت گذشته (اکنون)",
        "reopen_rate": "نرخ بازگشایی",
        "escalated": "ارجاع به سطح بالاتر",
        "health": "سلامت یا ایمنی",
        "health_median": "سلامت یا ایمنی: میانهٔ ساعت کاری تا نخستین پاسخ",
        "satisfaction": "میانگین رضایت (۱ تا ۵)",
        "response_rate": "نرخ پاسخ به نظرسنجی",
        "open_backlog": "شکایات باز (اکنون)",
        "capa_opened": "اقدام اصلاحی گشوده",
        "capa_closed": "اقدام اصلاحی بسته",
        "capa_overdue": "اقدام اصلاحی با مهلت گذشته (اکنون)",
        "count": "تعداد",
        "share": "سهم",
        "cumulative": "سهم تجمعی",
        "by_channel": "بر پایهٔ مجرا",
        "by_category": "بر پایهٔ دسته",
        "by_priority": "بر پایهٔ اولویت",
        "by_department": "بر پایهٔ واحد",
        "by_language": "بر پایهٔ زبان",
        "by_kind": "شکایت یا پرسش",
        "status_now": "وضعیت کنونی",
        "times": "زمان کاری",
        "measure": "سنجه",
        "median_hours": "میانه (ساعت کاری)",
        "p90_hours": "صدک ۹۰ (ساعت کاری)",
        "to_acknowledge": "تا اعلام وصول",
        "to_first_response": "تا نخستین پاسخ",
        "to_resolution": "تا حل",
        "root_causes": "ریشه‌ها",
        "decisions": "تصمیم‌ها",
        "satisfaction_sheet": "رضایت",
        "rating": "امتیاز",
        "backlog": "شکایات باز بر پایهٔ سن",
        "age": "سن",
        "value": "مقدار",
    },
}
_MARKET_LANGUAGE = {"IR": "fa", "TR": "tr"}


def labels(language: str) -> Mapping[str, str]:
    """The workbook's words in a language (English when it has none)."""
    return _LABELS.get(language, _LABELS["en"])


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def report_workbook(summary: Mapping[str, Any], language: str | None = None) -> WorkbookLayout:
    """The workbook of a period's summary (see reports.PeriodAggregator.summary)."""
    period = summary["period"]
    language = language or _MARKET_LANGUAGE.get(period["market"], "en")
    words = labels(language)
    rtl = language == "fa"
    received, timeliness = summary["received"], summary["timeliness"]
    satisfaction, health = summary["satisfaction"], summary["health_or_safety"]
    backlog, capa = summary.get("backlog"), summary.get("capa")
    figures: list[Figure] = [
        (words["received"], received["total"], "count"),
        (words["within_hour"], summary["acknowledgement"]["share_within_one_hour"], "share"),
        (words["on_time"], timeliness["share_on_time"], "share"),
        (words["late"], timeliness["late"], "count"),
        (words["overdue_unanswered"], timeliness["overdue_unanswered"], "count"),
        (words["overdue_now"], summary["overdue_now"], "count"),
        (words["reopen_rate"], summary["reopening"]["rate"], "share"),
        (words["escalated"], summary["escalations"]["escalated"], "count"),
        (words["health"], health["flagged"], "count"),
        (words["health_median"], _hours(health["to_first_response"]["median_seconds"]), "number"),
        (words["satisfaction"], satisfaction["average"], "number"),
        (words["response_rate"], satisfaction["response_rate"], "share"),
    ]
    if backlog is not None:
        figures.append((words["open_backlog"], backlog["open"], "count"))
    if capa is not None:
        figures += [
            (words["capa_opened"], capa["opened"], "count"),
            (words["capa_closed"], capa["closed"], "count"),
            (words["capa_overdue"], capa["overdue"], "count"),
        ]

    def breakdown(name: str, counts: Mapping[str, int], chart: Literal["column", "bar", "pie"]) -> Section:
        total = sum(counts.values())
        rows = [[value, n, (n / total if total else None)] for value, n in counts.items()]
        return Section(
            name=words[name],
            title=f"{words[name]} — {period['title']}",
            headers=[words[name], words["count"], words["share"]],
            rows=rows,
            chart=chart,
            right_to_left=rtl,
            kinds=["text", "count", "share"],
        )

    times = summary["business_time"]
    sections = [
        breakdown("by_channel", received["by_channel"], "column"),
        breakdown("by_category", received["by_category"], "bar"),
        breakdown("by_priority", received["by_priority"], "column"),
        breakdown("by_department", received["by_department"], "bar"),
        breakdown("by_language", received["by_language"], "pie"),
        breakdown("by_kind", received["by_kind"], "pie"),
        breakdown("status_now", summary["status_now"], "bar"),
        Section(
            name=words["times"],
            title=f"{words['times']} — {period['title']}",
            headers=[words["measure"], words["median_hours"], words["p90_hours"], words["count"]],
            rows=[
                [
                    words[name],
                    _hours(times[name]["median_seconds"]),
                    _hours(times[name]["p90_seconds"]),
                    times[name]["count"],
                ]
                for name in ("to_acknowledge", "to_first_response", "to_resolution")
            ],
            chart="column",
            right_to_left=rtl,
            kinds=["text", "number", "number", "count"],
        ),
        Section(
            name=words["root_causes"],
            title=f"{words['root_causes']} — {period['title']}",
            headers=[words["root_causes"], words["count"], words["share"], words["cumulative"]],
            rows=[
                [entry["root_cause"], entry["count"], entry["share"], entry["cumulative_share"]]
                for entry in summary["root_causes"]["pareto"]
            ],
            chart="bar",
            right_to_left=rtl,
            kinds=["text", "count", "share", "share"],
        ),
        breakdown("decisions", summary["decisions"], "pie"),
        breakdown("satisfaction_sheet", satisfaction["distribution"], "column"),
    ]
    if backlog is not None:
        sections.append(breakdown("backlog", backlog["by_age"], "column"))
    return WorkbookLayout(
        title=f"{words['report']} — {period['title']}",
        language=language,
        figures=figures,
        sections=sections,
    )
