"""A restore's life: in_progress, then success or fail; backups; restarts; several processes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
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
    due_plan,
    journal_row,
    request_for,
)

from server.seeds import load_seed_file
from server.settings import DATABASE_FILE_NAME, DEFAULT_SEED
from server.store import CreateOutcome
from server.store.sqlite import BACKSTOP_AUTOCHECKPOINT_PAGES, SqliteStore, WalCheckpointer
from server.store.transactions import Query, Transaction

SERVER_KEY = f"OS::Nova::Server#{DOC_SERVER}"


@pytest.fixture
def api(store_api: StubApi) -> StubApi:
    """Every lifecycle test that takes `api` runs on SQLite and on PostgreSQL (conftest.py)."""
    return store_api


def end_process(stub: InProcessStub) -> None:
    """What the end of the stub's process does to its store: closed, with its queue written."""
    if isinstance(stub.app.store, SqliteStore):
        stub.app.close()
    else:
        stub.run(stub.app.store.close())


def stored_status(persistent: dict[str, Any], restore_id: str) -> str:
    """A restore's status as the database holds it, read past the stub."""
    if "data_dir" in persistent:
        database = sqlite3.connect(persistent["data_dir"] / DATABASE_FILE_NAME)
        row = database.execute("SELECT status FROM restores WHERE id = ?", (restore_id,)).fetchone()
        database.close()
        return str(row[0])
    with psycopg.connect(persistent["store_url"]) as connection:
        found = connection.execute("SELECT status FROM restores WHERE id = %s", (restore_id,)).fetchone()
    assert found is not None
    return str(found[0])


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


RESUME_SECONDS = 3.0
"""Longer than building the second app takes on a busy machine (1 s was not: the restore had
ended before the checks that it still runs)."""


def test_restore_in_progress_resumes_after_a_restart(
    make_stub: Callable[..., InProcessStub], persistent: dict[str, Any]
) -> None:
    first = make_stub(**persistent, restore_seconds=RESUME_SECONDS)
    created = first.create(document_request()).json()["restore"]
    end_process(first)  # the process ends before the restore does
    second = make_stub(**persistent, restore_seconds=RESUME_SECONDS)
    assert second.stored(created["id"])["status"] == "in_progress"
    assert second.backup_status(DOC_ITEM) == "restoring"
    assert second.create(document_request()).json()["error_code"] == "CSBS.6015"
    time.sleep(RESUME_SECONDS + 0.1)
    assert second.stored(created["id"])["status"] == "success"
    assert second.backup_status(DOC_ITEM) == "available"


def test_restore_that_came_due_while_stopped_ends_at_start(
    make_stub: Callable[..., InProcessStub], persistent: dict[str, Any]
) -> None:
    first = make_stub(**persistent, restore_seconds=0.2)
    created = first.create(document_request()).json()["restore"]
    end_process(first)
    time.sleep(0.3)
    second = make_stub(**persistent)
    status = stored_status(persistent, created["id"])
    assert status == "success"  # applied by create_app itself, before any request
    assert second.stored(created["id"])["status"] == "success"


def test_restart_keeps_every_acknowledged_restore(
    make_stub: Callable[..., InProcessStub], persistent: dict[str, Any]
) -> None:
    first = make_stub(**persistent, restore_seconds=60)
    acknowledged = [
        first.create(request_for(checkpoint)).json()["restore"]
        for checkpoint in ("e050d4c3-d9b8-59f7-a6aa-cfe80de877e9", "1082f5b0-82c0-514c-907e-8d7008f93605")
    ]
    end_process(first)
    second = make_stub(**persistent, restore_seconds=60)
    for restore in acknowledged:
        assert second.stored(restore["id"]) == restore


def test_outcomes_are_applied_exactly_once_by_concurrent_processes(tmp_path: Path) -> None:
    """Four connections (as four workers have) settle the same due restores at the same time."""
    path = tmp_path / DATABASE_FILE_NAME
    seed = load_seed_file(DEFAULT_SEED)
    writer = SqliteStore(path)
    writer.prepare_now(seed)
    due = 12

    async def create_due() -> list[CreateOutcome]:
        return list(await asyncio.gather(*(writer.create(due_plan(writer, i)) for i in range(due))))

    assert asyncio.run(create_due()) == [CreateOutcome.CREATED] * due
    writer.close_now()
    finished: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        store = SqliteStore(path)
        store.open_now()
        barrier.wait()
        for _ in range(20):
            finished.append(asyncio.run(store.settle(time.time())))
        store.close_now()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(finished) == due
    connection = sqlite3.connect(path)
    statuses = {row[0] for row in connection.execute("SELECT status FROM restores")}
    connection.close()
    assert statuses == {"success"}


def test_journal_keeps_only_the_most_recent_entries(make_stub: Callable[..., InProcessStub]) -> None:
    stub = make_stub(journal_limit=5)
    answers = [stub.create(document_request(), token=None) for _ in range(70)]
    entries = stub.control("GET", "/journal", params={"limit": 1000}).json()["entries"]
    assert [e["request_id"] for e in entries] == [a.headers["x-request-id"] for a in answers[-5:]]
    assert isinstance(stub.app.store, SqliteStore) and stub.app.store.connection is not None
    stored = stub.app.store.connection.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    assert stored < 70


def test_journal_can_be_switched_off(
    make_stub: Callable[..., InProcessStub], persistent: dict[str, Any]
) -> None:
    stub = make_stub(**persistent, journal_enabled=False)
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
    instead of sleeping in SQLite's busy handler; reads do not take it."""
    store = SqliteStore(tmp_path / DATABASE_FILE_NAME)
    store.open_now()
    lock_path = tmp_path / f"{DATABASE_FILE_NAME}.write-lock"
    seen: list[bool] = []

    def probe() -> Transaction[None]:
        seen.append(_lock_is_free(lock_path))
        yield Query("SELECT 1 AS one", fetch="one")

    try:
        assert _lock_is_free(lock_path)
        store.run_now(probe, write=True)
        store.run_now(probe, write=False)
        assert seen == [False, True]
        assert _lock_is_free(lock_path)
    finally:
        store.close_now()


def test_a_thread_copies_the_wal_into_the_database_file_not_the_commits(tmp_path: Path) -> None:
    """Creates commit to the WAL only (the commit's own checkpoint is a far-off backstop); the
    worker's checkpoint thread copies them into the database file, so a copy of that file alone,
    without its WAL, already holds them."""
    path = tmp_path / DATABASE_FILE_NAME
    store = SqliteStore(path)
    store.prepare_now(load_seed_file(DEFAULT_SEED))
    assert store.connection is not None and store.checkpointer is not None
    try:
        backstop = store.connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert backstop == BACKSTOP_AUTOCHECKPOINT_PAGES

        async def create_due() -> list[CreateOutcome]:
            return list(await asyncio.gather(*(store.create(due_plan(store, i)) for i in range(6))))

        assert asyncio.run(create_due()) == [CreateOutcome.CREATED] * 6
        seen = store.checkpointer.checkpoints
        deadline = time.monotonic() + 10
        while store.checkpointer.checkpoints < seen + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.checkpointer.checkpoints >= seen + 2
        alone = tmp_path / "alone.sqlite3"
        alone.write_bytes(path.read_bytes())
        copy = sqlite3.connect(alone)
        try:
            assert copy.execute("SELECT COUNT(*) FROM restores").fetchone()[0] == 6
        finally:
            copy.close()
    finally:
        store.close_now()
    assert store.checkpointer is None


def test_the_checkpoint_thread_ends_with_the_store(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / DATABASE_FILE_NAME)
    store.open_now()
    checkpointer = store.checkpointer
    assert checkpointer is not None and checkpointer.is_running()
    store.close_now()
    assert checkpointer.is_running() is False and store.checkpointer is None
    memory = SqliteStore(None)
    memory.open_now()
    try:
        assert memory.checkpointer is None  # no WAL in memory
    finally:
        memory.close_now()


def test_a_checkpoint_thread_that_cannot_open_the_file_says_so_and_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    checkpointer = WalCheckpointer(tmp_path / "missing" / DATABASE_FILE_NAME, interval=0.01)
    with caplog.at_level("WARNING", logger="server.store"):
        checkpointer.start()
        checkpointer.stop()
    assert checkpointer.is_running() is False and checkpointer.checkpoints == 0
    assert "no WAL checkpoint thread" in caplog.text


def _seeded(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    store.prepare_now(load_seed_file(DEFAULT_SEED))
    return store


def test_journal_entries_of_one_loop_turn_share_one_transaction(tmp_path: Path) -> None:
    store = _seeded(tmp_path / DATABASE_FILE_NAME)
    assert store.connection is not None
    connection = store.connection
    statements: list[str] = []

    async def answer_three_requests() -> tuple[int, int]:
        for name in ("a", "b", "c"):
            store.journal(journal_row(name, store.snapshot.generation))
        before = len(connection.execute("SELECT * FROM journal").fetchall())
        connection.set_trace_callback(statements.append)
        await asyncio.sleep(0)  # the loop turns: the queued entries are written
        connection.set_trace_callback(None)
        return before, len(connection.execute("SELECT * FROM journal").fetchall())

    try:
        assert asyncio.run(answer_three_requests()) == (0, 3)
        assert statements.count("BEGIN IMMEDIATE") == 1, statements
        assert [row["request_id"] for row in asyncio.run(store.list_journal(10, 0))] == ["a", "b", "c"]
    finally:
        store.close_now()


def test_a_worker_waiting_for_the_write_lock_goes_on_serving_and_commits_when_it_is_free(
    tmp_path: Path,
) -> None:
    """While another worker holds the write lock, a create waits for it on a thread, not on the
    event loop (which went on ticking here), and the creates queued meanwhile join its commit."""
    import fcntl

    store = _seeded(tmp_path / DATABASE_FILE_NAME)
    lock_path = tmp_path / f"{DATABASE_FILE_NAME}.write-lock"
    held_s = 0.3

    async def creates_while_the_other_worker_writes() -> tuple[list[CreateOutcome], int, float]:
        ticks = 0
        with lock_path.open("ab") as other:  # another open file, as another worker has
            fcntl.flock(other, fcntl.LOCK_EX)
            threading.Timer(held_s, fcntl.flock, (other, fcntl.LOCK_UN)).start()
            started = time.monotonic()
            first = asyncio.ensure_future(store.create(due_plan(store, 1, finish_at=time.time() + 60)))
            while time.monotonic() - started < held_s / 2:
                await asyncio.sleep(0.01)
                ticks += 1
            later = asyncio.ensure_future(store.create(due_plan(store, 2, finish_at=time.time() + 60)))
            outcomes = list(await asyncio.gather(first, later))
            return outcomes, ticks, time.monotonic() - started

    try:
        outcomes, ticks, waited = asyncio.run(creates_while_the_other_worker_writes())
        assert outcomes == [CreateOutcome.CREATED] * 2
        assert ticks >= 5, f"the event loop stood still while the lock was held ({ticks} ticks)"
        assert waited >= held_s * 0.9  # nothing was committed before the other worker let go
        assert _lock_is_free(lock_path)
    finally:
        store.close_now()


def test_creates_of_one_loop_turn_share_one_transaction(tmp_path: Path) -> None:
    store = _seeded(tmp_path / DATABASE_FILE_NAME)
    assert store.connection is not None
    statements: list[str] = []
    store.connection.set_trace_callback(statements.append)

    async def five_creates() -> list[CreateOutcome]:
        plans = [due_plan(store, index) for index in range(5)]
        for plan in plans:
            plan.finish_at = time.time() + 60
        return list(await asyncio.gather(*(store.create(plan) for plan in plans)))

    try:
        assert asyncio.run(five_creates()) == [CreateOutcome.CREATED] * 5
        assert statements.count("BEGIN IMMEDIATE") == 1, statements
        assert sum(1 for s in statements if s.startswith("INSERT INTO restores")) == 1, statements
    finally:
        store.connection.set_trace_callback(None)
        store.close_now()


def test_queued_journal_entries_are_seen_by_reads_and_dropped_by_a_reset(tmp_path: Path) -> None:
    store = _seeded(tmp_path / DATABASE_FILE_NAME)
    seed = load_seed_file(DEFAULT_SEED)

    async def queue_then(action: Callable[[], Any]) -> Any:
        store.journal(journal_row("queued", store.snapshot.generation))
        return await action()  # before the loop turns

    try:
        listed = asyncio.run(queue_then(lambda: store.list_journal(10, 0)))
        assert [row["request_id"] for row in listed] == ["queued"]
        asyncio.run(queue_then(lambda: store.replace_seed(seed, clear_state=True)))
        assert asyncio.run(store.list_journal(10, 0)) == []
        asyncio.run(queue_then(store.clear_journal))
        assert asyncio.run(store.list_journal(10, 0)) == []
    finally:
        store.close_now()
