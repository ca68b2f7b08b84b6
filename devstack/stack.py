"""The whole system on one machine: emulator, stack, user pool, app and HTTP server.

`LocalStack.start()` brings things up in dependency order and serves HTTP
last, so that any answer from the API means that everything is ready.
`stop()` takes them down in reverse and restores this process's environment.
A failed start stops what it had started and raises a `DevstackError`.

Background services (the event-source runner, schedules) plug in through
`services`: each factory receives the `StackContext` once the app is loaded
and returns something with `start()` and `stop()`; they run before HTTP is
served and stop after it. Demo staff users (devstack/staff_users.py) are
created right after the Cognito step of `_create_resources`, where the pool,
client and groups are known.

Once ready, the stack writes `stack.json` into the local directory (next to
the outbox), readable by its owner only, and removes it when it stops:

    {"moto_url": ..., "api_url": ..., "region": ..., "user_pool_id": ...,
     "client_id": ..., "demo_password": ...,
     "users": {"handler": {"groups": ["handler"], "department": ..., "market": ...}, ...}}

`python -m devstack.token <user>` reads it to sign a demo user in. The
password in it is the local demo password, nothing else.

One stack per process: `app.py` reads its environment when it is imported,
and a process imports it once.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from devstack.attributes import stack_resources
from devstack.aws import Clients, EnvironmentChange, emulator_environment, sdk_errors
from devstack.cloudformation import deploy_stack, not_created
from devstack.cognito import create_cognito_resources
from devstack.emulator import Emulator
from devstack.errors import AppLoadError, DeployError
from devstack.faults import injected, parse_faults
from devstack.intrinsics import resolve_environment, resolve_value
from devstack.lookups import Resource, StackLookups, pseudo_parameters
from devstack.options import HOST, StackOptions
from devstack.outbox import Outbox, ensure_outbox, outbox_path
from devstack.quirks import (
    repair_key_policies,
    revocable_refresh_tokens,
    serialize_dynamodb_requests,
    share_stream_records_in_snapshots,
    snapshot_only_touched_items,
)
from devstack.runner.outbox import from_gateway
from devstack.server import ApiServer, load_app
from devstack.sms_gateway import FakeSmsGateway
from devstack.staff_users import DEMO_USERS, DemoUser, create_demo_users, generate_password
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
    sms_gateway: FakeSmsGateway | None = None
    emulator: Emulator | None = None
    api: ApiServer | None = None
    services: list[Service] = field(default_factory=list)
    faults: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    #: The stack file as written, to remove on stop (only if it is still this stack's).
    stack_file: tuple[Path, str] | None = None


class LocalStack:
    """The local stack, for `python -m devstack` and for tests (also a context manager)."""

    def __init__(self, options: StackOptions | None = None, services: Sequence[ServiceFactory] = ()) -> None:
        self.options = options or StackOptions()
        self._service_factories = services
        self._running = _Running()
        self.outbox_path = outbox_path(self.options.local_path)
        self.stack_file_path = self.options.stack_file_path
        #: The app's resolved environment, the user pool's ids, and notes, once started.
        self.environment: dict[str, str] = {}
        self.staff: dict[str, str] = {}
        self.notes: list[str] = []
        #: The demo staff users (none if the template has no user pool), their password, the pool's ids.
        self.demo_users: tuple[DemoUser, ...] = ()
        self.demo_password = ""
        self.user_pool_id: str | None = None
        self.client_id: str | None = None

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

    @property
    def sms_gateway_url(self) -> str:
        """Where the functions send SMS that SNS cannot deliver: the fake HTTP gateway."""
        if self._running.sms_gateway is None:
            raise RuntimeError("the local stack is not started")
        return self._running.sms_gateway.url

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
        self.demo_password = options.demo_password or generate_password()
        running.sms_gateway = _start_sms_gateway(Outbox(self.outbox_path))

        running.emulator = Emulator(HOST, options.moto_port)
        running.emulator.start()
        share_stream_records_in_snapshots()
        snapshot_only_touched_items()
        serialize_dynamodb_requests()
        revocable_refresh_tokens()
        clients = Clients(running.emulator.url, options.region)
        running.environ_before = dict(os.environ)
        _apply(emulator_environment(os.environ, running.emulator.url, options.region, os.devnull))

        lookups = self._create_resources(clients, template, _local_parameters(template, running.sms_gateway))
        _put_sms_gateway_key(clients, lookups, running.sms_gateway.api_key)
        _verify_mail_sender(clients, lookups)
        self.environment = resolve_environment(variables, lookups, required)
        os.environ.update(self.environment)
        loaded = load_app(options.project_dir, options.stage, os.environ)
        _check_not_overridden(self.environment, required)

        context = StackContext(loaded.app, self.environment, lookups.resources, clients, self.outbox_path)
        # Faults on purpose begin once the stack is deployed: they are for the system, not its set-up.
        running.faults.enter_context(injected(parse_faults(options.faults)))
        for factory in self._service_factories:
            service = factory(context)
            service.start()
            running.services.append(service)

        running.api = ApiServer(loaded, HOST, options.port)
        running.api.start()
        running.stack_file = write_stack_file(self.stack_file_path, self.describe())

    def describe(self) -> dict[str, Any]:
        """What `stack.json` holds: URLs, the user pool's ids, the demo users and their password."""
        return {
            "moto_url": self.moto_url,
            "api_url": self.api_url,
            "region": self.options.region,
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "demo_password": self.demo_password,
            "users": {user.name: user.describe() for user in self.demo_users},
        }

    def _create_resources(
        self, clients: Clients, template: Template, local_parameters: Mapping[str, str]
    ) -> StackLookups:
        """Deploy the template, then create what moto's CloudFormation skips.

        `local_parameters` are the stack parameters whose local values differ
        from the template's defaults (the fake gateway's URL).
        """
        stack = deploy_stack(clients, self.options.stack_name, template, local_parameters)
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
        self.user_pool_id = _first_ref(cognito.resources.values(), "AWS::Cognito::UserPool")
        self.client_id = _first_ref(cognito.resources.values(), "AWS::Cognito::UserPoolClient")
        if self.user_pool_id is not None:
            create_demo_users(clients, self.user_pool_id, self.demo_password)
            self.demo_users = DEMO_USERS
        skipped = not_created(template, stack)
        created = {
            **cognito.resources,
            **_create_secrets(clients, self.options.stack_name, template, skipped, lookups),
        }
        missing = {
            f"{logical_id} ({resource_type})"
            for logical_id, resource_type in skipped.items()
            if logical_id not in created
        }
        if missing:
            self.notes.append(f"not emulated locally: {', '.join(sorted(missing))}")
        return lookups.with_resources(created)

    def wait(self, poll_seconds: float = 0.5) -> None:
        """Block while the API serves; return if its server stops by itself."""
        while self._running.api is not None and self._running.api.is_alive():
            time.sleep(poll_seconds)

    def stop(self) -> None:
        """Stop the API, the services and the emulator, then restore the environment; idempotent."""
        running, self._running = self._running, _Running()
        if running.stack_file is not None:
            remove_stack_file(*running.stack_file)
        if running.api is not None:
            running.api.stop()
        for service in reversed(running.services):
            service.stop()
        running.faults.close()
        if running.emulator is not None:
            running.emulator.stop()
        if running.sms_gateway is not None:
            running.sms_gateway.stop()
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


def _first_ref(resources: Iterable[Resource], resource_type: str) -> str | None:
    """The `Ref` of the first resource of a type, or None if there is none."""
    return next((resource.ref for resource in resources if resource.type == resource_type), None)


# --- the stack file: what local tools need to know about a running stack ---------------------------


def write_stack_file(path: Path, content: Mapping[str, Any]) -> tuple[Path, str]:
    """Write `content` as JSON, readable by the owner only, atomically; return what was written.

    The file appears whole or not at all (a temporary file, renamed), so a
    reader never sees half of it. An older file is replaced.
    """
    text = json.dumps(content, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path, text


def remove_stack_file(path: Path, written: str) -> None:
    """Remove the stack file, unless another stack has replaced it since."""
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == written:
            path.unlink()


# --- message providers: the fake SMS gateway, its API key, the SES sender ------------------------

SECRET_TYPE = "AWS::SecretsManager::Secret"  # noqa: S105 (a resource type, not a password)
#: The template's names for what the message providers need (infra/template.yaml).
SMS_GATEWAY_URL_PARAMETER = "SmsGatewayUrl"
SMS_GATEWAY_SECRET = "SmsGatewaySecret"  # noqa: S105 (a logical id, not a password)
MAIL_FROM_PARAMETER = "MailFrom"


def _start_sms_gateway(outbox: Outbox) -> FakeSmsGateway:
    """The HTTP SMS gateway of the local stack, with a fresh API key; what it takes goes to the outbox."""
    gateway = FakeSmsGateway(
        secrets.token_urlsafe(24), host=HOST, on_message=lambda message: outbox.append(from_gateway(message))
    )
    gateway.start()
    return gateway


def _local_parameters(template: Template, gateway: FakeSmsGateway) -> dict[str, str]:
    """Stack parameters with local values: the gateway's URL, if the template has that parameter."""
    declared = template.document.get("Parameters") or {}
    return {SMS_GATEWAY_URL_PARAMETER: gateway.url} if SMS_GATEWAY_URL_PARAMETER in declared else {}


def _create_secrets(
    clients: Clients, stack_name: str, template: Template, skipped: Mapping[str, str], lookups: StackLookups
) -> dict[str, Resource]:
    """Create the secrets moto's CloudFormation skips, named `<stack>-<logical id>`, with a random value.

    As with `GenerateSecretString` on AWS, the value is a placeholder until
    an operator (here: `_put_sms_gateway_key`) puts the real one in. The
    template's `Description` and `KmsKeyId` are kept.
    """
    created: dict[str, Resource] = {}
    for logical_id, properties in template.resources_of_type(SECRET_TYPE).items():
        if logical_id not in skipped:
            continue
        kept = {key: properties[key] for key in ("Description", "KmsKeyId") if key in properties}
        with sdk_errors(f"cannot create the secret {logical_id}", DeployError):
            arn = clients("secretsmanager").create_secret(
                Name=f"{stack_name}-{logical_id}",
                SecretString=secrets.token_urlsafe(36),
                **resolve_value(kept, lookups),
            )["ARN"]
        created[logical_id] = _secret(logical_id, arn)
    return created


def _secret(logical_id: str, arn: str) -> Resource:
    """A secret as the overlay sees it: `Ref` and `Fn::GetAtt Id` are its ARN."""
    return Resource(logical_id, SECRET_TYPE, arn, read_attributes=lambda: {"Id": arn})


def _put_sms_gateway_key(clients: Clients, lookups: StackLookups, api_key: str) -> None:
    """Put the fake gateway's API key into the gateway's secret, as an operator does on AWS."""
    if SMS_GATEWAY_SECRET in lookups.resources:
        with sdk_errors("cannot put the SMS gateway's API key", DeployError):
            clients("secretsmanager").put_secret_value(
                SecretId=lookups.resources[SMS_GATEWAY_SECRET].ref, SecretString=api_key
            )


def _verify_mail_sender(clients: Clients, lookups: StackLookups) -> None:
    """Verify the `MailFrom` address in SES, which refuses to send from an unverified one."""
    if MAIL_FROM_PARAMETER in lookups.parameters:
        with sdk_errors("cannot verify the mail sender in SES", DeployError):
            clients("ses").verify_email_identity(EmailAddress=lookups.parameters[MAIL_FROM_PARAMETER])
