"""uvicorn's HTTP/1.1 protocol, answering unparsable requests in the service's error format.

uvicorn refuses a request its parser rejects (broken chunked framing, Content-Length together
with Transfer-Encoding, two Content-Length values, a control byte in a header) before the app
runs, with a `text/plain` 400. The stub's promise is that every error body is
`{"error_code", "error_msg"}`, so this subclass writes the same 400 as JSON. Hand-written because
uvicorn has no hook for it; it overrides one method and changes nothing else.
"""

from __future__ import annotations

import uuid

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from server import errors
from server.errors import StubError

UNPARSABLE_REQUEST = StubError(
    400, errors.INVALID_PARAMETER, "Invalid HTTP request: it could not be parsed as HTTP/1.1."
)


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` whose parser-error answer is the stub's JSON error body."""

    def send_400_response(self, msg: str) -> None:
        request_id = uuid.uuid4().hex
        body = errors.encode(UNPARSABLE_REQUEST, request_id)
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
