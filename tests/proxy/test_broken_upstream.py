"""A deliberately broken upstream behind the proxy: each defect is recorded with its kind,
direction and pointer, and in the default mode the client gets exactly what the upstream sent;
with `--proxy-strict` an answer that breaks the contract is replaced. An upstream that gives no
usable answer gets the client 503 `CSBS.9998` within the timeout, in both modes."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from server.proxy import PROXY_HEADER
from tests.proxy.helpers import (
    BrokenUpstream,
    Reply,
    document_answer,
    gzip_answer,
    http_answer,
    json_answer,
    post_create,
    proxy_app,
    violations,
)

ERROR = {"error_code": "CSBS.9999", "error_msg": "Internal error."}
UPSTREAM_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def upstream() -> Iterator[BrokenUpstream]:
    with BrokenUpstream() as server:
        yield server


def with_extra_field() -> dict[str, Any]:
    answer = document_answer()
    answer["restore"]["extra"] = {"nested": True}
    return answer


def with_wrong_type() -> dict[str, Any]:
    answer = document_answer()
    answer["restore"]["status"] = 5
    return answer


def found(listed: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(v["kind"], v["direction"], v["pointer"]) for v in listed}


# (name, what the upstream sends, the violations expected: (kind, direction, pointer))
DEFECTS = [
    ("valid", json_answer(200, document_answer()), set()),
    ("valid-error", json_answer(500, ERROR), set()),
    (
        "extra-field",
        json_answer(200, with_extra_field()),
        {("undocumented", "response", "/body/restore/extra")},
    ),
    (
        "extra-field-gzip",
        gzip_answer(200, with_extra_field()),
        {("undocumented", "response", "/body/restore/extra")},
    ),
    (
        "unlisted-status-value",
        json_answer(200, {"restore": {**document_answer()["restore"], "status": "paused"}}),
        {("undocumented", "response", "/body/restore/status")},
    ),
    ("wrong-type", json_answer(200, with_wrong_type()), {("response", "response", "/body/restore/status")}),
    (
        "missing-required",
        json_answer(200, {"restore": {k: v for k, v in document_answer()["restore"].items() if k != "id"}}),
        {("response", "response", "/body/restore/id")},
    ),
    ("undocumented-status", json_answer(418, ERROR), {("response", "response", "/status")}),
    (
        "plain-500",
        Reply(http_answer(500, b"Internal Server Error", content_type="text/plain")),
        {("response", "response", "/headers/content-type"), ("response", "response", "/body")},
    ),
    (
        "no-content-type",
        Reply(http_answer(200, json.dumps(document_answer()).encode(), content_type=None)),
        {("response", "response", "/headers/content-type")},
    ),
]


@pytest.mark.parametrize(
    ("reply", "expected"), [(r, e) for _, r, e in DEFECTS], ids=[n for n, _, _ in DEFECTS]
)
def test_each_defect_is_recorded_and_nothing_is_altered(
    upstream: BrokenUpstream, reply: Reply, expected: set[tuple[str, str, str]]
) -> None:
    upstream.reply = reply
    app = proxy_app(upstream.url)

    response = post_create(app)

    assert reply.raw is not None
    head, _, sent_body = reply.raw.partition(b"\r\n\r\n")
    assert response.status_code == int(head.split()[1])
    assert response.content == sent_body  # the raw bytes, gzip included
    assert response.headers["x-request-id"] == UPSTREAM_ID
    assert PROXY_HEADER.decode() not in response.headers
    listed = violations(app)
    assert found(listed) == expected, listed
    for violation in listed:
        assert violation["upstream_status"] == response.status_code
        assert violation["request_id"] == UPSTREAM_ID
        assert violation["method"] == "POST"
        assert violation["message"]
    assert len(upstream.received) == 1


def test_strict_mode_replaces_an_answer_that_breaks_the_contract(upstream: BrokenUpstream) -> None:
    upstream.reply = json_answer(200, with_wrong_type())
    app = proxy_app(upstream.url, strict=True)

    response = post_create(app)

    assert response.status_code == 500
    assert response.json()["error_code"] == "CSBS.9999"
    assert set(response.json()) == {"error_code", "error_msg"}
    assert response.headers[PROXY_HEADER.decode()] == "response-replaced"
    assert response.headers["x-request-id"] == UPSTREAM_ID
    assert found(violations(app)) == {("response", "response", "/body/restore/status")}


def test_strict_mode_replaces_a_broken_unavailable_answer_with_the_services_503(
    upstream: BrokenUpstream,
) -> None:
    upstream.reply = Reply(http_answer(503, b"<html>Service Unavailable</html>", content_type="text/html"))
    app = proxy_app(upstream.url, strict=True)

    response = post_create(app)

    assert response.status_code == 503
    assert response.json()["error_code"] == "CSBS.9998"
    assert response.headers[PROXY_HEADER.decode()] == "response-replaced"


def test_strict_mode_passes_undocumented_content_which_the_contract_allows(upstream: BrokenUpstream) -> None:
    upstream.reply = json_answer(200, with_extra_field())
    app = proxy_app(upstream.url, strict=True)

    response = post_create(app)

    assert response.status_code == 200
    assert response.json() == with_extra_field()
    assert found(violations(app)) == {("undocumented", "response", "/body/restore/extra")}


# --- no usable answer --------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


FAILURES = [
    ("slow", Reply(http_answer(200, b"{}"), delay=3.0), "did not answer within"),
    ("dropped", Reply(None), "broken or was cut off"),
    ("garbage", Reply(b"this is not HTTP at all\r\n\r\n"), "broken or was cut off"),
    ("cut-off-body", Reply(http_answer(200, b'{"restore": {}}')[:-5], close=True), "broken or was cut off"),
]


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize(
    ("reply", "reason"), [(r, m) for _, r, m in FAILURES], ids=[n for n, _, _ in FAILURES]
)
def test_an_upstream_without_a_usable_answer_gets_the_client_a_503_in_time(
    upstream: BrokenUpstream, reply: Reply, reason: str, strict: bool
) -> None:
    upstream.reply = reply
    timeout = 1.0
    app = proxy_app(upstream.url, timeout=timeout, strict=strict)

    started = time.monotonic()
    response = post_create(app)
    elapsed = time.monotonic() - started

    assert elapsed < timeout + 1.0
    assert_upstream_failure(response, violations(app), reason)


def test_a_refused_connection_gets_the_client_a_503() -> None:
    app = proxy_app(f"http://127.0.0.1:{closed_port()}", timeout=1.0)

    response = post_create(app)

    assert_upstream_failure(response, violations(app), "cannot be reached")


def assert_upstream_failure(response: Any, listed: list[dict[str, Any]], reason: str) -> None:
    assert response.status_code == 503
    assert response.json()["error_code"] == "CSBS.9998"
    assert set(response.json()) == {"error_code", "error_msg"}
    assert "Traceback" not in response.text
    assert response.headers[PROXY_HEADER.decode()] == "upstream-failed"
    assert len(response.headers["x-request-id"]) == 32
    assert [(v["kind"], v["direction"], v["pointer"], v["upstream_status"]) for v in listed] == [
        ("upstream", "response", "", None)
    ]
    assert reason in listed[0]["message"]
    assert listed[0]["request_id"] == response.headers["x-request-id"]


def test_hop_by_hop_headers_of_the_answer_are_dropped_and_the_others_kept(upstream: BrokenUpstream) -> None:
    upstream.reply = Reply(
        http_answer(
            200,
            json.dumps(document_answer()).encode(),
            headers=(
                ("X-Request-Id", UPSTREAM_ID),
                ("Keep-Alive", "timeout=5"),
                ("Connection", "keep-alive, X-Private"),
                ("X-Private", "hop"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
                ("Server", "csbs-front"),
            ),
        )
    )
    app = proxy_app(upstream.url)

    response = post_create(app)

    names = [name.lower() for name, _ in response.headers.multi_items()]
    assert "keep-alive" not in names
    assert "connection" not in names
    assert "x-private" not in names
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["server"] == "csbs-front"
    assert violations(app) == []


def test_the_upstream_base_path_is_kept_before_the_request_path(upstream: BrokenUpstream) -> None:
    app = proxy_app(upstream.url + "/csbs/")

    post_create(app, path="/v1/b942cc8342734d15bcb246babb1953cf/restores?x=%2F1")

    assert upstream.received[0].request_line == (
        "POST /csbs/v1/b942cc8342734d15bcb246babb1953cf/restores?x=%2F1 HTTP/1.1"
    )
