"""Create the template's Cognito resources through the Cognito API.

moto's CloudFormation skips `AWS::Cognito::*`, so the devstack creates every
`UserPool`, `UserPoolClient` and `UserPoolGroup` of the template itself, from
the template's own properties, so that local and cloud pools do not drift.

Rules:

- Properties are resolved like the overlay (`!Ref UserPool` works).
- A property the Cognito API takes under the same name is passed as it is;
  `UserPoolName` becomes `PoolName`. Any other property (Lambda triggers,
  roles, domains) is left out and reported as a note, never guessed.
- A client has no secret and allows password and refresh-token sign-in
  unless the template says otherwise.
- A missing name (pool, client or group) is `<stack name>-<logical ID>`.
- Demo staff users are not created here: devstack/staff_users.py adds
  them to these groups, in the stack's next step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from devstack.aws import Clients, sdk_errors
from devstack.errors import CognitoError, ResolutionError
from devstack.intrinsics import resolve_value
from devstack.lookups import Resource, StackLookups
from devstack.template import Template


@dataclass(frozen=True)
class ApiShape:
    """How one CloudFormation resource type maps onto its Cognito create call."""

    name_argument: str
    renames: Mapping[str, str]
    same_names: frozenset[str]
    defaults: Mapping[str, Any] = field(default_factory=dict)


POOL: Final = ApiShape(
    name_argument="PoolName",
    renames={"UserPoolName": "PoolName"},
    same_names=frozenset(
        {
            "AccountRecoverySetting", "AdminCreateUserConfig", "AliasAttributes",
            "AutoVerifiedAttributes", "DeletionProtection", "DeviceConfiguration",
            "EmailConfiguration", "EmailVerificationMessage", "EmailVerificationSubject",
            "MfaConfiguration", "Policies", "Schema", "SmsAuthenticationMessage",
            "SmsVerificationMessage", "UserAttributeUpdateSettings", "UsernameAttributes",
            "UsernameConfiguration", "UserPoolAddOns", "UserPoolTags", "UserPoolTier",
            "VerificationMessageTemplate",
        }
    ),
)  # fmt: skip
CLIENT: Final = ApiShape(
    name_argument="ClientName",
    renames={},
    same_names=frozenset(
        {
            "AccessTokenValidity", "AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient",
            "AllowedOAuthScopes", "AuthSessionValidity", "CallbackURLs", "ClientName",
            "DefaultRedirectURI", "EnablePropagateAdditionalUserContextData",
            "EnableTokenRevocation", "ExplicitAuthFlows", "GenerateSecret", "IdTokenValidity",
            "LogoutURLs", "PreventUserExistenceErrors", "ReadAttributes",
            "RefreshTokenValidity", "SupportedIdentityProviders", "TokenValidityUnits",
            "UserPoolId", "WriteAttributes",
        }
    ),
    defaults={
        "GenerateSecret": False,
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    },
)  # fmt: skip
GROUP: Final = ApiShape(
    name_argument="GroupName",
    renames={},
    same_names=frozenset({"Description", "GroupName", "Precedence", "UserPoolId"}),
)


def api_arguments(properties: Mapping[str, Any], shape: ApiShape) -> tuple[dict[str, Any], list[str]]:
    """The create call's arguments for resolved `properties`, and the properties left out."""
    arguments: dict[str, Any] = dict(shape.defaults)
    left_out: list[str] = []
    for name, value in properties.items():
        if name in shape.renames:
            arguments[shape.renames[name]] = value
        elif name in shape.same_names:
            arguments[name] = value
        else:
            left_out.append(name)
    return arguments, left_out


@dataclass(frozen=True)
class CognitoResources:
    """What was created, as stack resources by logical ID, and what was left out."""

    resources: Mapping[str, Resource]
    notes: list[str]


def create_cognito_resources(clients: Clients, template: Template, lookups: StackLookups) -> CognitoResources:
    """Create pools, then their clients, then their groups; each step can Ref the one before."""
    idp = clients("cognito-idp")
    stack_name = lookups.ref("AWS::StackName")
    created: dict[str, Resource] = {}
    notes: list[str] = []
    for resource_type, shape, create in _STEPS:
        for logical_id, properties in template.resources_of_type(resource_type).items():
            try:
                resolved = resolve_value(properties, lookups.with_resources(created))
            except ResolutionError as exc:
                raise CognitoError(f"cannot resolve the properties of {logical_id}: {exc}") from exc
            arguments, left_out = api_arguments(resolved, shape)
            arguments.setdefault(shape.name_argument, f"{stack_name}-{logical_id}")
            if left_out:
                notes.append(f"{logical_id}: not applied locally: {', '.join(sorted(left_out))}")
            with sdk_errors(f"cannot create {logical_id} ({resource_type})", CognitoError):
                created[logical_id] = create(idp, logical_id, arguments)
    return CognitoResources(resources=created, notes=notes)


def _pool(idp: Any, logical_id: str, arguments: dict[str, Any]) -> Resource:
    pool = idp.create_user_pool(**arguments)["UserPool"]
    region = pool["Arn"].split(":")[3]
    provider = f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"
    attributes = {
        "Arn": pool["Arn"],
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
        "UserPoolId": pool["Id"],
    }
    return Resource(logical_id, "AWS::Cognito::UserPool", pool["Id"], lambda: attributes)


def _client(idp: Any, logical_id: str, arguments: dict[str, Any]) -> Resource:
    client = idp.create_user_pool_client(**arguments)["UserPoolClient"]
    attributes = {"ClientId": client["ClientId"], "Name": client["ClientName"]}
    return Resource(logical_id, "AWS::Cognito::UserPoolClient", client["ClientId"], lambda: attributes)


def _group(idp: Any, logical_id: str, arguments: dict[str, Any]) -> Resource:
    group = idp.create_group(**arguments)["Group"]
    return Resource(logical_id, "AWS::Cognito::UserPoolGroup", group["GroupName"])


#: Creates one resource from its create call's arguments: (client, logical ID, arguments).
Creator = Callable[[Any, str, dict[str, Any]], Resource]

# In this order, so that clients and groups can Ref the pool.
_STEPS: Final[tuple[tuple[str, ApiShape, Creator], ...]] = (
    ("AWS::Cognito::UserPool", POOL, _pool),
    ("AWS::Cognito::UserPoolClient", CLIENT, _client),
    ("AWS::Cognito::UserPoolGroup", GROUP, _group),
)
