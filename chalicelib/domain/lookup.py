"""Keyed hashes of contact details, so that staff can find a complainant's complaints.

A mobile number or e-mail address is never an index key: the index holds
HMAC-SHA256 of the normalised value under a secret key, so the table and
its backups do not reveal who complained, and a stolen index cannot be
reversed by hashing every phone number. Normalised: E.164 for a mobile
number (validation gives it), case-folded for an e-mail address (with an
international domain already in its ASCII form).
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum


class ContactKind(StrEnum):
    MOBILE = "mobile"
    EMAIL = "email"


def normalised(kind: ContactKind, value: str) -> str:
    return value.strip().casefold() if kind is ContactKind.EMAIL else value.strip()


def contact_hash(key: bytes, kind: ContactKind, value: str) -> str:
    """The index key of a contact detail: hex HMAC-SHA256, the kind bound in."""
    message = f"{kind.value}:{normalised(kind, value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
