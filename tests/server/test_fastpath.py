"""server/fastpath.py: connexion's per-request repeats done once, with the same answers.

Behaviour is covered by every other stub test (they all run through these paths); here: the
Swagger UI and served specs are still there, other requests no longer enter its router, views
are decorated once, and a guard fails when the connexion internals mirrored here change.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import httpx
import pytest
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from server import fastpath
from server.app import StubApp, create_app
from server.fastvalidation import CONNEXION_VERSION
from server.settings import Settings

TOKEN = "csbs-demo-token"
RESTORES = "/v1/b942cc8342734d15bcb246babb1953cf/restores"
DOCUMENT = {
    "restore": {
        "provider_id": "fc4d5750-22e7-4798-8a46-f48f62c4c1da",
        "checkpoint_id": "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09",
        "parameters": {"targets": {}},
    }
}


@pytest.fixture
def app() -> Iterator[StubApp]:
    # These levers speed up connexion's path; without the fast lane every request takes it.
    stub = create_app(Settings(fast_lane=False))
    yield stub
    stub.close()


def _get_all(app: StubApp, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://stub.test") as client:
            return [await client.request(method, path, **kwargs) for method, path, kwargs in requests]

    return asyncio.run(run())


def _swagger_middleware(app: StubApp) -> fastpath.SwaggerUIOnItsOwnPaths:
    stack = app.connexion_app.middleware.middleware_stack or []
    found = [m for m in stack if isinstance(m, SwaggerUIMiddleware)]
    assert len(found) == 1 and isinstance(found[0], fastpath.SwaggerUIOnItsOwnPaths)
    return found[0]


def test_swagger_ui_and_specs_are_still_served(app: StubApp) -> None:
    answers = _get_all(
        app,
        [
            ("GET", "/ui/", {}),
            ("GET", "/openapi.json", {}),
            ("GET", "/openapi.yaml", {}),
            ("GET", "/_stub/ui/", {}),
            ("GET", "/_stub/openapi.json", {}),
            ("GET", "/ui", {"follow_redirects": False}),
        ],
    )
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert "swagger" in answers[0].text.lower()
    assert json.loads(answers[1].text)["info"]["title"] == "CSBS Create Restore API"
    assert "createRestore" in answers[2].text
    assert "/_stub/openapi.json" in answers[3].text
    assert answers[5].status_code in (301, 302, 307) and answers[5].headers["location"].endswith("/ui/")


def test_only_the_ui_and_spec_paths_enter_the_swagger_router(app: StubApp) -> None:
    _get_all(app, [("GET", "/ui/", {})])  # the middleware stack is built on first use
    middleware = _swagger_middleware(app)
    for path in (
        "/ui",
        "/ui/",
        "/ui/swagger-ui.css",
        "/openapi.json",
        "/openapi.yaml",
        "/_stub/ui/",
        "/_stub/openapi.json",
    ):
        assert middleware.serves(path), path
    for path in (RESTORES, "/v1/", "/uix", "/_stub/restores", "/_stub/journal", "/", "/openapi.jsonx"):
        assert not middleware.serves(path), path


def test_contract_answers_are_unchanged_and_views_are_decorated_once(
    app: StubApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = fastpath._DecorateOnceStarletteDecorator.decorate

    def counting(self: Any, function: Any) -> Any:
        calls.append(function.__name__)
        return original(self, function)

    monkeypatch.setattr(fastpath._DecorateOnceStarletteDecorator, "decorate", counting)
    headers = {"Content-Type": "application/json", "X-Auth-Token": TOKEN, "Prefer": "code=200"}
    answers = _get_all(
        app,
        [("POST", RESTORES, {"json": DOCUMENT, "headers": headers})] * 3
        + [("POST", RESTORES, {"json": {"restore": {}}, "headers": headers})]
        + [("POST", RESTORES, {"json": DOCUMENT, "headers": {"Content-Type": "application/json"}})],
    )
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 401]
    assert answers[0].json()["restore"]["id"] == "d3a54e80-6483-485d-98f6-c0409e6f2e0a"
    assert answers[3].json()["error_code"] == "CSBS.9001"
    assert answers[4].json()["error_code"] == "APIGW.0301"
    assert calls.count("create_restore") == 1


def test_the_token_function_signature_is_inspected_once() -> None:
    fastpath._accepts_kwarg.cache_clear()
    app = create_app(Settings(fast_lane=False))
    try:
        headers = {"Content-Type": "application/json", "X-Auth-Token": TOKEN, "Prefer": "code=200"}
        answers = _get_all(app, [("POST", RESTORES, {"json": DOCUMENT, "headers": headers})] * 4)
    finally:
        app.close()
    assert [a.status_code for a in answers] == [200] * 4
    info = fastpath._accepts_kwarg.cache_info()
    assert info.misses == 2 and info.hits == 6, info  # two keywords, four requests


def test_the_startup_heap_is_frozen_out_of_the_collectors_sight() -> None:
    import gc

    app = create_app(Settings())
    try:
        fastpath.freeze_startup_heap()
        assert gc.get_freeze_count() > 10_000  # the app's specs, schemas and routes
    finally:
        gc.unfreeze()
        app.close()


def test_the_handler_gets_the_body_the_guard_parsed(app: StubApp, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.requests import Request

    async def second_parse(self: Any) -> Any:
        raise AssertionError("the body was parsed a second time")

    monkeypatch.setattr(Request, "json", second_parse)
    headers = {"Content-Type": "application/json", "X-Auth-Token": TOKEN}
    (answer,) = _get_all(app, [("POST", RESTORES, {"json": DOCUMENT, "headers": headers})])
    assert answer.status_code == 200, answer.text
    assert answer.json()["restore"]["checkpoint_id"] == DOCUMENT["restore"]["checkpoint_id"]


def test_body_definitions_and_validator_lookups_are_memoised(app: StubApp) -> None:
    from connexion.datastructures import MediaTypeDict
    from connexion.operations import OpenAPIOperation

    assert OpenAPIOperation.body_definition is fastpath._memoised_body_definition
    headers = {"Content-Type": "application/json", "X-Auth-Token": TOKEN, "Prefer": "code=200"}
    answers = _get_all(app, [("POST", RESTORES, {"json": DOCUMENT, "headers": headers})] * 2)
    assert [a.status_code for a in answers] == [200, 200]

    plain = MediaTypeDict({"*/*json": "json", "multipart/form-data": "form"})
    memoised = fastpath.MemoisedMediaTypeDict(plain)
    for media_type in ["application/json", "application/problem+json", "multipart/form-data"] * 2:
        assert memoised[media_type] == plain[media_type]
    with pytest.raises(KeyError):
        memoised["text/plain"]
    assert len(memoised._matched) == 3
    for index in range(100):  # client-chosen media types cannot grow the memo without bound
        memoised[f"application/x{index}+json"]
    assert len(memoised._matched) == fastpath._MEMO_LIMIT


# sha256 of the connexion source that server/fastpath.py mirrors or replaces. When a connexion
# release changes any of it, re-check fastpath.py against the new code before updating this.
INTERNALS_SHA256 = "316c3449272450b11dfd3c0f9a6923be96c0e165fc4e132d66ae434deea72cea"


def _internals_source() -> str:
    from connexion.apps import asynchronous
    from connexion.datastructures import MediaTypeDict
    from connexion.decorators import main as decorators
    from connexion.decorators import parameter
    from connexion.frameworks.starlette import Starlette as StarletteFramework
    from connexion.lifecycle import ConnexionRequest
    from connexion.middleware import abstract, swagger_ui
    from connexion.middleware.main import ConnexionMiddleware
    from connexion.operations import OpenAPIOperation
    from connexion.security import AbstractSecurityHandler

    parts: list[Any] = [
        swagger_ui.SwaggerUIAPI.__init__,
        swagger_ui.SwaggerUIAPI.add_openapi_json,
        swagger_ui.SwaggerUIAPI.add_openapi_yaml,
        swagger_ui.SwaggerUIAPI.add_swagger_ui,
        swagger_ui.SwaggerUIMiddleware.__init__,
        swagger_ui.SwaggerUIMiddleware.add_api,
        swagger_ui.SwaggerUIMiddleware.__call__,
        swagger_ui.SwaggerUIMiddleware.default_fn,
        decorators.BaseDecorator.decorate,
        decorators.ASGIDecorator.__call__,
        decorators.BaseDecorator.uri_parser.fget,
        asynchronous.AsyncOperation,
        asynchronous.AsyncApi,
        asynchronous.AsyncApp.__init__,
        abstract.RoutedMiddleware.add_api,
        AbstractSecurityHandler._generic_check,
        AbstractSecurityHandler._accepts_kwarg,
        StarletteFramework.get_request,
        ConnexionRequest.json,
        ConnexionRequest.get_body,
        parameter._get_body_argument_json,
        fastpath._original_body_definition,
        OpenAPIOperation.with_definitions,
        MediaTypeDict,
    ]
    source = "\n".join(inspect.getsource(part) for part in parts)
    return source + repr([m.__qualname__ for m in ConnexionMiddleware.default_middlewares])


def test_connexion_internals_mirrored_here_are_unchanged() -> None:
    assert metadata.version("connexion") == CONNEXION_VERSION
    digest = hashlib.sha256(_internals_source().encode("utf-8")).hexdigest()
    assert digest == INTERNALS_SHA256, (
        f"connexion internals changed: re-check server/fastpath.py, then set INTERNALS_SHA256 to {digest}"
    )
