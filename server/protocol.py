"""uvicorn's HTTP/1.1 protocol, answering unparsable requests in the service's error format.

uvicorn refuses a request its parser rejects (broken chunked framing, Content-Length together
with Transfer-Encoding, two Content-Length values, a control byte in a header) before the app
runs, with a `text/plain` 400. The stub's promise is that every error body is
`{"error_code", "error_msg"}`, so this subclass writes the same 400 as JSON.

uvicorn also sets no limit on the size of request headers; every gateway does. Headers over
`MAX_HEADER_BYTES` in total are refused the same way (400, as a gateway answers "header too
large"; the contract documents no 431). Hand-written because uvicorn has no hook for either.
"""

from __future__ import annotations

import uuid

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from server import errors
from server.errors import StubError

MAX_HEADER_BYTES = 32 * 1024
"""Largest total size of a request's header names and values."""

UNPARSABLE_REQUEST = StubError(
    400, errors.INVALID_PARAMETER, "Invalid HTTP request: it could not be parsed as HTTP/1.1."
)
HEADERS_TOO_LARGE = StubError(
    400, errors.INVALID_PARAMETER, f"Invalid HTTP request: the headers exceed {MAX_HEADER_BYTES} bytes."
)


class HeadersTooLarge(Exception):
    """Raised in the parser's header callback; httptools reports it as a parser error."""


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` whose parser-error answer is the stub's JSON error body."""

    _header_bytes = 0
    _refusal = UNPARSABLE_REQUEST

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refusal = HEADERS_TOO_LARGE
            raise HeadersTooLarge
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        request_id = uuid.uuid4().hex
        body = errors.encode(self._refusal, request_id)
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"x-request-id: " + request_id.encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
