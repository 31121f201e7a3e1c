"""`python -m server` as a process: banner, logs, SIGTERM, several workers on one SQLite file,
restarts and the background lifecycle. Each test starts its own stub on a free loopback port."""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from stub_helpers import (
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    DOC_ITEM,
    RESTORES_PATH,
    assert_contract_answer,
    document_request,
    request_for,
)

from server.settings import DATABASE_FILE_NAME
from tests.stub_process import REPO_ROOT, StubServer

LOAD_CHECKPOINTS = (
    "e050d4c3-d9b8-59f7-a6aa-cfe80de877e9",
    "1082f5b0-82c0-514c-907e-8d7008f93605",
    "52f66489-fa1a-5025-8182-93e9ad7946fb",
    "0748077d-1ee2-50d9-a2ec-eb1aee35ab8d",
    "bf953c2f-321e-5e33-9964-cd6de23070a5",
    "14b2ce22-8e72-5e17-b741-43bd5b17ea28",
    "665fdb44-ceaa-5385-86f5-9bb9decadb0d",
    "cd198984-40eb-5ed9-bb47-115820fc1add",
)
TIMEOUT_S = 15.0


@pytest.fixture
def start_stub(tmp_path: Path) -> Iterator[Any]:
    started: list[StubServer] = []

    def start(*args: str, data_dir: Path | None = None) -> StubServer:
        server = StubServer(data_dir=data_dir or tmp_path / "data", log_path=tmp_path / "stub.log", args=args)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


def post(server: StubServer, body: Any, token: str = DEMO_TOKEN) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}{RESTORES_PATH}", json=body, headers={"X-Auth-Token": token}, timeout=TIMEOUT_S
    )


def control(server: StubServer, path: str) -> Any:
    answer = httpx.get(
        f"{server.base_url}/_stub{path}", headers={"X-Admin-Token": ADMIN_TOKEN}, timeout=TIMEOUT_S
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_banner_shows_the_token_and_a_curl_command_that_works(start_stub: Any) -> None:
    server = start_stub()
    banner = server.logs()
    assert f"tenant token  {DEMO_TOKEN}" in banner
    assert ADMIN_TOKEN in banner
    assert f"{server.base_url}/ui/" in banner
    command = banner[banner.index("curl ") : banner.index("\n", banner.index(" -d "))].replace("\\\n", " ")
    words = shlex.split(command)
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    url = next(w for w in words if w.startswith("http://"))
    body = words[words.index("-d") + 1]
    assert json.loads(body) == document_request()
    answer = httpx.post(url, content=body.encode(), headers=headers, timeout=TIMEOUT_S)
    assert answer.status_code == 200, answer.text
    assert_contract_answer(answer)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_access_log_never_contains_tokens(start_stub: Any, log_format: str) -> None:
    server = start_stub("--log-format", log_format)
    post(server, document_request())
    post(server, document_request(), token="a-wrong-secret")
    httpx.get(f"{server.base_url}/_stub/restores?token=query-secret", headers={"X-Admin-Token": ADMIN_TOKEN})
    time.sleep(0.2)
    access = [line for line in server.logs().splitlines() if "server.access" in line]
    assert len(access) >= 3, server.logs()
    for line in access:
        assert DEMO_TOKEN not in line and ADMIN_TOKEN not in line
        assert "a-wrong-secret" not in line and "query-secret" not in line
    if log_format == "json":
        records = [json.loads(line) for line in access]
        assert {r["status"] for r in records if r.get("path") == RESTORES_PATH} == {200, 401}
        assert all(r["request_id"] for r in records)


def test_sigterm_shuts_down_cleanly(start_stub: Any) -> None:
    server = start_stub("--workers", "2")
    assert post(server, document_request()).status_code == 200
    assert server.stop() == 0
    assert "Finished server process" in server.logs()
    assert "Traceback" not in server.logs()


def test_workers_share_one_file_without_lost_or_duplicated_restores(start_stub: Any) -> None:
    """Three workers, one SQLite file: concurrent creates of one server give exactly one 200, of
    different servers one 200 each, and every acknowledged restore is stored exactly once."""
    server = start_stub("--workers", "3", "--restore-seconds", "300")
    same_server = [document_request() for _ in range(24)]
    distinct = [request_for(checkpoint) for checkpoint in LOAD_CHECKPOINTS for _ in range(3)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda body: post(server, body), same_server + distinct))
    for answer in answers:
        assert_contract_answer(answer)
    same, other = answers[: len(same_server)], answers[len(same_server) :]
    assert [a.status_code for a in same].count(200) == 1
    assert {a.json()["error_code"] for a in same if a.status_code != 200} == {"CSBS.6015"}
    assert [a.status_code for a in other].count(200) == len(LOAD_CHECKPOINTS)
    acknowledged = sorted(a.json()["restore"]["id"] for a in answers if a.status_code == 200)
    listed = control(server, "/restores?limit=1000")["restores"]
    assert sorted(r["restore"]["id"] for r in listed) == acknowledged


def test_workers_finish_restores_in_the_background(start_stub: Any, tmp_path: Path) -> None:
    """The workers' background task applies outcomes to the file without any request reading them."""
    server = start_stub("--workers", "2", "--restore-seconds", "0.5")
    created = sorted(post(server, request_for(c)).json()["restore"]["id"] for c in LOAD_CHECKPOINTS)
    deadline = time.monotonic() + 20
    database = sqlite3.connect(tmp_path / "data" / DATABASE_FILE_NAME)
    try:
        while True:
            rows = database.execute("SELECT id, status, updated_at, finish_at FROM restores").fetchall()
            if {r[1] for r in rows} == {"success"} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        backups = {row[0] for row in database.execute("SELECT status FROM backups")}
    finally:
        database.close()
    assert sorted(r[0] for r in rows) == created
    assert {r[1] for r in rows} == {"success"}
    assert all(updated >= finish for _, _, updated, finish in rows)
    assert "restoring" not in backups


def test_restart_resumes_in_progress_restores(start_stub: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start_stub("--restore-seconds", "6", data_dir=data_dir)
    restore = post(first, document_request()).json()["restore"]
    assert first.stop() == 0
    second = start_stub("--restore-seconds", "6", data_dir=data_dir)
    entry = control(second, f"/restores/{restore['id']}")
    assert entry["restore"]["id"] == restore["id"]
    finish_at = datetime.fromisoformat(entry["finish_at"].replace("Z", "+00:00")).timestamp()
    if time.time() < finish_at - 0.5:
        assert entry["restore"]["status"] == "in_progress"
        assert post(second, document_request()).json()["error_code"] == "CSBS.6015"
    time.sleep(max(0.0, finish_at - time.time()) + 0.5)
    assert control(second, f"/restores/{restore['id']}")["restore"]["status"] == "success"
    backups = control(second, f"/backups?project_id={DEMO_PROJECT}")["backups"]
    assert next(b["status"] for b in backups if b["id"] == DOC_ITEM) == "available"


def test_bad_arguments_fail_with_a_clear_message(tmp_path: Path) -> None:
    bad_seed = tmp_path / "seed.yaml"
    bad_seed.write_text("projects: [{project_id: nothex}]\n", encoding="utf-8")
    for args, message in [
        (["--seed", str(bad_seed)], "projects[0].project_id"),
        (["--in-memory", "--workers", "2"], "--in-memory works with one worker only"),
        (["--store-timeout", "0"], "--store-timeout must be between"),
        (["--store-timeout", "nan"], "--store-timeout must be between"),
        (["--store-timeout", "soon"], "invalid float value"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "server", "--port", "1", "--data-dir", str(tmp_path / "d"), *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_a_worker_freezes_its_startup_heap_and_collects_young_objects_less_often() -> None:
    """In a fresh interpreter (the test process keeps its own collector settings)."""
    probe = (
        "import gc, json; from server.cli import YOUNG_COLLECTION_THRESHOLD, freeze_startup_heap;"
        "before = gc.get_threshold(); freeze_startup_heap();"
        "frozen = gc.get_freeze_count() > 0;"
        "print(json.dumps([before, gc.get_threshold(), frozen, YOUNG_COLLECTION_THRESHOLD]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, check=True
    )
    before, after, frozen, young = json.loads(done.stdout)
    assert after == [young, before[1], before[2]] and young > before[0]
    assert frozen
