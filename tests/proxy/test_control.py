"""`GET|DELETE /_stub/violations` and the proxy's counters in `/_stub/health`: admin token only,
paged by `seq` like the journal, and no credential anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from tests.proxy.helpers import (
    ADMIN,
    ADMIN_TOKEN,
    DEMO_TOKEN,
    RESTORES_PATH,
    BrokenUpstream,
    call,
    document_answer,
    document_request,
    json_answer,
    post_create,
    proxy_app,
)


@pytest.fixture
def upstream() -> Iterator[BrokenUpstream]:
    with BrokenUpstream(reply=json_answer(200, document_answer())) as server:
        yield server


def invalid_body(index: int) -> dict[str, Any]:
    body = document_request()
    body["restore"][f"extra_{index}"] = index
    return body


def test_violations_are_paged_by_seq_and_cleared(upstream: BrokenUpstream) -> None:
    app = proxy_app(upstream.url)
    for index in range(5):
        post_create(app, invalid_body(index))

    async def read(client: httpx.AsyncClient) -> dict[str, Any]:
        every = (await client.get("/_stub/violations", headers=ADMIN)).json()["violations"]
        newest = (await client.get("/_stub/violations", params={"limit": 2}, headers=ADMIN)).json()
        after = (
            await client.get("/_stub/violations", params={"after": every[2]["seq"]}, headers=ADMIN)
        ).json()
        cleared = (await client.delete("/_stub/violations", headers=ADMIN)).json()
        empty = (await client.get("/_stub/violations", headers=ADMIN)).json()
        health = (await client.get("/_stub/health")).json()
        return {
            "every": every,
            "newest": newest,
            "after": after,
            "cleared": cleared,
            "empty": empty,
            "health": health,
        }

    seen = call(app, read)

    every = seen["every"]
    assert [v["pointer"] for v in every] == [f"/body/restore/extra_{i}" for i in range(5)]
    assert [v["seq"] for v in every] == sorted(v["seq"] for v in every)
    assert seen["newest"]["violations"] == every[3:]
    assert seen["after"]["violations"] == every[3:]
    assert seen["cleared"] == {"cleared": 5}
    assert seen["empty"] == {"violations": []}
    proxy = seen["health"]["proxy"]
    assert proxy["upstream"] == upstream.url
    assert proxy["strict"] is False
    assert proxy["forwarded"] == 5
    assert proxy["violations"] == {"request": 5, "response": 0, "undocumented": 0, "upstream": 0}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "STUB.0401"),
        ({"X-Admin-Token": "nope"}, 401, "STUB.0401"),
        ({"X-Admin-Token": DEMO_TOKEN}, 403, "STUB.0403"),
    ],
    ids=["no-token", "unknown-token", "tenant-token"],
)
def test_violations_need_the_admin_token(
    upstream: BrokenUpstream, headers: dict[str, str], status: int, code: str
) -> None:
    app = proxy_app(upstream.url)
    post_create(app, invalid_body(1))

    async def send(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/_stub/violations", headers=headers),
            await client.delete("/_stub/violations", headers=headers),
            await client.get("/_stub/violations", headers=ADMIN),
        ]

    listed, cleared, after = call(app, send)

    for response in (listed, cleared):
        assert response.status_code == status
        assert response.json()["error_code"] == code
    assert len(after.json()["violations"]) == 1  # nothing was cleared


def test_bad_paging_parameters_get_a_clear_400(upstream: BrokenUpstream) -> None:
    app = proxy_app(upstream.url)

    async def send(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/_stub/violations", params=params, headers=ADMIN)
            for params in ({"limit": 0}, {"limit": "many"}, {"after": -1}, {"limit": 1001})
        ]

    for response in call(app, send):
        assert response.status_code == 400
        assert response.json()["error_code"] == "STUB.0400"


def test_no_credential_appears_in_violations_or_log_lines(
    upstream: BrokenUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    app = proxy_app(upstream.url)
    secret = "s3cr3t-query-value"
    body = document_request()
    body["restore"][DEMO_TOKEN] = ADMIN_TOKEN  # a token pasted as a field name
    body["restore"]["checkpoint_id"] = DEMO_TOKEN
    body["restore"]["parameters"]["bearer-credential"] = 1  # the credential of the Authorization header
    post_create(
        app,
        body,
        path=f"{RESTORES_PATH}?access_token={secret}",
        headers={
            "X-Auth-Token": DEMO_TOKEN,
            "X-Admin-Token": ADMIN_TOKEN,
            "Authorization": "Bearer bearer-credential",
        },
    )
    post_create(app, path=f"/v1/{DEMO_TOKEN}/restores", headers={"X-Auth-Token": DEMO_TOKEN})

    async def read(client: httpx.AsyncClient) -> str:
        return (await client.get("/_stub/violations", headers=ADMIN)).text

    listed = call(app, read)

    pointers = {v["pointer"] for v in json.loads(listed)["violations"]}
    assert {
        "/body/restore/<redacted>",
        "/body/restore/checkpoint_id",
        "/query/access_token",
        "/path/project_id",
    } <= pointers
    logged = "\n".join(
        record.getMessage() + json.dumps(vars(record), default=str) for record in caplog.records
    )
    assert "contract violation" in logged
    for text in (listed, logged):
        assert DEMO_TOKEN not in text
        assert ADMIN_TOKEN not in text
        assert secret not in text
        assert "bearer-credential" not in text


def test_the_stub_without_proxy_lists_no_violations() -> None:
    import asyncio

    app = create_app(Settings())

    async def send() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://stub"
        ) as client:
            return await client.get("/_stub/violations", headers=ADMIN), await client.get("/_stub/health")

    try:
        listed, health = asyncio.run(send())
    finally:
        app.close()
    assert listed.json() == {"violations": []}
    assert "proxy" not in health.json()


def test_the_upstream_password_is_shown_nowhere() -> None:
    from tests.proxy.test_broken_upstream import closed_port

    port = closed_port()
    app = proxy_app(f"http://user:hunter2-upstream@127.0.0.1:{port}/base", timeout=1.0)

    answer = post_create(app)

    async def read(client: httpx.AsyncClient) -> str:
        listed = (await client.get("/_stub/violations", headers=ADMIN)).text
        return listed + (await client.get("/_stub/health")).text

    seen = call(app, read)

    assert answer.status_code == 503
    assert f"http://127.0.0.1:{port}/base" in seen
    assert '"kind": "upstream"' in seen
    for text in (seen, answer.text):
        assert "hunter2-upstream" not in text
