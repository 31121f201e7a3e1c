"""A restore's life: in_progress, then success or fail; backups; restarts; several processes."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stub_helpers import (
    DOC_ITEM,
    DOC_SERVER,
    DOC_VOLUME,
    FAILING_CHECKPOINT,
    FAILING_ITEM,
    FAILING_SERVER,
    InProcessStub,
    StubApi,
    document_request,
    request_for,
)

from server.lifecycle import settle
from server.seeds import load_seed_file
from server.settings import DATABASE_FILE_NAME, DEFAULT_SEED
from server.store import Store

SERVER_KEY = f"OS::Nova::Server#{DOC_SERVER}"


def wait_until_due(api: StubApi) -> None:
    time.sleep(api.restore_seconds + 0.15)


def test_restore_succeeds_after_the_delay_and_frees_server_and_backup(api: StubApi) -> None:
    created = api.create(document_request()).json()["restore"]
    assert api.stored(created["id"])["status"] == "in_progress"
    assert api.backup_status(DOC_ITEM) == "restoring"
    wait_until_due(api)
    stored = api.stored(created["id"])
    assert stored["status"] == "success"
    assert stored["resources_status"] == {
        SERVER_KEY: "available",
        f"OS::Cinder::Volume#{DOC_VOLUME}": "available",
    }
    assert stored["resources_reason"] == {}
    assert {k: v for k, v in stored.items() if not k.startswith("resources_") and k != "status"} == {
        k: v for k, v in created.items() if not k.startswith("resources_") and k != "status"
    }
    assert api.backup_status(DOC_ITEM) == "available"
    assert api.create(document_request()).status_code == 200


def test_seeded_failure_scenario_ends_in_fail_with_a_reason(api: StubApi) -> None:
    created = api.create(request_for(FAILING_CHECKPOINT)).json()["restore"]
    wait_until_due(api)
    stored = api.stored(created["id"])
    assert stored["status"] == "fail"
    key = f"OS::Nova::Server#{FAILING_SERVER}"
    assert stored["resources_status"][key] == "error"
    assert stored["resources_reason"] == {
        key: "Failed to restore volume: the target volume is in error state."
    }
    assert api.backup_status(FAILING_ITEM) == "available"


def test_restore_in_progress_resumes_after_a_restart(
    make_stub: Callable[..., InProcessStub], data_dir: Path
) -> None:
    first = make_stub(data_dir=data_dir, restore_seconds=1.0)
    created = first.create(document_request()).json()["restore"]
    first.app.close()  # the process ends before the restore does
    second = make_stub(data_dir=data_dir, restore_seconds=1.0)
    assert second.stored(created["id"])["status"] == "in_progress"
    assert second.backup_status(DOC_ITEM) == "restoring"
    assert second.create(document_request()).json()["error_code"] == "CSBS.6015"
    time.sleep(1.1)
    assert second.stored(created["id"])["status"] == "success"
    assert second.backup_status(DOC_ITEM) == "available"


def test_restore_that_came_due_while_stopped_ends_at_start(
    make_stub: Callable[..., InProcessStub], data_dir: Path
) -> None:
    first = make_stub(data_dir=data_dir, restore_seconds=0.2)
    created = first.create(document_request()).json()["restore"]
    first.app.close()
    time.sleep(0.3)
    second = make_stub(data_dir=data_dir)
    database = sqlite3.connect(data_dir / DATABASE_FILE_NAME)
    status = database.execute("SELECT status FROM restores WHERE id = ?", (created["id"],)).fetchone()[0]
    database.close()
    assert status == "success"  # applied by create_app itself, before any request
    assert second.stored(created["id"])["status"] == "success"


def test_restart_keeps_every_acknowledged_restore(
    make_stub: Callable[..., InProcessStub], data_dir: Path
) -> None:
    first = make_stub(data_dir=data_dir, restore_seconds=60)
    acknowledged = [
        first.create(request_for(checkpoint)).json()["restore"]
        for checkpoint in ("e050d4c3-d9b8-59f7-a6aa-cfe80de877e9", "1082f5b0-82c0-514c-907e-8d7008f93605")
    ]
    first.app.close()
    second = make_stub(data_dir=data_dir, restore_seconds=60)
    for restore in acknowledged:
        assert second.stored(restore["id"]) == restore


def test_outcomes_are_applied_exactly_once_by_concurrent_processes(tmp_path: Path) -> None:
    """Two connections (as two workers have) settle the same due restores at the same time."""
    path = tmp_path / DATABASE_FILE_NAME
    seed = load_seed_file(DEFAULT_SEED)
    writer = Store(path)
    writer.ensure_seeded(seed)
    due = 12
    with writer.write() as tx:
        for index in range(due):
            document = {
                "id": f"r{index}",
                "project_id": "b942cc8342734d15bcb246babb1953cf",
                "status": "in_progress",
            }
            document["parameters"] = {"targets": {"server_id": f"server-{index}"}}
            tx.insert_restore(
                document,
                checkpoint_item_id=DOC_ITEM,
                server_id=f"server-{index}",
                outcome="success",
                fail_reason="",
                now=0.0,
                finish_at=0.0,
            )
    writer.close()
    finished: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        store = Store(path)
        barrier.wait()
        for _ in range(20):
            finished.append(settle(store, now=time.time()))
        store.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(finished) == due
    check = Store(path)
    statuses = {row["status"] for row in check.list_restores(None, None, 100)}
    check.close()
    assert statuses == {"success"}


def test_journal_keeps_only_the_most_recent_entries(make_stub: Callable[..., InProcessStub]) -> None:
    stub = make_stub(journal_limit=5)
    answers = [stub.create(document_request(), token=None) for _ in range(70)]
    entries = stub.control("GET", "/journal", params={"limit": 1000}).json()["entries"]
    assert [e["request_id"] for e in entries] == [a.headers["x-request-id"] for a in answers[-5:]]
    stored = stub.app.runtime.store.connection.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    assert stored < 70


def test_journal_can_be_switched_off(make_stub: Callable[..., InProcessStub]) -> None:
    stub = make_stub(journal_enabled=False)
    stub.create(document_request())
    assert stub.control("GET", "/journal").json()["entries"] == []


def _lock_is_free(lock_path: Path) -> bool:
    import fcntl

    with lock_path.open("ab") as other:  # another open file, as another worker has
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True


def test_workers_take_turns_to_write_through_a_file_lock(tmp_path: Path) -> None:
    """Every write holds the shared file lock, so a waiting worker wakes when it is released
    instead of sleeping in SQLite's busy handler."""
    store = Store(tmp_path / DATABASE_FILE_NAME)
    lock_path = tmp_path / f"{DATABASE_FILE_NAME}.write-lock"
    try:
        assert _lock_is_free(lock_path)
        with store.write():
            assert not _lock_is_free(lock_path)
        assert _lock_is_free(lock_path)
        entry = {
            "request_id": "r",
            "received_at": 0.0,
            "method": "POST",
            "path": "/",
            "query": "",
            "headers": {},
            "body": "",
            "body_encoding": "utf-8",
            "status": 200,
            "duration_ms": 1.0,
        }
        seen: list[bool] = []
        original = store.connection

        class Watching:
            """Records whether the lock is held while the journal row is written."""

            def __getattr__(self, name: str) -> object:
                seen.append(_lock_is_free(lock_path))
                return getattr(original, name)

        store.connection = Watching()  # type: ignore[assignment]
        store.queue_journal(entry, 10)  # no event loop here: written at once
        store.connection = original
        assert seen and not any(seen), seen
    finally:
        store.close()


def _journal_entry(request_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "received_at": 0.0,
        "method": "POST",
        "path": "/v1/x/restores",
        "query": "",
        "headers": {},
        "body": "{}",
        "body_encoding": "utf-8",
        "status": 200,
        "duration_ms": 1.0,
    }


def test_journal_entries_of_one_loop_turn_share_one_transaction(tmp_path: Path) -> None:
    import asyncio

    store = Store(tmp_path / DATABASE_FILE_NAME)
    statements: list[str] = []

    async def answer_three_requests() -> tuple[int, int]:
        for name in ("a", "b", "c"):
            store.queue_journal(_journal_entry(name), 100)
        before = len(store.connection.execute("SELECT * FROM journal").fetchall())
        store.connection.set_trace_callback(statements.append)
        await asyncio.sleep(0)  # the loop turns: the queued entries are written
        store.connection.set_trace_callback(None)
        return before, len(store.connection.execute("SELECT * FROM journal").fetchall())

    try:
        assert asyncio.run(answer_three_requests()) == (0, 3)
        assert statements.count("BEGIN IMMEDIATE") == 1, statements
        assert [row["request_id"] for row in store.list_journal(10, 0)] == ["a", "b", "c"]
    finally:
        store.close()


def test_queued_journal_entries_are_seen_by_reads_and_dropped_by_a_reset(tmp_path: Path) -> None:
    import asyncio

    store = Store(tmp_path / DATABASE_FILE_NAME)
    seed = load_seed_file(DEFAULT_SEED)
    store.ensure_seeded(seed)

    async def queue_then(action: Callable[[], Any]) -> Any:
        store.queue_journal(_journal_entry("queued"), 100)
        return action()  # before the loop turns

    try:
        listed = asyncio.run(queue_then(lambda: store.list_journal(10, 0)))
        assert [row["request_id"] for row in listed] == ["queued"]
        asyncio.run(queue_then(lambda: store.load_seed(seed, clear_state=True)))
        assert store.list_journal(10, 0) == []
        asyncio.run(queue_then(store.clear_journal))
        assert store.list_journal(10, 0) == []
    finally:
        store.close()
