"""What the complainant is sent, in their language.

Every SMS fits one segment in every language, with the longest values, so
that a complainant never gets a message in pieces. SMS carry no link: Turkish
carriers may block or mask SMS with URLs. Dates are in the market's time
zone; Persian dates are Jalali, in Persian digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.policy import Language, Market
from chalicelib.domain.text import persian_digits


class MessageKind(StrEnum):
    """The reasons the system writes to a complainant."""

    ACKNOWLEDGEMENT = "acknowledgement"


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


_SMS: dict[MessageKind, dict[Language, str]] = {
    MessageKind.ACKNOWLEDGEMENT: {
        Language.FA: "شکایت شما ثبت شد. کد پیگیری:\n{code}\nپاسخ تا {date}",
        Language.TR: "Başvurunuz alındı. Takip no: {code}. Yanıt: {date}",
        Language.EN: (
            "We received your complaint. Tracking code: {code}. "
            "We will answer by {date}. This service is free of charge."
        ),
    },
}

_MAIL: dict[MessageKind, dict[Language, tuple[str, str]]] = {
    MessageKind.ACKNOWLEDGEMENT: {
        Language.FA: (
            "شکایت شما ثبت شد: {code}",
            "شکایت شما ثبت شد.\n\nکد پیگیری: {code}\nپاسخ ما حداکثر تا {date} به شما می‌رسد.\n\n"
            "با این کد می‌توانید وضعیت شکایت را پیگیری کنید. رسیدگی به شکایت رایگان است.",
        ),
        Language.TR: (
            "Başvurunuz alındı: {code}",
            "Başvurunuz kaydedildi.\n\nTakip numarası: {code}\nEn geç {date} tarihinde yanıt vereceğiz.\n\n"
            "Bu numara ile başvurunuzun durumunu izleyebilirsiniz. Başvuru ücretsizdir.",
        ),
        Language.EN: (
            "We received your complaint: {code}",
            "Your complaint has been recorded.\n\nTracking code: {code}\nWe will answer by {date}.\n\n"
            "You can follow your complaint with this code. Complaining is free of charge.",
        ),
    },
}


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_date(moment: datetime, market: Market, language: Language) -> str:
    """A date as a complainant of this market reads it."""
    day = moment.astimezone(calendar_for(market.value).tz).date()
    if language is Language.FA:
        import jdatetime  # only the Persian texts need the Jalali calendar

        return persian_digits(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))
    if language is Language.TR:
        return day.strftime("%d.%m.%Y")
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def sms_text(kind: MessageKind, language: Language, *, code: str, due: datetime, market: Market) -> str:
    """The SMS body of a message."""
    return _SMS[kind][language].format(code=code, date=local_date(due, market, language))


def mail_text(kind: MessageKind, language: Language, *, code: str, due: datetime, market: Market) -> Mail:
    """The e-mail subject and body of a message."""
    subject, body = _MAIL[kind][language]
    date = local_date(due, market, language)
    return Mail(subject.format(code=code), body.format(code=code, date=date))


# --- messages of the handling: information requests, decisions, the satisfaction survey ----------
#
# These carry what a handler wrote, so they may take more than one SMS segment.
# A link is added only where allowed: never in an SMS to a Turkish number.

_OUTCOMES: dict[Language, dict[str, str]] = {
    Language.FA: {
        "upheld": "پذیرفته شد",
        "partly_upheld": "بخشی از آن پذیرفته شد",
        "rejected": "پذیرفته نشد",
    },
    Language.TR: {
        "upheld": "kabul edildi",
        "partly_upheld": "kısmen kabul edildi",
        "rejected": "kabul edilmedi",
    },
    Language.EN: {"upheld": "upheld", "partly_upheld": "partly upheld", "rejected": "not upheld"},
}

_RECOURSE: dict[Language, dict[Market, str]] = {
    Language.FA: {
        Market.IR: "اگر از نتیجه راضی نیستید می‌توانید به بیمه مرکزی جمهوری اسلامی ایران مراجعه کنید.",
        Market.TR: "اگر از نتیجه راضی نیستید می‌توانید به Sigorta Tahkim Komisyonu مراجعه کنید.",
    },
    Language.TR: {
        Market.IR: "Sonuçtan memnun değilseniz İran Merkez Sigorta Kurumu'na başvurabilirsiniz.",
        Market.TR: "Sonuçtan memnun değilseniz Sigorta Tahkim Komisyonu'na başvurabilirsiniz.",
    },
    Language.EN: {
        Market.IR: "If you are not satisfied, you may turn to the Central Insurance of Iran.",
        Market.TR: "If you are not satisfied, you may apply to the Insurance Arbitration Commission "
        "(Sigorta Tahkim Komisyonu).",
    },
}


class HandlingMessage(StrEnum):
    INFORMATION_REQUEST = "information_request"
    DECISION = "decision"
    SURVEY = "survey"


_TEMPLATES: dict[HandlingMessage, dict[Language, tuple[str, str]]] = {
    HandlingMessage.INFORMATION_REQUEST: {
        Language.FA: (
            "درخواست اطلاعات درباره شکایت {code}",
            "درباره شکایت {code}:\n{message}\nپاسخ خود را با همین کد در صفحه شکایات بفرستید.{link}",
        ),
        Language.TR: (
            "Başvurunuz için bilgi talebi: {code}",
            "{code} sayılı başvurunuz: {message} Yanıtınızı takip no ile başvuru sayfamızdan iletin.{link}",
        ),
        Language.EN: (
            "We need information about your complaint {code}",
            "About your complaint {code}: {message} Please reply on our complaints page "
            "with your tracking code.{link}",
        ),
    },
    HandlingMessage.DECISION: {
        Language.FA: (
            "نتیجه رسیدگی به شکایت {code}",
            "نتیجه رسیدگی به شکایت {code}: {outcome}.\n{message}{recourse}",
        ),
        Language.TR: (
            "Başvurunuz sonuçlandı: {code}",
            "{code} sayılı başvurunuz {outcome}. {message}{recourse}",
        ),
        Language.EN: (
            "Our decision on your complaint {code}",
            "Your complaint {code} was {outcome}. {message}{recourse}",
        ),
    },
    HandlingMessage.SURVEY: {
        Language.FA: (
            "نظر شما درباره رسیدگی به شکایت {code}",
            "شکایت {code} بسته شد. لطفاً رضایت خود از رسیدگی را از ۱ تا ۵ در صفحه نظرسنجی "
            "با همین کد ثبت کنید.{link}",
        ),
        Language.TR: (
            "Başvurunuzla ilgili görüşünüz: {code}",
            "{code} sayılı başvurunuz kapatıldı. Memnuniyetinizi 1-5 arası puanlamak için "
            "takip no ile başvuru sayfamızdaki anketi doldurabilirsiniz.{link}",
        ),
        Language.EN: (
            "How did we handle your complaint {code}?",
            "Your complaint {code} is closed. Please rate how we handled it, from 1 to 5, "
            "on our feedback page with your tracking code.{link}",
        ),
    },
}

_LINK_PATHS = {
    HandlingMessage.INFORMATION_REQUEST: "reply",
    HandlingMessage.SURVEY: "feedback",
    HandlingMessage.DECISION: "",
}


def handling_message(
    kind: HandlingMessage,
    language: Language,
    market: Market,
    *,
    code: str,
    message: str = "",
    outcome: str | None = None,
    base_url: str = "",
) -> Mail:
    """Subject and body of a handling message; `base_url` empty means no link (SMS to Turkey)."""
    subject, body = _TEMPLATES[kind][language]
    path = _LINK_PATHS[kind]
    link = f"\n{base_url}/{language.value}/{path}" if base_url and path else ""
    recourse = ""
    if kind is HandlingMessage.DECISION and outcome in ("rejected", "partly_upheld"):
        recourse = "\n" + _RECOURSE[language][market]
    text = body.format(
        code=code,
        message=message.strip(),
        outcome=_OUTCOMES[language].get(outcome or "", outcome or ""),
        link=link,
        recourse=recourse,
    )
    return Mail(subject.format(code=code), text.strip())
