"""Put a problem where staff will see it: on the complaint itself."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from chalicelib.domain.complaint import Complaint, change_event
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.services.ports import Clock, ComplaintRepository


def flag_complaint(
    current: Complaint, topic: str, reason: str, *, repository: ComplaintRepository, clock: Clock
) -> None:
    """Flag the complaint once per topic and reason; a lost race is left to the next retry."""
    if current.attention.get(topic) == reason:
        return
    after = replace(current, attention={**current.attention, topic: reason}, version=current.version + 1)
    event = change_event(
        current, after, actor="system", action="flag", at=clock.now(), details={"topic": topic}
    )
    with contextlib.suppress(ConcurrentUpdate):
        repository.apply_change(current, after, event)


def flag_by_code(
    code: str, topic: str, reason: str, *, repository: ComplaintRepository, clock: Clock
) -> bool:
    """Flag the complaint with this code, if there is one; whether there was."""
    current = repository.get(code)
    if current is None:
        return False
    flag_complaint(current, topic, reason, repository=repository, clock=clock)
    return True
