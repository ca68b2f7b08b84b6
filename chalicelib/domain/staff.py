"""Who a staff member is, as the identity provider's verified claims say.

Roles are the user pool's groups; the department and market are custom
attributes that only an administrator sets. Claims that name no known group
give a member with no roles, who may do nothing (403), not an error (401):
the token itself was good.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.policy import Department, Market


class Role(StrEnum):
    """The user pool's groups (infra/template.yaml)."""

    AGENT = "agent"  # enters complaints from other channels, reads them
    HANDLER = "handler"  # works the complaints of their own department
    SUPERVISOR = "supervisor"  # everything in their market; target of escalations
    AUDITOR = "auditor"  # reads everything, including history; changes nothing


@dataclass(frozen=True)
class StaffMember:
    """A signed-in staff member."""

    username: str
    roles: frozenset[Role]
    department: Department | None = None
    market: Market | None = None

    @property
    def actor(self) -> str:
        """How the history names this member."""
        return f"staff:{self.username}"

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)


def staff_from_claims(claims: Mapping[str, Any]) -> StaffMember:
    """The member a verified ID token describes; unknown groups and values are ignored."""
    username = claims.get("cognito:username") or claims.get("username")
    if not isinstance(username, str) or not username:
        raise Unauthenticated("the token names no user")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    roles = frozenset(Role(g) for g in groups if isinstance(g, str) and g in Role._value2member_map_)
    department = str(claims.get("custom:department") or "")
    market = str(claims.get("custom:market") or "")
    return StaffMember(
        username=username,
        roles=roles,
        department=Department(department) if department in Department._value2member_map_ else None,
        market=Market(market) if market in Market._value2member_map_ else None,
    )
