"""The stub as users run it (`python -m server`, uvicorn on a free loopback port): `live_stub`."""

from __future__ import annotations

from typing import Any

import httpx
from stub_helpers import document_request

TIMEOUT_S = 10.0


def post_document(stub: Any, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"X-Auth-Token": token}
    return httpx.post(
        f"{stub.base_url}/v1/{stub.project_id}/restores",
        json=document_request(),
        headers=headers,
        timeout=TIMEOUT_S,
    )


def reset(stub: Any) -> None:
    answer = httpx.post(
        f"{stub.base_url}/_stub/reset", headers={"X-Admin-Token": stub.admin_token}, timeout=TIMEOUT_S
    )
    assert answer.status_code == 200, answer.text


def test_document_example_over_a_socket(live_stub: Any) -> None:
    reset(live_stub)
    answer = post_document(live_stub, live_stub.token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["restore"]["status"] == "in_progress"
    assert answer.headers["x-request-id"]


def test_no_token_over_a_socket_is_401_in_the_gateway_format(live_stub: Any) -> None:
    answer = post_document(live_stub, None)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error_code"] == "APIGW.0301"
    assert answer.json()["request_id"] == answer.headers["x-request-id"]
