"""The local stack's pure pieces: resolving the overlay, options, environment, Cognito mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.aws import emulator_environment
from devstack.banner import EXAMPLE_COMPLAINT, ready_banner
from devstack.cognito import CLIENT, GROUP, POOL, api_arguments
from devstack.errors import OptionsError, ResolutionError, TemplateError, UnresolvedEnvironment
from devstack.intrinsics import resolve_environment, resolve_value
from devstack.lookups import Resource, StackLookups, pseudo_parameters
from devstack.options import StackOptions
from devstack.outbox import ensure_outbox
from devstack.staff_users import DEMO_USERS
from devstack.template import environment_variables, load_template

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/complaintdesk-local/0f1e2d3c"


def _lookups() -> StackLookups:
    """A stack with a table, a queue and a user pool, as the real stack would answer."""
    resources = {
        "ComplaintsTable": Resource(
            "ComplaintsTable",
            "AWS::DynamoDB::Table",
            "complaints-abc",
            lambda: {"Arn": "arn:table/complaints-abc", "StreamArn": "arn:table/complaints-abc/stream/1"},
        ),
        "RoutingQueue": Resource(
            "RoutingQueue",
            "AWS::SQS::Queue",
            "https://sqs.us-east-1.amazonaws.com/123456789012/routing-abc",
            lambda: {"QueueName": "routing-abc", "Arn": "arn:sqs:routing-abc"},
        ),
        "UserPool": Resource("UserPool", "AWS::Cognito::UserPool", "us-east-1_pool"),
    }
    conditions = {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "IsDevInUsEast": {
            "Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]
        },
        "IsProdOrDev": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]},
    }
    return StackLookups(resources, {"Stage": "dev"}, pseudo_parameters(STACK_ID), conditions)


# --- intrinsic functions -------------------------------------------------------------------------


def test_ref_of_a_resource_is_its_physical_id() -> None:
    assert resolve_value({"Ref": "ComplaintsTable"}, _lookups()) == "complaints-abc"


def test_ref_reads_parameters_and_pseudo_parameters() -> None:
    lookups = _lookups()
    assert resolve_value({"Ref": "Stage"}, lookups) == "dev"
    assert resolve_value({"Ref": "AWS::Region"}, lookups) == "us-east-1"
    assert resolve_value({"Ref": "AWS::StackName"}, lookups) == "complaintdesk-local"


def test_getatt_accepts_the_list_and_the_dotted_form() -> None:
    lookups = _lookups()
    assert resolve_value({"Fn::GetAtt": ["RoutingQueue", "QueueName"]}, lookups) == "routing-abc"
    assert resolve_value({"Fn::GetAtt": "ComplaintsTable.StreamArn"}, lookups).endswith("/stream/1")


def test_sub_substitutes_refs_attributes_and_variables_and_keeps_escaped_text() -> None:
    template = "${AWS::StackName}/${ComplaintsTable.Arn}/${Suffix}/${!Literal}"
    resolved = resolve_value({"Fn::Sub": [template, {"Suffix": {"Ref": "Stage"}}]}, _lookups())
    assert resolved == "complaintdesk-local/arn:table/complaints-abc/dev/${Literal}"


def test_join_joins_resolved_values() -> None:
    value = {"Fn::Join": [":", [{"Ref": "Stage"}, {"Ref": "AWS::AccountId"}]]}
    assert resolve_value(value, _lookups()) == "dev:123456789012"


def test_no_value_removes_the_key_or_item_that_holds_it() -> None:
    value = {"Keep": "yes", "Drop": {"Ref": "AWS::NoValue"}, "List": ["a", {"Ref": "AWS::NoValue"}]}
    assert resolve_value(value, _lookups()) == {"Keep": "yes", "List": ["a"]}


def test_nested_properties_are_resolved_to_plain_values() -> None:
    value = {"Tags": [{"Key": "pool", "Value": {"Ref": "UserPool"}}], "Size": 3, "On": True}
    assert resolve_value(value, _lookups()) == {
        "Tags": [{"Key": "pool", "Value": "us-east-1_pool"}],
        "Size": 3,
        "On": True,
    }


def test_if_follows_the_templates_conditions_with_the_stacks_parameters() -> None:
    lookups = _lookups()
    assert resolve_value({"Fn::If": ["IsProd", "ACTIVE", "INACTIVE"]}, lookups) == "INACTIVE"
    assert resolve_value({"Fn::If": ["IsDevInUsEast", {"Ref": "Stage"}, "x"]}, lookups) == "dev"
    assert resolve_value({"Fn::If": ["IsProdOrDev", "yes", "no"]}, lookups) == "yes"


def test_if_on_an_unknown_condition_says_which_condition() -> None:
    with pytest.raises(ResolutionError, match=r"Condition IsStaging: .*no condition named IsStaging"):
        resolve_value({"Fn::If": ["IsStaging", "a", "b"]}, _lookups())


def test_a_policy_condition_block_is_data_not_a_function() -> None:
    statement = {"Condition": {"ArnLike": {"aws:SourceArn": {"Ref": "AWS::StackId"}}}}
    assert resolve_value(statement, _lookups()) == {"Condition": {"ArnLike": {"aws:SourceArn": STACK_ID}}}


def test_an_unsupported_function_is_refused_not_passed_through() -> None:
    with pytest.raises(ResolutionError, match="Fn::Select is not supported"):
        resolve_value({"Fn::Select": [0, ["a"]]}, _lookups())


def test_a_ref_to_an_unknown_name_says_which_name() -> None:
    with pytest.raises(ResolutionError, match=r"Ref NoSuchTable: .*no resource or parameter named"):
        resolve_value({"Ref": "NoSuchTable"}, _lookups())


def test_an_unknown_attribute_lists_the_attributes_there_are() -> None:
    with pytest.raises(ResolutionError, match=r"no attribute StreamArn .*known: Arn, QueueName"):
        resolve_value({"Fn::GetAtt": ["RoutingQueue", "StreamArn"]}, _lookups())


# --- the functions' environment ------------------------------------------------------------------


def test_environment_is_resolved_to_strings_as_cloudformation_writes_them() -> None:
    variables = {
        "COMPLAINTS_TABLE": {"Ref": "ComplaintsTable"},
        "DAY_SHARDS": 8,
        "TRACING": True,
        "LOG_LEVEL": "INFO",
    }
    environment = resolve_environment(variables, _lookups(), required={"COMPLAINTS_TABLE"})
    assert environment == {
        "COMPLAINTS_TABLE": "complaints-abc",
        "DAY_SHARDS": "8",
        "TRACING": "true",
        "LOG_LEVEL": "INFO",
    }


def test_every_unresolved_or_missing_variable_is_reported_at_once() -> None:
    variables = {
        "COMPLAINTS_TABLE": {"Ref": "ComplaintsTable"},
        "ROUTING_QUEUE_NAME": {"Fn::GetAtt": ["RoutingQueue", "Name"]},
        "USER_POOL_ID": {"Ref": "AWS::NoValue"},
    }
    required = {"COMPLAINTS_TABLE", "ROUTING_QUEUE_NAME", "USER_POOL_ID", "HISTORY_TABLE"}
    with pytest.raises(UnresolvedEnvironment) as raised:
        resolve_environment(variables, _lookups(), required)
    assert [problem.split(":")[0] for problem in raised.value.problems] == [
        "HISTORY_TABLE",
        "ROUTING_QUEUE_NAME",
        "USER_POOL_ID",
    ]
    assert "HISTORY_TABLE: not set by the overlay" in str(raised.value)


def test_overlay_short_forms_resolve_against_the_stack(tmp_path: Path) -> None:
    overlay = tmp_path / "functions.yaml"
    overlay.write_text(
        "Globals:\n"
        "  Function:\n"
        "    Environment:\n"
        "      Variables:\n"
        "        COMPLAINTS_TABLE: !Ref ComplaintsTable\n"
        "        COMPLAINTS_STREAM_ARN: !GetAtt ComplaintsTable.StreamArn\n"
        "        ROUTING_QUEUE_NAME: !GetAtt RoutingQueue.QueueName\n"
        "        USER_POOL_ID: !Ref UserPool\n"
        "        STAGE: !Sub '${Stage}'\n",
        encoding="utf-8",
    )
    variables = environment_variables(load_template(overlay))
    environment = resolve_environment(variables, _lookups(), required=set(variables))
    assert environment == {
        "COMPLAINTS_TABLE": "complaints-abc",
        "COMPLAINTS_STREAM_ARN": "arn:table/complaints-abc/stream/1",
        "ROUTING_QUEUE_NAME": "routing-abc",
        "USER_POOL_ID": "us-east-1_pool",
        "STAGE": "dev",
    }
    assert all(type(value) is str for value in environment.values())


def test_an_overlay_without_a_functions_environment_is_refused(tmp_path: Path) -> None:
    overlay = tmp_path / "functions.yaml"
    overlay.write_text("Globals:\n  Function:\n    Timeout: 10\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"no Globals\.Function\.Environment\.Variables"):
        environment_variables(load_template(overlay))


def test_a_template_that_does_not_parse_names_the_line(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text("Resources:\n  Queue:\n    Type: [\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="line"):
        load_template(template)


def test_template_lists_resources_of_one_type_in_order(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  AgentGroup: {Type: AWS::Cognito::UserPoolGroup, Properties: {GroupName: agent}}\n"
        "  Queue: {Type: AWS::SQS::Queue}\n"
        "  HandlerGroup: {Type: AWS::Cognito::UserPoolGroup, Properties: {GroupName: handler}}\n",
        encoding="utf-8",
    )
    groups = load_template(template).resources_of_type("AWS::Cognito::UserPoolGroup")
    assert list(groups) == ["AgentGroup", "HandlerGroup"]
    assert groups["HandlerGroup"] == {"GroupName": "handler"}


# --- lookups -------------------------------------------------------------------------------------


def test_pseudo_parameters_come_from_the_stack_arn() -> None:
    assert pseudo_parameters(STACK_ID) == {
        "AWS::AccountId": "123456789012",
        "AWS::Partition": "aws",
        "AWS::Region": "us-east-1",
        "AWS::StackId": STACK_ID,
        "AWS::StackName": "complaintdesk-local",
        "AWS::URLSuffix": "amazonaws.com",
    }


def test_resource_attributes_are_read_once_and_only_when_asked() -> None:
    reads: list[str] = []

    def read() -> dict[str, str]:
        reads.append("describe")
        return {"Arn": "arn:1"}

    resource = Resource("Table", "AWS::DynamoDB::Table", "table-1", read)
    assert reads == []
    assert resource.attribute("Arn") == resource.attribute("Arn") == "arn:1"
    assert reads == ["describe"]


def test_resources_created_outside_cloudformation_join_the_lookups() -> None:
    client = Resource("UserPoolClient", "AWS::Cognito::UserPoolClient", "client-1")
    lookups = _lookups().with_resources({"UserPoolClient": client})
    assert lookups.ref("UserPoolClient") == "client-1"
    assert lookups.ref("ComplaintsTable") == "complaints-abc"


# --- Cognito -------------------------------------------------------------------------------------


def test_pool_properties_map_onto_create_user_pool_and_the_rest_is_left_out() -> None:
    arguments, left_out = api_arguments(
        {
            "UserPoolName": "staff",
            "Policies": {"PasswordPolicy": {"MinimumLength": 12}},
            "UsernameAttributes": ["email"],
            "LambdaConfig": {"PreSignUp": "arn:lambda"},
        },
        POOL,
    )
    assert arguments == {
        "PoolName": "staff",
        "Policies": {"PasswordPolicy": {"MinimumLength": 12}},
        "UsernameAttributes": ["email"],
    }
    assert left_out == ["LambdaConfig"]


def test_a_client_has_no_secret_and_allows_password_sign_in_unless_the_template_says_otherwise() -> None:
    arguments, _ = api_arguments({"UserPoolId": "pool-1", "ClientName": "console"}, CLIENT)
    assert arguments["GenerateSecret"] is False
    assert arguments["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

    arguments, _ = api_arguments({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]}, CLIENT)
    assert arguments["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH"]


def test_group_properties_pass_through_and_its_role_is_left_out() -> None:
    arguments, left_out = api_arguments(
        {"UserPoolId": "pool-1", "GroupName": "auditor", "Precedence": 10, "RoleArn": "arn:role"},
        GROUP,
    )
    assert arguments == {"UserPoolId": "pool-1", "GroupName": "auditor", "Precedence": 10}
    assert left_out == ["RoleArn"]


# --- options, environment, outbox, banner --------------------------------------------------------


def test_options_default_to_the_contract(tmp_path: Path) -> None:
    options = StackOptions.from_environ({}, project_dir=tmp_path)
    assert (options.port, options.moto_port, options.region) == (8000, 5001, "us-east-1")
    assert options.local_path == tmp_path / ".local"


def test_options_read_ports_region_and_local_dir_from_the_environment(tmp_path: Path) -> None:
    environ = {"PORT": "0", "MOTO_PORT": "5999", "AWS_REGION": "eu-central-1", "LOCAL_DIR": "run"}
    options = StackOptions.from_environ(environ, project_dir=tmp_path)
    assert (options.port, options.moto_port, options.region) == (0, 5999, "eu-central-1")
    assert options.local_path == tmp_path / "run"
    absolute = StackOptions.from_environ({"LOCAL_DIR": str(tmp_path / "x")}, project_dir=Path("/"))
    assert absolute.local_path == tmp_path / "x"


@pytest.mark.parametrize("value", ["eighty", "-1", "65536"])
def test_an_invalid_port_is_refused(value: str) -> None:
    with pytest.raises(OptionsError, match="PORT"):
        StackOptions.from_environ({"PORT": value})


def test_the_app_environment_points_at_the_emulator_and_nowhere_else() -> None:
    developer = {
        "AWS_PROFILE": "prod",
        "AWS_ENDPOINT_URL_DYNAMODB": "https://dynamodb.eu-west-1.amazonaws.com",
        "AWS_SESSION_TOKEN": "real",
        "HOME": "/home/dev",
    }
    change = emulator_environment(developer, "http://127.0.0.1:5001", "us-east-1", "/dev/null")
    assert change.set["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5001"
    assert change.set["AWS_ACCOUNT_ID_ENDPOINT_MODE"] == "disabled"
    assert change.set["AWS_REGION"] == change.set["AWS_DEFAULT_REGION"] == "us-east-1"
    assert change.set["AWS_CONFIG_FILE"] == change.set["AWS_SHARED_CREDENTIALS_FILE"] == "/dev/null"
    assert change.unset == ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN")


def test_the_outbox_is_created_empty_and_never_truncated(tmp_path: Path) -> None:
    outbox = ensure_outbox(tmp_path / "local")
    assert outbox == tmp_path / "local" / "outbox.jsonl"
    assert outbox.read_text() == ""
    outbox.write_text('{"channel": "sms"}\n')
    assert ensure_outbox(tmp_path / "local").read_text() == '{"channel": "sms"}\n'


def test_the_banner_says_where_everything_is_and_how_to_try_it() -> None:
    banner = ready_banner(
        "http://127.0.0.1:8000",
        "http://127.0.0.1:5001",
        Path("/repo/.local/outbox.jsonl"),
        "complaintdesk-local",
        {"user pool": "us-east-1_pool"},
        ["not emulated locally: Alarm (AWS::CloudWatch::Alarm)"],
    )
    for expected in (
        "http://127.0.0.1:8000",
        "http://127.0.0.1:5001",
        "/repo/.local/outbox.jsonl",
        "us-east-1_pool",
        "not emulated locally",
        "POST http://127.0.0.1:8000/complaints",
        "POST http://127.0.0.1:8000/status",
    ):
        assert expected in banner
    assert json.dumps(EXAMPLE_COMPLAINT, ensure_ascii=False) in banner
    assert "staff users: none (the template has no user pool)" in banner


def test_the_banner_lists_the_demo_staff_users_their_password_and_how_to_get_a_token() -> None:
    banner = ready_banner(
        "http://127.0.0.1:8011",
        "http://127.0.0.1:5001",
        Path("/tmp/run/outbox.jsonl"),
        "complaintdesk-local",
        {"user pool": "us-east-1_pool"},
        [],
        demo_users=DEMO_USERS,
        demo_password="Local-Demo-2026",
        make="LOCAL_DIR=/tmp/run make",
    )
    assert "none yet" not in banner
    assert "7 demo users, all with the password Local-Demo-2026" in banner
    rows = {line.split()[0]: line.split()[1:] for line in banner.splitlines() if line.startswith("    ")}
    for user in DEMO_USERS:
        assert rows[user.name] == [user.group, user.department or "(none)", user.market]
    assert "LOCAL_DIR=/tmp/run make token USER=handler" in banner
    assert (
        'curl -H "Authorization: Bearer $(LOCAL_DIR=/tmp/run make -s token USER=handler)" '
        "http://127.0.0.1:8011/staff/..."
    ) in banner
