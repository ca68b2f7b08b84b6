"""The local stack's deliberate faults and its fix for moto's transaction snapshots."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devstack.errors import OptionsError
from devstack.faults import injected, parse_faults
from devstack.quirks import share_stream_records_in_snapshots


def test_a_fault_spec_names_service_action_and_share() -> None:
    assert parse_faults("sns.Publish=0.3, sqs.SendMessageBatch=1") == {
        ("sns", "Publish"): 0.3,
        ("sqs", "SendMessageBatch"): 1.0,
    }
    assert parse_faults("") == {}


@pytest.mark.parametrize(
    "spec", ["sns=0.3", "sns.Publish", "sns.Publish=1.5", "sns.Publish=lots", ".Publish=0.1"]
)
def test_a_malformed_fault_spec_is_refused(spec: str) -> None:
    with pytest.raises(OptionsError):
        parse_faults(spec)


@pytest.fixture
def sns() -> Iterator[object]:
    # Keep moto's in-process data: a local stack of this test session may be using it.
    mock = mock_aws()
    mock.start(reset=False)
    try:
        yield boto3.client(
            "sns", region_name="eu-west-3", aws_access_key_id="t", aws_secret_access_key="t",
            config=boto3.session.Config(retries={"total_max_attempts": 1}),
        )  # fmt: skip
    finally:
        mock.stop(remove_data=False)


def test_an_injected_fault_answers_as_an_aws_outage_would(sns: object) -> None:
    client: object = sns
    with injected({("sns", "Publish"): 1.0}):
        with pytest.raises(Exception, match="InternalFailure"):
            client.publish(PhoneNumber="+905321234567", Message="hi")  # type: ignore[attr-defined]
        client.list_topics()  # type: ignore[attr-defined]  # other calls are untouched
    client.publish(PhoneNumber="+905321234567", Message="hi")  # type: ignore[attr-defined]  # and it ends with the block


def test_a_transaction_snapshot_shares_the_stream_records_but_not_the_list() -> None:
    from moto.dynamodb.models.table import StreamShard

    share_stream_records_in_snapshots()
    shard = StreamShard.__new__(StreamShard)
    shard.items = [object(), object()]
    shard.table = object()
    clone = copy.deepcopy(shard)
    assert clone.items == shard.items
    assert clone.items is not shard.items
    clone.items.append(object())
    assert len(shard.items) == 2  # a rolled-back write does not reach the live shard
