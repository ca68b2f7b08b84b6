"""Package the Chalice app into one deployable SAM template.

    python -m infra.package [--stage dev] [--out build/package] [--project-dir DIR]

Steps:

1. ``infra/template.yaml`` (every stateful resource) and ``infra/functions.yaml``
   (function wiring) are deep-merged into ``<out>/merge-template.json`` with
   Chalice's own ``TemplateDeepMerger``. The overlay's values win, mappings
   merge key by key, lists are replaced whole. The ``Stage`` parameter defaults
   to the packaged stage.
2. ``chalice package --stage <stage> --merge-template <that file> <out>`` runs
   with ``AWS_DEFAULT_REGION`` defaulting to ``us-east-1``, and with every
   variable of ``chalicelib.settings.ENVIRONMENT`` set to a placeholder:
   decorator arguments that ``app.py`` reads from the environment at import
   (queue names, stream ARNs) must be replaced by references in
   ``infra/functions.yaml``, never baked in from whatever shell ran this.
3. The packaged ``<out>/sam.json`` is checked; any problem fails the run.

Rules the packaged template must keep (``check_package``):

- every resource has a ``Type`` (an overlay entry for a function or role that
  Chalice did not generate would leave one without);
- every ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` names a resource, parameter or
  pseudo parameter of the template;
- no packaging placeholder is left anywhere;
- no node holds two intrinsic functions (what the deep merge makes of an
  overlay ``!GetAtt`` over a Chalice ``Fn::Sub``: write the overlay value as a
  ``!Sub`` then);
- every function runs with the shared role ``DefaultRole``, whose policy comes
  from ``infra/functions.yaml``;
- every function gets every variable of ``ENVIRONMENT`` as a reference to a
  template resource or parameter (``Globals``), and no function shadows one
  of them;
- every DynamoDB or SQS event source reports partial batch failures, and a
  DynamoDB one also bisects, limits retries and has an on-failure destination.

The merge file and the overlay may not redefine a resource of
``infra/template.yaml``: the two files hold disjoint resources.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml
from chalice.package import TemplateDeepMerger

from chalicelib.settings import ENVIRONMENT

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "infra" / "template.yaml"
OVERLAY_PATH = REPO_ROOT / "infra" / "functions.yaml"
DEFAULT_OUT = REPO_ROOT / "build" / "package"
DEFAULT_REGION = "us-east-1"

MERGE_FILE_NAME = "merge-template.json"
PACKAGED_FILE_NAME = "sam.json"
#: Files of an earlier run that are removed before packaging into the same place.
_STALE_OUTPUTS = (MERGE_FILE_NAME, PACKAGED_FILE_NAME, "sam.yaml", "deployment.zip")

PLACEHOLDER_PREFIX = "packaging-placeholder-"
SHARED_ROLE = "DefaultRole"
FUNCTION_TYPE = "AWS::Serverless::Function"
INTRINSICS = frozenset({"Ref", "Fn::GetAtt", "Fn::Sub"})
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")

Template = dict[str, Any]


class PackagingError(Exception):
    """The app could not be packaged, or the package breaks a rule."""


# --------------------------------------------------------------------------
# Loading and merging
# --------------------------------------------------------------------------


def load_cfn_yaml(path: Path) -> Template:
    """Load a CloudFormation YAML file; short tags become long-form intrinsics.

    ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}`` and so on (cfn-lint's
    loader). The result holds plain dicts, lists and scalars only.
    """
    loaded = cfn_yaml.loads(path.read_text(encoding="utf-8"), str(path))
    plain = json.loads(json.dumps(loaded))
    if not isinstance(plain, dict):
        raise PackagingError(f"{path} is not a YAML mapping")
    return plain


def build_merge_template(template: Template, overlay: Template, stage: str) -> Template:
    """Deep-merge the overlay into the stateful template, for one stage.

    The overlay may add to chalice-generated resources but may not redefine a
    resource of the template. The ``Stage`` parameter defaults to ``stage``,
    which must be one of its allowed values.
    """
    shared = sorted(set(template.get("Resources", {})) & set(overlay.get("Resources", {})))
    if shared:
        raise PackagingError(
            "infra/functions.yaml redefines resources of infra/template.yaml: " + ", ".join(shared)
        )
    merged: Template = TemplateDeepMerger().merge(overlay, template)
    stage_parameter = merged.get("Parameters", {}).get("Stage")
    if stage_parameter is not None:
        allowed = stage_parameter.get("AllowedValues", [stage])
        if stage not in allowed:
            raise PackagingError(f"stage {stage!r} is not one of the template's stages {allowed}")
        stage_parameter["Default"] = stage
    return merged


def placeholder(name: str) -> str:
    """The value an ENVIRONMENT variable has while Chalice imports app.py."""
    return PLACEHOLDER_PREFIX + name.lower().replace("_", "-")


def packaging_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The environment of ``chalice package``: placeholders and a region."""
    env = dict(base)
    env.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    for name in ENVIRONMENT:
        env[name] = placeholder(name)
    return env


# --------------------------------------------------------------------------
# Checking the packaged template
# --------------------------------------------------------------------------


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (JSON path, value) for every node below ``node``."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _referenced_names(node: Mapping[str, Any]) -> list[str]:
    """The logical names an intrinsic-function node refers to (if any)."""
    if len(node) != 1:
        return []
    ((function, argument),) = node.items()
    if function == "Ref" and isinstance(argument, str):
        return [argument]
    if function == "Fn::GetAtt":
        if isinstance(argument, str):
            return [argument.split(".", 1)[0]]
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            return [argument[0]]
        return []
    if function == "Fn::Sub":
        text, local = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        if not isinstance(text, str):
            return []
        names = [match.split(".", 1)[0] for match in _SUB_VARIABLE.findall(text)]
        return [name for name in names if name not in local]
    return []


def dangling_references(template: Template) -> list[str]:
    """``Ref``/``GetAtt``/``Sub`` targets that the template does not define."""
    known = set(template.get("Resources", {})) | set(template.get("Parameters", {}))
    known |= PSEUDO_PARAMETERS
    problems = []
    for path, node in _walk(template):
        if isinstance(node, dict):
            for name in _referenced_names(node):
                if name not in known:
                    problems.append(f"{path}: refers to {name!r}, which the template lacks")
    return problems


def is_intrinsic_key(key: str) -> bool:
    """True for the key of an intrinsic function node (``Ref``, ``Fn::...``)."""
    return key == "Ref" or key.startswith("Fn::")


def mixed_intrinsics(template: Template) -> list[str]:
    """Nodes holding an intrinsic function beside other keys (a bad deep merge)."""
    return [
        f"{path}: mixes {sorted(node)} in one node (write the overlay value as a !Sub)"
        for path, node in _walk(template)
        if isinstance(node, dict) and len(node) > 1 and any(map(is_intrinsic_key, node))
    ]


def is_reference(value: Any) -> bool:
    """True for a single ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub`` node."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in INTRINSICS


def functions(template: Template) -> dict[str, Template]:
    """The Chalice functions (``AWS::Serverless::Function``) by logical ID."""
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == FUNCTION_TYPE
    }


def effective_environment(template: Template, function_id: str) -> dict[str, Any]:
    """A function's variables as SAM sets them: Globals, then its own (which win)."""
    global_vars = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own_vars = (
        template["Resources"][function_id].get("Properties", {}).get("Environment", {}).get("Variables", {})
    )
    return {**global_vars, **own_vars}


def _function_problems(template: Template) -> list[str]:
    problems = []
    global_vars = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    for name in ENVIRONMENT:
        if not is_reference(global_vars.get(name)):
            problems.append(f"Globals: {name} is not a reference to a template resource or parameter")
    found = functions(template)
    if not found:
        problems.append("the package has no AWS::Serverless::Function")
    for function_id, resource in found.items():
        properties = resource.get("Properties", {})
        own_vars = properties.get("Environment", {}).get("Variables", {})
        for name in sorted(set(own_vars) & set(ENVIRONMENT)):
            problems.append(f"{function_id}: sets {name} itself and shadows the template value")
        if properties.get("Role") != {"Fn::GetAtt": [SHARED_ROLE, "Arn"]}:
            problems.append(f"{function_id}: does not run with {SHARED_ROLE} (is autogen_policy still true?)")
        for event_id, event in (properties.get("Events") or {}).items():
            problems.extend(_event_problems(f"{function_id}/{event_id}", event))
    return problems


def _event_problems(where: str, event: Mapping[str, Any]) -> list[str]:
    kind = event.get("Type")
    if kind not in ("DynamoDB", "SQS"):
        return []
    properties = event.get("Properties", {})
    problems = []
    if "ReportBatchItemFailures" not in (properties.get("FunctionResponseTypes") or []):
        problems.append(f"{where}: FunctionResponseTypes lacks ReportBatchItemFailures")
    if kind == "DynamoDB":
        if properties.get("BisectBatchOnFunctionError") is not True:
            problems.append(f"{where}: BisectBatchOnFunctionError is not true")
        if "MaximumRetryAttempts" not in properties:
            problems.append(f"{where}: MaximumRetryAttempts is not set")
        on_failure = (properties.get("DestinationConfig") or {}).get("OnFailure") or {}
        if not is_reference(on_failure.get("Destination")):
            problems.append(f"{where}: DestinationConfig.OnFailure.Destination is not set")
    return problems


def check_package(template: Template) -> list[str]:
    """Every way the packaged template breaks a rule of this module (none: [])."""
    problems = [
        f"/Resources/{name}: has no Type (an overlay for a resource Chalice did not generate?)"
        for name, resource in template.get("Resources", {}).items()
        if "Type" not in resource
    ]
    role = template.get("Resources", {}).get(SHARED_ROLE, {})
    if role.get("Type") != "AWS::IAM::Role":
        problems.append(f"{SHARED_ROLE} is not an AWS::IAM::Role generated by Chalice")
    problems.extend(dangling_references(template))
    problems.extend(mixed_intrinsics(template))
    problems.extend(
        f"{path}: still holds the packaging placeholder {node!r}"
        for path, node in _walk(template)
        if isinstance(node, str) and PLACEHOLDER_PREFIX in node
    )
    problems.extend(_function_problems(template))
    return problems


# --------------------------------------------------------------------------
# Packaging
# --------------------------------------------------------------------------


def run_chalice_package(project_dir: Path, stage: str, merge_file: Path, out: Path) -> None:
    """Run ``chalice package`` in a child process with the packaging environment."""
    command = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_file),
        str(out),
    ]
    result = subprocess.run(  # noqa: S603 - fixed command, no shell
        command,
        env=packaging_environment(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingError(
            f"chalice package failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )


def package(stage: str, out: Path, project_dir: Path = REPO_ROOT) -> Path:
    """Package ``project_dir`` for ``stage`` into ``out``; return the checked sam.json."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for name in _STALE_OUTPUTS:
        (out / name).unlink(missing_ok=True)
    merged = build_merge_template(load_cfn_yaml(TEMPLATE_PATH), load_cfn_yaml(OVERLAY_PATH), stage=stage)
    merge_file = out / MERGE_FILE_NAME
    merge_file.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    run_chalice_package(project_dir.resolve(), stage, merge_file, out)
    packaged_file = out / PACKAGED_FILE_NAME
    packaged = json.loads(packaged_file.read_text(encoding="utf-8"))
    problems = check_package(packaged)
    if problems:
        raise PackagingError(f"{packaged_file} breaks the packaging rules:\n  " + "\n  ".join(problems))
    return packaged_file


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; exit status 0 on a checked package, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--project-dir", type=Path, default=REPO_ROOT, help="Chalice project (default: repo root)"
    )
    args = parser.parse_args(argv)
    try:
        packaged_file = package(args.stage, args.out, args.project_dir)
    except PackagingError as exc:
        print(f"infra.package: {exc}", file=sys.stderr)
        return 1
    print(packaged_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
