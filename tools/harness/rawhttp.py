"""Raw HTTP/1.1 over a loopback socket: requests written byte for byte (so a case can send what
no HTTP client would) and answers parsed with the standard library's parser."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import io
import json
import select
import socket
import time
from collections.abc import Sequence

LOOPBACK = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class RawResponse:
    """One HTTP answer read off a socket."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # False when the connection ended before the whole body its Content-Length promised arrived
    # (e.g. the server was killed between writing the head and the body).
    complete: bool = True

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> object:
        return json.loads(self.body)


class _ReplayedSocket:
    """Hands bytes already read from a socket to `http.client.HTTPResponse`, which wants a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str, *args: object, **kwargs: object) -> io.BytesIO:
        return io.BytesIO(self._data)


def parse_response(data: bytes, *, request_method: str = "POST") -> RawResponse:
    """Parse raw response bytes with the standard library's HTTP/1.1 parser."""
    response = http.client.HTTPResponse(
        _ReplayedSocket(data),  # type: ignore[arg-type]  # duck-typed: only makefile() is used
        method=request_method,
    )
    response.begin()
    complete = True
    try:
        body = response.read()
    except http.client.IncompleteRead as partial:
        body = partial.partial
        complete = False
    return RawResponse(
        status=response.status,
        reason=response.reason,
        headers=tuple(response.getheaders()),
        body=body,
        complete=complete,
    )


def build_request(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    content_length: bool = True,
) -> bytes:
    """An HTTP/1.1 request as bytes, with Host and `Connection: close` (so the answer ends at EOF).

    Headers are written as given, in order, so a case can send duplicates or odd values;
    Content-Length is added unless `content_length` is false (e.g. for chunked bodies).
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _answer_complete(data: bytes, request_method: str) -> bool:
    """Whether `data` holds one whole HTTP answer (so a kept-alive connection need not close)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = data[:head_end].decode("latin-1").lower()
    body = data[head_end + 4 :]
    status_line, _, header_text = head.partition("\r\n")
    status = status_line.split(" ")[1] if status_line.count(" ") >= 1 else ""
    if request_method == "HEAD" or status in ("204", "304"):
        return True
    headers = dict(line.split(":", 1) for line in header_text.split("\r\n") if ":" in line)
    if "content-length" in headers:
        return len(body) >= int(headers["content-length"].strip() or 0)
    if "chunked" in headers.get("transfer-encoding", ""):
        return body.endswith(b"0\r\n\r\n")
    return False  # the body runs until the server closes the connection


def raw_exchange(
    port: int,
    request: bytes,
    *,
    timeout: float = 30.0,
    request_method: str = "POST",
    half_close: bool = False,
) -> RawResponse | None:
    """Send raw bytes to the stub and read one whole answer (or until it closes the connection).

    Sending and reading are interleaved, so an answer the server gives before it has read the
    whole request (a 413 for a huge body) is caught even if the server then resets the
    connection. `half_close` shuts the write side after sending (a client that stops mid-body).
    Returns None when the connection ended without any answer.
    """
    deadline = time.monotonic() + timeout
    received = bytearray()
    pending = memoryview(request)
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.setblocking(False)
        write_closed = False
        while not _answer_complete(bytes(received), request_method):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete answer within {timeout}s; got {bytes(received[:200])!r}")
            writers = [sock] if len(pending) else []
            readable, writable, _ = select.select([sock], writers, [], min(remaining, 1.0))
            if readable:
                try:
                    chunk = sock.recv(1 << 16)
                except (ConnectionResetError, BrokenPipeError):
                    break
                if not chunk:
                    break
                received += chunk
            if writable and len(pending):
                try:
                    sent = sock.send(pending[: 1 << 16])
                    pending = pending[sent:]
                except (BrokenPipeError, ConnectionResetError):
                    # The server stopped reading; its answer, if any, is already on the way.
                    pending = pending[:0]
            if not len(pending) and half_close and not write_closed:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
                write_closed = True
    if not received:
        return None
    return parse_response(bytes(received), request_method=request_method)
