"""The complaint-handling policy as data: taxonomies, triage and targets.

Change the policy here, not in handlers. Everything below is read by the
domain's rules; nothing here performs I/O.
"""

from __future__ import annotations

from enum import StrEnum


class Market(StrEnum):
    """The insurer's market; it sets the calendar, time zone and phone region."""

    IR = "IR"
    TR = "TR"


class Language(StrEnum):
    """The language the complainant wrote in and is answered in."""

    FA = "fa"
    TR = "tr"
    EN = "en"


class Channel(StrEnum):
    """How the complaint reached the insurer (ISO 10002 7.2)."""

    WEB = "web"
    PHONE = "phone"
    FAX = "fax"
    POST = "post"
    EMAIL = "email"
    SOCIAL_MEDIA = "social_media"
    IN_PERSON = "in_person"


class SocialNetwork(StrEnum):
    """The social network a complaint was posted on."""

    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    TELEGRAM = "telegram"
    OTHER = "other"


class Kind(StrEnum):
    """A complaint asks for redress; an inquiry asks for information."""

    COMPLAINT = "complaint"
    INQUIRY = "inquiry"


class Category(StrEnum):
    """The insurance complaint taxonomy."""

    CLAIM_DECISION = "claim_decision"
    CLAIM_PAYMENT_DELAY = "claim_payment_delay"
    HEALTH_CLAIM = "health_claim"
    POLICY_ISSUANCE = "policy_issuance"
    PREMIUM_BILLING = "premium_billing"
    CANCELLATION_REFUND = "cancellation_refund"
    AGENT_CONDUCT = "agent_conduct"
    SERVICE_QUALITY = "service_quality"
    OTHER = "other"


class ContactChannel(StrEnum):
    """How the complainant prefers to be answered."""

    SMS = "sms"
    EMAIL = "email"
    PHONE = "phone"
    POST = "post"


class Level(StrEnum):
    """A grade of urgency or of importance."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Priority(StrEnum):
    """Handling priority; CRITICAL is reserved for health and safety."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


#: Urgency x importance -> priority. CRITICAL is never reached from the
#: matrix: only a health or safety concern makes a complaint critical.
PRIORITY_MATRIX: dict[tuple[Level, Level], Priority] = {
    (Level.HIGH, Level.HIGH): Priority.HIGH,
    (Level.HIGH, Level.MEDIUM): Priority.HIGH,
    (Level.MEDIUM, Level.HIGH): Priority.HIGH,
    (Level.HIGH, Level.LOW): Priority.MEDIUM,
    (Level.MEDIUM, Level.MEDIUM): Priority.MEDIUM,
    (Level.LOW, Level.HIGH): Priority.MEDIUM,
    (Level.MEDIUM, Level.LOW): Priority.LOW,
    (Level.LOW, Level.MEDIUM): Priority.LOW,
    (Level.LOW, Level.LOW): Priority.LOW,
}

#: The initial (urgency, importance) of each category, before a person assesses it.
CATEGORY_GRADES: dict[Category, tuple[Level, Level]] = {
    Category.CLAIM_DECISION: (Level.MEDIUM, Level.HIGH),
    Category.CLAIM_PAYMENT_DELAY: (Level.HIGH, Level.MEDIUM),
    Category.HEALTH_CLAIM: (Level.HIGH, Level.HIGH),
    Category.POLICY_ISSUANCE: (Level.MEDIUM, Level.MEDIUM),
    Category.PREMIUM_BILLING: (Level.MEDIUM, Level.MEDIUM),
    Category.CANCELLATION_REFUND: (Level.MEDIUM, Level.MEDIUM),
    Category.AGENT_CONDUCT: (Level.LOW, Level.HIGH),
    Category.SERVICE_QUALITY: (Level.LOW, Level.MEDIUM),
    Category.OTHER: (Level.LOW, Level.MEDIUM),
}

#: Business days allowed for the response, by priority.
RESPONSE_TARGET_DAYS: dict[Priority, int] = {
    Priority.CRITICAL: 1,
    Priority.HIGH: 5,
    Priority.MEDIUM: 10,
    Priority.LOW: 15,
}

#: A statutory ceiling on the response time, in business days, per market.
#: Turkey: the insurer must answer within 15 business days.
STATUTORY_CEILING_DAYS: dict[Market, int] = {
    Market.TR: 15,
}

#: The language a market's complainants write in when they do not say.
DEFAULT_LANGUAGE: dict[Market, Language] = {
    Market.IR: Language.FA,
    Market.TR: Language.TR,
}

#: Words that reveal a concern for the complainant's health or safety. A road
#: accident alone is not one (most motor claims follow one); an injury is. They are
#: compared after folding (Persian letter forms, Turkish dotted and dotless i,
#: digits), and Latin words match at a word start so that Turkish suffixes
#: ("hastaneye") still match.
HEALTH_WORDS: dict[Language, tuple[str, ...]] = {
    Language.FA: (
        "بیمار",
        "بیماری",
        "بیمارستان",
        "درمان",
        "دارو",
        "جراحی",
        "عمل جراحی",
        "اورژانس",
        "سرطان",
        "شیمی درمانی",
        "دیالیز",
        "بستری",
        "پزشک",
        "سلامت",
        "مصدوم",
        "زخمی",
        "آسیب دیده",
        "خطر جانی",
        "باردار",
        "زایمان",
        "قلب",
        "سکته",
        "آی سی یو",
    ),
    Language.TR: (
        "sağlık",
        "hasta",
        "hastane",
        "hastalık",
        "tedavi",
        "ameliyat",
        "acil servis",
        "ilaç",
        "kanser",
        "kemoterapi",
        "diyaliz",
        "yoğun bakım",
        "doktor",
        "yaralı",
        "yaralan",
        "hamile",
        "doğum",
        "kalp",
        "felç",
        "inme",
        "can güvenliği",
        "hayati",
    ),
    Language.EN: (
        "health",
        "hospital",
        "illness",
        "sick",
        "treatment",
        "surgery",
        "emergency",
        "cancer",
        "chemotherapy",
        "dialysis",
        "intensive care",
        "icu",
        "medication",
        "medicine",
        "doctor",
        "injur",
        "pregnan",
        "heart",
        "stroke",
        "life-threatening",
        "unsafe",
        "safety",
    ),
}

#: Size limits of the submission fields, in characters.
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 5000
REMEDY_MAX = 2000
NAME_MAX = 200
SHORT_TEXT_MAX = 200
ADDRESS_MAX = 500
EMAIL_MAX = 254


class Department(StrEnum):
    """Where complaints are resolved; Customer Services takes what no rule claims."""

    CUSTOMER_SERVICES = "customer_services"
    CLAIMS = "claims"
    HEALTH_CLAIMS = "health_claims"
    UNDERWRITING = "underwriting"
    FINANCE = "finance"
    SALES_CONDUCT = "sales_conduct"


#: Routing rules, first match wins: (category or None, market or None,
#: health or safety concern or None) -> department. None matches anything.
ROUTING_RULES: tuple[tuple[Category | None, Market | None, bool | None, Department], ...] = (
    (Category.HEALTH_CLAIM, None, None, Department.HEALTH_CLAIMS),
    (Category.OTHER, None, True, Department.HEALTH_CLAIMS),
    (Category.SERVICE_QUALITY, None, True, Department.HEALTH_CLAIMS),
    (Category.CLAIM_DECISION, None, None, Department.CLAIMS),
    (Category.CLAIM_PAYMENT_DELAY, None, None, Department.CLAIMS),
    (Category.POLICY_ISSUANCE, None, None, Department.UNDERWRITING),
    (Category.PREMIUM_BILLING, None, None, Department.FINANCE),
    (Category.CANCELLATION_REFUND, None, None, Department.FINANCE),
    (Category.AGENT_CONDUCT, None, None, Department.SALES_CONDUCT),
)


#: The channels a clerk enters complaints from; the web form is the public's own.
STAFF_CHANNELS: frozenset[Channel] = frozenset(Channel) - {Channel.WEB}


class RootCause(StrEnum):
    """The taxonomy of root causes (ISO 10002 8.3), for the Pareto of the reports and CAPA."""

    POLICY_WORDING = "policy_wording"  # terms unclear or misleading
    UNDERWRITING_ERROR = "underwriting_error"
    CLAIMS_ASSESSMENT = "claims_assessment"  # a wrong or unexplained claim decision
    PROCESS_DELAY = "process_delay"
    COMMUNICATION = "communication"  # not told, told late, or told wrongly
    STAFF_CONDUCT = "staff_conduct"
    INTERMEDIARY_CONDUCT = "intermediary_conduct"  # agents and brokers
    PROVIDER_NETWORK = "provider_network"  # hospitals, garages, assistance
    SYSTEM_ERROR = "system_error"
    BILLING_ERROR = "billing_error"
    REGULATION = "regulation"  # the rule itself, not how it was applied
    CUSTOMER_EXPECTATION = "customer_expectation"  # handled correctly; expectation differed
    OTHER = "other"


class DecisionOutcome(StrEnum):
    """What the insurer decided about the complaint (ISO 10002 7.7)."""

    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    REJECTED = "rejected"


class ReferralReason(StrEnum):
    """Why a complaint leaves the insurer's own process."""

    OUT_OF_SCOPE = "out_of_scope"  # not about this insurer's products or services
    EXTERNAL_RECOURSE = "external_recourse"  # the complainant is pointed to an outside body


#: The outside body a complainant may turn to, by market.
EXTERNAL_RECOURSE: dict[Market, str] = {
    Market.TR: "Sigorta Tahkim Komisyonu",
    Market.IR: "Central Insurance of Iran (بیمه مرکزی جمهوری اسلامی ایران)",
}

#: Ways a decision reaches the complainant.
DECISION_CHANNELS: tuple[ContactChannel, ...] = (
    ContactChannel.SMS,
    ContactChannel.EMAIL,
    ContactChannel.PHONE,
)

#: Size limits of what staff and complainants write while a complaint is handled.
NOTE_MAX = 4000
MESSAGE_MAX = 1000  # a message sent to the complainant (SMS or e-mail)
REPLY_MAX = 5000
COMMENT_MAX = 2000
REASON_MAX = 500
AMOUNT_MAX = 10**12
CURRENCIES: dict[Market, str] = {Market.TR: "TRY", Market.IR: "IRR"}
