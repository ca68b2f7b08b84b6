"""What a complainant sends back: a reply to an information request, and a satisfaction rating.

The tracking code alone shows the public status; answering needs more: the
last four digits of the mobile number on file, or the e-mail address on file.
A mismatch and an unknown code are told apart only after the code's check
symbol has passed, and neither reveals anything of the complaint.
"""

from __future__ import annotations

import contextlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import policy as p
from chalicelib.domain.commands import ReceiveInformation
from chalicelib.domain.complaint import Complaint, HistoryEvent
from chalicelib.domain.errors import (
    ComplaintNotFound,
    ConcurrentUpdate,
    IllegalTransition,
    InvalidTrackingCode,
    TooManyAttempts,
    ValidationFailed,
    VerificationFailed,
)
from chalicelib.domain.handling import handle, record_feedback
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.public import StatusSnapshot, public_view
from chalicelib.domain.text import ascii_digits
from chalicelib.domain.tracking import parse_tracking_code
from chalicelib.domain.validation import Fields, complainant_proof
from chalicelib.services.ports import Clock, ComplaintRepository

ATTEMPTS = 3
#: Wrong proofs allowed per complaint within the window before every attempt is refused.
MAX_FAILED_PROOFS = 10
PROOF_WINDOW = timedelta(hours=24)


def reply_to_request(
    payload: Mapping[str, Any], *, repository: ComplaintRepository, clock: Clock
) -> dict[str, Any]:
    """Record the complainant's answer to an information request; the response clock runs again."""
    f = Fields(payload)
    code = _code(f)
    proof = complainant_proof(f)
    text = f.text("message", max_len=p.REPLY_MAX, multiline=True)
    if text is None and not f.failed("message"):
        f.fail("message", "required", "is required")
    if f.errors or code is None or text is None:
        raise ValidationFailed(f.errors)

    def answer(complaint: Complaint) -> tuple[Complaint, HistoryEvent]:
        if complaint.status is not Status.AWAITING_COMPLAINANT:
            raise IllegalTransition(complaint.status.value, "reply (no information was asked for)", ())
        return handle(complaint, ReceiveInformation(text, "web"), actor="public", now=clock.now())

    after = _change_verified(code, proof, answer, repository, clock)
    return public_view(StatusSnapshot.of(after))


def give_feedback(
    payload: Mapping[str, Any], *, repository: ComplaintRepository, clock: Clock
) -> dict[str, Any]:
    """Record the complainant's rating (1 to 5) and comment on the handling just closed; one per closing."""
    f = Fields(payload)
    code = _code(f)
    proof = complainant_proof(f)
    rating = _rating(f)
    comment = f.text("comment", max_len=p.COMMENT_MAX, multiline=True)
    if f.errors or code is None or rating is None:
        raise ValidationFailed(f.errors)
    after = _change_verified(
        code, proof, lambda c: record_feedback(c, rating, comment, now=clock.now()), repository, clock
    )
    return {"tracking_code": after.tracking_code, "rating": rating, "thank_you": True}


def _change_verified(
    code: str,
    proof: tuple[str | None, str | None],
    change: Callable[[Complaint], tuple[Complaint, HistoryEvent]],
    repository: ComplaintRepository,
    clock: Clock,
) -> Complaint:
    """Apply the complainant's change once the proof matches, again if staff changed it meanwhile."""
    for _ in range(ATTEMPTS):
        complaint = _verified(code, proof, repository, clock.now())
        after, event = change(complaint)
        try:
            repository.apply_change(complaint, after, event)
        except ConcurrentUpdate:
            continue
        return after
    raise ConcurrentUpdate("the complaint is being updated; please try again")


def _code(f: Fields) -> str | None:
    raw = f.text("tracking_code", max_len=64)
    if raw is None:
        if not f.failed("tracking_code"):
            f.fail("tracking_code", "required", "is required")
        return None
    try:
        return parse_tracking_code(raw)
    except InvalidTrackingCode as exc:
        f.fail("tracking_code", "invalid", str(exc))
        return None


def _rating(f: Fields) -> int | None:
    raw = f.data.get("rating")
    text = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    text = ascii_digits(text)
    if text not in {"1", "2", "3", "4", "5"}:
        f.fail("rating", "range", "must be a whole number from 1 to 5")
        return None
    return int(text)


def _verified(
    code: str, proof: tuple[str | None, str | None], repository: ComplaintRepository, now: datetime
) -> Complaint:
    """The complaint, if the proof matches; wrong proofs are counted and, past a limit, refused for a while.

    Four digits are guessable: without a limit, anyone holding a code could try
    them all. After MAX_FAILED_PROOFS wrong ones in PROOF_WINDOW, every attempt
    is refused (429) until the window ends, even a right one.
    """
    if repository.failed_proofs(code, now) >= MAX_FAILED_PROOFS:
        raise TooManyAttempts(
            "too many wrong attempts for this code; please try again tomorrow",
            int(PROOF_WINDOW.total_seconds()),
        )
    complaint = repository.get(code)
    if complaint is None:
        raise ComplaintNotFound(code)
    digits, email = proof
    contact = complaint.personal.contact
    matches = False
    # compare_digest refuses non-ASCII text (a TypeError, so a 500): compare bytes of normalised forms.
    if digits is not None and contact.mobile:
        matches = hmac.compare_digest(contact.mobile[-4:].encode(), _ascii_digits(digits).encode())
    if not matches and email is not None and contact.email:
        matches = hmac.compare_digest(_address(contact.email), _address(email))
    if not matches:
        repository.count_failed_proof(code, now, PROOF_WINDOW)
        raise VerificationFailed("the mobile digits or e-mail address do not match this complaint")
    return complaint


def _ascii_digits(digits: str) -> str:
    """Any decimal digits as ASCII (the proof's check accepts every script's digits, fullwidth too)."""
    return "".join(str(unicodedata.decimal(c, c)) for c in digits)


def _address(email: str) -> bytes:
    """An e-mail address as stored: its domain in ASCII (IDNA) form, case-folded, as bytes."""
    local, _, domain = email.strip().rpartition("@")
    with contextlib.suppress(UnicodeError):  # not a domain anyone registered: it cannot match
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}".casefold().encode("utf-8")
