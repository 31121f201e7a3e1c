"""App factory: connexion serves the contract and the stub-control API from their spec files."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import connexion
import yaml
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from server import control, errors, fastlane, fastpath, handlers, runtime
from server.auth import CONTRACT_SECURITY_MAP, CONTROL_SECURITY_MAP
from server.errors import StubError
from server.fastvalidation import compiled_validator_map
from server.lifecycle import run_settler, settle
from server.middleware import REQUEST_ID_SCOPE_KEY, BodyGuard, StubMiddleware
from server.runtime import Runtime
from server.seeds import load_seed_file
from server.settings import CONTROL_PREFIX, Settings
from server.simulation import JSONIFIER, ExampleCatalog
from server.specs import load_document
from server.store import Store
from server.validation import InvalidField, validator_map

logger = logging.getLogger("server")

CONTRACT_PATH = "/v1/{project_id}/restores"
CONTRACT_OPERATIONS: dict[str, Callable[..., Any]] = {"createRestore": handlers.create_restore}


def _resolver(operations: dict[str, Callable[..., Any]]) -> Resolver:
    def resolve(operation_id: str) -> Callable[..., Any]:
        return operations[operation_id]

    return Resolver(function_resolver=resolve)


def _body_operations(*documents: dict[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for document in documents:
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    found.add(operation["operationId"])
    return frozenset(found)


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _path_methods(documents: list[tuple[str, dict[str, Any]]]) -> list[tuple[re.Pattern[str], str]]:
    """Allow values per documented path; Starlette's own Allow lists one route's methods only."""
    found: list[tuple[re.Pattern[str], str]] = []
    for base_path, document in documents:
        for template, item in document.get("paths", {}).items():
            methods = {m.upper() for m in item if m in HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")  # Starlette serves HEAD wherever GET is served
            literal_parts = re.split(r"\{[^/{}]+\}", base_path + template)
            regex = "[^/]+".join(re.escape(part) for part in literal_parts)
            found.append((re.compile(regex), ", ".join(sorted(methods))))
    return found


def published_documents(document: dict[str, Any]) -> dict[str, tuple[bytes, bytes]]:
    """The published contract as served at /openapi.json and /openapi.yaml (path -> (media type,
    bytes)), with `servers` pointing at the stub itself so Swagger UI's "try it out" reaches it."""
    served = {**document, "servers": [{"url": "/", "description": "This stub."}]}
    return {
        "/openapi.json": (b"application/json", JSONIFIER.dumps(served).encode("utf-8")),
        "/openapi.yaml": (b"text/yaml", yaml.safe_dump(served, sort_keys=False, allow_unicode=True).encode()),
    }


def _request_id_of(request: ConnexionRequest) -> str:
    return str(request.scope.get(REQUEST_ID_SCOPE_KEY) or runtime.request_id())


def _as_response(error: StubError, request: ConnexionRequest) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=error.status,
        mimetype=errors.JSON_MEDIA_TYPE,
        content_type=errors.JSON_MEDIA_TYPE,
        body=errors.encode(error, _request_id_of(request)),
        headers=error.headers,
    )


async def _on_stub_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, StubError)
    return _as_response(exc, request)


async def _on_http_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """connexion's problems (validation, security) and Starlette's routing errors (404, 405)."""
    assert isinstance(exc, HTTPException)
    path = request.scope.get("path", "")
    if isinstance(exc, InvalidField):
        error = errors.bad_request(path, f"{exc.field} {exc.reason}.")
    else:
        status = exc.status if isinstance(exc, ProblemException) else exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else ""
        headers = dict(exc.headers or {})
        if int(status) == 405:
            allowed = runtime.current().allowed_methods(path)
            if allowed is not None:
                headers = {"Allow": allowed}
        error = errors.from_http_status(path, request.scope.get("method", ""), int(status), detail, headers)
        if error.status >= 500:
            logger.error("error answer %s for %s: %s", error.status, path, detail)
    return _as_response(error, request)


async def _on_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.error("unexpected error", exc_info=exc)
    path = request.scope.get("path", "")
    error = errors.for_api(
        path, StubError(500, errors.INTERNAL_ERROR, "Internal error."), errors.STUB_INTERNAL
    )
    return _as_response(error, request)


class StubApp:
    """The ASGI app: StubMiddleware around the fast lane and connexion.

    `.connexion_app`, `.runtime` and `.fast_lane` (None when off) for tests."""

    def __init__(
        self, connexion_app: connexion.AsyncApp, stub: Runtime, fast_lane: fastlane.FastLane | None = None
    ) -> None:
        self.connexion_app = connexion_app
        self.runtime = stub
        self.fast_lane = fast_lane
        self.asgi = StubMiddleware(connexion_app, stub, fast_lane)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    def test_client(self, **kwargs: Any) -> Any:
        from starlette.testclient import TestClient

        return TestClient(self, **kwargs)

    def close(self) -> None:
        self.runtime.store.close()


def create_app(settings: Settings | None = None) -> StubApp:
    """Build the stub: state from `settings.data_dir` (or memory), seeded from `settings.seed_path`."""
    settings = settings or Settings()
    seed = load_seed_file(settings.seed_path)
    store = Store(settings.database_path)
    if store.ensure_seeded(seed):
        logger.info("loaded seed %s", settings.seed_path)
    settle(store)  # restores whose deadline passed while the stub was down end now
    # Parsed from the files in openapi/ (no copies on disk); connexion gets the parsed documents.
    # The strict profile: the contract's requests as published, its responses closed, so that
    # the stub's own answers are held to exactly what the contract documents.
    contract_spec = load_document(settings.strict_spec)
    control_spec = load_document(settings.control_spec)
    stub = Runtime(
        settings=settings,
        store=store,
        startup_seed=seed,
        examples=ExampleCatalog.from_document(contract_spec, CONTRACT_PATH, "post"),
        body_operations=_body_operations(contract_spec, control_spec),
        path_methods=_path_methods([("", contract_spec), (CONTROL_PREFIX, control_spec)]),
        published_contract=published_documents(load_document(settings.contract_spec)),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_settler(store, settings.settle_interval, stop))
        try:
            yield
        finally:
            stop.set()
            await task

    app = connexion.AsyncApp(
        __name__,
        lifespan=lifespan,
        strict_validation=True,
        validate_responses=True,
        # Compiled (jsonschema-rs) body validators; they answer exactly as the plain ones.
        validator_map=compiled_validator_map(validator_map()),
        swagger_ui_options=SwaggerUIOptions(swagger_ui=settings.swagger_ui),
        # connexion's stack, but Swagger UI's router is entered only for its own paths.
        middlewares=fastpath.middlewares(),
    )
    fastpath.decorate_views_once(app)
    fastpath.memoise_body_definitions()
    app.add_middleware(
        BodyGuard, position=MiddlewarePosition.BEFORE_VALIDATION, body_operations=stub.body_operations
    )
    app.add_api(
        contract_spec,
        base_path="",
        name="contract",
        # The UI shows the published contract, which the stub serves itself (StubMiddleware).
        swagger_ui_options=SwaggerUIOptions(swagger_ui=settings.swagger_ui, serve_spec=False),
        resolver=_resolver(CONTRACT_OPERATIONS),
        security_map=fastpath.cached_security_map(CONTRACT_SECURITY_MAP),
    )
    app.add_api(
        control_spec,
        base_path=CONTROL_PREFIX,
        name="control",
        resolver=_resolver(control.OPERATIONS),
        security_map=fastpath.cached_security_map(CONTROL_SECURITY_MAP),
    )
    app.add_error_handler(StubError, _on_stub_error)
    # ProblemException needs its own entry: connexion registers a problem+json handler for it.
    app.add_error_handler(ProblemException, _on_http_error)
    app.add_error_handler(HTTPException, _on_http_error)
    app.add_error_handler(Exception, _on_unexpected)
    lane = fastlane.build(stub, contract_spec, CONTRACT_PATH) if settings.fast_lane else None
    return StubApp(app, stub, lane)
