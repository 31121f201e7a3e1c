"""The stub as the proxy's own upstream: every answer goes back byte for byte as the stub gave
it, and the stub's answers, which honour the contract, give no violation; under schemathesis'
in-process fuzzing (examples, coverage and fuzzing phases) too. A request the proxy
records as invalid is one the stub refused, and every schema-invalid request the stub refused
is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from server.app import StubApp
from server.proxy import ProxyApp, ProxySettings, create_proxy_app
from server.settings import STRICT_SPEC, Settings
from tests.proxy.helpers import (
    ADMIN,
    DEMO_TOKEN,
    RESTORES_PATH,
    Recorder,
    document_request,
    proxy_app,
    stub_upstream,
    violations,
)
from tools.contract.config import Budget, contract_settings
from tools.contract.inprocess import load_asgi_schema, run_schema

Exchange = tuple[int, list[tuple[bytes, bytes]], bytes]
FUZZ_BUDGET = Budget(max_examples=150)


class Sent:
    """An ASGI wrapper that keeps each answer the proxy sent, by its X-Request-Id."""

    def __init__(self, app: ProxyApp) -> None:
        self.app = app
        self.answers: dict[str, Exchange] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_stub"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(status=message["status"], headers=list(message.get("headers", [])))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    ids = [v.decode() for k, v in start["headers"] if k.lower() == b"x-request-id"]
                    self.answers[ids[0] if ids else ""] = (
                        start["status"],
                        start["headers"],
                        b"".join(chunks),
                    )
            await send(message)

        await self.app(scope, receive, keep)


@pytest.fixture
def upstream() -> Iterator[StubApp]:
    app = stub_upstream()
    try:
        yield app
    finally:
        app.close()


def assert_identical(sent: Sent, recorder: Recorder) -> None:
    assert sent.answers, "nothing went through the proxy"
    assert set(sent.answers) == set(recorder.answers)
    for request_id, answer in sent.answers.items():
        assert answer == recorder.answers[request_id], request_id


def test_every_answer_of_the_stub_passes_through_byte_identical() -> None:
    upstream = stub_upstream(restore_seconds=30.0)  # the second create meets the first one
    recorder = Recorder(upstream)
    proxy = proxy_app("http://stub.test", transport=recorder)
    sent = Sent(proxy)
    volumes = document_request()
    volumes["restore"]["parameters"]["targets"]["volumes"] *= 2  # not one to one: a business 400
    requests: list[tuple[dict[str, str], Any]] = [
        ({}, document_request()),  # 200
        ({}, document_request()),  # 400 CSBS.6015: the server is restoring
        ({"Prefer": "code=404"}, document_request()),
        ({"Prefer": "example=server-restoring"}, document_request()),
        ({"Prefer": "code=503"}, document_request()),
        ({}, volumes),
    ]

    async def send() -> list[int]:
        statuses = []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sent), base_url="http://proxy"
        ) as client:
            for headers, body in requests:
                response = await client.post(
                    RESTORES_PATH, json=body, headers={"X-Auth-Token": DEMO_TOKEN, **headers}
                )
                statuses.append(response.status_code)
        await proxy.aclose()
        return statuses

    try:
        statuses = asyncio.run(send())
    finally:
        upstream.close()

    assert statuses == [200, 400, 404, 400, 503, 400]
    assert_identical(sent, recorder)
    assert violations(proxy) == []


@pytest.mark.slow
def test_fuzzing_through_the_proxy_finds_no_violation_of_the_stubs_answers(upstream: StubApp) -> None:
    recorder = Recorder(upstream)
    # Its own stub behind the proxy: schemathesis runs the app's lifespan, which closes its store.
    proxy = create_proxy_app(
        ProxySettings("http://stub.test", timeout=10.0), Settings(journal_enabled=False), transport=recorder
    )
    sent = Sent(proxy)
    schema = load_asgi_schema(STRICT_SPEC, sent, contract_settings(budget=FUZZ_BUDGET, sanitize=False))

    result = run_schema(schema)

    print(result.summary())
    assert result.errors == [], result.summary()
    assert result.failures == [], result.summary()
    assert result.cases >= FUZZ_BUDGET.max_examples
    assert {200, 400, 401} <= set(result.statuses)
    assert_identical(sent, recorder)
    listed = asyncio.run(listed_violations(proxy))
    assert [v for v in listed if v["kind"] != "request"] == []
    refused_by_proxy = {v["request_id"] for v in listed}
    for request_id in refused_by_proxy:
        status = recorder.answers[request_id][0]
        assert 400 <= status < 500, (request_id, status, [v for v in listed if v["request_id"] == request_id])
    # Every request the stub refused as malformed was recorded, except for the business rules
    # worded as CSBS.9001 (an ambiguous checkpoint, a volume mapping that is not one to one) and
    # the stub's own `Prefer` header, none of which the contract's schemas can state.
    business = (b"twice", b"is required: checkpoint", b"Prefer")
    for request_id, (status, _, body) in recorder.answers.items():
        if b'"CSBS.9001"' in body and not any(words in body for words in business):
            assert request_id in refused_by_proxy, (status, body)
    assert len(refused_by_proxy) >= 20


async def listed_violations(proxy: ProxyApp) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://proxy") as client:
        response = await client.get("/_stub/violations", params={"limit": 1000}, headers=ADMIN)
    listed: list[dict[str, Any]] = response.json()["violations"]
    return listed
