"""Helpers of the stub tests: one interface to the stub in process (httpx ASGI transport) and
over a real socket (`live_stub`), request bodies, and an independent check of answers against
the contract."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from server.app import StubApp
from server.settings import CONTRACT_SPEC, CONTROL_SPEC, STRICT_SPEC
from server.store import CreatePlan, JournalRow, Store

# The default seed's tokens and projects, for the tests that import them from here.
from tools.harness.seeds import ADMIN_TOKEN as ADMIN_TOKEN
from tools.harness.seeds import DEMO_PROJECT as DEMO_PROJECT
from tools.harness.seeds import DEMO_TOKEN as DEMO_TOKEN
from tools.harness.seeds import OTHER_PROJECT as OTHER_PROJECT
from tools.harness.seeds import OTHER_TOKEN as OTHER_TOKEN

RESTORES_PATH = f"/v1/{DEMO_PROJECT}/restores"
CONTRACT = yaml.safe_load(CONTRACT_SPEC.read_text(encoding="utf-8"))
CONTROL = yaml.safe_load(CONTROL_SPEC.read_text(encoding="utf-8"))
TIMEOUT_S = 15.0

# The default seed's backups used by the tests (server/seeds/default.yaml).
DOC_CHECKPOINT = "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"
DOC_ITEM = "504b7d59-c361-411f-9ed3-814f35d08e3d"
DOC_SERVER = "f45c477a-57e5-465f-999f-d845083962db"
DOC_VOLUME_BACKUP = "bc118c24-3234-4afd-8423-d66d3d677649"
DOC_VOLUME = "ee27f809-6fb5-40ae-ac46-c932bb4ee8fe"
TWO_VOLUMES_ITEM = "050f458b-962c-5802-917f-f1b1a3400df9"
TWO_VOLUMES_CHECKPOINT = "dc919474-c17e-598b-bc61-82ef49f0f489"
TWO_VOLUMES_SERVER = "d2cd170b-972d-518c-a01c-9ec7ff6dc743"
TWO_VOLUMES_BACKUPS = ("832572e8-3f84-53ad-8b9d-73d012671e19", "8d631db3-0830-502d-97ce-9b27065bcb95")
TWO_VOLUMES_VOLUMES = ("2b8fbad8-dcf5-57f1-958f-acac1f29dcaa", "01511039-185b-5ed8-8d54-a3ff0f66f0d1")
PROTECTING_ITEM = "8f99c53b-eadc-5bac-bb0d-9cb611c74b0e"
PROTECTING_CHECKPOINT = "6783950c-b930-5a0d-a9ff-e3157263db95"
FAILING_ITEM = "bb10f2b7-6fda-528c-a72a-56c9a469dcb0"
FAILING_CHECKPOINT = "9262bcfa-f1c0-588a-89df-4cacefbba9e0"
FAILING_SERVER = "5249c664-942a-586b-93f6-f695eb4ffe52"
MULTI_CHECKPOINT = "f2746a14-eb2b-5791-b55d-621099f7f395"
MULTI_ITEM_A = "27d9fb16-ee9c-56a8-950a-2f5114217d71"
MULTI_SERVER_A = "4ec5e6ab-ec24-5e3b-a7ea-460f57ee54df"
MULTI_ITEM_B = "e3b52a1a-0acb-5425-ad10-20b3e9811ff9"
MULTI_SERVER_B = "9f1f672d-4620-56fe-b308-1a5eed176e97"
OTHER_PROJECT_ITEM = "39385a3b-24f4-539f-a16c-f7cc631a2a73"
OTHER_PROJECT_CHECKPOINT = "df24db4f-0c16-5a72-b5b6-d3b4c0d0300f"


def document_request() -> dict[str, Any]:
    """The document's example request (a fresh copy to modify)."""
    return copy.deepcopy(CONTRACT["components"]["examples"]["DocumentRequest"]["value"])


def request_for(checkpoint_id: str, item_id: str | None = None, **targets: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = {"targets": dict(targets)}
    if item_id is not None:
        parameters["checkpoint_item_id"] = item_id
    return {
        "restore": {
            "provider_id": "fc4d5750-22e7-4798-8a46-f48f62c4c1da",
            "checkpoint_id": checkpoint_id,
            "parameters": parameters,
        }
    }


def _validator(document: dict[str, Any], schema_name: str) -> OAS30ReadValidator:
    uri = "urn:spec"
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(document, DRAFT4))
    return OAS30ReadValidator({"$ref": f"{uri}#/components/schemas/{schema_name}"}, registry=registry)


# Answers are held to the strict profile: the stub sends nothing the contract does not document.
STRICT = yaml.safe_load(STRICT_SPEC.read_text(encoding="utf-8"))
RESTORE_RESPONSE = _validator(STRICT, "CreateRestoreResult")
CONTRACT_ERROR = _validator(STRICT, "ErrorResponse")
CONTROL_ERROR = _validator(CONTROL, "ErrorResponse")
DOCUMENTED_STATUSES = {int(s) for s in CONTRACT["paths"]["/v1/{project_id}/restores"]["post"]["responses"]}


def assert_contract_answer(answer: httpx.Response) -> None:
    """An answer of createRestore conforms to the contract: documented status, JSON, schema, request ID."""
    assert answer.status_code in DOCUMENTED_STATUSES, (answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/json", answer.headers
    assert answer.headers.get("x-request-id"), answer.headers
    validator = RESTORE_RESPONSE if answer.status_code == 200 else CONTRACT_ERROR
    errors = [e.message for e in validator.iter_errors(answer.json())]
    assert not errors, (answer.status_code, answer.text, errors)


def assert_error(answer: httpx.Response, status: int, code: str, *, control: bool = False) -> dict[str, Any]:
    """The answer is an error in the service's flat format (never problem+json)."""
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/json", answer.headers
    assert answer.headers.get("x-request-id")
    body: dict[str, Any] = answer.json()
    validator = CONTROL_ERROR if control else CONTRACT_ERROR
    assert not [e.message for e in validator.iter_errors(body)], body
    assert body["error_code"] == code, body
    return body


class StubApi:
    """What a test needs from a stub, whether in process or over a socket."""

    restore_seconds: float
    store_kind: str
    """Which database holds its state: `sqlite` or `postgresql`."""

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    def create(
        self, body: Any = None, *, token: str | None = DEMO_TOKEN, project: str = DEMO_PROJECT, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["X-Auth-Token"] = token
        if body is not None and "content" not in kwargs:
            kwargs["json"] = body
        return self.request("POST", f"/v1/{project}/restores", headers=headers, **kwargs)

    def control(
        self, method: str, path: str, *, token: str | None = ADMIN_TOKEN, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["X-Admin-Token"] = token
        return self.request(method, f"/_stub{path}", headers=headers, **kwargs)

    def stored(self, restore_id: str) -> dict[str, Any]:
        answer = self.control("GET", f"/restores/{restore_id}")
        assert answer.status_code == 200, answer.text
        restore: dict[str, Any] = answer.json()["restore"]
        return restore

    def backup_status(self, item_id: str) -> str:
        answer = self.control("GET", "/backups")
        assert answer.status_code == 200, answer.text
        return str(next(b["status"] for b in answer.json()["backups"] if b["id"] == item_id))

    def reset(self) -> None:
        answer = self.control("POST", "/reset")
        assert answer.status_code == 200, answer.text


class InProcessStub(StubApi):
    """Synchronous calls into the ASGI app; no sockets. `.app.store` is the live state."""

    def __init__(self, app: StubApp, *, owns_app: bool = True) -> None:
        self.app = app
        self.owns_app = owns_app
        self.restore_seconds = app.runtime.settings.restore_seconds
        self.store_kind = app.store.kind
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://stub.test")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, path, **kwargs))

    def run(self, awaitable: Any) -> Any:
        """Await something (a store call) on the loop the app serves requests on."""
        return self.loop.run_until_complete(awaitable)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        if self.owns_app:
            self.app.close()


class SocketStub(StubApi):
    """HTTP over loopback to a `python -m server` process."""

    def __init__(self, base_url: str, restore_seconds: float, store_kind: str = "sqlite") -> None:
        self.base_url = base_url
        self.restore_seconds = restore_seconds
        self.store_kind = store_kind
        self.client = httpx.Client(base_url=base_url, timeout=TIMEOUT_S)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, **kwargs)

    def close(self) -> None:
        self.client.close()


# --- store-level helpers, shared by the SQLite and PostgreSQL store tests ---------------------


def due_plan(store: Store, index: int, finish_at: float = 0.0) -> CreatePlan:
    """A create of server number `index` that is due at `finish_at` (at once by default)."""
    server = f"server-{index}"
    return CreatePlan(
        generation=store.snapshot.generation,
        project_id=DEMO_PROJECT,
        server_id=server,
        checkpoint_item_id=f"item-{index}",
        document={
            "id": f"r{index}",
            "status": "in_progress",
            "parameters": {"targets": {"server_id": server}},
        },
        created_at=0.0,
        finish_at=finish_at,
    )


def journal_row(request_id: str, generation: int) -> JournalRow:
    return JournalRow(
        request_id=request_id,
        received_at=0.0,
        method="POST",
        path="/v1/x/restores",
        query="",
        headers={},
        body="{}",
        body_encoding="utf-8",
        status=200,
        duration_ms=1.0,
        generation=generation,
    )
