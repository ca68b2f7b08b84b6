"""Initial assessment (ISO 10002 7.5): priority and the response deadline.

A concern for the complainant's health or safety is always the most urgent
priority, whether the complainant ticked the box, chose the health category,
or only mentioned it in their own words, in any of the three languages.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain

from chalicelib.domain.calendar import calendar_for
from chalicelib.domain.complaint import Submission, Triage
from chalicelib.domain.policy import (
    CATEGORY_GRADES,
    HEALTH_WORDS,
    PRIORITY_MATRIX,
    RESPONSE_TARGET_DAYS,
    STATUTORY_CEILING_DAYS,
    Category,
    Kind,
    Level,
    Market,
    Priority,
)
from chalicelib.domain.text import contains_any

_ALL_HEALTH_WORDS = tuple(chain.from_iterable(HEALTH_WORDS.values()))
_LOWER = {Level.HIGH: Level.MEDIUM, Level.MEDIUM: Level.LOW, Level.LOW: Level.LOW}


def mentions_health(text: str) -> bool:
    """Whether free text speaks of health or safety, in Persian, Turkish or English.

    All three word lists are searched whatever the declared language: people
    mix languages, and a missed health concern costs more than a false alarm.
    """
    return contains_any(text, _ALL_HEALTH_WORDS)


def assess(submission: Submission) -> Triage:
    """The priority of a new complaint, with the reason a person can audit."""
    urgency, importance = CATEGORY_GRADES[submission.category]
    if submission.kind is Kind.INQUIRY:
        importance = _LOWER[importance]
    reasons = []
    if submission.health_or_safety:
        reasons.append("the complainant marked a health or safety concern")
    if submission.category is Category.HEALTH_CLAIM:
        reasons.append("the category is a health claim")
    texts = (submission.personal.description, submission.personal.remedy_sought or "")
    if any(mentions_health(text) for text in texts):
        reasons.append("the description mentions health or safety")
    if reasons:
        return Triage(Level.HIGH, Level.HIGH, Priority.CRITICAL, True, "; ".join(reasons))
    priority = PRIORITY_MATRIX[(urgency, importance)]
    reason = (
        f"{submission.category.value} {submission.kind.value}: urgency {urgency}, importance {importance}"
    )
    return Triage(urgency, importance, priority, False, reason)


def response_days(market: Market, priority: Priority) -> int:
    """Business days allowed for the response, never beyond the statutory ceiling."""
    days = RESPONSE_TARGET_DAYS[priority]
    ceiling = STATUTORY_CEILING_DAYS.get(market)
    return days if ceiling is None else min(days, ceiling)


def response_deadline(market: Market, priority: Priority, received_at: datetime) -> datetime:
    """When the response is due: close of business on the last allowed business day."""
    return calendar_for(market.value).add_business_days(received_at, response_days(market, priority))
