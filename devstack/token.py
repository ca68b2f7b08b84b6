"""`python -m devstack.token <user>`: an ID token of a demo staff user of the running local stack.

It reads the stack file that a started stack writes into its local directory
(`LOCAL_DIR`, `.local` by default), signs the user in with Cognito's
`InitiateAuth` (`USER_PASSWORD_AUTH`) against the embedded emulator, and
prints the ID token, and only it, on stdout:

    curl -H "Authorization: Bearer $(make -s token USER=handler)" http://127.0.0.1:8000/staff/...

Exit status: 0 with a token, 2 (with the reason on stderr) when the stack
is not running, the user is unknown, or the sign-in fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devstack.options import PROJECT_DIR, StackOptions

NOT_RUNNING = "the local stack is not running: start it with `make run`"


class TokenError(Exception):
    """Why no token could be printed; the message is for the developer."""


def read_stack_file(path: Path) -> dict[str, Any]:
    """The stack file's content; a `TokenError` if there is none (no stack runs) or it is unreadable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TokenError(NOT_RUNNING) from None
    except (OSError, ValueError) as exc:
        raise TokenError(f"cannot read {path}: {exc}") from exc
    missing = {"moto_url", "region", "client_id", "demo_password", "users"} - set(content)
    if missing:
        raise TokenError(f"{path} lacks {', '.join(sorted(missing))}: restart the local stack")
    return dict(content)


def find_user(users: Mapping[str, Any], name: str) -> str:
    """The demo user's name as the stack created it (any case matches: the pool ignores case)."""
    if not users:
        raise TokenError("the local stack has no demo users: its template has no user pool")
    for known in users:
        if known.casefold() == name.casefold():
            return known
    raise TokenError(f"no demo user named {name!r}; demo users: {', '.join(users)}")


def sign_in(stack: Mapping[str, Any], username: str) -> str:
    """The ID token of `username`, from the emulator's Cognito."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from devstack.aws import Clients

    idp = Clients(stack["moto_url"], stack["region"])("cognito-idp")
    try:
        answer = idp.initiate_auth(
            ClientId=stack["client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": stack["demo_password"]},
        )
    except ClientError as exc:
        raise TokenError(f"cannot sign {username} in: {exc}") from exc
    except BotoCoreError as exc:
        # A stack killed without a chance to clean up leaves its file behind.
        raise TokenError(f"{NOT_RUNNING} (nothing answers at {stack['moto_url']})") from exc
    result = answer.get("AuthenticationResult") or {}
    if "IdToken" not in result:
        raise TokenError(f"cannot sign {username} in: Cognito asks for {answer.get('ChallengeName')}")
    return str(result["IdToken"])


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Print the user's ID token; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m devstack.token", description=__doc__)
    parser.add_argument("user", help="a demo user, e.g. handler")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="the project root")
    args = parser.parse_args(argv)
    # Only LOCAL_DIR matters here; the stack's other options do not.
    options = StackOptions.from_environ(
        {"LOCAL_DIR": environ.get("LOCAL_DIR", "")}, project_dir=args.project_dir.resolve()
    )
    try:
        stack = read_stack_file(options.stack_file_path)
        token = sign_in(stack, find_user(stack["users"], args.user))
    except TokenError as exc:
        print(f"devstack.token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
