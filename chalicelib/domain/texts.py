"""Domain texts the complainant reads, in Persian, Turkish and English."""

from __future__ import annotations

from chalicelib.domain.complaint import MilestoneCode
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.policy import Language

STATUS_LABELS: dict[Language, dict[Status, str]] = {
    Language.EN: {
        Status.RECEIVED: "Received",
        Status.ASSESSED: "Being assessed",
        Status.INVESTIGATING: "Under investigation",
        Status.AWAITING_COMPLAINANT: "Waiting for your reply",
        Status.DECIDED: "Decision made",
        Status.RESPONDED: "Answered",
        Status.CLOSED: "Closed",
        Status.REFERRED_OUT: "Referred elsewhere",
        Status.WITHDRAWN: "Withdrawn",
    },
    Language.TR: {
        Status.RECEIVED: "Alındı",
        Status.ASSESSED: "Değerlendiriliyor",
        Status.INVESTIGATING: "İnceleniyor",
        Status.AWAITING_COMPLAINANT: "Yanıtınız bekleniyor",
        Status.DECIDED: "Karar verildi",
        Status.RESPONDED: "Yanıtlandı",
        Status.CLOSED: "Kapatıldı",
        Status.REFERRED_OUT: "Yönlendirildi",
        Status.WITHDRAWN: "Geri çekildi",
    },
    Language.FA: {
        Status.RECEIVED: "دریافت شد",
        Status.ASSESSED: "در حال ارزیابی",
        Status.INVESTIGATING: "در حال بررسی",
        Status.AWAITING_COMPLAINANT: "در انتظار پاسخ شما",
        Status.DECIDED: "تصمیم گرفته شد",
        Status.RESPONDED: "پاسخ داده شد",
        Status.CLOSED: "بسته شد",
        Status.REFERRED_OUT: "ارجاع داده شد",
        Status.WITHDRAWN: "پس گرفته شد",
    },
}

MILESTONE_LABELS: dict[Language, dict[MilestoneCode, str]] = {
    Language.EN: {
        MilestoneCode.RECEIVED: "Your complaint was recorded",
        MilestoneCode.ACKNOWLEDGED: "We sent you an acknowledgement",
        MilestoneCode.UNDER_INVESTIGATION: "A department is investigating",
        MilestoneCode.INFORMATION_REQUESTED: "We asked you for more information",
        MilestoneCode.INFORMATION_RECEIVED: "We received your information",
        MilestoneCode.DECISION_SENT: "We sent you our decision",
        MilestoneCode.CLOSED: "The complaint was closed",
        MilestoneCode.REOPENED: "The complaint was reopened",
        MilestoneCode.REFERRED_OUT: "The complaint was referred elsewhere",
        MilestoneCode.WITHDRAWN: "The complaint was withdrawn",
    },
    Language.TR: {
        MilestoneCode.RECEIVED: "Başvurunuz kaydedildi",
        MilestoneCode.ACKNOWLEDGED: "Size alındı bildirimi gönderildi",
        MilestoneCode.UNDER_INVESTIGATION: "İlgili birim inceliyor",
        MilestoneCode.INFORMATION_REQUESTED: "Sizden ek bilgi istendi",
        MilestoneCode.INFORMATION_RECEIVED: "Ek bilginiz alındı",
        MilestoneCode.DECISION_SENT: "Kararımız size gönderildi",
        MilestoneCode.CLOSED: "Başvuru kapatıldı",
        MilestoneCode.REOPENED: "Başvuru yeniden açıldı",
        MilestoneCode.REFERRED_OUT: "Başvuru yönlendirildi",
        MilestoneCode.WITHDRAWN: "Başvuru geri çekildi",
    },
    Language.FA: {
        MilestoneCode.RECEIVED: "شکایت شما ثبت شد",
        MilestoneCode.ACKNOWLEDGED: "رسید ثبت برای شما ارسال شد",
        MilestoneCode.UNDER_INVESTIGATION: "واحد مربوط در حال بررسی است",
        MilestoneCode.INFORMATION_REQUESTED: "از شما اطلاعات بیشتری خواسته شد",
        MilestoneCode.INFORMATION_RECEIVED: "اطلاعات شما دریافت شد",
        MilestoneCode.DECISION_SENT: "نتیجه بررسی برای شما ارسال شد",
        MilestoneCode.CLOSED: "شکایت بسته شد",
        MilestoneCode.REOPENED: "شکایت دوباره باز شد",
        MilestoneCode.REFERRED_OUT: "شکایت به مرجع دیگری ارجاع شد",
        MilestoneCode.WITHDRAWN: "شکایت پس گرفته شد",
    },
}
