"""Reading back stream records that Lambda gave up on."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from chalicelib.domain.errors import StorageUnavailable


class DynamoStreamReader:
    """The tracking codes of a range of records of the complaints table's stream."""

    def __init__(self, streams_client: Any) -> None:
        self._streams = streams_client

    def tracking_codes(self, stream_arn: str, shard_id: str, first: str, last: str) -> list[str]:
        """Codes of the records from sequence number `first` to `last`, in order, each once."""
        codes: list[str] = []
        try:
            iterator = self._streams.get_shard_iterator(
                StreamArn=stream_arn,
                ShardId=shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=first,
            )["ShardIterator"]
            while iterator:
                answer = self._streams.get_records(ShardIterator=iterator, Limit=100)
                for record in answer["Records"]:
                    if int(record["dynamodb"]["SequenceNumber"]) > int(last):
                        return codes
                    code = record["dynamodb"]["Keys"]["tracking_code"]["S"]
                    if code not in codes:
                        codes.append(code)
                if not answer["Records"]:
                    return codes
                iterator = answer.get("NextShardIterator")
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"the stream could not be read back: {type(exc).__name__}") from exc
        return codes
