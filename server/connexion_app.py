"""connexion serves the stub-control API, Swagger UI, and the contract when the pipeline is off.

Only connexion's documented extension points are used:
- `validator_map`: the parameter, JSON body and JSON response validators below call
  `server/schemas.py` (the `_parse`/`_validate` hooks of connexion's abstract validators are made
  to be overridden; the parameter validator overrides its public `validate_request`);
- security handler functions (`x-apikeyInfoFunc`), set on the in-memory documents only;
- a middleware (`BodyGuard`) added before validation with `add_middleware`;
- the resolver, error handlers and lifespan of `AsyncApp`;
- `SwaggerUIOptions(serve_spec=False)`: the envelope serves the published documents.

Every rule these call is the pipeline's own (`server/pipeline.py`), so a request answered here
gets the same bytes as in the pipeline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import connexion
from connexion import ConnexionMiddleware
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    FormDataValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import answers, auth, bodies, control, errors, pipeline, runtime
from .errors import StubError
from .runtime import NOT_PARSED
from .schemas import SCHEMAS, InvalidAnswer, InvalidField, extra_query_parameters, missing_parameter
from .settings import CONTROL_PREFIX
from .store import StoreUnavailable

logger = logging.getLogger("server")

JSON_RANGE = "*/*json"


# --- validators (connexion's validator_map) -------------------------------------------------


class StubParameterValidator(ParameterValidator):
    """connexion's parameter validator with the pipeline's checks and words."""

    def validate_request(self, request: Any) -> None:
        if self.strict_validation:
            documented = {p["name"] for p in self.parameters.get("query", [])}
            extra = set(request.query_params.keys()) - documented - self.security_query_params
            if extra:
                raise extra_query_parameters(extra)
        sources: dict[str, Callable[[str], Any]] = {
            "query": request.query_params.get,
            "path": lambda name: request.path_params.get(name.replace("-", "_")),
            "header": request.headers.get,
            "cookie": request.cookies.get,
        }
        for location, lookup in sources.items():
            for parameter in self.parameters.get(location, []):
                value = lookup(parameter["name"])
                if value is None:
                    if parameter.get("required"):
                        raise missing_parameter(location, parameter["name"])
                    continue
                if parameter.get("nullable") and value in ("null", "None"):
                    continue
                schema = parameter.get("schema", parameter)
                SCHEMAS.get(schema, kind="parameter").check_parameter(location, parameter["name"], value)


class JsonBodyValidator(AbstractRequestBodyValidator):
    """The body `BodyGuard` parsed, checked with the pipeline's schema check."""

    def __init__(self, *, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema=schema, **kwargs)
        self.compiled = SCHEMAS.get(schema, kind="request")

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        parsed = runtime.request().parsed
        if parsed is NOT_PARSED:  # BodyGuard always runs first; never let bad bytes become a 500
            return bodies.decode_json(b"".join([chunk async for chunk in stream]), scope["path"])
        return parsed

    def _validate(self, body: Any) -> None:
        self.compiled.check_body(body)


class JsonAnswerValidator(AbstractResponseBodyValidator):
    """The answer checked against the schema connexion was given (the strict profile)."""

    def __init__(self, scope: Scope, *, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(scope, schema=schema, **kwargs)
        self.compiled = SCHEMAS.get(schema, kind="response")

    def _parse(self, stream: Any) -> Any:
        return json.loads(b"".join(stream))

    def _validate(self, body: Any) -> None:
        self.compiled.check_answer(body)


def validator_map() -> dict[str, Any]:
    return {
        "parameter": StubParameterValidator,
        "body": MediaTypeDict(
            {
                JSON_RANGE: JsonBodyValidator,
                "application/x-www-form-urlencoded": FormDataValidator,
                "multipart/form-data": MultiPartFormDataValidator,
            }
        ),
        "response": MediaTypeDict({JSON_RANGE: JsonAnswerValidator, "text/plain": TextResponseBodyValidator}),
    }


# --- the body guard (connexion's middleware list) --------------------------------------------


class BodyGuard:
    """The pipeline's decode step for requests connexion serves: the Content-Type and JSON of a
    JSON operation's body are checked (and the body parsed, once) before connexion's validation.
    connexion treats a body without Content-Length (chunked) as missing and matches media types
    case-sensitively, so the request it sees has both in the plain form."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = runtime.request()
        if not runtime.current().router.takes_json(state.method, state.path):
            await self.app(scope, receive, send)
            return
        content_type = bodies.checked_content_type(state.header_values(b"content-type"), state.path)
        state.parsed = bodies.decode_json(state.body, state.path)
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k.lower() not in (b"content-length", b"transfer-encoding", b"content-type")
        ]
        headers.append((b"content-type", content_type.encode("latin-1")))
        headers.append((b"content-length", str(len(state.body)).encode()))
        await self.app({**scope, "headers": headers}, receive, send)


# --- handlers (the resolver) -----------------------------------------------------------------


async def create_restore(project_id: str) -> Response:
    """POST /v1/{project_id}/restores, on connexion's path: the pipeline's handle and verify."""
    stub = runtime.current()
    state = runtime.request()
    operation = stub.router.operation(pipeline.CONTRACT_OPERATION)
    assert state.project_id is not None  # set by the security function
    status, answer = await pipeline.handle(stub, state, operation, state.project_id, state.parsed)
    pipeline.verify(operation, status, answer)
    payload = answer if isinstance(answer, bytes) else answers.json_bytes(answer)
    return Response(payload, status_code=status, headers=dict(_decoded(answers.headers_of(payload))))


def _decoded(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]


CONTRACT_HANDLERS: dict[str, Callable[..., Any]] = {pipeline.CONTRACT_OPERATION: create_restore}


def _resolver(operations: Mapping[str, Callable[..., Any]]) -> Resolver:
    def resolve(operation_id: str) -> Callable[..., Any]:
        return operations[operation_id]

    return Resolver(function_resolver=resolve)


# --- error handlers ----------------------------------------------------------------------------


def _as_response(error: StubError) -> ConnexionResponse:
    _, payload, headers = answers.error_answer(error, runtime.request_id())
    return ConnexionResponse(status_code=error.status, body=payload, headers=dict(_decoded(headers)))


async def _on_stub_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, StubError)
    return _as_response(exc)


async def _on_invalid_field(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, InvalidField)
    return _as_response(exc.error(runtime.request().path))


async def _on_invalid_answer(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return _as_response(pipeline.internal_error(runtime.request().path, exc))


async def _on_store_unavailable(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return _as_response(errors.store_unavailable(runtime.request().path))


async def _on_http_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """connexion's problems (routing, security, validation) and Starlette's 404/405."""
    assert isinstance(exc, HTTPException)
    state = runtime.request()
    status = exc.status if isinstance(exc, ProblemException) else exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else ""
    headers = dict(exc.headers or {})
    if int(status) == 405:
        allowed = runtime.current().router.allowed_methods(state.path)
        if allowed is not None:
            headers = {"Allow": allowed}
    error = errors.from_http_status(state.path, state.method, int(status), detail, headers)
    if error.status >= 500:
        logger.error("error answer %s for %s: %s", error.status, state.path, detail)
    return _as_response(error)


async def _on_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.error("unexpected error", exc_info=exc)
    path = runtime.request().path
    return _as_response(
        errors.for_api(path, StubError(500, errors.INTERNAL_ERROR, "Internal error."), errors.STUB_INTERNAL)
    )


# --- the app ------------------------------------------------------------------------------------


def _with_security_function(document: dict[str, Any], function: Callable[..., Any]) -> dict[str, Any]:
    """The document with `x-apikeyInfoFunc` on its API-key schemes (connexion's documented way to
    name the function that checks a key); the files on disk never name the stub's code."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey":
            scheme["x-apikeyInfoFunc"] = f"{function.__module__}.{function.__name__}"
    return document


def build(
    contract: dict[str, Any],
    control_document: dict[str, Any],
    *,
    swagger_ui: bool,
    lifespan: Callable[[Any], AbstractAsyncContextManager[None]],
) -> connexion.AsyncApp:
    app = connexion.AsyncApp(
        __name__,
        lifespan=lifespan,
        strict_validation=True,
        validate_responses=True,
        validator_map=validator_map(),
        middlewares=list(ConnexionMiddleware.default_middlewares),
    )
    app.add_middleware(BodyGuard, position=MiddlewarePosition.BEFORE_VALIDATION)
    ui = SwaggerUIOptions(swagger_ui=swagger_ui, serve_spec=False)
    app.add_api(
        _with_security_function(contract, auth.verify_tenant_token),
        base_path="",
        name="contract",
        resolver=_resolver(CONTRACT_HANDLERS),
        swagger_ui_options=ui,
    )
    app.add_api(
        _with_security_function(control_document, auth.verify_admin_token),
        base_path=CONTROL_PREFIX,
        name="control",
        resolver=_resolver(control.OPERATIONS),
        swagger_ui_options=ui,
    )
    app.add_error_handler(StubError, _on_stub_error)
    app.add_error_handler(InvalidField, _on_invalid_field)
    app.add_error_handler(InvalidAnswer, _on_invalid_answer)
    app.add_error_handler(StoreUnavailable, _on_store_unavailable)
    # ProblemException needs its own entry: connexion registers a problem+json handler for it.
    app.add_error_handler(ProblemException, _on_http_error)
    app.add_error_handler(HTTPException, _on_http_error)
    app.add_error_handler(Exception, _on_unexpected)
    return app
