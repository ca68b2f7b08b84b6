"""Read the CloudFormation files the stack is built from.

`infra/template.yaml` declares the resources and is deployed as it is;
`infra/functions.yaml` is the overlay that `chalice package --merge-template`
adds on AWS, and here only its functions' environment is read. Both are read
with cfn-lint's loader, which understands the short forms (`!Ref`,
`!GetAtt X.Y`, `!Sub`) and reports errors with line numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from devstack.errors import TemplateError

ENVIRONMENT_PATH = ("Globals", "Function", "Environment", "Variables")


@dataclass(frozen=True)
class Template:
    """A CloudFormation file: its text, sent as is, and its parsed document."""

    path: Path
    body: str
    document: Mapping[str, Any]

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """Resources by logical ID."""
        resources = self.document.get("Resources") or {}
        if not isinstance(resources, Mapping):
            raise TemplateError(f"{self.path}: Resources is not a mapping")
        return resources

    @property
    def conditions(self) -> Mapping[str, Any]:
        """Conditions by name, unevaluated."""
        conditions = self.document.get("Conditions") or {}
        if not isinstance(conditions, Mapping):
            raise TemplateError(f"{self.path}: Conditions is not a mapping")
        return conditions

    def resources_of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        """The properties of every resource of one type, by logical ID, in template order."""
        return {
            logical_id: resource.get("Properties") or {}
            for logical_id, resource in self.resources.items()
            if isinstance(resource, Mapping) and resource.get("Type") == resource_type
        }

    def types(self) -> dict[str, str]:
        """The type of every resource, by logical ID."""
        return {
            logical_id: str(resource.get("Type", "?"))
            for logical_id, resource in self.resources.items()
            if isinstance(resource, Mapping)
        }


def load_template(path: Path) -> Template:
    """Read and parse a CloudFormation YAML or JSON file; a parse error names its line."""
    try:
        body = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read {path}: {exc.strerror or exc}") from exc
    document, matches = decode_str(body)
    if matches:
        details = "; ".join(f"line {match.linenumber}: {match.message}" for match in matches)
        raise TemplateError(f"{path} is not a valid CloudFormation file: {details}")
    if not isinstance(document, Mapping):
        raise TemplateError(f"{path} is not a mapping at the top level")
    return Template(path=path, body=body, document=document)


def environment_variables(overlay: Template) -> Mapping[str, Any]:
    """The functions' environment that the overlay declares, unresolved."""
    node: Any = overlay.document
    for key in ENVIRONMENT_PATH:
        if not isinstance(node, Mapping) or key not in node:
            raise TemplateError(f"{overlay.path} has no {'.'.join(ENVIRONMENT_PATH)}")
        node = node[key]
    if not isinstance(node, Mapping):
        raise TemplateError(f"{overlay.path}: {'.'.join(ENVIRONMENT_PATH)} is not a mapping")
    return node
