"""Why the local stack could not start, in one hierarchy.

Every failure the devstack can explain is a `DevstackError`. The command line
prints its message and exits non-zero, without a traceback; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class DevstackError(Exception):
    """Base class: the local stack cannot start or run, for a stated reason."""


class OptionsError(DevstackError):
    """Raised when an environment variable that configures the stack is invalid."""


class TemplateError(DevstackError):
    """Raised when a CloudFormation file cannot be read or lacks a required part."""


class ResolutionError(DevstackError):
    """Raised when an intrinsic function (Ref, Fn::GetAtt, ...) cannot be resolved."""


class UnresolvedEnvironment(DevstackError):
    """Raised when the functions' environment cannot be fully resolved; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"the functions' environment is not fully resolved:\n{lines}")


class EmulatorError(DevstackError):
    """Raised when the embedded AWS emulator (moto's server) cannot start."""


class DeployError(DevstackError):
    """Raised when the template cannot be deployed into the emulator."""


class CognitoError(DevstackError):
    """Raised when the user pool, its clients or groups cannot be created."""


class AppLoadError(DevstackError):
    """Raised when the Chalice app or its config cannot be loaded."""


class ServerError(DevstackError):
    """Raised when the local HTTP server cannot start."""
