"""Demo staff users of the local stack: one per role, and a few for department and market rules.

The local stack creates them right after the user pool, its client and its
groups, through the Cognito API as an administrator would: created without
an invitation, given a permanent password, added to their group. Each user
is named after its role. Department and market are the pool's custom
attributes (`custom:department`, `custom:market`), which the ID token carries.

Every demo user has the same password: random for each start, unless the
`DEMO_PASSWORD` option sets it. It is a local demo password and nothing else.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from devstack.errors import CognitoError

if TYPE_CHECKING:
    # Not at run time: devstack.options reads the password policy from here before boto3 is imported.
    from devstack.aws import Clients


@dataclass(frozen=True)
class DemoUser:
    """A staff member of the local user pool."""

    name: str
    group: str
    market: str
    department: str | None = None

    @property
    def attributes(self) -> list[dict[str, str]]:
        """The user's custom attributes, as `AdminCreateUser` takes them."""
        values = {"custom:department": self.department, "custom:market": self.market}
        return [{"Name": name, "Value": value} for name, value in values.items() if value]

    def describe(self) -> dict[str, Any]:
        """How `.local/stack.json` lists the user."""
        return {"groups": [self.group], "department": self.department, "market": self.market}


#: The demo users: groups are infra/template.yaml's, departments and markets chalicelib's policy.
DEMO_USERS: Final[tuple[DemoUser, ...]] = (
    DemoUser("agent", "agent", "TR", "customer_services"),
    DemoUser("handler", "handler", "TR", "customer_services"),
    DemoUser("handler-claims", "handler", "TR", "claims"),
    DemoUser("supervisor", "supervisor", "TR", "customer_services"),
    DemoUser("supervisor-ir", "supervisor", "IR", "customer_services"),
    DemoUser("handler-ir", "handler", "IR", "customer_services"),
    DemoUser("auditor", "auditor", "TR"),
)


@dataclass(frozen=True)
class PasswordPolicy:
    """The user pool's password policy (infra/template.yaml `Policies.PasswordPolicy`)."""

    minimum_length: int = 12
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = True


POLICY: Final = PasswordPolicy()

#: The symbols Cognito counts (space aside); generated passwords use the few that need no shell quoting.
COGNITO_SYMBOLS: Final = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"
_SAFE_SYMBOLS: Final = "-_.+=@%"
#: Cognito's limit; moto refuses a password of this length or more.
_MAXIMUM_LENGTH: Final = 99


def password_problems(password: str, policy: PasswordPolicy = POLICY) -> list[str]:
    """What `password` lacks under `policy`; empty when it is acceptable."""
    problems = []
    if not policy.minimum_length <= len(password) < _MAXIMUM_LENGTH:
        problems.append(f"{policy.minimum_length} to {_MAXIMUM_LENGTH - 1} characters")
    checks = (
        (policy.require_lowercase, string.ascii_lowercase, "a lower-case letter"),
        (policy.require_uppercase, string.ascii_uppercase, "an upper-case letter"),
        (policy.require_numbers, string.digits, "a digit"),
        (policy.require_symbols, COGNITO_SYMBOLS, "a symbol"),
    )
    problems += [needs for required, alphabet, needs in checks if required and not _has(password, alphabet)]
    return problems


def _has(password: str, alphabet: str) -> bool:
    return any(character in alphabet for character in password)


def generate_password(length: int = 20) -> str:
    """A random password that meets the pool's policy, safe to paste into a shell unquoted."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SAFE_SYMBOLS)
    everything = "".join(classes)
    characters = [secrets.choice(alphabet) for alphabet in classes]
    characters += [secrets.choice(everything) for _ in range(length - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def create_demo_users(
    clients: Clients, user_pool_id: str, password: str, users: Iterable[DemoUser] = DEMO_USERS
) -> None:
    """Create each user in the pool, with `password` as its permanent password, in its group.

    No invitation is sent (`MessageAction=SUPPRESS`), and the password is
    permanent, so the user signs in at once without a new-password challenge.
    """
    from devstack.aws import sdk_errors

    idp = clients("cognito-idp")
    for user in users:
        with sdk_errors(f"cannot create the demo user {user.name}", CognitoError):
            idp.admin_create_user(
                UserPoolId=user_pool_id,
                Username=user.name,
                UserAttributes=user.attributes,
                MessageAction="SUPPRESS",
            )
            idp.admin_set_user_password(
                UserPoolId=user_pool_id, Username=user.name, Password=password, Permanent=True
            )
            idp.admin_add_user_to_group(UserPoolId=user_pool_id, Username=user.name, GroupName=user.group)
