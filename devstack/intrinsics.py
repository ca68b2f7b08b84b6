"""Resolve CloudFormation intrinsic functions against a deployed stack.

The overlay `infra/functions.yaml` is the single source of truth for the
functions' environment: on AWS, CloudFormation resolves its `!Ref` and
`!GetAtt` values; locally, this module does, through a `Lookups` object that
knows the deployed stack. Nothing here talks to AWS, so tests drive it with
fakes.

Rules:

- `Ref` names a resource (its physical id), a parameter or a pseudo
  parameter; `Ref: AWS::NoValue` removes the key or item that holds it.
- `Fn::GetAtt` accepts `[LogicalId, Attribute]` and `"LogicalId.Attribute"`.
- `Fn::Sub` accepts a string or `[string, variables]`; `${Name}` is a Ref,
  `${Name.Attribute}` a GetAtt, `${!Literal}` the text `${Literal}`.
- `Fn::Join` accepts `[delimiter, [values]]`.
- `Fn::If` accepts `[condition, then, else]`; conditions are the template's,
  built from `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition`.
- Any other `Fn::*` is refused, never passed through unresolved.
- An environment value resolves to a string; numbers and booleans are
  written as CloudFormation writes them (`8`, `true`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, Protocol

from devstack.errors import ResolutionError, UnresolvedEnvironment


class Lookups(Protocol):
    """What a deployed stack answers; both methods raise `LookupError` for an unknown name."""

    def ref(self, name: str) -> str:
        """The value of `Ref name`: a resource's physical id, a parameter or a pseudo parameter."""
        ...

    def get_att(self, logical_id: str, attribute: str) -> str:
        """The value of `Fn::GetAtt [logical_id, attribute]`."""
        ...

    def condition(self, name: str) -> bool:
        """Whether the template's condition `name` holds."""
        ...


class _NoValue:
    """The value of `Ref: AWS::NoValue`: its holder is dropped."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def resolve_value(value: Any, lookups: Lookups) -> Any:
    """Return `value` with every intrinsic function resolved, as plain dicts, lists and scalars."""
    if isinstance(value, Mapping):
        if len(value) == 1:
            (key,) = value
            if key == "Ref" or str(key).startswith("Fn::"):
                return _resolve_function(str(key), value[key], lookups)
        resolved = {str(k): resolve_value(v, lookups) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(value, list):
        items = [resolve_value(item, lookups) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if isinstance(value, str):
        return str(value)
    return value


def resolve_environment(
    variables: Mapping[str, Any], lookups: Lookups, required: Collection[str]
) -> dict[str, str]:
    """Resolve every variable to a string; raise `UnresolvedEnvironment` listing all problems.

    A name in `required` that the variables do not set, or set to
    `AWS::NoValue`, is a problem too: the functions would fail at cold start.
    Names that are not required are set as well (`STAGE`, `LOG_LEVEL`).
    """
    environment: dict[str, str] = {}
    problems = [f"{name}: not set by the overlay" for name in sorted(set(required) - set(variables))]
    for name, value in variables.items():
        try:
            resolved = resolve_value(value, lookups)
        except ResolutionError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if resolved is NO_VALUE:
            if name in required:
                problems.append(f"{name}: resolves to AWS::NoValue")
            continue
        if not isinstance(resolved, str | int | float | bool):
            problems.append(f"{name}: resolves to {type(resolved).__name__}, not a string")
            continue
        environment[str(name)] = _as_string(resolved)
    if problems:
        raise UnresolvedEnvironment(problems)
    return environment


def _as_string(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve_function(name: str, argument: Any, lookups: Lookups) -> Any:
    resolver = _FUNCTIONS.get(name)
    if resolver is None:
        raise ResolutionError(f"{name} is not supported by the local stack")
    return resolver(argument, lookups)


def _ref(argument: Any, lookups: Lookups) -> Any:
    if not isinstance(argument, str):
        raise ResolutionError(f"Ref takes a name, not {argument!r}")
    if argument == "AWS::NoValue":
        return NO_VALUE
    try:
        return lookups.ref(str(argument))
    except LookupError as exc:
        raise ResolutionError(f"Ref {argument}: {_reason(exc)}") from exc


def _get_att(argument: Any, lookups: Lookups) -> str:
    if isinstance(argument, str) and "." in argument:
        logical_id, attribute = argument.split(".", 1)
    elif isinstance(argument, list) and len(argument) == 2:
        logical_id, attribute = (str(part) for part in argument)
    else:
        raise ResolutionError(f"Fn::GetAtt takes [LogicalId, Attribute], not {argument!r}")
    try:
        return lookups.get_att(logical_id, attribute)
    except LookupError as exc:
        raise ResolutionError(f"Fn::GetAtt {logical_id}.{attribute}: {_reason(exc)}") from exc


def _sub(argument: Any, lookups: Lookups) -> str:
    if isinstance(argument, str):
        text, variables = argument, {}
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        text, variables = argument[0], resolve_value(argument[1], lookups)
    else:
        raise ResolutionError(f"Fn::Sub takes a string or [string, variables], not {argument!r}")
    if not isinstance(text, str):
        raise ResolutionError(f"Fn::Sub takes a string template, not {text!r}")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name:
            return _get_att(name, lookups)
        return str(_ref(name, lookups))

    return _SUB_VARIABLE.sub(substitute, text)


def _join(argument: Any, lookups: Lookups) -> str:
    if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
        raise ResolutionError(f"Fn::Join takes [delimiter, [values]], not {argument!r}")
    values = resolve_value(argument[1], lookups)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ResolutionError(f"Fn::Join needs a list of strings, not {values!r}")
    return str(argument[0]).join(values)


def _if(argument: Any, lookups: Lookups) -> Any:
    if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
        raise ResolutionError(f"Fn::If takes [condition, then, else], not {argument!r}")
    name, when_true, when_false = argument
    return resolve_value(when_true if _condition(name, lookups) else when_false, lookups)


def _equals(argument: Any, lookups: Lookups) -> bool:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise ResolutionError(f"Fn::Equals takes two values, not {argument!r}")
    left, right = (resolve_value(value, lookups) for value in argument)
    return bool(left == right)


def _not(argument: Any, lookups: Lookups) -> bool:
    if not (isinstance(argument, list) and len(argument) == 1):
        raise ResolutionError(f"Fn::Not takes one condition, not {argument!r}")
    return not _truth(argument[0], lookups)


def _and(argument: Any, lookups: Lookups) -> bool:
    return all(_truth(item, lookups) for item in _conditions_list("Fn::And", argument))


def _or(argument: Any, lookups: Lookups) -> bool:
    return any(_truth(item, lookups) for item in _conditions_list("Fn::Or", argument))


def _conditions_list(name: str, argument: Any) -> list[Any]:
    if not isinstance(argument, list) or not argument:
        raise ResolutionError(f"{name} takes a list of conditions, not {argument!r}")
    return argument


def _truth(value: Any, lookups: Lookups) -> bool:
    """A condition operand: `{Condition: Name}` or a function that yields a boolean."""
    if isinstance(value, Mapping) and list(value) == ["Condition"]:
        return _condition(str(value["Condition"]), lookups)
    resolved = resolve_value(value, lookups)
    if not isinstance(resolved, bool):
        raise ResolutionError(f"a condition must be true or false, not {resolved!r}")
    return resolved


def _condition(name: str, lookups: Lookups) -> bool:
    try:
        return lookups.condition(name)
    except LookupError as exc:
        raise ResolutionError(f"Condition {name}: {_reason(exc)}") from exc


def _reason(exc: LookupError) -> str:
    # KeyError quotes its message; the other LookupErrors do not.
    return str(exc.args[0]) if exc.args else type(exc).__name__


_FUNCTIONS: Final[dict[str, Callable[[Any, Lookups], Any]]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
}
