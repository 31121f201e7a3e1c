"""The SQLite store's schema and statements: every statement of a create and a settle uses an
index, in-progress restores are the only rows in the indexes that decide a create, and a data
directory written before versioned migrations is upgraded in place, its restores kept."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from server.handlers import plan_create
from server.seeds import load_seed_file
from server.settings import DEFAULT_SEED
from server.store import CreateOutcome
from server.store.migrations import SCHEMA_VERSION
from server.store.sqlite import SqliteStore
from tools.harness.seeds import DOCUMENT_SERVER

# The schema of data directories from before versioned migrations (abridged to what matters).
UNVERSIONED_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tokens (token TEXT PRIMARY KEY, project_id TEXT, role TEXT NOT NULL);
CREATE TABLE projects (project_id TEXT PRIMARY KEY);
CREATE TABLE backups (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL,
    resource_id TEXT NOT NULL, resource_type TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    restore_outcome TEXT NOT NULL, fail_reason TEXT NOT NULL, volume_backups TEXT NOT NULL);
CREATE TABLE restores (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL, checkpoint_item_id TEXT NOT NULL, server_id TEXT NOT NULL,
    status TEXT NOT NULL, outcome TEXT NOT NULL, fail_reason TEXT NOT NULL, finish_at REAL NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, document TEXT NOT NULL);
CREATE INDEX active_restores_due ON restores (finish_at) WHERE status = 'in_progress';
CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL,
    received_at REAL NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL,
    headers TEXT NOT NULL, body TEXT NOT NULL, body_encoding TEXT NOT NULL, status INTEGER NOT NULL,
    duration_ms REAL NOT NULL);
CREATE TABLE faults (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
    delay_ms INTEGER NOT NULL, remaining INTEGER NOT NULL, armed_at REAL NOT NULL);
"""


def _store(path: Path | None = None) -> SqliteStore:
    store = SqliteStore(path)
    store.prepare_now(load_seed_file(DEFAULT_SEED))
    return store


def _statements_of_a_create_and_its_settle() -> tuple[SqliteStore, list[str]]:
    store = _store()
    assert store.connection is not None
    statements: list[str] = []
    store.connection.set_trace_callback(statements.append)

    async def create_and_settle() -> None:
        await store.checkpoint()
        plan = plan_create(
            store.snapshot,
            DOCUMENT_SERVER.project_id,
            DOCUMENT_SERVER.create_body()["restore"],
            time.time(),
            0.0,
        )
        assert await store.create(plan) is CreateOutcome.CREATED
        assert await store.settle(time.time() + 1) == 1

    asyncio.run(create_and_settle())
    store.connection.set_trace_callback(None)
    return store, statements


def _plan(store: SqliteStore, statement: str) -> list[str]:
    assert store.connection is not None
    rows: list[Any] = store.connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return [str(row["detail"]) for row in rows]


def test_no_statement_of_a_create_or_settle_scans_a_table() -> None:
    store, statements = _statements_of_a_create_and_its_settle()
    queries = [s for s in statements if s.split()[0].upper() in ("SELECT", "UPDATE", "DELETE", "INSERT")]
    assert len(queries) >= 4, statements
    plans = {statement: _plan(store, statement) for statement in queries}
    scans = {
        s: plan
        for s, plan in plans.items()
        # Walking the partial index of armed faults reads only armed faults.
        if any(step.startswith("SCAN") and "USING INDEX faults_pending" not in step for step in plan)
    }
    assert not scans, scans
    store.close_now()


def test_a_create_commits_one_insert_and_reads_nothing_else_of_restores() -> None:
    """A create relies on the partial unique indexes, not on a read before it writes."""
    store, statements = _statements_of_a_create_and_its_settle()
    touching = [
        s for s in statements if "restores" in s and not s.startswith("UPDATE restores SET status = outcome")
    ]
    assert [s.split()[0] for s in touching] == ["INSERT"], touching
    store.close_now()


def test_the_indexes_that_decide_a_create_hold_only_restores_in_progress() -> None:
    store = _store()
    assert store.connection is not None
    rows = store.connection.execute(
        "SELECT name, sql FROM sqlite_master"
        " WHERE type = 'index' AND tbl_name = 'restores' AND sql IS NOT NULL"
    ).fetchall()
    partial = {row["name"] for row in rows if row["sql"].endswith("WHERE status = 'in_progress'")}
    unique = {row["name"] for row in rows if row["sql"].startswith("CREATE UNIQUE")}
    assert partial == {"restoring_servers", "restoring_items", "restores_due"}
    assert unique == {"restoring_servers", "restoring_items"}
    store.close_now()


def test_a_new_file_is_at_the_current_schema_version_and_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "stub.sqlite3"
    _store(path).close_now()
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    schema = connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    connection.close()
    _store(path).close_now()
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
    connection.close()


def test_an_unversioned_data_directory_is_upgraded_with_its_restores_kept(tmp_path: Path) -> None:
    path = tmp_path / "stub.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(UNVERSIONED_SCHEMA)
    document = {
        "id": "r-1",
        "status": "success",
        "parameters": {"targets": {"server_id": DOCUMENT_SERVER.server_id}},
    }
    connection.execute(
        "INSERT INTO restores (id, project_id, checkpoint_item_id, server_id, status, outcome, fail_reason,"
        " finish_at, created_at, updated_at, document)"
        " VALUES (?, ?, ?, ?, 'success', 'success', '', 0, 0, 0, ?)",
        (
            "r-1",
            DOCUMENT_SERVER.project_id,
            DOCUMENT_SERVER.item_id,
            DOCUMENT_SERVER.server_id,
            json.dumps(document),
        ),
    )
    connection.commit()
    connection.close()
    store = _store(path)
    try:
        restores = asyncio.run(store.all_restores())
        assert list(restores) == ["r-1"]
        assert store.snapshot.backups, "the seed was loaded into the upgraded file"
        assert store.connection is not None
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        store.close_now()
