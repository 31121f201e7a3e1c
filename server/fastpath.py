"""Work connexion 3.3.0 repeats on every request although it depends only on the operation.

- Swagger UI: connexion's `SwaggerUIMiddleware` sends every request through its router (a mount
  per API, a route per UI file) before handing it on. `SwaggerUIOnItsOwnPaths` enters that router
  only for the paths the UI and the served spec live under and passes every other request
  straight on. It is plugged in through the app's public `middlewares` list.
- Views: `AsyncOperation.fn` builds a new decorator and re-decorates the view on every request
  (signature inspection, closures, `functools.wraps`). `decorate_views_once` makes the app's
  operations decorate their view once; the decorated view still reads the request, the
  operation and the scope from connexion's context variables on each call, as before.
- Body: the handler's body argument comes from `ConnexionRequest.json()`, which reads the body
  again and parses it a second time. `BodyGuard` has already parsed it (rejecting duplicate
  names, non-UTF-8, a BOM, NaN/Infinity and deep nesting) and the body validator has checked
  that very value, so `_GuardedBodyRequest.json` hands the handler the guard's value.
- Operation lookups: `OpenAPIOperation.body_definition` builds a `MediaTypeDict` of the request
  body's media types and matches the content type against it (sorting and `fnmatch`-ing the
  keys) seven times per request, always with the same answer for the same operation and
  content type. `memoise_body_definitions` keeps each answer per operation; the `MediaTypeDict`
  of validator classes by media type memoises its matches the same way (`MemoisedMediaTypeDict`).
- Security: `AbstractSecurityHandler._accepts_kwarg` inspects the token function's signature
  twice per request; `cached_security_map` gives the handlers a memoised version.

These touch connexion internals (named in each docstring); connexion is pinned to 3.3.0 and
`tests/server/test_fastpath.py` fails when the code they mirror or replace changes.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Mapping
from typing import Any

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import receive, scope
from connexion.datastructures import MediaTypeDict
from connexion.decorators import StarletteDecorator
from connexion.lifecycle import ConnexionRequest
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from connexion.operations import OpenAPIOperation
from connexion.options import SwaggerUIConfig
from connexion.security import AbstractSecurityHandler
from starlette.types import ASGIApp, Receive, Scope, Send

from server.validation import PARSED_JSON_SCOPE_KEY

_NOT_PARSED = object()


class SwaggerUIOnItsOwnPaths(SwaggerUIMiddleware):
    """connexion's Swagger UI middleware, entered only for the paths it can serve."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._exact_paths: set[str] = set()
        self._path_prefixes: list[str] = []

    def add_api(
        self,
        specification: Any,
        base_path: str | None = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        # Same two steps as SwaggerUIMiddleware.add_api, keeping the API to learn its paths.
        api = SwaggerUIAPI(
            specification, base_path=base_path, arguments=arguments, default=self.default_fn, **kwargs
        )
        self.router.mount(api.base_path, app=api.router)
        options: SwaggerUIConfig = api.options
        base = api.base_path.rstrip("/")
        spec_path = options.openapi_spec_path
        # A superset of what the API serves is harmless: its router hands unknown paths on.
        self._exact_paths.add(base + spec_path)
        if spec_path.endswith("json"):
            self._exact_paths.add(base + spec_path[: -len("json")] + "yaml")
        ui_path = base + options.swagger_ui_path.strip().rstrip("/")
        self._exact_paths.add(ui_path)
        self._path_prefixes.append(ui_path + "/")

    def serves(self, path: str) -> bool:
        return path in self._exact_paths or path.startswith(tuple(self._path_prefixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.serves(scope["path"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def middlewares() -> list[Any]:
    """connexion's default middleware stack with the Swagger UI middleware replaced."""
    return [
        SwaggerUIOnItsOwnPaths if middleware is SwaggerUIMiddleware else middleware
        for middleware in ConnexionMiddleware.default_middlewares
    ]


class _GuardedBodyRequest(ConnexionRequest):
    """connexion's request, whose JSON body is the value `BodyGuard` parsed (and the body
    validator checked) when there is one, instead of a second read and parse of the bytes."""

    async def json(self) -> Any:
        parsed = self.scope.get(PARSED_JSON_SCOPE_KEY, _NOT_PARSED)
        if parsed is _NOT_PARSED:
            return await super().json()
        return parsed


class _DecorateOnceStarletteDecorator(StarletteDecorator):
    """StarletteDecorator.__call__ with `self.decorate(function)` moved out of the request, and
    `StarletteFramework.get_request` (a plain `ConnexionRequest`) replaced by the guarded one."""

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        decorated = self.decorate(function)

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = _GuardedBodyRequest(scope, receive, uri_parser=self.uri_parser)
            return await decorated(request)

        return wrapper


class _DecorateOnceOperation(AsyncOperation):
    """AsyncOperation whose `fn` (the decorated view) is built on first use and then kept."""

    @functools.cached_property
    def fn(self) -> Callable[..., Any]:
        decorator = _DecorateOnceStarletteDecorator(
            pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        return decorator(self._fn)


class _DecorateOnceApi(AsyncApi):
    def make_operation(self, operation: Any) -> AsyncOperation:
        return _DecorateOnceOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


def decorate_views_once(app: AsyncApp) -> None:
    """Make the APIs added to `app` from now on decorate each view once (call before add_api)."""
    app._middleware_app.api_cls = _DecorateOnceApi


_MEMO_LIMIT = 32
"""Answers kept per operation or map: content types come from clients, so the memo is bounded."""


class MemoisedMediaTypeDict(MediaTypeDict):
    """A `MediaTypeDict` (built once, never changed afterwards) that remembers which key each
    looked-up media type matched, instead of sorting and `fnmatch`-ing its keys on every lookup."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._matched: dict[str, Any] = {}

    def __getitem__(self, item: str) -> Any:
        try:
            return self._matched[item]
        except KeyError:
            value = super().__getitem__(item)  # raises KeyError when nothing matches
            if len(self._matched) < _MEMO_LIMIT:
                self._matched[item] = value
            return value


_original_body_definition = OpenAPIOperation.body_definition


def _memoised_body_definition(self: OpenAPIOperation, content_type: str | None = None) -> dict[str, Any]:
    memo: dict[str | None, dict[str, Any]] | None = self.__dict__.get("_stub_body_definitions")
    if memo is None:
        memo = self.__dict__["_stub_body_definitions"] = {}
    found = memo.get(content_type)
    if found is None:
        found = _original_body_definition(self, content_type)
        if len(memo) < _MEMO_LIMIT:
            memo[content_type] = found
    return found


def memoise_body_definitions() -> None:
    """Make `OpenAPIOperation.body_definition` answer each (operation, content type) once.

    The original returns the spec's own media-type object (after `with_definitions` has set its
    `components`, idempotently), so every caller already shared one dict; an operation's spec does
    not change after it is built. Idempotent; applies to every OpenAPI operation in the process."""
    OpenAPIOperation.body_definition = _memoised_body_definition


@functools.lru_cache(maxsize=256)
def _accepts_kwarg(function: Callable[..., Any], keyword: str) -> bool:
    return bool(AbstractSecurityHandler._accepts_kwarg(function, keyword))


def cached_security_map(security_map: Mapping[str, Any]) -> dict[str, Any]:
    """`security_map` with each handler class given a memoised `_accepts_kwarg`."""
    return {
        scheme: type(
            handler.__name__,
            (handler,),
            {"_accepts_kwarg": staticmethod(_accepts_kwarg), "__module__": handler.__module__},
        )
        for scheme, handler in security_map.items()
    }


def freeze_startup_heap() -> None:
    """Move everything allocated while building the app (specs, schemas, routes: tens of
    thousands of objects that live as long as the process) out of the garbage collector's
    sight, so its full collections during requests no longer walk them: each one cost tens of
    milliseconds of CPU and of latency for every request waiting meanwhile. Call once per
    worker process, after the app is built; objects made later are collected as usual."""
    gc.collect()
    gc.freeze()
