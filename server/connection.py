"""The stub's side of each TCP connection, around the HTTP protocol uvicorn chose.

uvicorn refuses a request its parser rejects (broken chunked framing, Content-Length together
with Transfer-Encoding, two Content-Length values, a control byte in a header) before the app
runs, with a `text/plain` 400. The stub promises that every error body is the service's JSON,
so `JsonRefusals` wraps uvicorn's protocol (passed to uvicorn as its `http` protocol class) and
hands it a transport that writes that one answer as JSON instead. It also keeps each
connection by peer address, so a fault can drop a connection without an answer (ASGI has no
message for that), and sends each answer's head and body in one write (one system call, one
packet). The limit on header size is checked by the envelope, once the request's headers are
complete (uvicorn's httptools protocol sets none).

Only asyncio's public Protocol and Transport interfaces are used; the inner protocol class is
the one uvicorn's public `Config` selects for `http="httptools"`. Hand-written because uvicorn
has no hook for these behaviours; `tests/reliability/` holds it to its promise.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any, ClassVar, cast

import uvicorn

from . import errors
from .errors import StubError

MAX_HEADER_BYTES = 32 * 1024
"""Largest total size of a request's header names and values (checked by the envelope)."""

UNPARSABLE_REQUEST = StubError(
    400, errors.INVALID_PARAMETER, "Invalid HTTP request: it could not be parsed as HTTP/1.1."
)
HEADERS_TOO_LARGE = StubError(
    400, errors.INVALID_PARAMETER, f"Invalid HTTP request: the headers exceed {MAX_HEADER_BYTES} bytes."
)
UVICORN_REFUSAL_BODY = b"\r\n\r\nInvalid HTTP request received."


def refusal_bytes(error: StubError) -> bytes:
    """A whole HTTP/1.1 answer that refuses a request the app never saw, and closes."""
    request_id = secrets.token_hex(16)
    body = errors.encode(error, request_id)
    head = (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"x-request-id: " + request_id.encode("ascii") + b"\r\n"
        b"connection: close\r\n\r\n"
    )
    return head + body


class Connections:
    """Open connections of this process by peer address (the ASGI scope's `client`)."""

    def __init__(self) -> None:
        self._by_peer: dict[tuple[str, int], JsonRefusals] = {}

    def add(self, peer: Any, connection: JsonRefusals) -> None:
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._by_peer[(str(peer[0]), int(peer[1]))] = connection

    def remove(self, peer: Any, connection: JsonRefusals) -> None:
        if isinstance(peer, tuple) and len(peer) >= 2:
            key = (str(peer[0]), int(peer[1]))
            if self._by_peer.get(key) is connection:
                del self._by_peer[key]

    def get(self, client: Any) -> JsonRefusals | None:
        if not isinstance(client, list | tuple) or len(client) < 2:
            return None
        return self._by_peer.get((str(client[0]), int(client[1])))


CONNECTIONS = Connections()


class _Transport(asyncio.Transport):
    """The transport uvicorn's protocol writes to: the real one, with its parser refusal in JSON.

    uvicorn writes an answer's status line and headers when the app starts the answer and the
    body in a second write; the head is held until the body follows (or the loop turn ends),
    so a whole answer leaves in one send instead of two.
    """

    def __init__(self, real: asyncio.Transport) -> None:
        super().__init__()
        self.real = real
        self.held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        chunk = bytes(data)
        if chunk.startswith(b"HTTP/1.1 400 ") and chunk.endswith(UVICORN_REFUSAL_BODY):
            chunk = refusal_bytes(UNPARSABLE_REQUEST)
        elif self.held is None and chunk.startswith(b"HTTP/1.1 ") and chunk.endswith(b"\r\n\r\n"):
            self.held = chunk
            asyncio.get_running_loop().call_soon(self.flush)
            return
        if self.held is not None:
            chunk, self.held = self.held + chunk, None
        self.real.write(chunk)

    def flush(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            if not self.real.is_closing():
                self.real.write(held)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def close(self) -> None:
        self.flush()
        self.real.close()

    def abort(self) -> None:
        self.held = None
        self.real.abort()

    def is_closing(self) -> bool:
        return self.real.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.real.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self.real.pause_reading()

    def resume_reading(self) -> None:
        self.real.resume_reading()

    def is_reading(self) -> bool:
        return self.real.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.real.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self.real.get_write_buffer_size() + (len(self.held) if self.held is not None else 0)

    def can_write_eof(self) -> bool:
        return self.real.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self.real.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.real.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.real.get_protocol()


def _httptools_protocol() -> type[asyncio.Protocol]:
    async def nothing(scope: Any, receive: Any, send: Any) -> None:
        return None

    config = uvicorn.Config(app=nothing, http="httptools", ws="none", lifespan="off", log_config=None)
    config.load()
    return config.http_protocol_class


class JsonRefusals(asyncio.Protocol):
    """uvicorn's HTTP/1.1 protocol behind the transport above (see the module docstring)."""

    inner_class: ClassVar[type[asyncio.Protocol] | None] = None

    def __init__(self, **kwargs: Any) -> None:
        inner = type(self).inner_class
        if inner is None:
            inner = type(self).inner_class = _httptools_protocol()
        self.inner: asyncio.Protocol = inner(**kwargs)
        self.transport: asyncio.Transport | None = None
        self.peer: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio's Transport interface without subclassing it.
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        self.peer = transport.get_extra_info("peername")
        CONNECTIONS.add(self.peer, self)
        self.inner.connection_made(_Transport(transport))

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        CONNECTIONS.remove(self.peer, self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # --- what the app asks of its connection ---------------------------------------------

    def drop(self) -> None:
        """Close without an answer (a `drop` fault)."""
        if self.transport is not None:
            self.transport.abort()
