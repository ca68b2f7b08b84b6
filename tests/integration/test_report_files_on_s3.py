"""Report files on the template's report bucket in moto: multipart CSV, single puts, links and listings.

The bucket is shared by the whole session, so every test writes under a
prefix of its own. moto, like S3, refuses a part under 5 MiB other than the
last one (EntityTooSmall), so the part sizes are checked by S3 itself.
"""

from __future__ import annotations

import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.config import Config  # type: ignore[import-untyped]

from chalicelib.adapters.report_files import (
    CSV_CONTENT_TYPE,
    MIN_PART_SIZE,
    XLSX_CONTENT_TYPE,
    S3MultipartCsv,
    list_reports,
    presigned_download,
    put_file,
)
from chalicelib.bootstrap import Container
from chalicelib.domain.errors import StorageUnavailable
from devstack.metering import aws_calls
from devstack.stack import LocalStack

pytestmark = pytest.mark.integration

BOM = b"\xef\xbb\xbf"
MiB = 1024 * 1024


@dataclass
class Reports:
    """An S3 client of a cold container, its calls counted, and a prefix of this test's own."""

    s3: Any
    bucket: str
    kms_key_id: str
    prefix: str
    calls: Counter[str]
    part_sizes: list[int]

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def read(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body


@pytest.fixture
def reports(local_stack: LocalStack) -> Iterator[Reports]:
    """The client signs with SigV4, as S3 wants for SSE-KMS objects (botocore would sign links with SigV2)."""
    with aws_calls() as calls:
        container = Container()
        s3 = container.aws.client("s3", config=Config(signature_version="s3v4"))
        part_sizes: list[int] = []
        s3.meta.events.register(
            "before-parameter-build.s3.UploadPart",
            lambda params, **_: part_sizes.append(len(params["Body"])),
        )
        yield Reports(
            s3=s3,
            bucket=container.settings.report_bucket,
            kms_key_id=container.settings.data_key_arn,
            prefix=f"reports/TR/daily/{uuid.uuid4().hex}/",
            calls=calls,
            part_sizes=part_sizes,
        )


def row(i: int) -> list[str | int | float | None]:
    return [f"K{i:08d}", "İzmir, Karşıyaka", "=1+2", i, 0.5, None, "شکایت"]


def expected_line(i: int) -> bytes:
    return f'K{i:08d},"İzmir, Karşıyaka",\'=1+2,{i},0.5,,شکایت\r\n'.encode()


def test_a_big_csv_goes_up_in_parts_of_at_least_five_mib_and_reads_back_byte_identical(
    reports: Reports,
) -> None:
    key = reports.key("complaints.csv")
    rows = 12 * MiB // len(expected_line(0)) + 1

    with S3MultipartCsv(reports.s3, reports.bucket, key, kms_key_id=reports.kms_key_id) as csv_file:
        for i in range(rows):
            csv_file.write_row(row(i))

    expected = BOM + b"".join(expected_line(i) for i in range(rows))
    assert csv_file.size == len(expected) > 12 * MiB
    assert reports.read(key) == expected
    assert reports.calls["s3.CreateMultipartUpload"] == 1
    assert reports.calls["s3.UploadPart"] == len(reports.part_sizes) == 2
    assert reports.calls["s3.CompleteMultipartUpload"] == 1
    assert "s3.PutObject" not in reports.calls
    first, last = reports.part_sizes
    assert 8 * MiB <= first < 8 * MiB + len(expected_line(rows))  # one part buffered, never more
    assert last < first
    head = reports.s3.head_object(Bucket=reports.bucket, Key=key)
    assert head["ContentType"] == CSV_CONTENT_TYPE
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == reports.kms_key_id


def write_a_part_then_fail(reports: Reports, key: str) -> None:
    with S3MultipartCsv(reports.s3, reports.bucket, key, part_size=MIN_PART_SIZE) as csv_file:
        while csv_file.size < MIN_PART_SIZE + MiB:
            csv_file.write_row(row(csv_file.size))
        raise RuntimeError("aggregation failed")


def test_an_error_while_writing_aborts_the_upload_and_leaves_no_object(reports: Reports) -> None:
    key = reports.key("complaints.csv")

    with pytest.raises(RuntimeError, match="aggregation failed"):
        write_a_part_then_fail(reports, key)

    assert reports.calls["s3.UploadPart"] == 1
    assert reports.calls["s3.AbortMultipartUpload"] == 1
    assert "s3.CompleteMultipartUpload" not in reports.calls
    uploads = reports.s3.list_multipart_uploads(Bucket=reports.bucket, Prefix=reports.prefix)
    assert uploads.get("Uploads", []) == []
    assert list_reports(reports.s3, reports.bucket, reports.prefix) == []


def test_a_small_csv_is_one_put_with_a_bom_crlf_and_neutralised_cells(reports: Reports) -> None:
    key = reports.key("complaints.csv")

    with S3MultipartCsv(reports.s3, reports.bucket, key) as csv_file:
        csv_file.write_row(["tracking_code", "category", "note"])
        csv_file.write_row(["7K3M-9XQ2-HT4W-R8", "خسارت", "-İptal edildi"])
        csv_file.write_row(["ZNVZ-BJ1C-JAHZ-F0", "ılık", "@here\nsecond line"])

    assert (
        reports.read(key)
        == BOM
        + (
            "tracking_code,category,note\r\n"
            "7K3M-9XQ2-HT4W-R8,خسارت,'-İptal edildi\r\n"
            'ZNVZ-BJ1C-JAHZ-F0,ılık,"\'@here\nsecond line"\r\n'
        ).encode()
    )
    assert reports.calls["s3.PutObject"] == 1
    assert "s3.CreateMultipartUpload" not in reports.calls
    head = reports.s3.head_object(Bucket=reports.bucket, Key=key)
    assert (head["ContentType"], head["ServerSideEncryption"]) == (CSV_CONTENT_TYPE, "aws:kms")


def test_a_csv_that_s3_refuses_is_storage_unavailable_with_the_sdk_error_as_cause(reports: Reports) -> None:
    with (
        pytest.raises(StorageUnavailable, match="NoSuchBucket") as refused,
        S3MultipartCsv(reports.s3, "no-such-bucket-" + uuid.uuid4().hex, "x.csv") as csv_file,
    ):
        csv_file.write_row(["a"])

    assert type(refused.value.__cause__).__name__ == "NoSuchBucket"


def test_a_presigned_link_downloads_the_file_as_an_attachment(
    local_stack: LocalStack, reports: Reports
) -> None:
    key = reports.key("report.xlsx")
    put_file(reports.s3, reports.bucket, key, b"PK\x03\x04 workbook", XLSX_CONTENT_TYPE)

    url = presigned_download(reports.s3, reports.bucket, key, filename="گزارش ماهانه 1405-08.xlsx")

    assert url.startswith(local_stack.moto_url)
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    assert "X-Amz-Expires=300" in url
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (the emulator's loopback URL)
        assert answer.read() == b"PK\x03\x04 workbook"
        assert answer.headers["Content-Type"] == XLSX_CONTENT_TYPE
        disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="1405-08.xlsx"; ')
    assert "filename*=UTF-8''%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4" in disposition
    assert reports.calls["s3.PutObject"] == 1


def test_a_listing_reads_every_page_in_key_order(reports: Reports) -> None:
    names = ["complaints.csv", "report.xlsx", "summary.json", "a/1.csv", "a/2.csv"]
    for name in names:
        put_file(reports.s3, reports.bucket, reports.key(name), name.encode(), "text/plain")

    listed = list_reports(reports.s3, reports.bucket, reports.prefix, page_size=2)

    assert [item["key"] for item in listed] == sorted(reports.key(name) for name in names)
    assert [item["size"] for item in listed] == [
        len(reports.key(n).removeprefix(reports.prefix)) for n in sorted(names)
    ]
    assert all(item["last_modified"].tzinfo is not None for item in listed)
    assert reports.calls["s3.ListObjectsV2"] == 3


def test_a_link_signed_with_sigv2_is_refused_before_anyone_clicks_it(local_stack: LocalStack) -> None:
    container = Container()
    legacy = container.client("s3")  # no signature version: botocore presigns with SigV2 in us-east-1

    with pytest.raises(ValueError, match="s3v4"):
        presigned_download(legacy, container.settings.report_bucket, "reports/TR/daily/x/report.xlsx")
