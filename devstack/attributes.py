"""`Fn::GetAtt` attributes of the resources CloudFormation created, read from the emulator.

Each resource type has one reader: one API call (or none) gives all the
attributes the overlay may ask for. A type without a reader has no
attributes here, and asking for one fails with the resource's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from devstack.aws import Clients, sdk_errors
from devstack.cloudformation import DeployedResource, DeployedStack
from devstack.errors import ResolutionError
from devstack.lookups import Resource

Reader = Callable[[Clients, str], Mapping[str, str]]


def _table(clients: Clients, name: str) -> Mapping[str, str]:
    table = clients("dynamodb").describe_table(TableName=name)["Table"]
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return attributes


def _queue(clients: Clients, url: str) -> Mapping[str, str]:
    arn = clients("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    queue_arn = arn["Attributes"]["QueueArn"]
    return {"Arn": queue_arn, "QueueName": queue_arn.rsplit(":", 1)[1], "QueueUrl": url}


def _topic(clients: Clients, arn: str) -> Mapping[str, str]:
    return {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[1]}


def _bucket(clients: Clients, name: str) -> Mapping[str, str]:
    return {"Arn": f"arn:aws:s3:::{name}"}


def _key(clients: Clients, key_id: str) -> Mapping[str, str]:
    metadata = clients("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    return {"Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


READERS: Mapping[str, Reader] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::S3::Bucket": _bucket,
    "AWS::KMS::Key": _key,
}


def stack_resources(clients: Clients, stack: DeployedStack) -> dict[str, Resource]:
    """Every created resource as a `Resource`: Ref is the physical id, attributes read lazily."""
    return {
        logical_id: Resource(
            logical_id=logical_id,
            type=deployed.type,
            ref=deployed.physical_id,
            read_attributes=partial(_read, clients, deployed),
        )
        for logical_id, deployed in stack.resources.items()
    }


def _read(clients: Clients, deployed: DeployedResource) -> Mapping[str, str]:
    reader = READERS.get(deployed.type)
    if reader is None:
        return {}
    with sdk_errors(f"cannot read the attributes of {deployed.logical_id}", ResolutionError):
        return reader(clients, deployed.physical_id)
