"""The public HTTP API over fakes: status codes, problem details and hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.fakes import FakeRepository

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(api: Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
    return api.http.post(path, headers=headers or JSON, body=raw)


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.body)
    assert body["status"] == response.status_code
    return body


def test_a_json_complaint_gets_201_and_a_receipt(api: Client, turkish_complaint: dict[str, Any]) -> None:
    response = post(api, "/complaints", turkish_complaint)
    assert response.status_code == 201
    assert set(json.loads(response.body)) == {
        "tracking_code",
        "status",
        "received_at",
        "expected_response_by",
    }


def test_a_plain_html_form_post_is_accepted(api: Client, repository: FakeRepository) -> None:
    form = (
        "market=IR&category=claim_decision&contact.name=%D8%B9%D9%84%DB%8C"
        "&contact.mobile=%DB%B0%DB%B9%DB%B1%DB%B2%DB%B1%DB%B2%DB%B3%DB%B4%DB%B5%DB%B6%DB%B7"
        "&description=%D8%AE%D8%B3%D8%A7%D8%B1%D8%AA+%D9%BE%D8%B1%D8%AF%D8%A7%D8%AE%D8%AA+%D9%86%D8%B4%D8%AF"
        "&consent.contact=on&submit=Send"
    )
    response = post(api, "/complaints", form, FORM)
    assert response.status_code == 201
    (complaint,) = repository.complaints.values()
    assert complaint.personal.contact.mobile == "+989121234567"
    assert complaint.personal.contact.name == "علی"


def test_validation_errors_are_problem_details_with_a_pointer_per_field(
    api: Client, turkish_complaint: dict[str, Any]
) -> None:
    turkish_complaint["description"] = "kısa"
    turkish_complaint["contact"]["email"] = "ayşe@"
    body = problem(post(api, "/complaints", turkish_complaint))
    assert body["status"] == 422
    assert {(e["field"], e["pointer"]) for e in body["errors"]} == {
        ("description", "#/description"),
        ("contact.email", "#/contact/email"),
    }


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("{not json", 400),
        ("", 400),
        ("[1, 2, 3]", 400),
        ('"a string"', 400),
        ("[" * 100_000 + "]" * 100_000, 413),
        ("[" * 30_000 + "]" * 30_000, 400),  # nested too deep to parse
        ('{"n": ' + "9" * 5000 + "}", 400),  # an integer too long to read
        (b"\xff\xfe not utf-8", 400),
    ],
)
def test_malformed_bodies_get_a_problem_never_a_crash(api: Client, raw: Any, status: int) -> None:
    assert problem(post(api, "/complaints", raw)).get("status") == status


def test_a_body_over_64_kib_is_refused_with_413(api: Client, turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["remedy_sought"] = "x" * 70_000
    assert problem(post(api, "/complaints", turkish_complaint))["status"] == 413


def test_an_unsupported_content_type_gets_415_as_problem_details(api: Client) -> None:
    response = post(api, "/complaints", "hello", {"Content-Type": "text/plain"})
    assert problem(response)["status"] == 415


def test_a_wrong_method_gets_405_as_problem_details(api: Client) -> None:
    response = api.http.get("/complaints")
    assert problem(response)["status"] == 405
    assert response.headers["Allow"] == "POST"


def test_every_answer_carries_the_security_headers(api: Client, turkish_complaint: dict[str, Any]) -> None:
    for response in (post(api, "/complaints", turkish_complaint), post(api, "/complaints", "{")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


def test_an_idempotency_key_replays_the_first_answer(api: Client, turkish_complaint: dict[str, Any]) -> None:
    headers = {**JSON, "Idempotency-Key": "4f1c2a9e-form-1"}
    first = post(api, "/complaints", turkish_complaint, headers)
    again = post(api, "/complaints", turkish_complaint, headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.body == again.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    turkish_complaint["description"] += " (edited)"
    assert problem(post(api, "/complaints", turkish_complaint, headers))["status"] == 422


@pytest.mark.parametrize("key", ["", "x" * 256, "key with spaces", "ключ"])
def test_a_malformed_idempotency_key_is_a_field_error(
    api: Client, turkish_complaint: dict[str, Any], key: str
) -> None:
    body = problem(post(api, "/complaints", turkish_complaint, {**JSON, "Idempotency-Key": key}))
    assert body["errors"][0]["field"] == "header.Idempotency-Key"


def test_status_lookup_finds_a_complaint_by_a_loosely_typed_code(
    api: Client, turkish_complaint: dict[str, Any]
) -> None:
    code = json.loads(post(api, "/complaints", turkish_complaint).body)["tracking_code"]
    response = post(api, "/status", {"tracking_code": code.lower().replace("-", " ")})
    assert response.status_code == 200
    view = json.loads(response.body)
    assert (view["tracking_code"], view["status_label"]) == (code, "Alındı")


def test_status_lookup_also_takes_a_form_post(api: Client, turkish_complaint: dict[str, Any]) -> None:
    code = json.loads(post(api, "/complaints", turkish_complaint).body)["tracking_code"]
    assert post(api, "/status", f"tracking_code={code}", FORM).status_code == 200


def test_an_unknown_code_and_a_wrong_code_get_the_same_404(api: Client) -> None:
    unknown = post(api, "/status", {"tracking_code": "0000-0000-0000-00"})
    other = post(api, "/status", {"tracking_code": "7K3M-9XQ2-HT4W-R0"})
    assert unknown.status_code == other.status_code == 404
    assert unknown.body == other.body


def test_a_code_with_a_typo_is_told_so(api: Client) -> None:
    body = problem(post(api, "/status", {"tracking_code": "7K3M-9XQ2-HT4W-R8"}))
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "tracking_code"


@pytest.mark.parametrize("code", [None, 42, "", ["7K3M"], {"a": 1}, "<script>", "‮7K3M", "😀" * 1000])
def test_hostile_tracking_codes_get_a_field_error(api: Client, code: Any) -> None:
    assert problem(post(api, "/status", {"tracking_code": code}))["status"] == 422


def test_a_storage_outage_is_a_503_without_internal_detail(
    api: Client,
    repository: FakeRepository,
    turkish_complaint: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.domain.errors import StorageUnavailable

    def broken(*args: Any) -> None:
        raise StorageUnavailable("DynamoDB said ProvisionedThroughputExceeded on table test-complaints")

    monkeypatch.setattr(repository, "add", broken)
    body = problem(post(api, "/complaints", turkish_complaint))
    assert body["status"] == 503
    assert "DynamoDB" not in json.dumps(body)


def test_an_unexpected_bug_is_a_bare_500(
    api: Client,
    repository: FakeRepository,
    turkish_complaint: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any) -> None:
        raise KeyError("secret internals")

    monkeypatch.setattr(repository, "add", broken)
    body = problem(post(api, "/complaints", turkish_complaint))
    assert body["status"] == 500
    assert "secret" not in json.dumps(body)


def test_health_answers_ok(api: Client) -> None:
    response = api.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body)["status"] == "ok"
