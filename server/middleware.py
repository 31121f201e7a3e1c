"""ASGI middleware around connexion.

`StubMiddleware` (outermost) gives every answer an `X-Request-Id`, binds the app's runtime for the
handlers, enforces the body size limit (413), applies armed faults, writes the journal of contract
requests and the access log (which never contains credentials).

`BodyGuard` (inside connexion, after routing and authentication, before validation) rejects what
would otherwise reach connexion's JSON validator as a crash or a problem+json: a missing, repeated
or non-JSON Content-Type, an empty body, bytes that are not UTF-8 (connexion issue 1860) and
malformed JSON. It leaves the parsed body for the validator.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any, Protocol

from connexion.middleware.abstract import ROUTING_CONTEXT
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import errors, runtime
from server.errors import StubError
from server.runtime import Runtime
from server.settings import CONTROL_PREFIX
from server.validation import PARSED_JSON_SCOPE_KEY

BODY_SCOPE_KEY = "csbs.body"
REQUEST_ID_SCOPE_KEY = "csbs.request_id"
CONTRACT_PREFIX = "/v1/"
REDACTED = "<redacted>"
CREDENTIAL_HEADERS = frozenset(
    {"x-auth-token", "x-admin-token", "authorization", "cookie", "proxy-authorization"}
)
CREDENTIAL_WORDS = ("token", "auth", "key", "secret", "password", "signature")
MAX_JSON_DEPTH = 64

access_logger = logging.getLogger("server.access")
logger = logging.getLogger("server")


class DroppedConnection(ConnectionAbortedError):
    """Raised to end an answer half-way when the connection itself cannot be closed."""


def is_contract_path(path: str) -> bool:
    return path.startswith(CONTRACT_PREFIX)


def redacted_query(query: str) -> str:
    """The query string with the value of any credential-like parameter replaced."""
    if not query:
        return ""
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        if sep and any(word in name.lower() for word in CREDENTIAL_WORDS):
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(part)
    return "&".join(parts)


def redacted_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = REDACTED if name in CREDENTIAL_HEADERS else value.decode("latin-1")
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return headers


async def send_error(send: Send, error: StubError, request_id: str) -> None:
    body = errors.encode(error, request_id)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    headers.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items())
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool, bool]:
    """(body, over_limit, disconnected): read at most limit + 1 bytes of the request body."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False, True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True, False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False, False


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def receive_again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


async def drop_connection(send: Send) -> bool:
    """Close the client's connection without an answer; True when that was possible.

    ASGI has no message for it, so this reaches uvicorn's transport through its `send` callable
    (a bound method of the request cycle). Hand-written because no library offers it.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    transport.abort()
    # Let uvicorn see the lost connection, so it does not try to answer with a 500.
    for _ in range(3):
        await asyncio.sleep(0)
    return True


class FastLane(Protocol):
    async def serve(
        self, scope: Scope, body: bytes, send: Callable[[MutableMapping[str, Any]], Any]
    ) -> bool: ...


class StubMiddleware:
    def __init__(self, app: ASGIApp, stub: Runtime, fast_lane: FastLane | None = None) -> None:
        self.app = app
        self.stub = stub
        self.fast_lane = fast_lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        runtime.bind(self.stub, request_id)
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        started = time.perf_counter()
        received_at = time.time()
        path: str = scope["path"]
        contract = is_contract_path(path)
        status = 0
        raw_id = request_id.encode()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", raw_id))
                message["headers"] = headers
            await send(message)

        body = b""
        try:
            body, status = await self._serve(scope, receive, send, send_with_id, request_id, contract)
        except DroppedConnection:
            status = 0
            raise
        except Exception:
            logger.exception("unhandled error serving %s %s", scope["method"], path)
            if status == 0:
                await send_error(
                    send_with_id, StubError(500, errors.INTERNAL_ERROR, "Internal error."), request_id
                )
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            if contract and self.stub.settings.journal_enabled:
                self._journal(scope, body, status, request_id, received_at, duration_ms)
            self._access_log(scope, status, request_id, duration_ms)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        raw_send: Send,
        send: Callable[[MutableMapping[str, Any]], Any],
        request_id: str,
        contract: bool,
    ) -> tuple[bytes, int]:
        path: str = scope["path"]
        if _is_slash_variant(path):
            # Starlette would answer 307 to the path without the slash; the service has no such path.
            await send_error(send, errors.from_http_status(path, scope["method"], 404, "", {}), request_id)
            return b"", 404
        published = self.stub.published_contract.get(path)
        if published is not None and scope["method"] in ("GET", "HEAD"):
            media_type, document = published
            headers = [(b"content-type", media_type), (b"content-length", str(len(document)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else document})
            return b"", 200
        limit = self.stub.settings.body_limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await send_error(send, errors.too_large(path, limit), request_id)
            return b"", 413
        body, over_limit, disconnected = await read_body(receive, limit)
        if over_limit:
            await send_error(send, errors.too_large(path, limit), request_id)
            return b"", 413
        if disconnected:
            return body, 0
        scope[BODY_SCOPE_KEY] = body
        if contract:
            fault = self.stub.store.claim_fault()
            if fault is not None:
                kind, delay_ms = fault
                if kind == "drop" and await drop_connection(raw_send):
                    return body, 0
                if kind == "drop":
                    # No transport to close (in-process test clients): fail mid-answer instead.
                    await send({"type": "http.response.start", "status": 503, "headers": []})
                    raise DroppedConnection("fault: dropped connection")
                if kind == "status_500":
                    await send_error(
                        send, StubError(500, errors.INTERNAL_ERROR, "Internal error."), request_id
                    )
                    return body, 500
                if kind == "status_503":
                    error = StubError(
                        503,
                        errors.SERVICE_UNAVAILABLE,
                        "The service is temporarily unavailable. Try again later.",
                    )
                    await send_error(send, error, request_id)
                    return body, 503
                await asyncio.sleep(delay_ms / 1000)
        status_box: list[int] = []

        async def tracking_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_box.append(int(message["status"]))
            await send(message)

        if contract and self.fast_lane is not None and await self.fast_lane.serve(scope, body, tracking_send):
            return body, status_box[0]
        await self.app(scope, replay(body, receive), tracking_send)
        return body, status_box[0] if status_box else 0

    def _journal(
        self, scope: Scope, body: bytes, status: int, request_id: str, received_at: float, duration_ms: float
    ) -> None:
        try:
            text = body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            text = base64.b64encode(body).decode("ascii")
            encoding = "base64"
        entry = {
            "request_id": request_id,
            "received_at": received_at,
            "method": scope["method"],
            "path": scope["path"],
            "query": redacted_query(scope.get("query_string", b"").decode("latin-1")),
            "headers": redacted_headers(scope.get("headers", [])),
            "body": text,
            "body_encoding": encoding,
            "status": status,
            "duration_ms": round(duration_ms, 3),
        }
        try:
            self.stub.store.queue_journal(entry, self.stub.settings.journal_limit)
        except Exception:  # the journal must never break an answer
            logger.exception("could not write the journal entry of %s", request_id)

    @staticmethod
    def _access_log(scope: Scope, status: int, request_id: str, duration_ms: float) -> None:
        if not access_logger.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        query = redacted_query(scope.get("query_string", b"").decode("latin-1"))
        access_logger.info(
            '%s "%s %s%s" %s %.1fms',
            f"{client[0]}:{client[1]}" if client else "-",
            scope["method"],
            scope["path"],
            f"?{query}" if query else "",
            status,
            duration_ms,
            extra={
                "client": f"{client[0]}:{client[1]}" if client else None,
                "method": scope["method"],
                "path": scope["path"],
                "query": query,
                "status": status,
                "duration_ms": round(duration_ms, 3),
                "request_id": request_id,
            },
        )


def _is_slash_variant(path: str) -> bool:
    """A contract or stub-control path with a trailing slash (Swagger UI paths excluded)."""
    if not path.endswith("/") or path == "/":
        return False
    if is_contract_path(path):
        return True
    return errors.is_control_path(path) and not path.startswith(CONTROL_PREFIX + "/ui")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse an object that repeats a name: parsers disagree on which value wins (RFC 8259 §4)."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"the name {errors.shorten(name, 80)!r} appears twice in one object")
        result[name] = value
    return result


def decode_json_body(path: str, body: bytes) -> Any:
    """The JSON value of a request body, or a 400 StubError saying what is wrong with it."""
    if not body.strip():
        raise errors.bad_request(path, "the request body is empty; send a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.bad_request(
            path, f"the request body is not valid UTF-8 (invalid byte at offset {exc.start})."
        ) from None
    try:
        parsed = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_names)
    except json.JSONDecodeError as exc:
        raise errors.bad_request(
            path, f"the request body is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})."
        ) from None
    except (ValueError, RecursionError) as exc:
        raise errors.bad_request(path, f"the request body is not valid JSON: {exc}.") from None
    # Nesting needs an opening bracket per level: with few brackets in the text, skip the walk.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH and _depth_exceeds(parsed, MAX_JSON_DEPTH):
        raise errors.bad_request(path, f"the request body nests deeper than {MAX_JSON_DEPTH} levels.")
    return parsed


class BodyGuard:
    """Checks Content-Type, encoding and JSON syntax of bodies of JSON operations (see module doc)."""

    def __init__(self, app: ASGIApp, body_operations: frozenset[str]) -> None:
        self.app = app
        self.body_operations = body_operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routing = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
        if routing.get("operation_id") not in self.body_operations:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        body = scope.get(BODY_SCOPE_KEY)
        if body is None:
            body, _, _ = await read_body(receive, 1 << 62)
            receive = replay(body, receive)
        content_type = self._check_content_type(scope, path)
        parsed = decode_json_body(path, body)
        scope[PARSED_JSON_SCOPE_KEY] = parsed
        # connexion treats a body without Content-Length (chunked) as missing: state its length.
        # It also matches media types case-sensitively: hand it the lower-case one.
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k.lower() not in (b"content-length", b"transfer-encoding", b"content-type")
        ]
        headers.append((b"content-type", content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(body)).encode()))
        scope["headers"] = headers
        await self.app(scope, receive, send)

    @staticmethod
    def _check_content_type(scope: Scope, path: str) -> str:
        """The Content-Type, checked, with its media type in lower case."""
        values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"content-type"]
        if not values:
            raise errors.bad_request(path, "the Content-Type header is missing; send application/json.")
        if len(values) > 1 or "," in values[0]:
            raise errors.bad_request(path, "send exactly one Content-Type, application/json.")
        media_type, *params = (part.strip() for part in values[0].split(";"))
        if media_type.lower() != "application/json":
            raise errors.bad_request(
                path,
                f"Content-Type {errors.shorten(media_type, 80)!r} is not supported; send application/json.",
            )
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8",
                "utf8",
            ):
                raise errors.bad_request(path, "the only supported charset is utf-8.")
        return "; ".join(["application/json", *(param for param in params if param)])


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False
