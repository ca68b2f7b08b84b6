"""Intake and status lookup against DynamoDB (moto), through the Chalice app in process."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import Container
from chalicelib.domain.tracking import new_tracking_code
from tests.fakes import ScriptedCodes
from tests.integration.conftest import json_headers

pytestmark = pytest.mark.integration


def submit(client: Client, body: dict[str, Any], **headers: str) -> Any:
    return client.http.post(
        "/complaints", headers=json_headers(**headers), body=json.dumps(body, ensure_ascii=False)
    )


def lookup(client: Client, code: str) -> Any:
    return client.http.post("/status", headers=json_headers(), body=json.dumps({"tracking_code": code}))


def test_a_new_complaint_costs_exactly_one_dynamodb_request(
    metered: tuple[Client, Counter[str]], turkish_complaint: dict[str, Any]
) -> None:
    client, counts = metered
    response = submit(client, turkish_complaint)
    assert response.status_code == 201
    # A cold container reads the key of the contact indexes once; every complaint is one write.
    assert dict(counts) == {"dynamodb.TransactWriteItems": 1, "secrets-manager.GetSecretValue": 1}
    counts.clear()
    assert submit(client, turkish_complaint).status_code == 201
    assert dict(counts) == {"dynamodb.TransactWriteItems": 1}


def test_a_status_lookup_costs_exactly_one_read(
    metered: tuple[Client, Counter[str]], turkish_complaint: dict[str, Any]
) -> None:
    client, counts = metered
    code = json.loads(submit(client, turkish_complaint).body)["tracking_code"]
    counts.clear()
    assert lookup(client, code).status_code == 200
    assert dict(counts) == {"dynamodb.GetItem": 1}


def test_an_idempotent_submission_with_a_key_is_still_one_request(
    metered: tuple[Client, Counter[str]], turkish_complaint: dict[str, Any]
) -> None:
    client, counts = metered
    assert submit(client, turkish_complaint).status_code == 201
    counts.clear()
    assert submit(client, turkish_complaint, **{"Idempotency-Key": new_tracking_code()}).status_code == 201
    assert dict(counts) == {"dynamodb.TransactWriteItems": 1}


def test_the_stored_item_keeps_personal_data_in_one_part_and_feeds_the_indexes(
    client: Client, container: Container, persian_complaint: dict[str, Any]
) -> None:
    code = json.loads(submit(client, persian_complaint).body)["tracking_code"]
    item = container.repository._tables.complaints.get(code)  # type: ignore[attr-defined]
    raw = item.serialize()
    assert set(raw["personal"]["M"]) >= {"name", "mobile", "national_id", "description"}
    assert "+989121234567" not in json.dumps({k: v for k, v in raw.items() if k != "personal"})
    assert item.day_shard.startswith("DAY#IR#")
    assert item.queue_key == "QUEUE#IR#UNASSIGNED#received"
    assert item.version == 1


def test_the_history_records_the_submission_in_the_same_write(
    client: Client, container: Container, turkish_complaint: dict[str, Any]
) -> None:
    code = json.loads(submit(client, turkish_complaint).body)["tracking_code"]
    history = container.repository._tables.history  # type: ignore[attr-defined]
    (event,) = list(history.query(code))
    assert (event.seq, event.action, event.to_status, event.actor) == (1, "submit", "received", "public")


def test_a_status_lookup_never_reads_personal_data(
    client: Client, turkish_complaint: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = json.loads(submit(client, turkish_complaint).body)["tracking_code"]
    response = lookup(client, code)
    text = response.body.decode()
    for secret in ("Ayşe", "905321234567", "example.com", "KSK-2026", "Kasko"):
        assert secret not in text


def test_a_replayed_key_returns_the_first_receipt_and_another_body_is_refused(
    client: Client, turkish_complaint: dict[str, Any]
) -> None:
    key = new_tracking_code()
    first = submit(client, turkish_complaint, **{"Idempotency-Key": key})
    again = submit(client, turkish_complaint, **{"Idempotency-Key": key})
    assert first.body == again.body
    turkish_complaint["description"] += " — ek bilgi"
    changed = submit(client, turkish_complaint, **{"Idempotency-Key": key})
    assert changed.status_code == 422


def test_concurrent_retries_with_one_key_record_one_complaint(
    local_stack: Any, turkish_complaint: dict[str, Any]
) -> None:
    import sys

    from chalicelib.bootstrap import install

    install(Container())
    app = sys.modules["app"].app
    key = new_tracking_code()
    codes: list[str] = []

    def send() -> None:
        with Client(app) as own:
            response = submit(own, turkish_complaint, **{"Idempotency-Key": key})
            assert response.status_code == 201, response.body
            codes.append(json.loads(response.body)["tracking_code"])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    install(None)
    assert len(codes) == 8
    assert len(set(codes)) == 1


def test_a_taken_code_is_never_overwritten(
    client: Client, container: Container, turkish_complaint: dict[str, Any], persian_complaint: dict[str, Any]
) -> None:
    taken = json.loads(submit(client, turkish_complaint).body)["tracking_code"]
    container.new_code = ScriptedCodes(taken)  # type: ignore[misc]
    second = json.loads(submit(client, persian_complaint).body)["tracking_code"]
    assert second != taken
    assert json.loads(lookup(client, taken).body)["language"] == "tr"
    history = container.repository._tables.history  # type: ignore[attr-defined]
    assert len(list(history.query(taken))) == 1


def test_multilingual_and_hostile_text_is_stored_and_read_back_exactly(
    client: Client, container: Container, persian_complaint: dict[str, Any]
) -> None:
    description = (
        "می‌خواهم خسارت ۱۲۰٬۰۰۰٬۰۰۰ ریالی را بگیرم. "
        "İSTANBUL ıĞdır 😀🇹🇷 <script>alert(1)</script> "
        "\u2067RTL isolate\u2069 " + "ğ" * 4800
    )
    persian_complaint["description"] = description
    persian_complaint["contact"]["name"] = "İlkay Işık-محمدی 👩‍⚕️"
    code = json.loads(submit(client, persian_complaint).body)["tracking_code"]
    item = container.repository._tables.complaints.get(code)  # type: ignore[attr-defined]
    assert item.personal.name == "İlkay Işık-محمدی 👩‍⚕️"
    stored = item.personal.description
    assert stored.startswith("می‌خواهم")
    assert "😀🇹🇷" in stored
    assert "<script>" in stored
    assert "\u2067" not in stored  # directional isolates are removed from free text
    assert len(stored) == len(description) - 2


def test_a_complaint_is_found_by_its_code_typed_in_persian_digits(
    client: Client, turkish_complaint: dict[str, Any]
) -> None:
    code = json.loads(submit(client, turkish_complaint).body)["tracking_code"]
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")).replace("-", " ")
    assert json.loads(lookup(client, persian).body)["tracking_code"] == code
