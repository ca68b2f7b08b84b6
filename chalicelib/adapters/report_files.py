"""Report files and their storage in S3: CSV by multipart upload, XLSX workbooks, listing and links.

Rules:

- A text cell that a spreadsheet could read as a formula (it starts with
  `=`, `+`, `-`, `@`, a tab or a carriage return) is stored with a leading
  `'`, in CSV and XLSX alike; XLSX text is always written as a string.
- A CSV of any size is written with flat memory: one part (at least 5 MiB,
  the S3 minimum) is buffered at a time and sent by multipart upload. A
  failed write aborts the upload, so that no orphaned parts are billed and
  no half-written object appears.
- CSV is UTF-8 with a byte-order mark, so that Excel reads Persian and
  Turkish text right, with CRLF line ends.
- Every object is written with SSE-KMS (the data key when one is given).
- XlsxWriter is imported only when a workbook is written: the intake
  function never pays for it at cold start.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any, TypedDict
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from chalicelib.domain.errors import StorageUnavailable
from chalicelib.domain.reports import neutralise  # one rule for CSV and XLSX cells
from chalicelib.domain.workbook import Cell, ColumnKind, Figure, Section, kind_of
from chalicelib.services.ports import StoredFile

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_CONTENT_TYPE = "application/json"

#: S3's smallest part of a multipart upload (every part but the last).
MIN_PART_SIZE = 5 * 1024 * 1024
DEFAULT_PART_SIZE = 8 * 1024 * 1024
#: botocore checksums every part by default; S3 rejects part checksums of a type the upload
#: was not begun with, so the upload names the algorithm and its completion lists them.
_CHECKSUM = "CRC32"


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Turn an S3 failure while `doing` something into StorageUnavailable."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise StorageUnavailable(f"S3 {doing} failed: {code}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(f"S3 {doing} failed: {type(exc).__name__}") from exc


def _encryption(kms_key_id: str | None) -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": kms_key_id} if kms_key_id else {})}


# --- CSV ---------------------------------------------------------------------


class S3MultipartCsv:
    """A CSV object in S3 written row by row; whole on a clean exit, absent after an error.

    A file smaller than one part goes up in one PutObject; a bigger one by
    multipart upload, one part buffered at a time.
    """

    def __init__(
        self,
        s3_client: Any,
        bucket: str,
        key: str,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        kms_key_id: str | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"a part must hold at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self._s3 = s3_client
        self._bucket = bucket
        self._key = key
        self._part_size = part_size
        self._kms_key_id = kms_key_id
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self._buffer = bytearray("\ufeff".encode())
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        #: Bytes written so far, the byte-order mark included.
        self.size = len(self._buffer)

    def __enter__(self) -> S3MultipartCsv:
        return self

    def write_row(self, cells: Sequence[Cell]) -> None:
        """Append one row; text is neutralised, None is an empty cell."""
        self._writer.writerow(
            ["" if c is None else neutralise(c) if isinstance(c, str) else c for c in cells]
        )
        encoded = self._text.getvalue().encode("utf-8")
        self._text.seek(0)
        self._text.truncate()
        self._buffer += encoded
        self.size += len(encoded)
        if len(self._buffer) >= self._part_size:
            self._upload_part()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._abort()
            return
        try:
            self._finish()
        except BaseException:
            self._abort()
            raise

    def _upload_part(self) -> None:
        if self._upload_id is None:
            with storage_errors("starting a multipart upload"):
                answer = self._s3.create_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    ContentType=CSV_CONTENT_TYPE,
                    ChecksumAlgorithm=_CHECKSUM,
                    **_encryption(self._kms_key_id),
                )
            self._upload_id = answer["UploadId"]
        number = len(self._parts) + 1
        with storage_errors("uploading a part"):
            answer = self._s3.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=self._buffer,  # sent as it is (botocore takes a bytearray): a part is not copied
                ChecksumAlgorithm=_CHECKSUM,
            )
        self._parts.append(
            {"ETag": answer["ETag"], "PartNumber": number, "ChecksumCRC32": answer["ChecksumCRC32"]}
        )
        self._buffer = bytearray()

    def _finish(self) -> None:
        if self._upload_id is None:
            put_file(
                self._s3,
                self._bucket,
                self._key,
                bytes(self._buffer),
                CSV_CONTENT_TYPE,
                kms_key_id=self._kms_key_id,
            )
            return
        if self._buffer:
            self._upload_part()
        with storage_errors("completing a multipart upload"):
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )

    def _abort(self) -> None:
        """Drop the uploaded parts. If S3 refuses, the bucket's lifecycle rule removes them within days."""
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        # The error that made us abort is the one worth raising, not a failure to clean up after it.
        with suppress(BotoCoreError, ClientError):
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=upload_id)


# --- Objects -----------------------------------------------------------------


class StoredReport(TypedDict):
    """One object under a report prefix."""

    key: str
    size: int
    last_modified: datetime


def put_file(
    s3_client: Any,
    bucket: str,
    key: str,
    body: bytes | IO[bytes],
    content_type: str,
    *,
    kms_key_id: str | None = None,
) -> None:
    """Write (or rewrite) one object, encrypted with SSE-KMS."""
    with storage_errors(f"writing {key}"):
        s3_client.put_object(
            Bucket=bucket, Key=key, Body=body, ContentType=content_type, **_encryption(kms_key_id)
        )


def list_reports(s3_client: Any, bucket: str, prefix: str, *, page_size: int = 1000) -> list[StoredReport]:
    """Every object under `prefix`, in key order, read page by page."""
    pages = s3_client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
    )
    with storage_errors(f"listing {prefix}"):
        return [
            StoredReport(key=item["Key"], size=item["Size"], last_modified=item["LastModified"])
            for page in pages
            for item in page.get("Contents", ())
        ]


def presigned_download(
    s3_client: Any, bucket: str, key: str, expires_seconds: int = 300, *, filename: str | None = None
) -> str:
    """A link that downloads the object as an attachment (named as the key ends) until it expires.

    S3 serves an SSE-KMS object only to a SigV4 signature. botocore signs
    links in us-east-1 with SigV2 unless the client is configured with
    `signature_version="s3v4"`, so a SigV2 link is refused here, not by S3
    when a manager clicks it.
    """
    name = filename or key.rsplit("/", 1)[-1]
    with storage_errors(f"signing a link to {key}"):
        url: str = s3_client.generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": _attachment(name)},
            ExpiresIn=expires_seconds,
        )
    if "X-Amz-Signature=" not in url:
        raise ValueError('presigned links need an S3 client with Config(signature_version="s3v4")')
    return url


def _attachment(filename: str) -> str:
    """Content-Disposition with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_") or "report"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- XLSX --------------------------------------------------------------------

_SUMMARY_WORDS = {
    "en": ("Summary", "Generated"),
    "tr": ("Özet", "Oluşturulma"),
    "fa": ("خلاصه", "تاریخ تهیه"),
}
_NUMBER_FORMATS: dict[ColumnKind, str] = {
    "count": "#,##0",
    "number": "#,##0.00",
    "share": "0.0%",
    "duration": "[h]:mm",
}
_WIDTH_SAMPLE_ROWS = 500
_FIRST_DATA_ROW = 3  # title, a blank row, the header row


def write_workbook(
    stream: IO[bytes],
    *,
    title: str,
    language: str,
    summary: Sequence[Figure],
    sections: Sequence[Section],
    generated_at: datetime | None = None,
) -> None:
    """Write a workbook to `stream`: a summary sheet, then one sheet per section.

    Rows go to temporary files as they are written (XlsxWriter's constant
    memory mode), so a long section does not grow memory.
    """
    from xlsxwriter.workbook import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(stream, {"constant_memory": True, "in_memory": False})
    styles = _Styles(workbook)
    taken: set[str] = set()
    sheet_word, generated_word = _SUMMARY_WORDS.get(language, _SUMMARY_WORDS["en"])
    sheet = workbook.add_worksheet(sheet_name(sheet_word, taken))
    if language == "fa":
        sheet.right_to_left()
    sheet.write_string(0, 0, neutralise(title), styles.title)
    when = (generated_at or datetime.now(UTC)).isoformat(timespec="minutes")
    sheet.write_string(1, 0, neutralise(generated_word))
    sheet.write_string(1, 1, when)
    for row, (label, value, *kind) in enumerate(summary, start=3):
        sheet.write_string(row, 0, neutralise(label))
        _write_cell(sheet, row, 1, value, kind[0] if kind else kind_of(value), styles)
    sheet.set_column(0, 0, _width([figure[0] for figure in summary]))
    sheet.set_column(1, 1, max(18, len(when) + 2))
    for section in sections:
        _write_section(workbook, sheet_name(section.name, taken), section, styles)
    workbook.close()


def sheet_name(raw: str, taken: set[str]) -> str:
    """An Excel-safe sheet name not yet in `taken` (compared case-blind), which it is added to."""
    name = " ".join(re.sub(r"[\[\]:*?/\\\x00-\x1f]", " ", raw).split()).strip("'").strip() or "Sheet"
    if name.casefold() == "history":
        name = f"{name}_"
    candidate, n = name[:31].rstrip(), 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = name[: 31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.casefold())
    return candidate


class _Styles:
    """The workbook's formats, made once."""

    def __init__(self, workbook: Any) -> None:
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.numbers = {kind: workbook.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}


def _write_section(workbook: Any, name: str, section: Section, styles: _Styles) -> None:
    sheet = workbook.add_worksheet(name)
    if section.right_to_left:
        sheet.right_to_left()
    kinds = section.column_kinds()
    header_row = _FIRST_DATA_ROW - 1
    sheet.write_string(0, 0, neutralise(section.title), styles.title)
    for col, header in enumerate(section.headers):
        sheet.write_string(header_row, col, neutralise(header), styles.header)
    for row, cells in enumerate(section.rows, start=_FIRST_DATA_ROW):
        for col, (value, kind) in enumerate(zip(cells, kinds, strict=False)):
            _write_cell(sheet, row, col, value, kind, styles)
    last_row = _FIRST_DATA_ROW + len(section.rows) - 1
    if section.headers:
        sheet.autofilter(header_row, 0, max(header_row, last_row), len(section.headers) - 1)
        sheet.freeze_panes(_FIRST_DATA_ROW, 0)
    sample = section.rows[:_WIDTH_SAMPLE_ROWS]
    for col, header in enumerate(section.headers):
        texts = [header] + [_display(r[col], kinds[col]) for r in sample if col < len(r)]
        sheet.set_column(col, col, _width(texts))
    if section.chart and section.rows:
        _insert_chart(workbook, sheet, name, section, kinds, last_row)


def _insert_chart(
    workbook: Any, sheet: Any, name: str, section: Section, kinds: list[ColumnKind], last_row: int
) -> None:
    """A chart of the first numeric column against the first column.

    Constant-memory mode keeps no rows for XlsxWriter to fill the chart's
    cached values from, so they are given here: a viewer that does not
    recalculate still draws the chart. Every text in the chart is a
    reference to a (neutralised) cell, never literal text that XlsxWriter
    could take for a formula.
    """
    value_col = next((i for i, kind in enumerate(kinds) if i > 0 and kind != "text"), None)
    if value_col is None:
        return
    first = _FIRST_DATA_ROW
    chart = workbook.add_chart({"type": section.chart})
    series: dict[str, Any] = {
        "name": [name, first - 1, value_col],
        "name_data": [neutralise(section.headers[value_col])],
        "categories": [name, first, 0, last_row, 0],
        "categories_data": [_cached(row[0] if row else None, kinds[0]) for row in section.rows],
        "values": [name, first, value_col, last_row, value_col],
        "values_data": [
            _cached(row[value_col] if value_col < len(row) else None, kinds[value_col])
            for row in section.rows
        ],
    }
    if section.chart == "pie":
        series["data_labels"] = {"percentage": True}
    else:
        chart.set_legend({"none": True})
        value_axis = {"num_format": _NUMBER_FORMATS.get(kinds[value_col], "General")}
        (chart.set_x_axis if section.chart == "bar" else chart.set_y_axis)(value_axis)
    chart.add_series(series)
    chart.set_title({"name": [name, 0, 0], "data": [neutralise(section.title)]})
    height = max(288, min(20 * len(section.rows), 900)) if section.chart == "bar" else 288
    chart.set_size({"width": 640, "height": height})
    sheet.insert_chart(first - 1, len(section.headers) + 1, chart)


def _cached(value: Cell, kind: ColumnKind) -> str | int | float | None:
    """A cell's value as the sheet holds it."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, str):
        return neutralise(value)
    return value / 24 if kind == "duration" else value  # Excel counts time in days


def _write_cell(sheet: Any, row: int, col: int, value: Cell, kind: ColumnKind, styles: _Styles) -> None:
    stored = _cached(value, kind)
    if stored is None:
        return
    if isinstance(stored, str):
        sheet.write_string(row, col, stored)
    else:
        number_format = styles.numbers.get(kind) or styles.numbers[kind_of(value)]
        sheet.write_number(row, col, stored, number_format)


def _display(value: Cell, kind: ColumnKind) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if kind == "share":
        return f"{value:.1%}"
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


def _width(texts: Sequence[str]) -> float:
    """A column as wide as its widest text (sampled), within reason."""
    widest = max((max((len(line) for line in text.splitlines()), default=0) for text in texts), default=0)
    return float(min(max(widest + 2, 8), 60))


# --- The report store --------------------------------------------------------


class S3ReportStore:
    """The report bucket: CSV by multipart upload, other files whole, listing and links.

    Links need a client configured with `signature_version="s3v4"` (see
    `presigned_download`); the container makes one for this store alone.
    """

    def __init__(self, s3_client: Any, bucket: str, *, kms_key_id: str | None = None) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def csv(self, key: str) -> S3MultipartCsv:
        return S3MultipartCsv(self._s3, self._bucket, key, kms_key_id=self._kms_key_id)

    def put(self, key: str, body: bytes | IO[bytes], content_type: str) -> None:
        put_file(self._s3, self._bucket, key, body, content_type, kms_key_id=self._kms_key_id)

    def list(self, prefix: str) -> list[StoredFile]:
        return [
            StoredFile(r["key"], r["size"], r["last_modified"])
            for r in list_reports(self._s3, self._bucket, prefix)
        ]

    def link(self, key: str, expires_seconds: int) -> str:
        return presigned_download(self._s3, self._bucket, key, expires_seconds)

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageUnavailable(
                f"S3 reading {key} failed: {exc.response.get('Error', {}).get('Code')}"
            ) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 reading {key} failed: {type(exc).__name__}") from exc
        return True
