"""What the devstack prints once everything is ready: where things are and how to try them."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from devstack.staff_users import DemoUser

#: A complaint that the public API accepts, for the example commands.
EXAMPLE_COMPLAINT: Mapping[str, object] = {
    "market": "TR",
    "language": "en",
    "channel": "web",
    "kind": "complaint",
    "category": "claim_decision",
    "description": "My claim for water damage was rejected without any explanation.",
    "remedy_sought": "Review the decision and explain it in writing.",
    "contact": {
        "name": "Ayşe Yılmaz",
        "mobile": "+905321234567",
        "email": "ayse@example.com",
        "national_id": "10000000146",
        "policy_number": "POL-2026-000123",
        "preferred_channel": "sms",
    },
    "consent": {"contact": True, "disclose": False},
    "health_or_safety": False,
}


def _curl_post(url: str, body: Mapping[str, object]) -> str:
    payload = json.dumps(body, ensure_ascii=False)
    return f"curl -s -X POST {url} -H 'Content-Type: application/json' -d {shlex.quote(payload)}"


def ready_banner(
    api_url: str,
    moto_url: str,
    outbox_path: Path,
    stack_name: str,
    staff: Mapping[str, str],
    notes: Sequence[str],
    *,
    event_sources: Sequence[str] = (),
    sms_gateway_url: str | None = None,
    demo_users: Sequence[DemoUser] = (),
    demo_password: str = "",
    make: str = "make",
) -> str:
    """The banner: URLs, the outbox, event sources, staff sign-in, notes, and example requests.

    `make` is how to run make for this stack: with `LOCAL_DIR=...` in front
    when the stack's local directory is not the default.
    """
    rule = "=" * 72
    lines = [
        rule,
        "complaintdesk local stack is ready (Ctrl-C stops it)",
        f"  {'API:':<12} {api_url}",
        f"  {'health:':<12} {api_url}/health",
        f"  {'emulator:':<12} {moto_url}   (stack {stack_name})",
        f"  {'outbox:':<12} {outbox_path}   (every SMS and e-mail sent; also shown here)",
        *_gateway_lines(sms_gateway_url),
        f"  {'runner:':<12} {_sources_summary(event_sources)}",
        *(f"    {source}" for source in event_sources),
        *(f"  {name + ':':<12} {value}" for name, value in staff.items()),
        *_staff_lines(api_url, demo_users, demo_password, make),
        *(f"  note: {note}" for note in notes),
        "",
        "Try it:",
        f"  {_curl_post(api_url + '/complaints', EXAMPLE_COMPLAINT)}",
        f"  {_curl_post(api_url + '/status', {'tracking_code': '<tracking_code from above>'})}",
        rule,
    ]
    return "\n".join(lines)


def _sources_summary(event_sources: Sequence[str]) -> str:
    if not event_sources:
        return "no stream, queue or schedule handlers in app.py yet"
    return f"{len(event_sources)} event sources run as Lambda would run them:"


def _gateway_lines(sms_gateway_url: str | None) -> list[str]:
    if not sms_gateway_url:
        return []
    return [
        f"  {'SMS gateway:':<12} {sms_gateway_url}   (fake; takes the SMS that SNS cannot deliver, e.g. +98)"
    ]


def _staff_lines(api_url: str, demo_users: Sequence[DemoUser], demo_password: str, make: str) -> list[str]:
    """The demo staff users, their password, and how to call the staff API as one of them."""
    if not demo_users:
        return [f"  {'staff users:':<12} none (the template has no user pool)"]
    example = "handler" if any(user.name == "handler" for user in demo_users) else demo_users[0].name
    return [
        f"  {'staff users:':<12} {len(demo_users)} demo users, all with the password {demo_password}",
        f"    {'name':<16} {'role':<11} {'department':<19} market",
        *(
            f"    {user.name:<16} {user.group:<11} {user.department or '(none)':<19} {user.market}"
            for user in demo_users
        ),
        f"  {'token:':<12} {make} token USER={example}   (prints a demo user's ID token, valid for an hour)",
        f'    curl -H "Authorization: Bearer $({make} -s token USER={example})" {api_url}/staff/...',
    ]
