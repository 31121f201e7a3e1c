"""The outermost layer of the stub: what every request gets, whichever path answers it.

    request state -> served documents -> header and body limits -> checkpoint (+ fault)
        -> the contract pipeline, or connexion -> journal and access log

Every answer carries an `X-Request-Id`. The body is read here, once, up to the body limit
(413 above it), and every later step reads it from the request state. Contract requests then
meet the store's checkpoint: the current seed (reloaded when another worker or replica changed
it) and the fault armed for them, if any. The contract's operation goes to the pipeline (unless
`--no-fast-lane`); everything else, and every request the pipeline does not match, goes to
connexion untouched, before anything about it was decided.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import MutableMapping
from itertools import chain
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import answers, errors, faults, journal, runtime
from .connection import HEADERS_TOO_LARGE, MAX_HEADER_BYTES
from .errors import StubError
from .pipeline import ContractPipeline
from .runtime import RequestState, Runtime
from .settings import CONTROL_PREFIX
from .store import StoreUnavailable

logger = logging.getLogger("server")

CONTRACT_PREFIX = "/v1/"
HEALTH_PATH = CONTROL_PREFIX + "/health"


def is_contract_path(path: str) -> bool:
    return path.startswith(CONTRACT_PREFIX)


def _is_slash_variant(path: str) -> bool:
    """A contract or stub-control path with a trailing slash (Swagger UI paths excluded)."""
    if not path.endswith("/") or path == "/":
        return False
    if is_contract_path(path):
        return True
    return errors.is_control_path(path) and not path.startswith(CONTROL_PREFIX + "/ui")


def _content_length(state: RequestState) -> int | None:
    values = state.header_values(b"content-length")
    if not values:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


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


class Envelope:
    def __init__(self, app: ASGIApp, stub: Runtime, pipeline: ContractPipeline | None) -> None:
        self.app = app
        self.stub = stub
        self.pipeline = pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        state = RequestState(
            request_id=secrets.token_hex(16),
            method=scope["method"],
            path=path,
            headers=scope["headers"],
            query_string=scope.get("query_string", b""),
            received_at=time.time(),
            started=time.perf_counter(),
            contract=is_contract_path(path),
        )
        runtime.bind(self.stub, state)
        raw_id = state.request_id.encode()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state.status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", raw_id))
                message["headers"] = headers
            await send(message)

        async def send_error(error: StubError) -> None:
            status, payload, headers = answers.error_answer(error, state.request_id)
            await send_with_id({"type": "http.response.start", "status": status, "headers": headers})
            await send_with_id({"type": "http.response.body", "body": payload, "more_body": False})

        try:
            await self._serve(scope, receive, send_with_id, send_error, state)
        except faults.DroppedConnection:
            state.status = 0
            raise
        except StoreUnavailable:
            logger.warning("the database is unavailable; answered 503 to %s %s", state.method, path)
            if state.status == 0:
                await send_error(errors.store_unavailable(path))
        except Exception:
            logger.exception("unhandled error serving %s %s", state.method, path)
            if state.status == 0:
                await send_error(StubError(500, errors.INTERNAL_ERROR, "Internal error."))
        finally:
            if state.contract and self.stub.settings.journal_enabled:
                try:
                    self.stub.store.journal(journal.journal_row(state, self.stub.store.snapshot.generation))
                except Exception:  # the journal must never break an answer
                    logger.exception("could not queue the journal entry of %s", state.request_id)
            journal.log_access(state, scope.get("client"))

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, send_error: faults.SendError, state: RequestState
    ) -> None:
        path = state.path
        published = self.stub.published.get(path)
        if published is not None and state.method in ("GET", "HEAD"):
            media_type, document = published
            headers = [(b"content-type", media_type), (b"content-length", str(len(document)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if state.method == "HEAD" else document})
            return
        if _is_slash_variant(path):
            # Starlette would answer 307 to the path without the slash; the service has no such path.
            await send_error(errors.from_http_status(path, state.method, 404, "", {}))
            return
        if sum(map(len, chain.from_iterable(state.headers))) > MAX_HEADER_BYTES:
            await send_error(errors.for_api(path, HEADERS_TOO_LARGE, errors.STUB_INVALID))
            return
        limit = self.stub.settings.body_limit
        declared = _content_length(state)
        if declared is not None and declared > limit:
            await send_error(errors.too_large(path, limit))
            return
        body, over_limit, disconnected = await read_body(receive, limit)
        if over_limit:
            await send_error(errors.too_large(path, limit))
            return
        if disconnected:
            return
        state.body = body
        if state.contract or (errors.is_control_path(path) and path != HEALTH_PATH):
            checkpoint = await self.stub.store.checkpoint(claim_fault=state.contract)
            state.snapshot = checkpoint.snapshot
            if checkpoint.fault is not None:
                answered = await faults.apply(checkpoint.fault, scope.get("client"), send_error, send)
                if answered is not None:
                    state.status = answered
                    return
        if self.pipeline is not None:
            path_params = self.pipeline.match(state)
            if path_params is not None:
                status, payload, headers = await self.pipeline.answer(state, path_params)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": payload, "more_body": False})
                return
        await self.app(scope, replay(body, receive), send)
