"""Prism-style `Prefer` controls: documented examples by status or name, and a bounded delay."""

from __future__ import annotations

import time

import pytest
from stub_helpers import CONTRACT, StubApi, assert_contract_answer, assert_error, document_request

EXAMPLES = CONTRACT["components"]["examples"]


def example(name: str) -> object:
    return EXAMPLES[name]["value"]


@pytest.mark.parametrize(
    ("prefer", "status", "example_name"),
    [
        ("code=200", 200, "DocumentResponse"),
        ("code=400", 400, "InvalidParameter"),
        ("code=401", 401, "TokenInvalid"),
        ("code=403", 403, "Forbidden"),
        ("code=404", 404, "BackupNotFound"),
        ("code=413", 413, "BodyTooLarge"),
        ("code=500", 500, "InternalError"),
        ("code=503", 503, "ServiceUnavailable"),
        ("example=server-restoring", 400, "ServerRestoring"),
        ("example=document-example", 200, "DocumentResponse"),
        ("code=400, example=volume-backup-not-in-backup", 400, "VolumeBackupNotInBackup"),
        ("code=400; example=backup-not-available", 400, "BackupNotAvailable"),
        ("return=minimal, code=404", 404, "BackupNotFound"),
    ],
)
def test_prefer_answers_the_documented_example(
    api: StubApi, prefer: str, status: int, example_name: str
) -> None:
    answer = api.create(document_request(), headers={"Prefer": prefer})
    assert answer.status_code == status, answer.text
    assert answer.json() == example(example_name)
    assert_contract_answer(answer)


def test_prefer_example_does_not_create_a_restore(api: StubApi) -> None:
    assert api.create(document_request(), headers={"Prefer": "code=200"}).status_code == 200
    assert api.control("GET", "/restores").json()["restores"] == []


@pytest.mark.parametrize(
    ("prefer", "hint"),
    [
        ("code=418", "not a documented status"),
        ("code=abc", "HTTP status"),
        ("code=", "needs a value"),
        ("example=no-such-example", "not a documented example"),
        ("code=404, example=server-restoring", "not an example of status 404"),
        ("delay=-5", "milliseconds"),
        ("delay=10001", "milliseconds"),
        ("delay=fast", "milliseconds"),
    ],
)
def test_bad_preferences_are_a_clear_400(api: StubApi, prefer: str, hint: str) -> None:
    error = assert_error(api.create(document_request(), headers={"Prefer": prefer}), 400, "CSBS.9001")
    assert hint in error["error_msg"], error


def test_prefer_still_needs_a_token_and_a_valid_body(api: StubApi) -> None:
    assert_error(
        api.create(document_request(), token=None, headers={"Prefer": "code=200"}), 401, "APIGW.0301"
    )
    assert_error(api.create({"restore": {}}, headers={"Prefer": "code=200"}), 400, "CSBS.9001")


def test_prefer_delay_waits_then_answers_normally(api: StubApi) -> None:
    started = time.perf_counter()
    answer = api.create(document_request(), headers={"Prefer": "delay=300"})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.text
    assert elapsed >= 0.3


def test_prefer_delay_combines_with_an_example(api: StubApi) -> None:
    started = time.perf_counter()
    answer = api.create(document_request(), headers={"Prefer": "delay=200, code=503"})
    assert time.perf_counter() - started >= 0.2
    assert answer.status_code == 503
