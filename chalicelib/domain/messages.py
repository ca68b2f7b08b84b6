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
