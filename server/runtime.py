"""The per-app objects handlers and middleware need, reachable from any code serving a request."""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field

from server.seeds import Seed
from server.settings import Settings
from server.simulation import ExampleCatalog
from server.store import Store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    startup_seed: Seed
    examples: ExampleCatalog
    body_operations: frozenset[str] = field(default_factory=frozenset)
    """operationIds whose request body is JSON (BodyGuard checks those)."""
    path_methods: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    """(path regex, Allow header value) of every documented path, for 405 answers."""
    published_contract: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    """Path -> (media type, bytes) of the published contract documents the stub serves."""

    def allowed_methods(self, path: str) -> str | None:
        for pattern, allowed in self.path_methods:
            if pattern.fullmatch(path):
                return allowed
        return None


_runtime: ContextVar[Runtime] = ContextVar("csbs_stub_runtime")
_request_id: ContextVar[str] = ContextVar("csbs_stub_request_id", default="")


def current() -> Runtime:
    """The runtime of the app serving the current request (set by StubMiddleware)."""
    return _runtime.get()


def bind(runtime: Runtime, request_id: str) -> None:
    _runtime.set(runtime)
    _request_id.set(request_id)


def request_id() -> str:
    return _request_id.get()
