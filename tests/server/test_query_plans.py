"""Every statement a create and a settle run is answered through an index, never a table scan.

The statements are captured from a real create and settle (SQLite's trace callback), then each
one's query plan is asked for. A scan would make creates slower as backups or restores grow.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from server.handlers import create_in
from server.lifecycle import settle
from server.seeds import load_seed_file
from server.settings import DEFAULT_SEED
from server.store import Store
from tools.seeds import DOCUMENT_SERVER


def _statements_of_a_create_and_its_settle() -> tuple[Store, list[str]]:
    store = Store(None)
    store.ensure_seeded(load_seed_file(DEFAULT_SEED))
    statements: list[str] = []
    store.connection.set_trace_callback(statements.append)
    now = time.time()
    with store.write() as tx:
        create_in(tx, DOCUMENT_SERVER.project_id, DOCUMENT_SERVER.create_body()["restore"], now, 0.0)
    assert settle(store, now + 1) == 1
    store.connection.set_trace_callback(None)
    return store, statements


def _plan(store: Store, statement: str) -> list[str]:
    rows: list[Any] = store.connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    return [str(row["detail"]) for row in rows]


def test_no_statement_of_a_create_or_settle_scans_a_table() -> None:
    store, statements = _statements_of_a_create_and_its_settle()
    queries = [s for s in statements if s.split()[0].upper() in ("SELECT", "UPDATE", "DELETE", "INSERT")]
    assert len(queries) >= 8, statements
    plans = {statement: _plan(store, statement) for statement in queries}
    scans = {s: plan for s, plan in plans.items() if any(step.startswith("SCAN") for step in plan)}
    assert not scans, scans


def test_releasing_a_backup_looks_up_its_restores_by_item() -> None:
    # Before an index by item the check walked every in-progress restore (by status):
    # 0.4 ms per settled restore under load.
    store, statements = _statements_of_a_create_and_its_settle()
    (release,) = [s for s in statements if s.startswith("UPDATE backups SET status = 'available'")]
    plan = " | ".join(_plan(store, release))
    assert "active_restores_by_item" in plan, plan


def test_a_file_with_the_earlier_full_indexes_gets_the_partial_ones(tmp_path: Path) -> None:
    path = tmp_path / "stub.sqlite3"
    store = Store(path)
    for statement in (
        "DROP INDEX active_restores_due",
        "CREATE INDEX restores_due ON restores (status, finish_at)",
        "CREATE INDEX restores_by_server ON restores (project_id, server_id, status)",
    ):
        store.connection.execute(statement)
    store.close()
    reopened = Store(path)
    try:
        names = {
            row["name"]
            for row in reopened.connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    finally:
        reopened.close()
    assert {"active_restores_due", "active_restores_by_server", "active_restores_by_item"} <= names
    assert not {"restores_due", "restores_by_server", "restores_by_item"} & names


def test_the_indexes_of_in_progress_restores_are_partial() -> None:
    """Finished restores leave these indexes, so their size follows the restores in flight."""
    store = Store(None)
    try:
        rows = store.connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'restores'"
            " AND sql IS NOT NULL"
        ).fetchall()
    finally:
        store.close()
    partial = {row["name"] for row in rows if row["sql"].endswith("WHERE status = 'in_progress'")}
    assert partial == {"active_restores_due", "active_restores_by_server", "active_restores_by_item"}
