"""What the deployed stack knows, by logical ID, for resolving intrinsics.

A `Resource` is what CloudFormation would answer for one logical ID: the value
of its `Ref` and its `Fn::GetAtt` attributes. Resources created by moto's
CloudFormation and those the devstack creates itself (Cognito) look the same
here, so the overlay cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from devstack.intrinsics import resolve_value


@dataclass(frozen=True)
class Resource:
    """One resource of the stack: its `Ref` value and, read on first use, its attributes."""

    logical_id: str
    type: str
    ref: str
    read_attributes: Callable[[], Mapping[str, str]] = field(default=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Attributes cost an API call each; read them once and only if asked.
        object.__setattr__(self, "read_attributes", cache(self.read_attributes))

    def attribute(self, name: str) -> str:
        """The value of `Fn::GetAtt [logical_id, name]`; `LookupError` names the known ones."""
        attributes = self.read_attributes()
        if name not in attributes:
            known = ", ".join(sorted(attributes)) or "none"
            raise LookupError(
                f"{self.logical_id} ({self.type}) has no attribute {name} here (known: {known})"
            )
        return attributes[name]


def pseudo_parameters(stack_id: str) -> dict[str, str]:
    """The pseudo parameters of a stack, read from its ARN.

    The ARN is `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`.
    """
    parts = stack_id.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("stack/"):
        raise ValueError(f"not a CloudFormation stack ARN: {stack_id!r}")
    _, partition, _, region, account, resource = parts
    return {
        "AWS::AccountId": account,
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::StackId": stack_id,
        "AWS::StackName": resource.split("/")[1],
        "AWS::URLSuffix": "amazonaws.com",
    }


@dataclass(frozen=True)
class StackLookups:
    """`Lookups` over a stack's resources, parameters, pseudo parameters and conditions."""

    resources: Mapping[str, Resource]
    parameters: Mapping[str, str] = field(default_factory=dict)
    pseudo: Mapping[str, str] = field(default_factory=dict)
    #: The template's `Conditions` section, unevaluated.
    conditions: Mapping[str, Any] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        """A pseudo parameter, then a parameter, then a resource's physical id."""
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise LookupError(f"the stack has no resource or parameter named {name}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        """An attribute of a resource of the stack."""
        if logical_id not in self.resources:
            raise LookupError(f"the stack has no resource named {logical_id}")
        return self.resources[logical_id].attribute(attribute)

    def condition(self, name: str) -> bool:
        """A condition of the template, evaluated with the stack's parameters."""
        if name not in self.conditions:
            raise LookupError(f"the template has no condition named {name}")
        value = resolve_value(self.conditions[name], self)
        if not isinstance(value, bool):
            raise LookupError(f"condition {name} is not true or false: {value!r}")
        return value

    def with_resources(self, resources: Mapping[str, Resource]) -> StackLookups:
        """These lookups, knowing more resources (those created outside CloudFormation)."""
        return StackLookups({**self.resources, **resources}, self.parameters, self.pseudo, self.conditions)
