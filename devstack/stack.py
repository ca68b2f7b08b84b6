"""The whole system on one machine: emulator, stack, user pool, app and HTTP server.

`LocalStack.start()` brings things up in dependency order and serves HTTP
last, so that any answer from the API means that everything is ready.
`stop()` takes them down in reverse and restores this process's environment.
A failed start stops what it had started and raises a `DevstackError`.

Background services (the event-source runner, schedules) plug in through
`services`: each factory receives the `StackContext` once the app is loaded
and returns something with `start()` and `stop()`; they run before HTTP is
served and stop after it. Demo staff users are not created yet; their place
is right after the Cognito step of `_create_resources`, where the pool,
client and groups are known.

One stack per process: `app.py` reads its environment when it is imported,
and a process imports it once.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from devstack.attributes import stack_resources
from devstack.aws import Clients, EnvironmentChange, emulator_environment
from devstack.cloudformation import deploy_stack, not_created
from devstack.cognito import create_cognito_resources
from devstack.emulator import Emulator
from devstack.errors import AppLoadError
from devstack.intrinsics import resolve_environment
from devstack.lookups import Resource, StackLookups, pseudo_parameters
from devstack.options import HOST, StackOptions
from devstack.outbox import ensure_outbox, outbox_path
from devstack.quirks import repair_key_policies
from devstack.server import ApiServer, load_app
from devstack.template import Template, environment_variables, load_template

TEMPLATE = Path("infra/template.yaml")
OVERLAY = Path("infra/functions.yaml")


@dataclass(frozen=True)
class StackContext:
    """What a background service gets from a started stack."""

    app: Any
    environment: Mapping[str, str]
    resources: Mapping[str, Resource]
    clients: Clients
    outbox_path: Path


class Service(Protocol):
    """A background part of the stack, such as the event-source runner."""

    def start(self) -> None:
        """Start working; return promptly."""
        ...

    def stop(self) -> None:
        """Stop working and release what `start` took."""
        ...


ServiceFactory = Callable[[StackContext], Service]


@dataclass
class _Running:
    """What a started stack holds; stopped in reverse order."""

    environ_before: dict[str, str] | None = None
    emulator: Emulator | None = None
    api: ApiServer | None = None
    services: list[Service] = field(default_factory=list)


class LocalStack:
    """The local stack, for `python -m devstack` and for tests (also a context manager)."""

    def __init__(self, options: StackOptions | None = None, services: Sequence[ServiceFactory] = ()) -> None:
        self.options = options or StackOptions()
        self._service_factories = services
        self._running = _Running()
        self.outbox_path = outbox_path(self.options.local_path)
        #: The app's resolved environment, the user pool's ids, and notes, once started.
        self.environment: dict[str, str] = {}
        self.staff: dict[str, str] = {}
        self.notes: list[str] = []

    @property
    def api_url(self) -> str:
        """Base URL of the API, with the port actually bound."""
        if self._running.api is None:
            raise RuntimeError("the local stack is not started")
        return self._running.api.url

    @property
    def moto_url(self) -> str:
        """Endpoint URL of the AWS emulator, with the port actually bound."""
        if self._running.emulator is None:
            raise RuntimeError("the local stack is not started")
        return self._running.emulator.url

    def start(self) -> None:
        """Start everything; on any failure (or interrupt), stop what was started and re-raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        options, running = self.options, self._running
        template = load_template(options.project_dir / TEMPLATE)
        variables = environment_variables(load_template(options.project_dir / OVERLAY))
        required = _required_environment(options.project_dir)
        ensure_outbox(options.local_path)

        running.emulator = Emulator(HOST, options.moto_port)
        running.emulator.start()
        clients = Clients(running.emulator.url, options.region)
        running.environ_before = dict(os.environ)
        _apply(emulator_environment(os.environ, running.emulator.url, options.region, os.devnull))

        lookups = self._create_resources(clients, template)
        self.environment = resolve_environment(variables, lookups, required)
        os.environ.update(self.environment)
        loaded = load_app(options.project_dir, options.stage, os.environ)
        _check_not_overridden(self.environment, required)

        context = StackContext(loaded.app, self.environment, lookups.resources, clients, self.outbox_path)
        for factory in self._service_factories:
            service = factory(context)
            service.start()
            running.services.append(service)

        running.api = ApiServer(loaded, HOST, options.port)
        running.api.start()

    def _create_resources(self, clients: Clients, template: Template) -> StackLookups:
        """Deploy the template, then create what moto's CloudFormation skips."""
        stack = deploy_stack(clients, self.options.stack_name, template)
        lookups = StackLookups(
            resources=stack_resources(clients, stack),
            parameters=stack.parameters,
            pseudo=pseudo_parameters(stack.stack_id),
            conditions=template.conditions,
        )
        key_ids = {logical_id: r.physical_id for logical_id, r in stack.resources.items()}
        repair_key_policies(clients, template.resources_of_type("AWS::KMS::Key"), key_ids, lookups)
        cognito = create_cognito_resources(clients, template, lookups)
        self.staff = _staff_summary(cognito.resources.values())
        self.notes.extend(cognito.notes)
        missing = {
            f"{logical_id} ({resource_type})"
            for logical_id, resource_type in not_created(template, stack).items()
            if logical_id not in cognito.resources
        }
        if missing:
            self.notes.append(f"not emulated locally: {', '.join(sorted(missing))}")
        return lookups.with_resources(cognito.resources)

    def wait(self, poll_seconds: float = 0.5) -> None:
        """Block while the API serves; return if its server stops by itself."""
        while self._running.api is not None and self._running.api.is_alive():
            time.sleep(poll_seconds)

    def stop(self) -> None:
        """Stop the API, the services and the emulator, then restore the environment; idempotent."""
        running, self._running = self._running, _Running()
        if running.api is not None:
            running.api.stop()
        for service in reversed(running.services):
            service.stop()
        if running.emulator is not None:
            running.emulator.stop()
        if running.environ_before is not None:
            os.environ.clear()
            os.environ.update(running.environ_before)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _apply(change: EnvironmentChange) -> None:
    for name in change.unset:
        os.environ.pop(name, None)
    os.environ.update(change.set)


def _required_environment(project_dir: Path) -> frozenset[str]:
    """The names the functions require: `ENVIRONMENT` in the project's `chalicelib/settings.py`."""
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    try:
        settings = importlib.import_module("chalicelib.settings")
        return frozenset(settings.ENVIRONMENT)
    except (ImportError, AttributeError) as exc:
        raise AppLoadError(f"cannot read ENVIRONMENT from chalicelib/settings.py: {exc}") from exc


def _check_not_overridden(environment: Mapping[str, str], required: frozenset[str]) -> None:
    """The overlay owns the required names; `.chalice/config.json` must not set them too."""
    overridden = sorted(name for name in required if os.environ.get(name) != environment[name])
    if overridden:
        raise AppLoadError(
            f".chalice/config.json sets {', '.join(overridden)}, which infra/functions.yaml "
            "sets from the stack; remove them from config.json"
        )


def _staff_summary(resources: Iterable[Resource]) -> dict[str, str]:
    """The ids staff sign-in needs, by resource kind, for the banner."""
    kinds = {
        "AWS::Cognito::UserPool": "user pool",
        "AWS::Cognito::UserPoolClient": "app client",
        "AWS::Cognito::UserPoolGroup": "groups",
    }
    summary: dict[str, list[str]] = {}
    for resource in resources:
        if resource.type in kinds:
            summary.setdefault(kinds[resource.type], []).append(resource.ref)
    return {kind: ", ".join(refs) for kind, refs in summary.items()}
