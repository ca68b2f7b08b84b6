"""Tell anyone holding a tracking code where the complaint stands (ISO 10002 7.3)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import ComplaintNotFound
from chalicelib.domain.public import public_view
from chalicelib.domain.tracking import parse_tracking_code
from chalicelib.services.ports import ComplaintRepository


def lookup_status(raw_code: str, *, repository: ComplaintRepository) -> dict[str, Any]:
    """The public view of one complaint.

    A code whose check symbol fails is refused before any read. An unknown
    code and a well-formed wrong code fail alike, so that a stranger learns
    nothing about which codes exist.
    """
    snapshot = repository.status(parse_tracking_code(raw_code))
    if snapshot is None:
        raise ComplaintNotFound("no complaint has this tracking code")
    return public_view(snapshot)
