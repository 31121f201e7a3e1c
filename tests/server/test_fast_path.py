"""The pipeline answers exactly as connexion does (`--no-fast-lane`), byte for byte.

A differential test: the same sequence of requests (valid creates over many seeded servers,
conflicts, business errors, the generated body corpus of test_schemas, and header, path,
method and Prefer variations) goes to one stub with the pipeline and to one without. Every
answer (status, headers, body) and the final state (stored restores, journal, backups) must be
equal, and the pipeline must have answered every request for the contract's operation.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from test_schemas import CORPUS_SEED, request_corpus

from server import handlers
from server.app import CONTRACT_PATH, StubApp, create_app
from server.openapi import load_document
from server.pipeline import ContractPipeline
from server.settings import Settings
from tools.harness.seeds import (
    DEMO_PROJECT,
    DEMO_TOKEN,
    DOCUMENT_SERVER,
    OTHER_PROJECT,
    OTHER_TOKEN,
    SeedServer,
    write_seed,
)

Request = tuple[str, str, list[tuple[str, str]], bytes]
PATH = f"/v1/{DEMO_PROJECT}/restores"
JSON_HEADERS = [("Content-Type", "application/json"), ("X-Auth-Token", DEMO_TOKEN)]
UUID_TEXT = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SeedServer]]:
    path = tmp_path_factory.mktemp("seed") / "seed.yaml"
    servers = write_seed(path, 400)
    return path, servers[DEMO_PROJECT]


@pytest.fixture(scope="module")
def examples() -> dict[str, Any]:
    document = load_document(Settings().contract_spec)
    return {name: entry["value"] for name, entry in document["components"]["examples"].items()}


def _encoded(body: Any) -> bytes | None:
    try:
        return json.dumps(body).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return None


def _requests(servers: list[SeedServer], examples: dict[str, Any]) -> list[Request]:
    rng = random.Random(CORPUS_SEED + 7)
    fresh: Iterator[SeedServer] = iter(servers)
    requests: list[Request] = []

    def post(body: Any, headers: list[tuple[str, str]] = JSON_HEADERS, path: str = PATH) -> None:
        raw = body if isinstance(body, bytes) else _encoded(body)
        if raw is not None:
            requests.append(("POST", path, list(headers), raw))

    # Valid creates of many servers, in every shape the contract allows.
    for _ in range(120):
        server = next(fresh)
        body = server.create_body(restore_target=rng.choice([None, "http://192.168.1.2:35357/v2.0/"]))
        params = body["restore"]["parameters"]
        choice = rng.randrange(4)
        if choice == 1:
            del params["checkpoint_item_id"]
        elif choice == 2:
            del params["targets"]["volumes"]
        elif choice == 3:
            params["power_on"] = False
            del params["targets"]["server_id"]
        post(body)
        if rng.random() < 0.2:
            post(body)  # the same server again: 400 CSBS.6015
    post(DOCUMENT_SERVER.create_body())
    # Business errors, answered without storing anything.
    for edit in (
        lambda r: r.__setitem__("checkpoint_id", "00000000-0000-4000-8000-000000000000"),  # 404
        lambda r: r["parameters"].__setitem__("checkpoint_item_id", "00000000-0000-4000-8000-000000000001"),
        lambda r: r["parameters"]["targets"]["volumes"][0].__setitem__(
            "backup_id",
            "00000000-0000-4000-8000-000000000002",  # CSBS.6017
        ),
        lambda r: r["parameters"]["targets"].__setitem__("volumes", []),
    ):
        body = next(fresh).create_body()
        edit(body["restore"])
        post(body)
    # The generated body corpus (valid, invalid, hostile), against the document's server.
    for body in rng.sample(request_corpus(examples), 500):
        post(body)
    # Header, path, method and Prefer variations of a valid body of a server not restored yet.
    variations: list[Callable[[bytes], Request]] = [
        lambda b: ("POST", PATH, [("Content-Type", "application/json")], b),
        lambda b: ("POST", PATH, [("Content-Type", "application/json"), ("X-Auth-Token", "nope")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("X-Auth-Token", DEMO_TOKEN)], b),
        lambda b: ("POST", PATH, [("Content-Type", "application/json"), ("X-Auth-Token", OTHER_TOKEN)], b),
        lambda b: ("POST", f"/v1/{OTHER_PROJECT}/restores", JSON_HEADERS, b),
        lambda b: ("POST", f"/v1/{DEMO_PROJECT.upper()}/restores", JSON_HEADERS, b),
        lambda b: ("POST", f"/v1/{DEMO_PROJECT}0/restores", JSON_HEADERS, b),
        lambda b: ("POST", PATH + "?x=1", JSON_HEADERS, b),
        lambda b: ("POST", PATH + "/", JSON_HEADERS, b),
        lambda b: ("PUT", PATH, JSON_HEADERS, b),
        lambda b: ("GET", PATH, JSON_HEADERS, b""),
        lambda b: ("POST", PATH, [("Content-Type", "application/json; charset=utf-8"), JSON_HEADERS[1]], b),
        lambda b: ("POST", PATH, [("Content-Type", "Application/JSON"), JSON_HEADERS[1]], b),
        lambda b: ("POST", PATH, [("Content-Type", "text/plain"), JSON_HEADERS[1]], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Content-Type", "application/json")], b),
        lambda b: ("POST", PATH, [JSON_HEADERS[1]], b),
        lambda b: ("POST", PATH, JSON_HEADERS, b + b"x"),
        lambda b: ("POST", PATH, JSON_HEADERS, b"\xff" + b),
        lambda b: ("POST", PATH, JSON_HEADERS, b[:-1] + b', "restore": {}}'),
        lambda b: ("POST", PATH, JSON_HEADERS, b""),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "code=200")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "code=400")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "code=503")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "example=document-example")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "code=418")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "code=")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "delay=1")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "code=200"), ("Prefer", "example=nope")], b),
        lambda b: ("POST", PATH, [*JSON_HEADERS, ("Prefer", "respond-async")], b),
    ]
    for vary in variations:
        raw = _encoded(next(fresh).create_body())
        assert raw is not None
        requests.append(vary(raw))
    return requests


def _normalised(body: bytes) -> Any:
    """The answer with what is random per run (restore IDs, request IDs) blanked."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if isinstance(document, dict):
        document.pop("request_id", None)
        if isinstance(document.get("restore"), dict):
            document["restore"]["id"] = "<id>"
    return document


async def _send_all(app: StubApp, requests: list[Request]) -> list[tuple[int, list[tuple[str, str]], Any]]:
    answers = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://stub.test") as client:
        for method, path, headers, body in requests:
            answer = await client.request(method, path, headers=headers, content=body)
            kept = [(k, v) for k, v in answer.headers.multi_items() if k.lower() != "x-request-id"]
            answers.append((answer.status_code, kept, _normalised(answer.content)))
    return answers


async def _state(app: StubApp) -> dict[str, Any]:
    store = app.store
    restores = [{**stored.document, "id": "<id>"} for stored in (await store.all_restores()).values()]
    journal = [
        (row["method"], row["path"], row["query"], row["headers"], row["body"], row["status"])
        for row in await store.list_journal(100_000, 0)
    ]
    backups = [(backup.id, backup.status) for backup in await store.list_backups(None)]
    return {"restores": restores, "journal": journal, "backups": sorted(backups)}


def _run(seed: Path, requests: list[Request], *, lane: bool) -> tuple[list[Any], dict[str, Any], StubApp]:
    app = create_app(Settings(seed_path=seed, restore_seconds=600.0, fast_lane=lane, journal_limit=100_000))

    async def run() -> tuple[list[Any], dict[str, Any]]:
        return await _send_all(app, requests), await _state(app)

    try:
        answers, state = asyncio.run(run())
        return answers, state, app
    finally:
        app.close()


def test_the_pipeline_answers_every_request_as_connexion_does(
    seeded: tuple[Path, list[SeedServer]], examples: dict[str, Any]
) -> None:
    seed, servers = seeded
    requests = _requests(servers, examples)
    plain_answers, plain_state, plain_app = _run(seed, requests, lane=False)
    lane_answers, lane_state, lane_app = _run(seed, requests, lane=True)
    assert plain_app.pipeline is None
    assert lane_app.pipeline is not None
    differences = [
        (request[:2], request[3][:120], plain, fast)
        for request, plain, fast in zip(requests, plain_answers, lane_answers, strict=True)
        if plain != fast
    ]
    assert not differences, differences[:3]
    assert lane_state == plain_state
    # Creates, errors and examples were all answered; every POST on the contract's path by the
    # pipeline, everything else (other methods, the slash variant's 404) by connexion.
    statuses = {status for status, _, _ in lane_answers}
    assert {200, 400, 401, 403, 404, 405}.issubset(statuses), statuses
    assert len(lane_state["restores"]) >= 100
    posts = sum(
        1
        for method, path, _, _ in requests
        if method == "POST" and re.fullmatch(r"/v1/[^/]+/restores", path.partition("?")[0])
    )
    assert lane_app.pipeline.answered == posts, (lane_app.pipeline.answered, posts)


def test_a_create_whose_answer_breaks_the_contract_is_refused_before_it_is_stored(
    monkeypatch: pytest.MonkeyPatch, seeded: tuple[Path, list[SeedServer]]
) -> None:
    """The stub's own answer is verified against the strict profile before the create commits:
    a broken one is a 500 on either path, and nothing is stored."""
    seed, servers = seeded
    original = handlers.plan_create

    def broken_plan(*args: Any, **kwargs: Any) -> Any:
        plan = original(*args, **kwargs)
        if plan.document is not None:
            plan.document["colour"] = "red"  # not documented: the strict profile refuses it
        return plan

    monkeypatch.setattr(handlers, "plan_create", broken_plan)
    raw = _encoded(servers[0].create_body())
    assert raw is not None
    results = {}
    for lane in (False, True):
        answers, state, _ = _run(seed, [("POST", PATH, JSON_HEADERS, raw)], lane=lane)
        ((status, _, body),) = answers
        results[lane] = (status, body, len(state["restores"]))
    assert results[True] == results[False]
    assert results[True][0] == 500
    assert results[True][1]["error_code"] == "CSBS.9999"
    assert results[True][2] == 0, "nothing is stored for an answer that was never sent"


def _contract() -> dict[str, Any]:
    return copy.deepcopy(load_document(Settings().strict_spec))


def _operation(document: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][CONTRACT_PATH]["post"]
    return operation


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: _operation(d)["parameters"].append(
                {"name": "limit", "in": "query", "schema": {"type": "string"}}
            ),
            id="a query parameter",
        ),
        pytest.param(lambda d: _operation(d).__setitem__("security", []), id="no security"),
        pytest.param(
            lambda d: d["components"]["securitySchemes"]["XAuthToken"].__setitem__("in", "query"),
            id="an API key in the query",
        ),
    ],
)
def test_operations_the_pipeline_does_not_reproduce_are_left_to_connexion(
    change: Callable[[dict[str, Any]], None], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = _contract()
    change(document)
    changed = tmp_path / "strict.yaml"
    changed.write_text(yaml.safe_dump(document), encoding="utf-8")
    app = create_app(Settings(strict_spec=changed))
    try:
        assert app.pipeline is None
        assert "connexion serves the contract" in caplog.text
    finally:
        app.close()


def test_the_contract_as_it_is_gets_the_pipeline() -> None:
    app = create_app(Settings())
    try:
        assert isinstance(app.pipeline, ContractPipeline)
        operation = app.pipeline.operation
        assert operation.token_header == b"x-auth-token"
        assert set(operation.responses) == {200, 400, 401, 403, 404, 413, 500, 503}
    finally:
        app.close()


@pytest.mark.parametrize("lane", [False, True], ids=["connexion", "pipeline"])
@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8"])
def test_a_media_type_in_any_case_is_json(
    seeded: tuple[Path, list[SeedServer]], lane: bool, content_type: str
) -> None:
    # Regression (found by the differential test above): connexion matches media types
    # case-sensitively, so "Application/JSON" reached the handler as bytes and ended in a 500.
    seed, servers = seeded
    raw = _encoded(servers[0].create_body())
    assert raw is not None
    headers = [("Content-Type", content_type), ("X-Auth-Token", DEMO_TOKEN)]
    ((status, _, body),), state, _ = _run(seed, [("POST", PATH, headers, raw)], lane=lane)
    assert status == 200, body
    assert len(state["restores"]) == 1
