"""Helpers of the stub tests: the in-process stub (httpx ASGI transport) and request bodies."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import yaml

from server.app import StubApp
from server.settings import CONTRACT_SPEC

DEMO_TOKEN = "csbs-demo-token"
OTHER_TOKEN = "csbs-other-token"
ADMIN_TOKEN = "stub-admin-token"
DEMO_PROJECT = "b942cc8342734d15bcb246babb1953cf"
OTHER_PROJECT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
RESTORES_PATH = f"/v1/{DEMO_PROJECT}/restores"
CONTRACT = yaml.safe_load(CONTRACT_SPEC.read_text(encoding="utf-8"))


def document_request() -> dict[str, Any]:
    """The document's example request (a fresh copy to modify)."""
    return copy.deepcopy(CONTRACT["components"]["examples"]["DocumentRequest"]["value"])


class InProcessStub:
    """Synchronous calls into the ASGI app; no sockets. `.app.runtime.store` is the live state."""

    def __init__(self, app: StubApp) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://stub.test")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, path, **kwargs))

    def create(
        self, body: Any = None, *, token: str | None = DEMO_TOKEN, project: str = DEMO_PROJECT, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["X-Auth-Token"] = token
        if body is not None and "content" not in kwargs:
            kwargs["json"] = body
        return self.request("POST", f"/v1/{project}/restores", headers=headers, **kwargs)

    def control(self, method: str, path: str, *, token: str = ADMIN_TOKEN, **kwargs: Any) -> httpx.Response:
        return self.request(method, f"/_stub{path}", headers={"X-Admin-Token": token}, **kwargs)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.app.close()
