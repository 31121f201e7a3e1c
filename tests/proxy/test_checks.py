"""The checks on their own, on a contract changed to have what the published one lacks: a
required response header, a header parameter and a documented query parameter."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.openapi import load_document
from server.proxy import ContractChecks
from server.settings import CONTRACT_SPEC, STRICT_SPEC
from tests.proxy.helpers import DEMO_TOKEN, RESTORES_PATH, document_answer, document_request

JSON = (b"content-type", b"application/json")
TOKEN = (b"x-auth-token", DEMO_TOKEN.encode())


def with_more(document: dict[str, Any]) -> dict[str, Any]:
    operation = document["paths"]["/v1/{project_id}/restores"]["post"]
    operation["parameters"] = [
        *operation["parameters"],
        {
            "name": "X-Client-Version",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        },
        {
            "name": "dry_run",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["yes", "no"]},
        },
    ]
    document["components"]["headers"]["XRequestId"]["required"] = True
    return document


@pytest.fixture(scope="module")
def checks() -> ContractChecks:
    return ContractChecks(with_more(load_document(CONTRACT_SPEC)), with_more(load_document(STRICT_SPEC)))


def request_pointers(
    checks: ContractChecks, headers: list[tuple[bytes, bytes]], query: list[tuple[str, str]]
) -> list[str]:
    verdict = checks.check_request(
        "POST", RESTORES_PATH, query, headers, json.dumps(document_request()).encode()
    )
    return [finding.found.pointer for finding in verdict.findings]


def test_header_and_query_parameters_are_checked(checks: ContractChecks) -> None:
    good = [TOKEN, JSON, (b"x-client-version", b"12")]
    assert request_pointers(checks, good, [("dry_run", "yes")]) == []
    assert request_pointers(checks, [TOKEN, JSON], []) == ["/headers/X-Client-Version"]
    assert request_pointers(checks, [TOKEN, JSON, (b"x-client-version", b"v1")], []) == [
        "/headers/X-Client-Version"
    ]
    assert request_pointers(checks, good, [("dry_run", "maybe")]) == ["/query/dry_run"]
    assert request_pointers(checks, good, [("other", "1")]) == ["/query/other"]


def test_a_required_response_header_must_be_there(checks: ContractChecks) -> None:
    operation = checks.router.operation("createRestore")
    body = json.dumps(document_answer()).encode()

    missing = checks.check_response(operation, 200, [JSON], body)
    present = checks.check_response(operation, 200, [JSON, (b"X-Request-Id", b"abc")], body)

    assert [(f.kind, f.pointer) for f in missing] == [("response", "/headers/x-request-id")]
    assert present == []


def test_an_unreadable_encoding_leaves_the_body_unchecked_but_not_the_rest(checks: ContractChecks) -> None:
    operation = checks.router.operation("createRestore")

    found = checks.check_response(
        operation, 200, [(b"content-type", b"text/html"), (b"x-request-id", b"1")], None
    )

    assert [f.pointer for f in found] == ["/headers/content-type"]


def test_each_extra_field_of_an_answer_is_its_own_finding(checks: ContractChecks) -> None:
    operation = checks.router.operation("createRestore")
    answer = document_answer()
    answer["restore"]["zeta"] = 1
    answer["restore"]["alpha"] = 2
    answer["restore"]["parameters"]["targets"]["volumes"][0]["size"] = 3

    found = checks.check_response(
        operation, 200, [JSON, (b"x-request-id", b"1")], json.dumps(answer).encode()
    )

    assert sorted((f.kind, f.pointer) for f in found) == [
        ("undocumented", "/body/restore/alpha"),
        ("undocumented", "/body/restore/parameters/targets/volumes/0/size"),
        ("undocumented", "/body/restore/zeta"),
    ]
