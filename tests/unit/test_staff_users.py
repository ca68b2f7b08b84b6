"""Demo staff users of the local stack: the data, the password, the stack file and `devstack.token`."""

from __future__ import annotations

import json
import shlex
import stat
from pathlib import Path

import pytest

from chalicelib.domain.policy import Department, Market
from chalicelib.domain.staff import Role
from devstack.errors import OptionsError
from devstack.options import StackOptions
from devstack.stack import remove_stack_file, write_stack_file
from devstack.staff_users import (
    COGNITO_SYMBOLS,
    DEMO_USERS,
    POLICY,
    generate_password,
    password_problems,
)
from devstack.template import load_template
from devstack.token import NOT_RUNNING, main

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
USERS = {user.name: user for user in DEMO_USERS}


def _pool() -> dict[str, object]:
    pools = load_template(TEMPLATE).resources_of_type("AWS::Cognito::UserPool")
    assert len(pools) == 1
    return dict(next(iter(pools.values())))


# --- the users ---------------------------------------------------------------------------------


def test_there_is_a_user_per_role_and_more_for_department_and_market_rules() -> None:
    assert len(USERS) == len(DEMO_USERS)
    assert {(u.name, u.group, u.department, u.market) for u in DEMO_USERS} == {
        ("agent", "agent", "customer_services", "TR"),
        ("handler", "handler", "customer_services", "TR"),
        ("handler-claims", "handler", "claims", "TR"),
        ("supervisor", "supervisor", "customer_services", "TR"),
        ("supervisor-ir", "supervisor", "customer_services", "IR"),
        ("handler-ir", "handler", "customer_services", "IR"),
        ("auditor", "auditor", None, "TR"),
    }
    assert {user.group for user in DEMO_USERS} == {role.value for role in Role}


def test_every_group_is_a_group_of_the_template() -> None:
    groups = load_template(TEMPLATE).resources_of_type("AWS::Cognito::UserPoolGroup")
    names = {properties["GroupName"] for properties in groups.values()}
    assert {user.group for user in DEMO_USERS} <= names


def test_departments_and_markets_are_the_policy_s() -> None:
    for user in DEMO_USERS:
        assert user.market in Market._value2member_map_, user
        assert user.department is None or user.department in Department._value2member_map_, user


def test_every_attribute_is_a_custom_attribute_of_the_pool_within_its_length() -> None:
    schema = {entry["Name"]: entry for entry in _pool()["Schema"]}  # type: ignore[attr-defined]
    for user in DEMO_USERS:
        for attribute in user.attributes:
            prefix, _, name = attribute["Name"].partition(":")
            assert prefix == "custom", attribute
            constraints = schema[name]["StringAttributeConstraints"]
            assert int(constraints["MinLength"]) <= len(attribute["Value"]) <= int(constraints["MaxLength"])


def test_a_user_without_department_gets_no_department_attribute() -> None:
    assert USERS["auditor"].attributes == [{"Name": "custom:market", "Value": "TR"}]
    assert USERS["auditor"].describe() == {"groups": ["auditor"], "department": None, "market": "TR"}


# --- the password ------------------------------------------------------------------------------


def test_the_policy_is_the_pool_s() -> None:
    policy = _pool()["Policies"]["PasswordPolicy"]  # type: ignore[index]
    assert policy["MinimumLength"] == POLICY.minimum_length
    assert policy["RequireLowercase"] is POLICY.require_lowercase
    assert policy["RequireUppercase"] is POLICY.require_uppercase
    assert policy["RequireNumbers"] is POLICY.require_numbers
    assert policy["RequireSymbols"] is POLICY.require_symbols


def test_generated_passwords_meet_the_policy_differ_and_need_no_shell_quoting() -> None:
    passwords = {generate_password() for _ in range(500)}
    assert len(passwords) == 500
    for password in passwords:
        assert password_problems(password) == [], password
        assert shlex.quote(password) == password


@pytest.mark.parametrize(
    ("password", "needs"),
    [
        ("Short1-", "12 to 98 characters"),
        ("NO-LOWER-CASE-1", "a lower-case letter"),
        ("no-upper-case-1", "an upper-case letter"),
        ("No-Digits-Here", "a digit"),
        ("NoSymbolsHere1", "a symbol"),
    ],
)
def test_a_password_short_of_the_policy_is_told_what_it_needs(password: str, needs: str) -> None:
    assert password_problems(password) == [needs]


def test_every_cognito_symbol_counts() -> None:
    for symbol in COGNITO_SYMBOLS:
        assert password_problems(f"Abcdefghij1{symbol}") == [], symbol


def test_demo_password_is_an_option_checked_against_the_policy_and_never_shown() -> None:
    assert StackOptions.from_environ({}).demo_password == ""
    options = StackOptions.from_environ({"DEMO_PASSWORD": "Local-Demo-2026"})
    assert options.demo_password == "Local-Demo-2026"
    assert "Local-Demo-2026" not in repr(options)
    with pytest.raises(OptionsError, match=r"DEMO_PASSWORD .* a symbol"):
        StackOptions.from_environ({"DEMO_PASSWORD": "LocalDemo2026"})


# --- the stack file ----------------------------------------------------------------------------


def test_the_stack_file_is_in_the_local_directory(tmp_path: Path) -> None:
    options = StackOptions.from_environ({"LOCAL_DIR": "run"}, project_dir=tmp_path)
    assert options.stack_file_path == tmp_path / "run" / "stack.json"


def test_the_stack_file_is_the_owner_s_only_and_replaces_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "local" / "stack.json"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o644)
    written = write_stack_file(path, {"api_url": "http://127.0.0.1:8000"})
    assert json.loads(path.read_text()) == {"api_url": "http://127.0.0.1:8000"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["stack.json"]

    remove_stack_file(*written)
    assert not path.exists()
    remove_stack_file(*written)  # already gone: nothing to do


def test_a_stack_leaves_another_stack_s_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "stack.json"
    first = write_stack_file(path, {"api_url": "http://127.0.0.1:8000"})
    write_stack_file(path, {"api_url": "http://127.0.0.1:8001"})
    remove_stack_file(*first)
    assert json.loads(path.read_text()) == {"api_url": "http://127.0.0.1:8001"}


# --- python -m devstack.token, without a stack ---------------------------------------------------


def _stack_file(local_dir: Path, **content: object) -> None:
    defaults = {
        "moto_url": "http://127.0.0.1:1",
        "api_url": "http://127.0.0.1:2",
        "region": "us-east-1",
        "user_pool_id": "us-east-1_pool",
        "client_id": "client",
        "demo_password": "Local-Demo-2026",
        "users": {user.name: user.describe() for user in DEMO_USERS},
    }
    write_stack_file(local_dir / "stack.json", {**defaults, **content})


def test_without_a_running_stack_the_token_command_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["handler"], {"LOCAL_DIR": str(tmp_path)}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert NOT_RUNNING in err
    assert "make run" in err


def test_an_unknown_user_is_refused_with_the_demo_users_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack_file(tmp_path)
    assert main(["root"], {"LOCAL_DIR": str(tmp_path)}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "no demo user named 'root'" in err
    assert all(user.name in err for user in DEMO_USERS)


def test_a_stack_file_left_by_a_killed_stack_is_a_stack_that_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stack_file(tmp_path)  # the emulator's port 1: nothing answers there
    assert main(["handler"], {"LOCAL_DIR": str(tmp_path)}) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert NOT_RUNNING in err


def test_a_stack_without_demo_users_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack_file(tmp_path, users={}, user_pool_id=None, client_id=None)
    assert main(["handler"], {"LOCAL_DIR": str(tmp_path)}) == 2
    assert "no demo users" in capsys.readouterr().err
