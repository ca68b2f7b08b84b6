"""Which department resolves a complaint (ISO 10002 7.6).

The rules are data (`policy.ROUTING_RULES`); the first that matches decides,
and Customer Services takes everything else.
"""

from __future__ import annotations

from chalicelib.domain.complaint import Complaint
from chalicelib.domain.policy import ROUTING_RULES, Department


def department_for(complaint: Complaint) -> Department:
    """The department of the first rule that matches the complaint."""
    for category, market, health, department in ROUTING_RULES:
        if (
            (category is None or category is complaint.category)
            and (market is None or market is complaint.market)
            and (health is None or health is complaint.health_or_safety)
        ):
            return department
    return Department.CUSTOMER_SERVICES
