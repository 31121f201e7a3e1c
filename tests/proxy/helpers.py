"""Helpers of the proxy tests: the proxy in process, a deliberately broken upstream on a real
socket, and the contract's own example request and answer."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.app import StubApp, create_app
from server.openapi import load_document
from server.proxy import ProxyApp, ProxySettings, create_proxy_app
from server.settings import CONTRACT_SPEC, Settings
from tools.harness.seeds import ADMIN_TOKEN, DEMO_PROJECT, DEMO_TOKEN

RESTORES_PATH = f"/v1/{DEMO_PROJECT}/restores"
EXAMPLES = load_document(CONTRACT_SPEC)["components"]["examples"]
TIMEOUT_S = 15.0

__all__ = ["ADMIN_TOKEN", "DEMO_PROJECT", "DEMO_TOKEN"]


def document_request() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES["DocumentRequest"]["value"])


def document_answer() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES["DocumentResponse"]["value"])


def tenant_headers(**extra: str) -> dict[str, str]:
    return {"X-Auth-Token": DEMO_TOKEN, **extra}


ADMIN = {"X-Admin-Token": ADMIN_TOKEN}


# --- the proxy in process ---------------------------------------------------------------------


_SHARED: dict[str, Any] = {}


def proxy_app(
    upstream: str,
    *,
    strict: bool = False,
    timeout: float = 2.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProxyApp:
    """A new proxy (its own violations, its own upstream client) around a stub app and compiled
    contract shared by the tests: building them is what takes time, and neither holds anything
    of one proxy."""
    settings = ProxySettings(upstream=upstream, strict=strict, timeout=timeout)
    if not _SHARED:
        made = create_proxy_app(settings, Settings(journal_enabled=False), transport=transport)
        _SHARED.update(stub=made.stub, checks=made.checks)
    return ProxyApp(_SHARED["stub"], settings, _SHARED["checks"], transport=transport)


def call(app: ProxyApp, send: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    """Run `send(client)` with a client of `app` (no socket between them)."""

    async def run() -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://proxy.test", timeout=TIMEOUT_S
        ) as client:
            try:
                return await send(client)
            finally:
                await app.aclose()

    return asyncio.run(run())


def violations(app: ProxyApp) -> list[dict[str, Any]]:
    async def read(client: httpx.AsyncClient) -> list[dict[str, Any]]:
        response = await client.get("/_stub/violations", params={"limit": 1000}, headers=ADMIN)
        assert response.status_code == 200, response.text
        listed: list[dict[str, Any]] = response.json()["violations"]
        return listed

    result: list[dict[str, Any]] = call(app, read)
    return result


@dataclass
class Answer:
    """An answer as it came over the wire: `content` is the raw body (not decompressed)."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


def post_create(app: ProxyApp, body: Any = None, **kwargs: Any) -> Answer:
    async def send(client: httpx.AsyncClient) -> Answer:
        kwargs.setdefault("headers", tenant_headers())
        if "content" not in kwargs and "json" not in kwargs:
            kwargs["json"] = document_request() if body is None else body
        request = client.build_request("POST", kwargs.pop("path", RESTORES_PATH), **kwargs)
        response = await client.send(request, stream=True)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers, raw)

    answer: Answer = call(app, send)
    return answer


class Recorder(httpx.AsyncBaseTransport):
    """An in-process upstream (the stub) that remembers each answer it gave, by X-Request-Id."""

    def __init__(self, app: StubApp) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.answers: dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        raw = list(response.headers.raw)
        self.answers[response.headers.get("x-request-id", "")] = (response.status_code, raw, body)
        return httpx.Response(response.status_code, headers=raw, stream=httpx.ByteStream(body))


def stub_upstream(restore_seconds: float = 0.0) -> StubApp:
    return create_app(Settings(restore_seconds=restore_seconds, settle_interval=0.05))


# --- a broken upstream on a real socket ---------------------------------------------------------


@dataclass
class Reply:
    """What the upstream does with the next request: send `raw` (after `delay` seconds), or
    close the connection without a word (`raw` None)."""

    raw: bytes | None
    delay: float = 0.0
    close: bool = False
    """Close the connection after sending `raw` (a cut-off answer is then seen as cut off)."""


def http_answer(
    status: int,
    body: bytes,
    *,
    content_type: str | None = "application/json",
    headers: tuple[tuple[str, str], ...] = (("X-Request-Id", "0123456789abcdef0123456789abcdef"),),
) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_answer(status: int, value: Any, **kwargs: Any) -> Reply:
    return Reply(http_answer(status, json.dumps(value).encode(), **kwargs))


def gzip_answer(status: int, value: Any) -> Reply:
    body = gzip.compress(json.dumps(value).encode())
    return Reply(
        http_answer(
            status,
            body,
            headers=(("X-Request-Id", "0123456789abcdef0123456789abcdef"), ("Content-Encoding", "gzip")),
        )
    )


@dataclass
class Received:
    head: bytes
    body: bytes

    @property
    def request_line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode("latin-1")

    def header(self, name: str) -> list[str]:
        values = []
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.decode("latin-1").partition(":")
            if key.strip().lower() == name.lower():
                values.append(value.strip())
        return values


@dataclass
class BrokenUpstream:
    """An HTTP/1.1 server on a loopback port that answers each request with `reply` (raw bytes,
    a delay, or a dropped connection); every request it read is kept in `received`."""

    reply: Reply = field(default_factory=lambda: json_answer(200, document_answer()))
    received: list[Received] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BrokenUpstream:
        self.thread.start()
        assert self.ready.wait(10), "the broken upstream did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(10)

    def _run(self) -> None:
        self.loop.run_until_complete(self._serve())
        self.loop.close()

    async def _serve(self) -> None:
        self.stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        async with server:
            await self.stop.wait()
        # Handlers still waiting (a slow answer the proxy gave up on) end with the server.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                self.received.append(Received(head, body))
                reply = self.reply
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                if reply.raw is None:
                    return
                writer.write(reply.raw)
                await writer.drain()
                if reply.close:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()
