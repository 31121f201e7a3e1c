"""Invalid requests through the proxy: each is recorded as a `request` violation at the pointer
of the offending value, and forwarded unchanged; with `--proxy-strict` it is refused, not
forwarded, with the very answer the stub gives to the same request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.proxy import PROXY_HEADER
from tests.proxy.helpers import (
    DEMO_PROJECT,
    DEMO_TOKEN,
    RESTORES_PATH,
    BrokenUpstream,
    call,
    document_request,
    json_answer,
    post_create,
    proxy_app,
    stub_upstream,
    violations,
)

BAD_REQUEST = {"error_code": "CSBS.9001", "error_msg": "Invalid parameter: restore is required."}


def changed(change: Any) -> dict[str, Any]:
    body = document_request()
    change(body["restore"])
    return body


# (name, keyword arguments of the request, the pointer of its violation)
INVALID = [
    ("no-token", {"headers": {}}, "/headers/x-auth-token"),
    (
        "token-twice",
        {"headers": [("X-Auth-Token", DEMO_TOKEN), ("X-Auth-Token", DEMO_TOKEN)]},
        "/headers/x-auth-token",
    ),
    (
        "text-plain",
        {"content": b"{}", "headers": {"X-Auth-Token": DEMO_TOKEN, "Content-Type": "text/plain"}},
        "/headers/content-type",
    ),
    (
        "bad-json",
        {
            "content": b'{"restore": ',
            "headers": {"X-Auth-Token": DEMO_TOKEN, "Content-Type": "application/json"},
        },
        "/body",
    ),
    ("extra-field", {"json": changed(lambda r: r.update(extra=1))}, "/body/restore/extra"),
    (
        "wrong-type",
        {"json": changed(lambda r: r["parameters"].update(power_on="yes"))},
        "/body/restore/parameters/power_on",
    ),
    ("missing-field", {"json": changed(lambda r: r.pop("checkpoint_id"))}, "/body/restore/checkpoint_id"),
    (
        "bad-volume",
        {"json": changed(lambda r: r["parameters"]["targets"]["volumes"][0].update(backup_id="nope"))},
        "/body/restore/parameters/targets/volumes/0/backup_id",
    ),
    ("bad-project", {"path": "/v1/NOT-A-PROJECT/restores"}, "/path/project_id"),
    ("extra-query", {"path": RESTORES_PATH + "?debug=1"}, "/query/debug"),
    ("unknown-path", {"path": f"/v1/{DEMO_PROJECT}/restorez"}, "/path"),
]


@pytest.fixture
def upstream() -> Iterator[BrokenUpstream]:
    with BrokenUpstream(reply=json_answer(400, BAD_REQUEST)) as server:
        yield server


@pytest.mark.parametrize(
    ("request_args", "pointer"), [(a, p) for _, a, p in INVALID], ids=[n for n, _, _ in INVALID]
)
def test_an_invalid_request_is_recorded_and_forwarded_unchanged(
    upstream: BrokenUpstream, request_args: dict[str, Any], pointer: str
) -> None:
    app = proxy_app(upstream.url)

    response = post_create(app, **dict(request_args))

    assert response.json() == BAD_REQUEST  # the upstream's answer
    assert len(upstream.received) == 1
    sent = upstream.received[0]
    path = request_args.get("path", RESTORES_PATH)
    assert sent.request_line == f"POST {path} HTTP/1.1"
    content = request_args.get("content")
    if content is not None:
        assert sent.body == content
    listed = violations(app)
    assert pointer in {v["pointer"] for v in listed}, listed
    assert {(v["kind"], v["direction"], v["upstream_status"]) for v in listed} == {
        ("request", "request", 400)
    }


def stub_answer(request_args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What the stub itself answers to the request (without the request ID in its body)."""
    app = stub_upstream()

    async def send() -> httpx.Response:
        args = dict(request_args)
        headers = args.pop("headers", {"X-Auth-Token": DEMO_TOKEN})
        path = args.pop("path", RESTORES_PATH)
        if "content" not in args:
            args["json"] = args.get("json", document_request())
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://stub"
        ) as client:
            return await client.post(path, headers=headers, **args)

    try:
        response = asyncio.run(send())
    finally:
        app.close()
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    return response.status_code, body


@pytest.mark.parametrize(
    ("request_args", "pointer"), [(a, p) for _, a, p in INVALID], ids=[n for n, _, _ in INVALID]
)
def test_strict_mode_refuses_an_invalid_request_as_the_stub_does(
    upstream: BrokenUpstream, request_args: dict[str, Any], pointer: str
) -> None:
    app = proxy_app(upstream.url, strict=True)

    response = post_create(app, **dict(request_args))

    assert upstream.received == []
    assert response.headers[PROXY_HEADER.decode()] == "request-refused"
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    assert (response.status_code, body) == stub_answer(request_args)
    listed = violations(app)
    assert pointer in {v["pointer"] for v in listed}
    assert {(v["kind"], v["upstream_status"], v["request_id"]) for v in listed} == {
        ("request", None, response.headers["x-request-id"])
    }


def test_an_undocumented_method_is_recorded_and_refused_in_strict_mode(upstream: BrokenUpstream) -> None:
    for strict in (False, True):
        upstream.received.clear()
        app = proxy_app(upstream.url, strict=strict)

        async def send(client: httpx.AsyncClient) -> httpx.Response:
            return await client.get(RESTORES_PATH, headers={"X-Auth-Token": DEMO_TOKEN})

        response = call(app, send)

        assert [v["pointer"] for v in violations(app)] == ["/method"]
        if strict:
            assert response.status_code == 405
            assert response.headers["allow"] == "POST"
            assert upstream.received == []
        else:
            assert response.json() == BAD_REQUEST
            assert upstream.received[0].request_line == f"GET {RESTORES_PATH} HTTP/1.1"


def test_a_valid_request_reaches_the_upstream_with_its_headers_and_body(upstream: BrokenUpstream) -> None:
    app = proxy_app(upstream.url)
    body = b'{"restore": {"provider_id": "fc4d5750-22e7-4798-8a46-f48f62c4c1da"}}'

    post_create(
        app,
        content=body,
        path=RESTORES_PATH,
        headers=[
            ("X-Auth-Token", DEMO_TOKEN),
            ("Content-Type", "application/json"),
            ("X-Trace", "abc"),
            ("User-Agent", "restore-client/1.2"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "drop me"),
            ("Keep-Alive", "timeout=5"),
        ],
    )

    sent = upstream.received[0]
    assert sent.body == body
    assert sent.header("X-Auth-Token") == [DEMO_TOKEN]
    assert sent.header("X-Trace") == ["abc"]
    assert sent.header("Content-Type") == ["application/json"]
    assert sent.header("Content-Length") == [str(len(body))]
    assert sent.header("Host") == [f"127.0.0.1:{upstream.port}"]
    assert sent.header("X-Hop") == []
    assert sent.header("Keep-Alive") == []
    assert sent.header("User-Agent") == ["restore-client/1.2"]


def test_a_request_without_a_body_is_forwarded_without_one(upstream: BrokenUpstream) -> None:
    app = proxy_app(upstream.url)

    async def send(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(RESTORES_PATH, headers={"X-Auth-Token": DEMO_TOKEN})

    call(app, send)

    assert upstream.received[0].header("Content-Length") == []
    assert upstream.received[0].body == b""


def test_connections_to_the_upstream_are_reused(upstream: BrokenUpstream) -> None:
    app = proxy_app(upstream.url)

    async def send(client: httpx.AsyncClient) -> list[int]:
        return [
            (
                await client.post(
                    RESTORES_PATH, json=document_request(), headers={"X-Auth-Token": DEMO_TOKEN}
                )
            ).status_code
            for _ in range(5)
        ]

    assert call(app, send) == [400] * 5
    assert len(upstream.received) == 5
    assert upstream.connections == 1
