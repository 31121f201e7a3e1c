"""The app's long-lived objects (`Runtime`) and one request's state (`RequestState`).

Both are reachable from any code serving a request through context variables set by the
envelope (`server/envelope.py`), so connexion's handlers, validators and security functions
see the very state the envelope and the pipeline work on: the body read once, the JSON parsed
once, the request ID, and the seed snapshot the request was decided with.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .seeds import Seed
from .settings import Settings
from .simulation import ExampleCatalog
from .store import SeedSnapshot, Store

if TYPE_CHECKING:
    from .contract import Router

NOT_PARSED: Any = object()
"""`RequestState.parsed` before the decode step ran."""


@dataclass
class Runtime:
    settings: Settings
    store: Store
    startup_seed: Seed
    examples: ExampleCatalog
    router: Router
    published: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    """Path -> (media type, bytes) of the published contract documents the stub serves."""


@dataclass(slots=True)
class RequestState:
    """What is known about the request being served, filled in step by step."""

    request_id: str
    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    query_string: bytes
    received_at: float
    started: float
    contract: bool
    body: bytes = b""
    parsed: Any = NOT_PARSED
    snapshot: SeedSnapshot | None = None
    project_id: str | None = None
    status: int = 0
    by_name: dict[bytes, list[str]] | None = None

    def header_values(self, name: bytes) -> list[str]:
        """Every value of a header (name in lower case), in order."""
        by_name = self.by_name
        if by_name is None:
            # One pass over the headers serves every lookup of the request.
            by_name = self.by_name = {}
            for key, value in self.headers:
                by_name.setdefault(key.lower(), []).append(value.decode("latin-1"))
        return by_name.get(name, [])


_runtime: ContextVar[Runtime] = ContextVar("csbs_stub_runtime")
_request: ContextVar[RequestState] = ContextVar("csbs_stub_request")


def bind(runtime: Runtime, request: RequestState) -> None:
    _runtime.set(runtime)
    _request.set(request)


def current() -> Runtime:
    """The runtime of the app serving the current request."""
    return _runtime.get()


def request() -> RequestState:
    """The state of the request being served."""
    return _request.get()


def request_id() -> str:
    state = _request.get(None)
    return state.request_id if state is not None else ""
