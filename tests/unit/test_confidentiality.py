"""Personal data stays out of public answers and out of every log line."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import FakeRepository

PLANTED = {
    "name": "Zeynep Planted-Kılıçarslan",
    "mobile": "+90 532 987 65 43",
    "email": "planted.person@example.org",
    "national_id": "10000000146",
    "policy_number": "PLANTED-77",
    "postal_address": "Planted Sokak No 9, Kadıköy",
}


def post(api: Client, path: str, body: Any) -> Any:
    return api.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))


def planted_values() -> list[str]:
    return [*PLANTED.values(), "905329876543", "Planted"]


def test_no_log_line_carries_personal_data_on_success_or_failure(
    api: Client,
    repository: FakeRepository,
    turkish_complaint: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    turkish_complaint["contact"] = dict(PLANTED)
    code = json.loads(post(api, "/complaints", turkish_complaint).body)["tracking_code"]
    post(api, "/status", {"tracking_code": code})
    post(api, "/complaints", {**turkish_complaint, "description": "short"})

    def broken(*args: Any) -> None:
        raise RuntimeError("the store broke")

    monkeypatch.setattr(repository, "add", broken)
    assert post(api, "/complaints", turkish_complaint).status_code == 500
    logged = caplog.text
    assert "the store broke" in logged  # the failure itself is logged...
    for value in planted_values():
        assert value not in logged  # ...but nothing of the person


def test_validation_errors_do_not_echo_what_was_typed(api: Client, turkish_complaint: dict[str, Any]) -> None:
    turkish_complaint["contact"] = {**PLANTED, "mobile": "Planted-123", "email": "planted@@x"}
    text = post(api, "/complaints", turkish_complaint).body.decode()
    for value in ("Planted-123", "planted@@x"):
        assert value not in text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_no_body_whatever_its_bytes_gets_a_server_error(api: Client, body: bytes) -> None:
    for path in ("/complaints", "/status"):
        for content_type in ("application/json", "application/x-www-form-urlencoded"):
            response = api.http.post(path, headers={"Content-Type": content_type}, body=body)
            assert response.status_code < 500, (path, body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=st.dictionaries(
        st.sampled_from(
            ["market", "description", "contact", "consent", "category", "channel", "tracking_code"]
        ),
        json_values,
    )
)
def test_no_json_document_whatever_its_shape_gets_a_server_error(
    api: Client, document: dict[str, Any]
) -> None:
    for path in ("/complaints", "/status"):
        response = api.http.post(
            path, headers={"Content-Type": "application/json"}, body=json.dumps(document)
        )
        assert response.status_code < 500, (path, document, response.body)


def test_the_pipelines_warnings_reach_the_log_in_lambda() -> None:
    from app import app

    assert app.log.name == "complaintdesk"
    assert logging.getLogger("complaintdesk.pipeline").isEnabledFor(logging.WARNING)
    assert logging.getLogger("complaintdesk.events").isEnabledFor(logging.INFO)
