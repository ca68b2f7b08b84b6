"""Deploy `infra/template.yaml` into the emulator, as CloudFormation would on AWS.

The template is sent as it is, so local and cloud resources come from the
same text. A stack that does not reach CREATE_COMPLETE stops the devstack,
with the reasons CloudFormation gives.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.aws import Clients, sdk_errors
from devstack.errors import DeployError
from devstack.quirks import quiet_unsupported_resource_warnings
from devstack.template import Template

_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class DeployedResource:
    """A resource that CloudFormation created."""

    logical_id: str
    type: str
    physical_id: str


@dataclass(frozen=True)
class DeployedStack:
    """A stack in CREATE_COMPLETE: its ARN, parameters and the resources it created."""

    stack_id: str
    parameters: Mapping[str, str]
    resources: Mapping[str, DeployedResource]


def deploy_stack(
    clients: Clients,
    stack_name: str,
    template: Template,
    parameters: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> DeployedStack:
    """Create the stack with these parameter values and wait until it is complete.

    `DeployError` says why it is not.
    """
    cloudformation = clients("cloudformation")
    # moto parses the template again on later calls, with the same warnings.
    with quiet_unsupported_resource_warnings():
        with sdk_errors(f"CloudFormation rejected {template.path}", DeployError):
            stack_id = cloudformation.create_stack(
                StackName=stack_name,
                TemplateBody=template.body,
                Capabilities=_CAPABILITIES,
                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
            )["StackId"]
        with sdk_errors(f"cannot read back stack {stack_name}", DeployError):
            stack = _wait_until_settled(cloudformation, stack_id, timeout)
            if stack["StackStatus"] != "CREATE_COMPLETE":
                raise DeployError(_failure_report(cloudformation, stack, template))
            return DeployedStack(
                stack_id=stack_id,
                parameters={p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])},
                resources=_created_resources(cloudformation, stack_id),
            )


def not_created(template: Template, stack: DeployedStack) -> dict[str, str]:
    """Template resources the stack did not create (types moto skips, false conditions), with types."""
    return {
        logical_id: resource_type
        for logical_id, resource_type in template.types().items()
        if logical_id not in stack.resources
    }


def _wait_until_settled(cloudformation: Any, stack_id: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        if time.monotonic() > deadline:
            raise DeployError(f"stack {stack_id} still {stack['StackStatus']} after {timeout:.0f} s")
        time.sleep(_POLL_SECONDS)


def _failure_report(cloudformation: Any, stack: Any, template: Template) -> str:
    events = cloudformation.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    reasons = [
        f"  - {event.get('LogicalResourceId', '?')}: {event.get('ResourceStatusReason', '')}"
        for event in events
        if str(event.get("ResourceStatus", "")).endswith("_FAILED")
    ]
    summary = f"stack from {template.path} ended in {stack['StackStatus']}"
    if stack.get("StackStatusReason"):
        summary += f" ({stack['StackStatusReason']})"
    return "\n".join([summary, *reasons])


def _created_resources(cloudformation: Any, stack_id: str) -> dict[str, DeployedResource]:
    resources: dict[str, DeployedResource] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for summary in page["StackResourceSummaries"]:
            # moto lists the resources it skipped too, without any id.
            if summary.get("LogicalResourceId") and summary.get("PhysicalResourceId"):
                resource = DeployedResource(
                    logical_id=summary["LogicalResourceId"],
                    type=summary["ResourceType"],
                    physical_id=summary["PhysicalResourceId"],
                )
                resources[resource.logical_id] = resource
    return resources
