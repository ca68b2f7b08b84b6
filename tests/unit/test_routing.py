"""Routing rules: the first matching rule names the department; Customer Services takes the rest."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.policy import Category, Department
from chalicelib.domain.routing import department_for
from chalicelib.domain.tracking import new_tracking_code
from chalicelib.domain.validation import parse_submission
from chalicelib.services.submit_complaint import submit_complaint
from tests.fakes import FakeRepository, FixedClock


def complaint_of(data: dict[str, Any], **changes: Any) -> Any:
    repository, clock = FakeRepository(), FixedClock()
    body = submit_complaint(
        parse_submission(data), repository=repository, clock=clock, new_code=new_tracking_code
    ).body
    return replace(repository.complaints[body["tracking_code"]], **changes)


@pytest.mark.parametrize(
    ("category", "department"),
    [
        (Category.CLAIM_DECISION, Department.CLAIMS),
        (Category.HEALTH_CLAIM, Department.HEALTH_CLAIMS),
        (Category.PREMIUM_BILLING, Department.FINANCE),
        (Category.AGENT_CONDUCT, Department.SALES_CONDUCT),
        (Category.OTHER, Department.CUSTOMER_SERVICES),
    ],
)
def test_each_category_goes_to_its_department(
    turkish_complaint: dict[str, Any], category: Category, department: Department
) -> None:
    turkish_complaint["category"] = category.value
    assert department_for(complaint_of(turkish_complaint)) is department


def test_a_health_concern_in_an_uncategorised_complaint_goes_to_health_claims(
    turkish_complaint: dict[str, Any],
) -> None:
    turkish_complaint.update(category="other", health_or_safety=True)
    assert department_for(complaint_of(turkish_complaint)) is Department.HEALTH_CLAIMS
