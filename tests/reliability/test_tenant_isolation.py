"""Tenants stay apart, the stub-control API is the admin's alone, and secrets stay out of logs.

Two tenants share one stub (`csbs-demo-token` and `csbs-other-token`). Each test checks both
the refusal and that nothing changed or leaked: no restore appears in the other project, no
answer names the other project's restores or backups, and no token or body secret reaches the
server's output (stdout/stderr, text and JSON log formats) or an error message. The module
runs once per store (`store_kind`): SQLite, and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tools.harness.postgres import StubStore
from tools.harness.rawhttp import build_request, raw_exchange
from tools.harness.seeds import (
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    OTHER_PROJECT,
    OTHER_TOKEN,
    SeedServer,
    write_seed,
)
from tools.harness.stub_process import StubProcess

from .harness import assert_error_body, assert_no_leak

SERVERS = 12
TENANT_TOKENS = (DEMO_TOKEN, OTHER_TOKEN)
# Credentials that are close to valid ones but must not be accepted. (Whitespace around a header
# value is not part of it in HTTP, so " token" is the token itself, not a near miss.)
NEAR_MISS_TOKENS = (
    "",
    DEMO_TOKEN.upper(),
    DEMO_TOKEN[:-1],
    f"{DEMO_TOKEN}x",
    f"Bearer {DEMO_TOKEN}",
    f"{DEMO_TOKEN},{OTHER_TOKEN}",
    ADMIN_TOKEN,  # the admin token is not a tenant token
)


class Tenancy:
    def __init__(self, stub: StubProcess, servers: dict[str, list[SeedServer]]) -> None:
        self.stub = stub
        self.demo = servers[DEMO_PROJECT]
        self.other = servers[OTHER_PROJECT]
        self.http = httpx.Client(base_url=stub.base_url, timeout=30)

    def create(self, project_id: str, server: SeedServer, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(f"/v1/{project_id}/restores", json=server.create_body(), headers=headers)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Admin-Token": ADMIN_TOKEN, **kwargs.pop("headers", {})}
        return self.http.request(method, f"/_stub{path}", headers=headers, **kwargs)

    def restores_of(self, project_id: str) -> list[dict[str, Any]]:
        response = self.admin("GET", "/restores", params={"project_id": project_id, "limit": 1000})
        assert response.status_code == 200, response.text
        return [entry["restore"] for entry in response.json()["restores"]]


@pytest.fixture(scope="module")
def tenancy(tmp_path_factory: pytest.TempPathFactory, module_store: StubStore) -> Iterator[Tenancy]:
    root = tmp_path_factory.mktemp("tenancy")
    servers = write_seed(root / "seed.yaml", SERVERS)
    stub = StubProcess(root / "data", workers=1, seed=root / "seed.yaml", args=module_store.args())
    stub.start()
    tenancy = Tenancy(stub, servers)
    # Each tenant owns one restore the other must never see.
    for project_id, token, server in (
        (DEMO_PROJECT, DEMO_TOKEN, servers[DEMO_PROJECT][0]),
        (OTHER_PROJECT, OTHER_TOKEN, servers[OTHER_PROJECT][0]),
    ):
        response = tenancy.create(project_id, server, {"X-Auth-Token": token})
        assert response.status_code == 200, response.text
    try:
        yield tenancy
    finally:
        tenancy.http.close()
        stub.stop()


def test_a_token_cannot_create_in_another_project(tenancy: Tenancy) -> None:
    before = tenancy.restores_of(OTHER_PROJECT)
    for server in tenancy.other[1:4]:
        response = tenancy.create(OTHER_PROJECT, server, {"X-Auth-Token": DEMO_TOKEN})
        assert response.status_code == 403, response.text
        body = assert_error_body_of(response, "CSBS.9009")
        assert DEMO_TOKEN not in body["error_msg"]
    assert tenancy.restores_of(OTHER_PROJECT) == before


def test_another_projects_backup_is_indistinguishable_from_a_missing_one(tenancy: Tenancy) -> None:
    """Using the other tenant's backup IDs on one's own project path reveals nothing about them."""
    before = tenancy.restores_of(OTHER_PROJECT)
    foreign = tenancy.create(DEMO_PROJECT, tenancy.other[5], {"X-Auth-Token": DEMO_TOKEN})
    missing_server = SeedServer(
        DEMO_PROJECT,
        item_id="00000000-0000-4000-8000-000000000001",
        checkpoint_id=tenancy.other[5].checkpoint_id,
        server_id=tenancy.other[5].server_id,
        backup_id=tenancy.other[5].backup_id,
        volume_id=tenancy.other[5].volume_id,
    )
    missing = tenancy.create(DEMO_PROJECT, missing_server, {"X-Auth-Token": DEMO_TOKEN})
    assert foreign.status_code == missing.status_code == 404, (foreign.text, missing.text)
    assert foreign.json()["error_code"] == missing.json()["error_code"] == "CSBS.3001"
    assert tenancy.restores_of(OTHER_PROJECT) == before
    # Nor does the other tenant's server get a restore through one's own project.
    for restore in tenancy.restores_of(DEMO_PROJECT):
        assert restore["parameters"]["targets"]["server_id"] not in {s.server_id for s in tenancy.other}


@pytest.mark.parametrize("token", NEAR_MISS_TOKENS, ids=[repr(t) for t in NEAR_MISS_TOKENS])
def test_near_miss_tokens_are_refused(tenancy: Tenancy, token: str) -> None:
    # Raw bytes: HTTP client libraries refuse to send header values with surrounding whitespace.
    for project_id, server in ((DEMO_PROJECT, tenancy.demo[6]), (OTHER_PROJECT, tenancy.other[6])):
        request = build_request(
            "POST",
            f"/v1/{project_id}/restores",
            body=json.dumps(server.create_body()).encode(),
            headers=(("X-Auth-Token", token), ("Content-Type", "application/json")),
        )
        response = raw_exchange(tenancy.stub.port, request)
        assert response is not None
        assert response.status == 401, (response.status, response.body)
        body = assert_error_body(response, "APIGW.0301")
        assert_no_leak(response)
        if token.strip():
            assert token.strip() not in body["error_msg"]


def test_missing_token_and_duplicate_token_headers_are_refused(tenancy: Tenancy) -> None:
    body = json.dumps(tenancy.other[7].create_body()).encode()
    path = f"/v1/{OTHER_PROJECT}/restores"
    cases = {
        "no token": (("Content-Type", "application/json"),),
        "demo then other": (("X-Auth-Token", DEMO_TOKEN), ("X-Auth-Token", OTHER_TOKEN)),
        "other then demo": (("X-Auth-Token", OTHER_TOKEN), ("X-Auth-Token", DEMO_TOKEN)),
    }
    before = tenancy.restores_of(OTHER_PROJECT)
    for name, headers in cases.items():
        if name != "no token":
            headers = (*headers, ("Content-Type", "application/json"))
        response = raw_exchange(tenancy.stub.port, build_request("POST", path, body=body, headers=headers))
        assert response is not None, name
        # Two credentials are ambiguous: the stub must not pick one of them.
        assert 400 <= response.status < 500, (name, response.status, response.body)
        assert_error_body(response)
        assert_no_leak(response)
    assert tenancy.restores_of(OTHER_PROJECT) == before
    for headers in (
        (("X-Admin-Token", ADMIN_TOKEN), ("X-Admin-Token", DEMO_TOKEN)),
        (("X-Admin-Token", DEMO_TOKEN), ("X-Admin-Token", ADMIN_TOKEN)),
    ):
        response = raw_exchange(
            tenancy.stub.port, build_request("GET", "/_stub/restores", headers=headers, content_length=False)
        )
        assert response is not None
        assert response.status == 401, (response.status, response.body)
        assert_error_body(response)


def test_the_contract_api_offers_no_way_to_read_or_list_restores(tenancy: Tenancy) -> None:
    other_restore = tenancy.restores_of(OTHER_PROJECT)[0]
    other_backup = tenancy.other[0]
    for token in (DEMO_TOKEN, OTHER_TOKEN):
        for path in (
            f"/v1/{OTHER_PROJECT}/restores",
            f"/v1/{OTHER_PROJECT}/restores/{other_restore['id']}",
            f"/v1/{OTHER_PROJECT}/checkpoint_items",
            f"/v1/{OTHER_PROJECT}/checkpoint_items/{other_backup.item_id}",
            f"/v1/{DEMO_PROJECT}/restores",
        ):
            response = tenancy.http.get(path, headers={"X-Auth-Token": token})
            assert 400 <= response.status_code < 500, (path, response.status_code)
            assert other_restore["id"] not in response.text
            assert other_backup.item_id not in response.text
            assert_error_body_of(response)


CONTROL_CALLS: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("GET", "/restores", None),
    ("GET", f"/restores?project_id={OTHER_PROJECT}", None),
    ("GET", "/backups", None),
    ("GET", f"/backups?project_id={OTHER_PROJECT}", None),
    ("GET", "/journal", None),
    ("DELETE", "/journal", None),
    ("GET", "/faults", None),
    ("POST", "/faults", {"kind": "status_500", "count": 5}),
    ("DELETE", "/faults", None),
    ("POST", "/reset", None),
    ("PUT", "/seed", {"admin_tokens": ["mine"], "projects": []}),
)


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"X-Admin-Token": DEMO_TOKEN},
        {"X-Admin-Token": OTHER_TOKEN},
        {"X-Auth-Token": DEMO_TOKEN},
        {"X-Auth-Token": ADMIN_TOKEN},
        {"X-Admin-Token": ""},
        {"X-Admin-Token": ADMIN_TOKEN.upper()},
        {"X-Admin-Token": f"{ADMIN_TOKEN}x"},
    ],
    ids=[
        "none",
        "demo-as-admin",
        "other-as-admin",
        "tenant-header",
        "admin-in-tenant-header",
        "empty",
        "admin-uppercase",
        "admin-suffix",
    ],
)
def test_the_stub_control_api_refuses_everyone_but_the_admin(
    tenancy: Tenancy, credentials: dict[str, str]
) -> None:
    restores_before = tenancy.restores_of(OTHER_PROJECT) + tenancy.restores_of(DEMO_PROJECT)
    other_restore_ids = {r["id"] for r in tenancy.restores_of(OTHER_PROJECT)}
    for method, path, payload in CONTROL_CALLS:
        response = tenancy.http.request(method, f"/_stub{path}", headers=credentials, json=payload)
        assert response.status_code in (401, 403), (method, path, response.status_code, response.text)
        body = assert_error_body_of(response)
        for token in (*TENANT_TOKENS, ADMIN_TOKEN):
            assert token not in body["error_msg"]
        for restore_id in other_restore_ids:
            assert restore_id not in response.text
        assert tenancy.other[0].item_id not in response.text
    # Nothing changed: no reset, no new seed, no armed fault.
    assert tenancy.restores_of(OTHER_PROJECT) + tenancy.restores_of(DEMO_PROJECT) == restores_before
    faults = tenancy.admin("GET", "/faults")
    assert faults.status_code == 200 and "status_500" not in faults.text, faults.text
    assert tenancy.create(DEMO_PROJECT, tenancy.demo[8 + 0], {"X-Auth-Token": DEMO_TOKEN}).status_code in (
        200,
        400,
    )


def test_the_admin_token_works_and_filters_by_project(tenancy: Tenancy) -> None:
    """The positive control: the refusals above are not just a broken control API."""
    demo = tenancy.restores_of(DEMO_PROJECT)
    other = tenancy.restores_of(OTHER_PROJECT)
    assert demo and other
    assert {r["project_id"] for r in demo} == {DEMO_PROJECT}
    assert {r["project_id"] for r in other} == {OTHER_PROJECT}
    backups = tenancy.admin("GET", "/backups", params={"project_id": OTHER_PROJECT}).json()["backups"]
    assert {b["project_id"] for b in backups} == {OTHER_PROJECT}
    assert len(backups) == SERVERS


def assert_error_body_of(response: httpx.Response, error_code: str | None = None) -> dict[str, Any]:
    assert response.headers.get("content-type", "").split(";")[0] == "application/json", response.headers
    body = response.json()
    assert isinstance(body, dict) and {"error_code", "error_msg"} <= body.keys(), body
    if error_code is not None:
        assert body["error_code"] == error_code, body
    return body


# --- secrets stay out of logs and error messages --------------------------------------------------

CANARY_TOKEN = "canary-tenant-token-7d1f3a"
CANARY_ADMIN = "canary-admin-token-5be2c9"
CANARY_PASSWORD = "canary-password-91c0e4"
CANARY_KEY = "canary-secret-key-0a77d3"


# Both formats, and both the single-process and the multi-worker way of starting uvicorn.
@pytest.mark.parametrize(("log_format", "workers"), [("text", 1), ("json", 2)])
def test_tokens_and_body_secrets_never_reach_logs_or_error_messages(
    tmp_path: Path, fresh_store: StubStore, log_format: str, workers: int
) -> None:
    servers = write_seed(tmp_path / "seed.yaml", 4)
    stub = StubProcess(
        tmp_path / "data",
        workers=workers,
        seed=tmp_path / "seed.yaml",
        args=("--log-format", log_format, *fresh_store.args()),
    )
    stub.start()
    startup_log_size = len(stub.logs())
    answers: list[str] = []
    try:
        with httpx.Client(base_url=stub.base_url, timeout=30) as http:
            demo = servers[DEMO_PROJECT]
            path = f"/v1/{DEMO_PROJECT}/restores"
            # Valid tokens, in every place they are accepted.
            ok = http.post(path, json=demo[0].create_body(), headers={"X-Auth-Token": DEMO_TOKEN})
            assert ok.status_code == 200, ok.text
            ok = http.get("/_stub/restores", headers={"X-Admin-Token": ADMIN_TOKEN})
            assert ok.status_code == 200, ok.text
            # Wrong tokens, and tokens where they do not belong.
            attempts = [
                http.post(path, json=demo[1].create_body(), headers={"X-Auth-Token": CANARY_TOKEN}),
                http.post(path, json=demo[1].create_body(), headers={"X-Auth-Token": ADMIN_TOKEN}),
                http.get("/_stub/restores", headers={"X-Admin-Token": CANARY_ADMIN}),
                http.get("/_stub/restores", headers={"X-Admin-Token": DEMO_TOKEN}),
                http.post(
                    f"/v1/{OTHER_PROJECT}/restores",
                    json=demo[1].create_body(),
                    headers={"X-Auth-Token": DEMO_TOKEN},
                ),
            ]
            # A stray credential header beside a valid token: served, but never logged.
            ok = http.post(
                path,
                json=demo[3].create_body(),
                headers={"X-Auth-Token": DEMO_TOKEN, "Authorization": f"Bearer {CANARY_KEY}"},
            )
            assert ok.status_code == 200, ok.text
            # Secrets inside request bodies: unknown fields, and credentials pasted into known fields.
            with_password = demo[2].create_body()
            with_password["restore"]["password"] = CANARY_PASSWORD
            with_password["restore"]["parameters"]["adminPass"] = CANARY_PASSWORD
            nested_secret = demo[2].create_body()
            nested_secret["auth"] = {"token": CANARY_TOKEN, "secret_key": CANARY_KEY}
            token_as_id = demo[2].create_body()
            token_as_id["restore"]["checkpoint_id"] = CANARY_TOKEN
            key_as_item = demo[2].create_body()
            key_as_item["restore"]["parameters"]["checkpoint_item_id"] = CANARY_KEY
            for body in (with_password, nested_secret, token_as_id, key_as_item):
                attempts.append(http.post(path, json=body, headers={"X-Auth-Token": DEMO_TOKEN}))
            for response in attempts:
                assert 400 <= response.status_code < 500, (response.status_code, response.text)
                answers.append(response.text)
    finally:
        stub.stop()
    log = stub.logs()[startup_log_size:]
    assert log.strip(), "the stub logged nothing after start-up; the log check would prove nothing"
    secrets = (DEMO_TOKEN, OTHER_TOKEN, ADMIN_TOKEN, CANARY_TOKEN, CANARY_ADMIN, CANARY_PASSWORD, CANARY_KEY)
    for secret in secrets:
        assert secret not in log, f"{secret!r} appears in the server's output:\n{log[-3000:]}"
        for answer in answers:
            assert secret not in answer, f"{secret!r} is echoed in an error message: {answer}"
