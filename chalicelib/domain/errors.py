"""The one exception hierarchy of complaintdesk.

Handlers map these to HTTP in one place (`chalicelib/api/problem.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class ComplaintDeskError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigurationError(ComplaintDeskError):
    """Raised at cold start when the environment lacks a setting."""


@dataclass(frozen=True)
class FieldError:
    """One field's problem, in words a complainant can act on."""

    field: str
    code: str
    message: str


class ValidationFailed(ComplaintDeskError):
    """Raised when a submission breaks one or more field rules."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class MalformedRequest(ComplaintDeskError):
    """Raised when a request body cannot be parsed at all."""


class PayloadTooLarge(ComplaintDeskError):
    """Raised when a request body is over the size limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class UnsupportedMediaType(ComplaintDeskError):
    """Raised when a request body is of a content type the route does not take."""

    def __init__(self, content_type: str, accepted: tuple[str, ...]) -> None:
        super().__init__(f"content type {content_type!r} is not one of {', '.join(accepted)}")
        self.content_type = content_type
        self.accepted = accepted


class InvalidTrackingCode(ComplaintDeskError):
    """Raised when a tracking code is malformed or its check symbol fails."""


class ComplaintNotFound(ComplaintDeskError):
    """Raised when no complaint has the tracking code asked for."""


class CapaNotFound(ComplaintDeskError):
    """Raised when no action of the CAPA register has the id asked for."""


class ReportNotFound(ComplaintDeskError):
    """Raised when the report file asked for has not been built."""


class IdempotencyConflict(ComplaintDeskError):
    """Raised when an idempotency key is reused with a different request body."""


class TrackingCodeCollision(ComplaintDeskError):
    """Raised by a repository when the tracking code is already taken."""


class IllegalTransition(ComplaintDeskError):
    """Raised when a lifecycle action is not allowed from the current state."""

    def __init__(self, state: str, action: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{action!r} is not allowed in the state {state!r}")
        self.state = state
        self.action = action
        self.allowed = allowed


class ConcurrentUpdate(ComplaintDeskError):
    """Raised when another writer changed the complaint first.

    A staff request is answered with the state and version it now has, so
    that the client can show what changed and try again.
    """

    def __init__(self, message: str, *, state: str | None = None, version: int | None = None) -> None:
        super().__init__(message)
        self.state = state
        self.version = version


class StorageUnavailable(ComplaintDeskError):
    """Raised when the data store fails for a reason the client cannot fix."""

    def __init__(self, message: str, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


class IdempotencyKeyTaken(ComplaintDeskError):
    """Raised by a repository when an idempotency key was already recorded."""


class DeliveryFailed(ComplaintDeskError):
    """Raised when an SMS or e-mail provider did not take a message.

    `permanent` is True when trying again cannot help (a rejected number, a
    refused address, a bad API key); False for an outage or a timeout.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Unauthenticated(ComplaintDeskError):
    """Raised when a staff request has no valid identity token (missing, forged, expired)."""


class Forbidden(ComplaintDeskError):
    """Raised when a signed-in staff member's role, market or department does not allow the request."""


class TooManyAttempts(ComplaintDeskError):
    """Raised when a complaint's proof was got wrong too often lately; answered 429 with Retry-After."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class VerificationFailed(ComplaintDeskError):
    """Raised when a complainant's proof (mobile digits or e-mail) does not match the complaint."""
