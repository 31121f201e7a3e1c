"""The stub-control API under /_stub: admin token, restores, backups, journal, seed, faults;
on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from stub_helpers import (
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    DOC_ITEM,
    FAILING_CHECKPOINT,
    OTHER_PROJECT,
    OTHER_PROJECT_CHECKPOINT,
    OTHER_TOKEN,
    RESTORES_PATH,
    StubApi,
    assert_error,
    document_request,
    request_for,
)

from server.faults import DroppedConnection
from server.openapi import parse_yaml
from server.settings import DEFAULT_SEED


@pytest.fixture
def api(store_api: StubApi) -> StubApi:
    """Every test of the control API runs on SQLite and on PostgreSQL (conftest.py)."""
    return store_api


CONTROL_PATHS = [
    ("GET", "/restores"),
    ("GET", "/restores/d3a54e80-6483-485d-98f6-c0409e6f2e0a"),
    ("GET", "/backups"),
    ("GET", "/journal"),
    ("DELETE", "/journal"),
    ("POST", "/reset"),
    ("GET", "/faults"),
    ("DELETE", "/faults"),
]


@pytest.mark.parametrize(("method", "path"), CONTROL_PATHS)
def test_control_needs_the_admin_token(api: StubApi, method: str, path: str) -> None:
    body = assert_error(api.control(method, path, token=None), 401, "STUB.0401", control=True)
    assert body["request_id"]
    assert_error(api.control(method, path, token="wrong"), 401, "STUB.0401", control=True)


@pytest.mark.parametrize(("method", "path"), CONTROL_PATHS)
def test_tenant_tokens_are_refused_by_control(api: StubApi, method: str, path: str) -> None:
    assert_error(api.control(method, path, token=DEMO_TOKEN), 403, "STUB.0403", control=True)
    answer = api.request(method, f"/_stub{path}", headers={"X-Auth-Token": DEMO_TOKEN})
    assert_error(answer, 401, "STUB.0401", control=True)


def test_health_needs_no_token(api: StubApi) -> None:
    answer = api.control("GET", "/health", token=None)
    assert answer.status_code == 200
    # It also says which database holds the state, and that it answers (a balancer's check).
    assert answer.json() == {"status": "ok", "store": {"kind": api.store_kind, "reachable": True}}


def test_list_and_read_restores_with_their_state(api: StubApi) -> None:
    mine = api.create(document_request()).json()["restore"]
    theirs = api.create(request_for(OTHER_PROJECT_CHECKPOINT), token=OTHER_TOKEN, project=OTHER_PROJECT)
    assert theirs.status_code == 200, theirs.text
    listed = api.control("GET", "/restores").json()["restores"]
    assert [r["restore"]["project_id"] for r in listed] == [DEMO_PROJECT, OTHER_PROJECT]
    only_mine = api.control("GET", "/restores", params={"project_id": DEMO_PROJECT}).json()["restores"]
    assert [r["restore"]["id"] for r in only_mine] == [mine["id"]]
    entry = only_mine[0]
    assert entry["outcome"] == "success"
    assert entry["created_at"] <= entry["finish_at"]
    in_progress = api.control("GET", "/restores", params={"status": "in_progress"}).json()["restores"]
    assert len(in_progress) == 2
    assert (
        api.control("GET", "/restores", params={"limit": 1}).json()["restores"][0]["restore"]["id"]
        == mine["id"]
    )
    read = api.control("GET", f"/restores/{mine['id']}")
    assert read.status_code == 200
    assert read.json()["restore"] == mine


def test_unknown_restore_is_404(api: StubApi) -> None:
    body = assert_error(
        api.control("GET", "/restores/d3a54e80-6483-485d-98f6-c0409e6f2e0a"), 404, "STUB.0404", control=True
    )
    assert "d3a54e80-6483-485d-98f6-c0409e6f2e0a" in body["error_msg"]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "limit=x", "status=done", "project_id=XYZ", "unknown=1"]
)
def test_bad_control_parameters_are_400(api: StubApi, query: str) -> None:
    assert_error(api.control("GET", f"/restores?{query}"), 400, "STUB.0400", control=True)


def test_unknown_control_path_is_404_and_wrong_method_405(api: StubApi) -> None:
    assert_error(api.control("GET", "/nothing"), 404, "STUB.0404", control=True)
    answer = api.control("PUT", "/journal")
    assert_error(answer, 405, "STUB.0405", control=True)
    assert answer.headers["allow"] == "DELETE, GET, HEAD"


def test_backups_list_shows_restoring_while_a_restore_runs(api: StubApi) -> None:
    backups = api.control("GET", "/backups", params={"project_id": DEMO_PROJECT}).json()["backups"]
    assert len(backups) == 14
    assert api.backup_status(DOC_ITEM) == "available"
    api.create(document_request())
    assert api.backup_status(DOC_ITEM) == "restoring"


def test_journal_records_contract_requests_with_bodies_and_no_credentials(api: StubApi) -> None:
    api.control("DELETE", "/journal")
    sent = json.dumps(document_request())
    api.create(
        content=sent.encode(), headers={"Content-Type": "application/json", "Authorization": "Basic eDp5"}
    )
    api.create(content=b"\xff\x00", headers={"Content-Type": "application/json"})
    api.control("GET", "/restores")  # control requests are not journaled
    entries = api.control("GET", "/journal").json()["entries"]
    assert [e["status"] for e in entries] == [200, 400]
    first, second = entries
    assert first["method"] == "POST"
    assert first["path"] == RESTORES_PATH
    assert first["body"] == sent
    assert first["body_encoding"] == "utf-8"
    assert first["headers"]["x-auth-token"] == "<redacted>"
    assert first["headers"]["authorization"] == "<redacted>"
    assert DEMO_TOKEN not in json.dumps(entries)
    assert second["body_encoding"] == "base64"
    assert base64.b64decode(second["body"]) == b"\xff\x00"
    after = api.control("GET", "/journal", params={"after": first["seq"]}).json()["entries"]
    assert [e["seq"] for e in after] == [second["seq"]]
    assert api.control("DELETE", "/journal").json() == {"cleared": 2}
    assert api.control("GET", "/journal").json()["entries"] == []


def test_journal_keeps_a_body_and_a_path_with_nul_characters_as_received(api: StubApi) -> None:
    """U+0000 is valid UTF-8 and a decoded path may hold it (PostgreSQL's text cannot)."""
    api.control("DELETE", "/journal")
    body = '{"restore": "\x00"}'
    refused = api.create(content=body.encode(), headers={"Content-Type": "application/json"})
    assert_error(refused, 400, "CSBS.9001")
    sent = json.dumps(document_request())
    json_body = {"content": sent.encode(), "headers": {"Content-Type": "application/json"}}
    assert_error(api.create(project="ab%00cd", **json_body), 400, "CSBS.9001")
    assert api.create(**json_body).status_code == 200
    entries = api.control("GET", "/journal").json()["entries"]
    assert [(e["path"], e["body"], e["body_encoding"]) for e in entries[:2]] == [
        (RESTORES_PATH, body, "utf-8"),
        ("/v1/ab\x00cd/restores", sent, "utf-8"),
    ]
    assert [e["status"] for e in entries] == [400, 400, 200]


def test_journal_request_id_matches_the_answer(api: StubApi) -> None:
    api.control("DELETE", "/journal")
    answer = api.create(document_request(), token=None)
    entries = api.control("GET", "/journal").json()["entries"]
    assert entries[-1]["request_id"] == answer.headers["x-request-id"]
    assert entries[-1]["status"] == 401


def test_load_seed_replaces_tokens_and_backups_and_reset_restores_the_startup_seed(api: StubApi) -> None:
    seed = {
        "admin_tokens": ["new-admin"],
        "projects": [
            {
                "project_id": DEMO_PROJECT,
                "tokens": ["new-token"],
                "backups": [
                    {
                        "id": DOC_ITEM,
                        "checkpoint_id": "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09",
                        "resource_id": "f45c477a-57e5-465f-999f-d845083962db",
                        "status": "error",
                        "extend_info": {
                            "volume_backups": [
                                {
                                    "id": "bc118c24-3234-4afd-8423-d66d3d677649",
                                    "source_volume_id": "ee27f809-6fb5-40ae-ac46-c932bb4ee8fe",
                                }
                            ]
                        },
                    }
                ],
            }
        ],
    }
    api.create(request_for(FAILING_CHECKPOINT))
    loaded = api.control("PUT", "/seed", json=seed)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {"projects": 1, "tenant_tokens": 1, "backups": 1}
    assert_error(api.create(document_request()), 401, "APIGW.0301")  # the old token is gone
    assert_error(api.create(document_request(), token="new-token"), 400, "CSBS.4000")
    assert api.control("GET", "/restores", token="new-admin").json()["restores"] == []
    assert_error(api.control("GET", "/restores"), 401, "STUB.0401", control=True)
    reset = api.control("POST", "/reset", token="new-admin")
    assert reset.json() == {"projects": 2, "tenant_tokens": 2, "backups": 15}
    assert api.create(document_request()).status_code == 200


def test_a_seed_keeps_its_strings_exactly(api: StubApi) -> None:
    """Names and reasons are free text: U+0000 and U+FFFF included (PostgreSQL's text holds
    neither as such)."""
    odd = "name \x00 \uffff0 \\0 end"
    seed: dict[str, Any] = parse_yaml(DEFAULT_SEED.read_text(encoding="utf-8"))
    project = next(p for p in seed["projects"] if p["project_id"] == DEMO_PROJECT)
    backup = next(b for b in project["backups"] if b["id"] == DOC_ITEM)
    backup.update(name=odd, restore_outcome="fail", fail_reason=odd)
    loaded = api.control("PUT", "/seed", json=seed)
    assert loaded.status_code == 200, loaded.text
    shown = api.control("GET", "/backups", params={"project_id": DEMO_PROJECT}).json()["backups"]
    assert next(b["name"] for b in shown if b["id"] == DOC_ITEM) == odd
    created = api.create(document_request()).json()["restore"]
    time.sleep(api.restore_seconds + 0.3)
    assert list(api.stored(created["id"])["resources_reason"].values()) == [odd]
    api.control("POST", "/reset")


@pytest.mark.parametrize(
    "seed",
    [
        {"admin_tokens": [], "projects": []},
        {"admin_tokens": ["a"], "projects": [{"project_id": "nothex"}]},
        {"admin_tokens": ["a"], "projects": [{"project_id": DEMO_PROJECT, "tokens": ["a"]}]},
        {"admin_tokens": ["a"], "projects": [{"project_id": DEMO_PROJECT}, {"project_id": DEMO_PROJECT}]},
    ],
    ids=["no admin", "bad project", "token twice", "project twice"],
)
def test_invalid_seed_is_400_and_changes_nothing(api: StubApi, seed: object) -> None:
    assert_error(api.control("PUT", "/seed", json=seed), 400, "STUB.0400", control=True)
    assert api.create(document_request()).status_code == 200


def test_faults_answer_the_next_n_contract_requests(api: StubApi) -> None:
    armed = api.control("POST", "/faults", json={"kind": "status_503", "count": 2})
    assert armed.status_code == 201, armed.text
    assert armed.json()["remaining"] == 2
    api.control("POST", "/faults", json={"kind": "status_500"})
    assert [f["kind"] for f in api.control("GET", "/faults").json()["faults"]] == ["status_503", "status_500"]
    assert api.control("GET", "/health").status_code == 200  # control requests are not affected
    assert_error(api.create(document_request()), 503, "CSBS.9998")
    assert_error(api.create(document_request(), token=None), 503, "CSBS.9998")  # before authentication
    assert_error(api.create(document_request()), 500, "CSBS.9999")
    assert api.control("GET", "/faults").json()["faults"] == []
    assert api.create(document_request()).status_code == 200
    statuses = [e["status"] for e in api.control("GET", "/journal").json()["entries"]]
    assert statuses[-4:] == [503, 503, 500, 200]


def test_delay_fault_waits_then_serves(api: StubApi) -> None:
    api.control("POST", "/faults", json={"kind": "delay", "delay_ms": 300})
    started = time.perf_counter()
    answer = api.create(document_request())
    assert time.perf_counter() - started >= 0.3
    assert answer.status_code == 200


def test_drop_fault_closes_the_connection_without_an_answer(api: StubApi) -> None:
    api.control("POST", "/faults", json={"kind": "drop", "count": 1})
    with pytest.raises((httpx.TransportError, DroppedConnection)):
        api.create(document_request())
    assert api.create(document_request()).status_code == 200
    assert api.control("GET", "/journal").json()["entries"][-2]["status"] == 0


def test_clear_faults_disarms_them(api: StubApi) -> None:
    api.control("POST", "/faults", json={"kind": "status_500", "count": 5})
    assert api.control("DELETE", "/faults").json() == {"cleared": 1}
    assert api.create(document_request()).status_code == 200


@pytest.mark.parametrize(
    "fault",
    [{"kind": "explode"}, {"kind": "delay", "delay_ms": 60001}, {"kind": "status_500", "count": 0}, {}],
    ids=["unknown kind", "long delay", "zero count", "no kind"],
)
def test_invalid_fault_is_400(api: StubApi, fault: object) -> None:
    assert_error(api.control("POST", "/faults", json=fault), 400, "STUB.0400", control=True)


def test_admin_token_value_is_never_reflected(api: StubApi) -> None:
    answer = api.control("GET", "/restores", token="some-secret-value")
    assert "some-secret-value" not in answer.text
    assert ADMIN_TOKEN not in api.control("GET", "/journal").text
