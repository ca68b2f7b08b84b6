"""The CloudFormation template, its deployment into moto, and the packaged app.

What moto's CloudFormation honours is checked on the deployed stack; what it
ignores (table TTL and point-in-time recovery, bucket versioning, public
access block, ownership, lifecycle, the bucket policy, Cognito, alarms) is
checked on the template document, which is what AWS deploys.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from cfnlint import api as cfnlint_api
from cfnlint.config import ManualArgs
from moto import mock_aws

from chalicelib.settings import ENVIRONMENT
from infra.package import (
    OVERLAY_PATH,
    REPO_ROOT,
    SHARED_ROLE,
    TEMPLATE_PATH,
    PackagingError,
    build_merge_template,
    check_package,
    effective_environment,
    functions,
    is_reference,
    load_cfn_yaml,
    placeholder,
)

pytestmark = pytest.mark.infra

REGION = "us-east-1"

#: Outputs the functions and the local stack read (the contract of the template).
REQUIRED_OUTPUTS = {
    "ComplaintsTableName",
    "ComplaintsStreamArn",
    "HistoryTableName",
    "IdempotencyTableName",
    "RoutingQueueUrl",
    "RoutingQueueName",
    "RoutingQueueArn",
    "RoutingDeadLetterQueueUrl",
    "StreamFailureQueueUrl",
    "StreamFailureQueueArn",
    "DepartmentTopicArn",
    "SupervisorAlertTopicArn",
    "ReportBucketName",
    "DataKeyArn",
    "UserPoolId",
    "UserPoolClientId",
    "SmsGatewaySecretArn",
    "SmsGatewayUrl",
    "MailFrom",
}
#: moto's CloudFormation skips these types (the local stack creates Cognito
#: and the gateway secret itself; alarms and the TLS-only bucket policy have
#: no local effect) ...
MOTO_SKIPPED_TYPES = {
    "AWS::SecretsManager::Secret",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::S3::BucketPolicy",
}
#: ... and leaves out the outputs that refer to them.
MOTO_DROPPED_OUTPUTS = {"UserPoolId", "UserPoolClientId", "SmsGatewaySecretArn"}

STATEFUL_RESOURCES = {
    "DataKey": "AWS::KMS::Key",
    "ComplaintsTable": "AWS::DynamoDB::Table",
    "HistoryTable": "AWS::DynamoDB::Table",
    "IdempotencyTable": "AWS::DynamoDB::Table",
    "RoutingQueue": "AWS::SQS::Queue",
    "RoutingDeadLetterQueue": "AWS::SQS::Queue",
    "StreamFailureQueue": "AWS::SQS::Queue",
    "DepartmentTopic": "AWS::SNS::Topic",
    "SupervisorAlertTopic": "AWS::SNS::Topic",
    "ReportBucket": "AWS::S3::Bucket",
    "ReportBucketPolicy": "AWS::S3::BucketPolicy",
    "UserPool": "AWS::Cognito::UserPool",
    "UserPoolClient": "AWS::Cognito::UserPoolClient",
    "SmsGatewaySecret": "AWS::SecretsManager::Secret",
}

COMPLAINT_INDEXES = {
    "by_day": ([("day_shard", "HASH"), ("received_at", "RANGE")], "ALL"),
    "by_queue": ([("queue_key", "HASH"), ("due_at", "RANGE")], "ALL"),
    "by_mobile": ([("mobile_hash", "HASH"), ("received_at", "RANGE")], "KEYS_ONLY"),
    "by_email": ([("email_hash", "HASH"), ("received_at", "RANGE")], "KEYS_ONLY"),
}
FOURTEEN_DAYS = 14 * 24 * 3600
#: Parameters as the local stack passes them (a fake gateway on loopback).
LOCAL_PARAMETERS = {"Stage": "dev", "SmsGatewayUrl": "http://127.0.0.1:8125/send", "SmsSenderId": "SIGORTA"}
#: The functions' delivery settings and the template value each one comes from.
DELIVERY_VARIABLES = {
    "SMS_GATEWAY_URL": {"Ref": "SmsGatewayUrl"},
    "SMS_GATEWAY_SECRET_ARN": {"Ref": "SmsGatewaySecret"},
    "MAIL_FROM": {"Ref": "MailFrom"},
    "SMS_SENDER_ID": {"Ref": "SmsSenderId"},
}


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_cfn_yaml(TEMPLATE_PATH)


@pytest.fixture(scope="module")
def overlay() -> dict[str, Any]:
    return load_cfn_yaml(OVERLAY_PATH)


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


class DeployedStack:
    """The template deployed into moto: outputs, clients and moto's warnings."""

    def __init__(self, outputs: dict[str, str], skipped_types: set[str]) -> None:
        self.outputs = outputs
        self.skipped_types = skipped_types
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.kms = boto3.client("kms", region_name=REGION)

    def queue_attributes(self, output: str) -> dict[str, str]:
        response = self.sqs.get_queue_attributes(QueueUrl=self.outputs[output], AttributeNames=["All"])
        attributes: dict[str, str] = response["Attributes"]
        return attributes

    def table(self, output: str) -> dict[str, Any]:
        table: dict[str, Any] = self.dynamodb.describe_table(TableName=self.outputs[output])["Table"]
        return table


@pytest.fixture(scope="module")
def stack() -> Iterator[DeployedStack]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            cloudformation = boto3.client("cloudformation", region_name=REGION)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                cloudformation.create_stack(
                    StackName="complaintdesk-test",
                    TemplateBody=TEMPLATE_PATH.read_text(encoding="utf-8"),
                    Parameters=[
                        {"ParameterKey": key, "ParameterValue": value}
                        for key, value in LOCAL_PARAMETERS.items()
                    ],
                )
                # moto resolves the outputs (and warns again) on every describe.
                described = cloudformation.describe_stacks(StackName="complaintdesk-test")["Stacks"][0]
            assert described["StackStatus"] == "CREATE_COMPLETE", described
            outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
            skipped = {
                str(w.message).split("Tried to parse ")[1].split(" ")[0]
                for w in caught
                if "Tried to parse" in str(w.message)
            }
            yield DeployedStack(outputs, skipped)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`python -m infra.package` run on the real project, as a user runs it."""
    if not (REPO_ROOT / "app.py").exists():
        pytest.fail("app.py is missing: the package test runs on the real project")
    out = tmp_path_factory.mktemp("package")
    result = subprocess.run(
        [sys.executable, "-m", "infra.package", "--stage", "dev", "--out", str(out)],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "deployment.zip").is_file()
    sam: dict[str, Any] = json.loads((out / "sam.json").read_text(encoding="utf-8"))
    return sam


def referenced_name(value: Any) -> str:
    """The logical name a single Ref / GetAtt / Sub('${X.Attr}') points at."""
    assert is_reference(value), f"{value!r} is not a reference"
    ((function, argument),) = value.items()
    if function == "Ref":
        return str(argument)
    if function == "Fn::GetAtt":
        return str(argument[0])
    text = argument if isinstance(argument, str) else argument[0]
    return str(text.split("${", 1)[1].split("}", 1)[0].split(".", 1)[0])


def names_in(node: Any) -> set[str]:
    """Every logical name referred to anywhere below ``node``."""
    found: set[str] = set()
    if isinstance(node, dict):
        if is_reference(node):
            found.add(referenced_name(node))
        else:
            for value in node.values():
                found |= names_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= names_in(value)
    return found


# --------------------------------------------------------------------------
# The template document
# --------------------------------------------------------------------------


def test_cfn_lint_finds_nothing_in_the_template_not_even_informational() -> None:
    matches = cfnlint_api.lint(
        TEMPLATE_PATH.read_text(encoding="utf-8"),
        config=ManualArgs(include_checks=["I"], regions=["us-east-1", "eu-central-1"]),
    )
    assert [str(m) for m in matches] == []


def test_the_template_is_plain_cloudformation_with_a_dev_or_prod_stage(template: dict[str, Any]) -> None:
    assert "Transform" not in template
    assert not [r for r in template["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    assert template["Parameters"]["Stage"]["AllowedValues"] == ["dev", "prod"]
    assert template["Parameters"]["Stage"]["Default"] == "dev"


def test_the_template_declares_every_stateful_resource_under_its_contract_id(
    template: dict[str, Any],
) -> None:
    for name, kind in STATEFUL_RESOURCES.items():
        assert template["Resources"][name]["Type"] == kind, name
    groups = resources_of(template, "AWS::Cognito::UserPoolGroup")
    assert {name: g["Properties"]["GroupName"] for name, g in groups.items()} == {
        "AgentGroup": "agent",
        "HandlerGroup": "handler",
        "SupervisorGroup": "supervisor",
        "AuditorGroup": "auditor",
    }


def test_the_template_declares_every_output_the_functions_need(template: dict[str, Any]) -> None:
    assert set(template["Outputs"]) >= REQUIRED_OUTPUTS


def test_the_data_key_rotates_and_the_account_root_administers_it(template: dict[str, Any]) -> None:
    key = template["Resources"]["DataKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    root = key["Properties"]["KeyPolicy"]["Statement"][0]
    assert root["Principal"]["AWS"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    assert root["Action"] == "kms:*"
    alias = resources_of(template, "AWS::KMS::Alias")
    assert [a["Properties"]["TargetKeyId"] for a in alias.values()] == [{"Ref": "DataKey"}]


def test_the_tables_expire_recover_encrypt_and_survive_the_stack(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    ttl = {name: resources[name]["Properties"].get("TimeToLiveSpecification") for name in resources}
    assert ttl["ComplaintsTable"] == {"AttributeName": "purge_at", "Enabled": True}
    assert ttl["IdempotencyTable"] == {"AttributeName": "expires_at", "Enabled": True}
    for name in ("ComplaintsTable", "HistoryTable", "IdempotencyTable"):
        properties = resources[name]["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["SSESpecification"] == {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": {"Ref": "DataKey"},
        }
    for name in ("ComplaintsTable", "HistoryTable"):
        table = resources[name]
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_report_bucket_is_versioned_private_owner_enforced_and_tls_only(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["ReportBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]},
    }
    assert any("NoncurrentVersionExpiration" in r for r in bucket["LifecycleConfiguration"]["Rules"])
    policy = template["Resources"]["ReportBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ReportBucket"}
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert names_in(deny["Resource"]) == {"ReportBucket"}
    assert len(deny["Resource"]) == 2  # the bucket and its objects


def test_the_user_pool_admits_only_staff_that_an_administrator_creates(template: dict[str, Any]) -> None:
    pool = template["Resources"]["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert "UsernameAttributes" not in pool  # usernames like "agent", not e-mail addresses
    password = pool["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 12
    required = ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    assert all(password[k] is True for k in required)
    custom = {a["Name"]: a for a in pool["Schema"] if a["Name"] in ("department", "market")}
    assert {name: (a["AttributeDataType"], a["Mutable"]) for name, a in custom.items()} == {
        "department": ("String", True),
        "market": ("String", True),
    }
    client = template["Resources"]["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    # Short ID tokens, renewed by the console with the refresh token for a working day; revocable.
    assert (client["IdTokenValidity"], client["TokenValidityUnits"]["IdToken"]) == (15, "minutes")
    assert (client["RefreshTokenValidity"], client["TokenValidityUnits"]["RefreshToken"]) == (12, "hours")
    assert client["EnableTokenRevocation"] is True
    assert not {"custom:department", "custom:market"} & set(client["WriteAttributes"])


def test_alarms_tell_supervisors_when_a_failure_queue_holds_a_message(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    watched = set()
    for alarm in alarms:
        properties = alarm["Properties"]
        assert (properties["Namespace"], properties["MetricName"]) == (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
        )
        assert (properties["ComparisonOperator"], properties["Threshold"]) == ("GreaterThanThreshold", 0)
        assert properties["AlarmActions"] == [{"Ref": "SupervisorAlertTopic"}]
        watched |= names_in(properties["Dimensions"])
    assert watched == {"RoutingDeadLetterQueue", "StreamFailureQueue", "ReportRequestDeadLetterQueue"}


def test_operators_choose_the_sms_gateway_the_mail_sender_and_the_sms_sender_id(
    template: dict[str, Any],
) -> None:
    parameters = template["Parameters"]
    gateway = parameters["SmsGatewayUrl"]
    assert (gateway["Type"], gateway["Default"]) == ("String", "https://sms-gateway.invalid/send")
    assert "must set" in gateway["Description"]
    assert re.fullmatch(gateway["AllowedPattern"], LOCAL_PARAMETERS["SmsGatewayUrl"])
    assert not re.fullmatch(gateway["AllowedPattern"], "ftp://gateway.example/send")
    assert (parameters["MailFrom"]["Type"], parameters["MailFrom"]["Default"]) == (
        "String",
        "complaints@example.com",
    )
    sender_id = parameters["SmsSenderId"]
    assert (sender_id["Type"], sender_id["Default"]) == ("String", "")
    assert re.fullmatch(sender_id["AllowedPattern"], "SIGORTA")
    assert not re.fullmatch(sender_id["AllowedPattern"], "TWELVE-CHARS")
    for name, parameter in parameters.items():
        if "AllowedPattern" in parameter:
            assert re.fullmatch(parameter["AllowedPattern"], parameter["Default"]), name


def test_the_sms_gateway_key_is_a_generated_placeholder_encrypted_with_the_data_key(
    template: dict[str, Any],
) -> None:
    secret = template["Resources"]["SmsGatewaySecret"]["Properties"]
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}
    assert "SecretString" not in secret  # no key, not even a placeholder, in the template text
    assert "GenerateSecretString" in secret
    assert "set its value after deploying" in secret["Description"]
    assert template["Outputs"]["SmsGatewaySecretArn"]["Value"] == {"Ref": "SmsGatewaySecret"}


def test_the_functions_get_the_delivery_settings_and_may_read_only_their_two_secrets(
    overlay: dict[str, Any],
) -> None:
    variables = overlay["Globals"]["Function"]["Environment"]["Variables"]
    assert {name: variables.get(name) for name in DELIVERY_VARIABLES} == DELIVERY_VARIABLES
    assert variables["LOOKUP_KEY_SECRET_ARN"] == {"Ref": "LookupKeySecret"}
    statements = overlay["Resources"][SHARED_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    reads = [s for s in statements if "secretsmanager" in str(s["Action"])]
    assert sorted((s["Action"], s["Resource"]["Ref"]) for s in reads) == [
        ("secretsmanager:GetSecretValue", "LookupKeySecret"),
        ("secretsmanager:GetSecretValue", "SmsGatewaySecret"),
    ]


def test_the_lookup_key_is_a_generated_secret_kept_with_the_data(template: dict[str, Any]) -> None:
    secret = template["Resources"]["LookupKeySecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["DeletionPolicy"] == "Retain"
    assert secret["Properties"]["KmsKeyId"] == {"Ref": "DataKey"}
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32


def test_the_capa_register_is_a_keyed_table_the_functions_cannot_scan(
    template: dict[str, Any], overlay: dict[str, Any]
) -> None:
    table = template["Resources"]["CapaTable"]["Properties"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["market", "capa_id"]
    assert table["SSESpecification"]["KMSMasterKeyId"] == {"Ref": "DataKey"}
    statements = overlay["Resources"][SHARED_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    (capa,) = [s for s in statements if s.get("Resource") == {"Fn::GetAtt": ["CapaTable", "Arn"]}]
    assert "dynamodb:Scan" not in capa["Action"]
    assert "dynamodb:DeleteItem" not in capa["Action"]


# --------------------------------------------------------------------------
# The template deployed into moto
# --------------------------------------------------------------------------


def test_moto_skips_only_resource_types_the_local_stack_does_without(stack: DeployedStack) -> None:
    assert stack.skipped_types <= MOTO_SKIPPED_TYPES


def test_the_stack_deploys_into_moto_with_the_outputs_the_functions_need(stack: DeployedStack) -> None:
    assert set(stack.outputs) >= REQUIRED_OUTPUTS - MOTO_DROPPED_OUTPUTS
    assert not [v for v in stack.outputs.values() if "${" in v]


def test_the_stack_takes_the_delivery_settings_as_plain_string_parameters(stack: DeployedStack) -> None:
    assert stack.outputs["SmsGatewayUrl"] == LOCAL_PARAMETERS["SmsGatewayUrl"]
    assert stack.outputs["SmsSenderId"] == LOCAL_PARAMETERS["SmsSenderId"]
    assert stack.outputs["MailFrom"] == "complaints@example.com"


def test_the_complaints_table_has_its_key_indexes_and_stream(stack: DeployedStack) -> None:
    table = stack.table("ComplaintsTableName")
    assert table["KeySchema"] == [{"AttributeName": "tracking_code", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == dict.fromkeys(
        ("tracking_code", "day_shard", "received_at", "queue_key", "due_at", "mobile_hash", "email_hash"), "S"
    )
    indexes = {
        index["IndexName"]: (
            [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]],
            index["Projection"]["ProjectionType"],
        )
        for index in table["GlobalSecondaryIndexes"]
    }
    assert indexes == COMPLAINT_INDEXES
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"] == stack.outputs["ComplaintsStreamArn"]


def test_the_history_and_idempotency_tables_have_their_keys(stack: DeployedStack) -> None:
    history = stack.table("HistoryTableName")
    assert history["KeySchema"] == [
        {"AttributeName": "tracking_code", "KeyType": "HASH"},
        {"AttributeName": "seq", "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"]: a["AttributeType"] for a in history["AttributeDefinitions"]} == {
        "tracking_code": "S",
        "seq": "N",
    }
    idempotency = stack.table("IdempotencyTableName")
    assert idempotency["KeySchema"] == [{"AttributeName": "idempotency_key", "KeyType": "HASH"}]


def test_the_routing_queue_redrives_to_its_dead_letter_queue_after_five_receives(
    stack: DeployedStack,
) -> None:
    routing = stack.queue_attributes("RoutingQueueUrl")
    dead_letter = stack.queue_attributes("RoutingDeadLetterQueueUrl")
    redrive = json.loads(routing["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dead_letter["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert int(routing["VisibilityTimeout"]) >= 6 * 30
    assert routing["QueueArn"] == stack.outputs["RoutingQueueArn"]
    assert routing["QueueArn"].endswith(":" + stack.outputs["RoutingQueueName"])


def test_the_failure_queues_keep_messages_fourteen_days_and_all_queues_use_the_data_key(
    stack: DeployedStack,
) -> None:
    key_id = stack.outputs["DataKeyArn"].rsplit("/", 1)[1]
    for output in ("RoutingDeadLetterQueueUrl", "StreamFailureQueueUrl"):
        assert int(stack.queue_attributes(output)["MessageRetentionPeriod"]) == FOURTEEN_DAYS
    for output in ("RoutingQueueUrl", "RoutingDeadLetterQueueUrl", "StreamFailureQueueUrl"):
        assert stack.queue_attributes(output)["KmsMasterKeyId"] == key_id
    failure_arn = stack.queue_attributes("StreamFailureQueueUrl")["QueueArn"]
    assert failure_arn == stack.outputs["StreamFailureQueueArn"]


def test_the_report_bucket_and_the_topics_are_encrypted_with_the_data_key(stack: DeployedStack) -> None:
    encryption = stack.s3.get_bucket_encryption(Bucket=stack.outputs["ReportBucketName"])
    (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": stack.outputs["DataKeyArn"],
    }
    key_id = stack.outputs["DataKeyArn"].rsplit("/", 1)[1]
    for output in ("DepartmentTopicArn", "SupervisorAlertTopicArn"):
        attributes = stack.sns.get_topic_attributes(TopicArn=stack.outputs[output])["Attributes"]
        assert attributes["KmsMasterKeyId"] == key_id
    assert stack.kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


# --------------------------------------------------------------------------
# The packaged app (python -m infra.package on the real project)
# --------------------------------------------------------------------------


def test_the_package_keeps_every_rule_of_the_packager(packaged: dict[str, Any]) -> None:
    assert check_package(packaged) == []


def test_the_package_holds_every_resource_of_the_template(
    packaged: dict[str, Any], template: dict[str, Any]
) -> None:
    for name, resource in template["Resources"].items():
        assert packaged["Resources"][name] == resource, name
    assert set(packaged["Outputs"]) >= set(template["Outputs"])
    assert set(packaged["Parameters"]) >= set(template["Parameters"])


def test_cfn_lint_finds_nothing_in_the_plain_cloudformation_part_of_the_package(
    packaged: dict[str, Any],
) -> None:
    # cfn-lint needs aws-sam-translator for the SAM part, which is not installed;
    # the rest (the role and its policy above all) is linted as plain CloudFormation.
    sam_bound = {
        name
        for name, resource in packaged["Resources"].items()
        if resource["Type"].startswith("AWS::Serverless::") or names_in(resource) & {"APIHandler", "RestAPI"}
    }
    plain = {key: value for key, value in packaged.items() if key not in ("Transform", "Globals")}
    plain["Resources"] = {k: v for k, v in packaged["Resources"].items() if k not in sam_bound}
    plain["Outputs"] = {k: v for k, v in packaged["Outputs"].items() if not names_in(v) & sam_bound}
    assert SHARED_ROLE in plain["Resources"]
    matches = cfnlint_api.lint(json.dumps(plain), config=ManualArgs(include_checks=["I"]))
    assert [str(m) for m in matches] == []


def test_every_function_gets_every_setting_from_a_template_resource_or_parameter(
    packaged: dict[str, Any], template: dict[str, Any]
) -> None:
    found = functions(packaged)
    assert "APIHandler" in found
    for function_id in found:
        environment = effective_environment(packaged, function_id)
        for name in ENVIRONMENT:
            value = environment.get(name)
            assert is_reference(value), f"{function_id}: {name} = {value!r} is not a reference"
            known = set(template["Resources"]) | set(template["Parameters"])
            assert referenced_name(value) in known, f"{function_id}: {name} = {value!r}"
        assert environment["STAGE"] == "dev"


def test_every_function_runs_with_the_role_whose_policy_names_the_template_resources(
    packaged: dict[str, Any], overlay: dict[str, Any], template: dict[str, Any]
) -> None:
    for function_id, function in functions(packaged).items():
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [SHARED_ROLE, "Arn"]}, function_id
    role = packaged["Resources"][SHARED_ROLE]
    assert role["Type"] == "AWS::IAM::Role"
    # The overlay's policy replaces Chalice's generated one entirely.
    assert role["Properties"]["Policies"] == overlay["Resources"][SHARED_ROLE]["Properties"]["Policies"]
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    named = names_in([s.get("Resource") for s in statements]) - {"AWS::Partition", "AWS::Region"}
    assert named <= set(template["Resources"])
    assert named >= {
        "ComplaintsTable",
        "HistoryTable",
        "IdempotencyTable",
        "RoutingQueue",
        "RoutingDeadLetterQueue",
        "StreamFailureQueue",
        "DepartmentTopic",
        "SupervisorAlertTopic",
        "ReportBucket",
        "DataKey",
        "UserPool",
        "FunctionLogGroup",
        "SmsGatewaySecret",
    }
    wildcards = [s for s in statements if s.get("Resource") == "*"]
    assert [s["Action"] for s in wildcards] == ["dynamodb:ListStreams", "sns:CheckIfPhoneNumberIsOptedOut"]
    (sms,) = [s for s in statements if "NotResource" in s]
    assert (sms["Action"], sms["NotResource"]) == (
        "sns:Publish",
        {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"},
    )
    assert not [s for s in statements if "Scan" in str(s["Action"]) or s["Action"] in ("*", "dynamodb:*")]


def test_the_chalice_config_holds_plain_strings_and_never_a_resource_setting() -> None:
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    assert (config["app_name"], config["version"]) == ("complaintdesk", "2.0")
    assert (config["lambda_timeout"], config["lambda_memory_size"]) == (30, 512)
    # One shared DefaultRole (whose policy infra/functions.yaml replaces)
    # exists only while Chalice generates the policy.
    assert config["autogen_policy"] is True
    assert {s: c["api_gateway_stage"] for s, c in config["stages"].items()} == {"dev": "dev", "prod": "prod"}
    scopes = [config, *config["stages"].values()]
    for variables in (scope.get("environment_variables", {}) for scope in scopes):
        assert all(isinstance(v, str) for v in variables.values())
        assert not set(variables) & set(ENVIRONMENT)


# --------------------------------------------------------------------------
# The packager's rules, on doctored copies of the package
# --------------------------------------------------------------------------


def test_the_packager_refuses_an_overlay_for_a_function_app_py_does_not_define(
    packaged: dict[str, Any],
) -> None:
    doctored = copy.deepcopy(packaged)
    doctored["Resources"]["OnSqsMessage"] = {"Properties": {"Events": {}}}
    assert any("OnSqsMessage: has no Type" in p for p in check_package(doctored))


def test_the_packager_refuses_a_value_baked_in_from_the_packaging_environment(
    packaged: dict[str, Any],
) -> None:
    doctored = copy.deepcopy(packaged)
    doctored["Resources"]["APIHandler"]["Properties"]["Description"] = placeholder("ROUTING_QUEUE_NAME")
    assert any("packaging placeholder" in p for p in check_package(doctored))


def test_the_packager_refuses_an_event_source_without_failure_settings(packaged: dict[str, Any]) -> None:
    doctored = copy.deepcopy(packaged)
    doctored["Resources"]["APIHandler"]["Properties"]["Events"] = {
        "Stream": {
            "Type": "DynamoDB",
            "Properties": {"Stream": {"Fn::GetAtt": ["ComplaintsTable", "StreamArn"]}},
        },
        "Queue": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["RoutingQueue", "Arn"]}}},
    }
    problems = "\n".join(check_package(doctored))
    assert "Stream: FunctionResponseTypes lacks ReportBatchItemFailures" in problems
    assert "Stream: BisectBatchOnFunctionError is not true" in problems
    assert "Stream: DestinationConfig.OnFailure.Destination is not set" in problems
    assert "Queue: FunctionResponseTypes lacks ReportBatchItemFailures" in problems


def test_the_packager_refuses_two_intrinsics_merged_into_one_node(packaged: dict[str, Any]) -> None:
    doctored = copy.deepcopy(packaged)
    doctored["Resources"]["APIHandler"]["Properties"]["Description"] = {
        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q",
        "Fn::GetAtt": ["RoutingQueue", "Arn"],
    }
    assert any("mixes" in p for p in check_package(doctored))


def test_the_packager_refuses_a_function_that_shadows_a_template_setting(packaged: dict[str, Any]) -> None:
    doctored = copy.deepcopy(packaged)
    doctored["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]["COMPLAINTS_TABLE"] = "t"
    assert any("shadows" in p for p in check_package(doctored))


def test_the_packager_refuses_a_reference_to_a_missing_resource(packaged: dict[str, Any]) -> None:
    doctored = copy.deepcopy(packaged)
    doctored["Globals"]["Function"]["Environment"]["Variables"]["REPORT_BUCKET"] = {"Ref": "ReportsBucket"}
    assert any("'ReportsBucket'" in p for p in check_package(doctored))


def test_the_merge_template_defaults_to_the_packaged_stage_and_keeps_resources_apart(
    template: dict[str, Any], overlay: dict[str, Any]
) -> None:
    merged = build_merge_template(template, overlay, stage="prod")
    assert merged["Parameters"]["Stage"]["Default"] == "prod"
    with pytest.raises(PackagingError, match="stage 'qa'"):
        build_merge_template(template, overlay, stage="qa")
    clash = {"Resources": {"ComplaintsTable": {"Properties": {"BillingMode": "PROVISIONED"}}}}
    with pytest.raises(PackagingError, match="ComplaintsTable"):
        build_merge_template(template, clash, stage="dev")


def test_report_builds_have_fifteen_minutes_and_their_queue_waits_six_times_that(
    template: dict[str, Any], packaged: dict[str, Any]
) -> None:
    functions = packaged["Resources"]
    names = {
        "BuildRequestedReports",
        *(f"Reports{k}{m}" for k in ("Daily", "Weekly", "Monthly") for m in ("Ir", "Tr")),
    }
    for name in names:
        assert functions[name]["Properties"]["Timeout"] == 900, name
    queue = template["Resources"]["ReportRequestQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * 900
    assert referenced_name(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "ReportRequestDeadLetterQueue"
    source = functions["BuildRequestedReports"]["Properties"]["Events"]["BuildRequestedReportsSqsEventSource"]
    assert source["Properties"]["BatchSize"] == 1
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
