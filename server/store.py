"""SQLite state of the stub: tokens, backups, restores, the request journal and armed faults.

One file in the data directory (WAL mode) is shared by every uvicorn worker; without a data
directory the database lives in memory (one process, for tests). Every change that reads
before it writes runs in a `BEGIN IMMEDIATE` transaction, so two workers cannot both accept
a restore of the same server or both apply the same outcome. Workers also take turns to write
through a lock file beside the database (`stub.sqlite3.write-lock`), which hands over faster
than SQLite's sleeping busy handler.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from server.seeds import Backup, Seed, VolumeBackup

logger = logging.getLogger("server")

BUSY_TIMEOUT_MS = 10_000
JOURNAL_PRUNE_EVERY = 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    project_id TEXT,            -- NULL for admin tokens
    role TEXT NOT NULL CHECK (role IN ('tenant', 'admin'))
);
CREATE TABLE IF NOT EXISTS projects (project_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS backups (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    restore_outcome TEXT NOT NULL,
    fail_reason TEXT NOT NULL,
    volume_backups TEXT NOT NULL   -- JSON list
);
CREATE INDEX IF NOT EXISTS backups_by_checkpoint ON backups (project_id, checkpoint_id);
-- A create looks up the target server's volumes; without it that is a scan of every backup.
CREATE INDEX IF NOT EXISTS backups_by_server ON backups (project_id, resource_id);
CREATE TABLE IF NOT EXISTS restores (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL,
    checkpoint_item_id TEXT NOT NULL,
    server_id TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    fail_reason TEXT NOT NULL,
    finish_at REAL NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    document TEXT NOT NULL         -- JSON: the restore exactly as the API reports it
);
-- Partial indexes: only restores still in progress are in them, so they stay small and hot
-- however many finished restores the file holds (full indexes made each create touch a few
-- cold index pages of a large file). Every query that uses them says status = 'in_progress'.
DROP INDEX IF EXISTS restores_due;
DROP INDEX IF EXISTS restores_by_server;
DROP INDEX IF EXISTS restores_by_item;
CREATE INDEX IF NOT EXISTS active_restores_due ON restores (finish_at) WHERE status = 'in_progress';
CREATE INDEX IF NOT EXISTS active_restores_by_server
    ON restores (project_id, server_id) WHERE status = 'in_progress';
-- Releasing a backup asks whether any restore still reads from it.
CREATE INDEX IF NOT EXISTS active_restores_by_item
    ON restores (checkpoint_item_id) WHERE status = 'in_progress';
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,         -- JSON object, credentials redacted
    body TEXT NOT NULL,
    body_encoding TEXT NOT NULL,   -- utf-8 or base64
    status INTEGER NOT NULL,
    duration_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    delay_ms INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    armed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS faults_pending ON faults (remaining);
"""


def _backup_from_row(row: sqlite3.Row) -> Backup:
    return Backup(
        id=row["id"],
        project_id=row["project_id"],
        checkpoint_id=row["checkpoint_id"],
        resource_id=row["resource_id"],
        resource_type=row["resource_type"],
        name=row["name"],
        status=row["status"],
        volume_backups=tuple(VolumeBackup(**v) for v in json.loads(row["volume_backups"])),
        restore_outcome=row["restore_outcome"],
        fail_reason=row["fail_reason"],
    )


class Transaction:
    """Queries and changes inside one write transaction (see `Store.write`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)

    def backup(self, project_id: str, item_id: str) -> Backup | None:
        row = self.execute(
            "SELECT * FROM backups WHERE id = ? AND project_id = ?", (item_id, project_id)
        ).fetchone()
        return None if row is None else _backup_from_row(row)

    def backups_in_checkpoint(self, project_id: str, checkpoint_id: str) -> list[Backup]:
        rows = self.execute(
            "SELECT * FROM backups WHERE project_id = ? AND checkpoint_id = ? ORDER BY id",
            (project_id, checkpoint_id),
        ).fetchall()
        return [_backup_from_row(row) for row in rows]

    def server_restoring(self, project_id: str, server_id: str) -> bool:
        row = self.execute(
            "SELECT 1 FROM restores WHERE project_id = ? AND server_id = ? AND status = 'in_progress'"
            " LIMIT 1",
            (project_id, server_id),
        ).fetchone()
        return row is not None

    def set_backup_status(self, item_id: str, status: str) -> None:
        self.execute("UPDATE backups SET status = ? WHERE id = ?", (status, item_id))

    def insert_restore(
        self,
        document: dict[str, Any],
        *,
        checkpoint_item_id: str,
        server_id: str,
        outcome: str,
        fail_reason: str,
        now: float,
        finish_at: float,
    ) -> None:
        self.execute(
            "INSERT INTO restores (id, project_id, checkpoint_item_id, server_id, status, outcome,"
            " fail_reason, finish_at, created_at, updated_at, document)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document["id"],
                document["project_id"],
                checkpoint_item_id,
                server_id,
                document["status"],
                outcome,
                fail_reason,
                finish_at,
                now,
                now,
                json.dumps(document, separators=(",", ":")),
            ),
        )

    def due_restores(self, now: float) -> list[sqlite3.Row]:
        return self.execute(
            # Without the hint the planner walks the whole table in seq order instead.
            "SELECT * FROM restores INDEXED BY active_restores_due"
            " WHERE status = 'in_progress' AND finish_at <= ? ORDER BY seq",
            (now,),
        ).fetchall()

    def finish_restore(self, restore_id: str, document: dict[str, Any], now: float) -> bool:
        cursor = self.execute(
            "UPDATE restores SET status = ?, document = ?, updated_at = ?"
            " WHERE id = ? AND status = 'in_progress'",
            (document["status"], json.dumps(document, separators=(",", ":")), now, restore_id),
        )
        return cursor.rowcount == 1

    def release_backup(self, item_id: str) -> None:
        """Put a backup back to `available` once no restore reads from it any more."""
        self.execute(
            "UPDATE backups SET status = 'available' WHERE id = ? AND status = 'restoring' AND NOT EXISTS"
            " (SELECT 1 FROM restores WHERE checkpoint_item_id = ? AND status = 'in_progress')",
            (item_id, item_id),
        )


class Store:
    """The stub's database. One instance per process; not shared across threads concurrently."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._write_depth = 0
        # Every worker takes this file lock before it writes (see `_writing`).
        self._lock_file = None if path is None else open(path.with_name(path.name + ".write-lock"), "ab")  # noqa: SIM115
        self._journal_writes = 0
        # Journal entries waiting for the next event-loop turn (see `queue_journal`).
        self._journal_pending: list[tuple[Any, ...]] = []
        self._journal_keep = 0
        self._journal_flush_scheduled = False
        self.connection = sqlite3.connect(
            ":memory:" if path is None else str(path),
            isolation_level=None,  # autocommit; transactions are explicit BEGIN IMMEDIATE
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        self.connection.row_factory = sqlite3.Row
        self.connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if path is not None:
            self.connection.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode keeps every commit across a crash or kill of the process;
            # only a power loss can drop the last commits. FULL would fsync on every request.
            self.connection.execute("PRAGMA synchronous = NORMAL")
        self._create_schema()

    def _create_schema(self) -> None:
        with self._writing():
            # executescript commits on its own; every statement is idempotent (IF NOT EXISTS).
            self.connection.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self.flush_journal()
            self.connection.close()
            if self._lock_file is not None:
                self._lock_file.close()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold this process's lock and, for a file, the write lock all workers share.

        SQLite alone makes a worker that finds the database locked sleep 1, 2, 5, ... ms in its
        busy handler, stalling every request of that worker; a blocking `flock` instead wakes
        it the moment the other worker commits. SQLite's own lock still guards correctness
        (and any other process that opens the file).
        """
        with self._lock:
            file_lock = None if self._write_depth else self._lock_file
            if file_lock is not None:
                fcntl.flock(file_lock, fcntl.LOCK_EX)
            self._write_depth += 1
            try:
                yield
            finally:
                self._write_depth -= 1
                if file_lock is not None:
                    fcntl.flock(file_lock, fcntl.LOCK_UN)

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A write transaction that holds SQLite's write lock from its first statement."""
        with self._writing():
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self.connection)
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            else:
                self.connection.execute("COMMIT")

    def _read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.connection.execute(sql, parameters).fetchall()

    # --- seed -----------------------------------------------------------------------------

    def ensure_seeded(self, seed: Seed) -> bool:
        """Load the seed unless this database already holds exactly this seed. True if loaded."""
        with self.write() as tx:
            row = tx.execute("SELECT value FROM meta WHERE key = 'seed_digest'").fetchone()
            if row is not None and row["value"] == seed.digest:
                return False
            self._replace_seed(tx, seed, clear_restores=False)
            return True

    def load_seed(self, seed: Seed, *, clear_state: bool) -> None:
        """Replace tokens and backups; with clear_state also drop restores, journal and faults."""
        self.flush_journal()  # entries of earlier requests go with the rest of the journal
        with self.write() as tx:
            self._replace_seed(tx, seed, clear_restores=clear_state)
            if clear_state:
                tx.execute("DELETE FROM journal")
                tx.execute("DELETE FROM faults")

    @staticmethod
    def _replace_seed(tx: Transaction, seed: Seed, *, clear_restores: bool) -> None:
        tx.execute("DELETE FROM tokens")
        tx.execute("DELETE FROM projects")
        tx.execute("DELETE FROM backups")
        if clear_restores:
            tx.execute("DELETE FROM restores")
        tx.connection.executemany(
            "INSERT INTO tokens (token, project_id, role) VALUES (?, NULL, 'admin')",
            [(token,) for token in seed.admin_tokens],
        )
        tx.connection.executemany(
            "INSERT INTO tokens (token, project_id, role) VALUES (?, ?, 'tenant')",
            list(seed.tenant_tokens.items()),
        )
        tx.connection.executemany(
            "INSERT INTO projects (project_id) VALUES (?)", [(p,) for p in seed.projects]
        )
        tx.connection.executemany(
            "INSERT INTO backups (id, project_id, checkpoint_id, resource_id, resource_type, name, status,"
            " restore_outcome, fail_reason, volume_backups) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    b.id,
                    b.project_id,
                    b.checkpoint_id,
                    b.resource_id,
                    b.resource_type,
                    b.name,
                    b.status,
                    b.restore_outcome,
                    b.fail_reason,
                    json.dumps([asdict(v) for v in b.volume_backups]),
                )
                for b in seed.backups
            ],
        )
        if not clear_restores:
            # Backups still read by a kept in-progress restore stay `restoring`.
            tx.execute(
                "UPDATE backups SET status = 'restoring' WHERE id IN"
                " (SELECT checkpoint_item_id FROM restores WHERE status = 'in_progress')"
            )
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('seed_digest', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (seed.digest,),
        )

    # --- tokens ---------------------------------------------------------------------------

    def token_role(self, token: str) -> tuple[str, str | None] | None:
        """(role, project_id) of a token, or None when the stub does not know it."""
        rows = self._read("SELECT role, project_id FROM tokens WHERE token = ?", (token,))
        if not rows:
            return None
        return rows[0]["role"], rows[0]["project_id"]

    # --- backups and restores -------------------------------------------------------------

    def list_backups(self, project_id: str | None) -> list[Backup]:
        if project_id is None:
            rows = self._read("SELECT * FROM backups ORDER BY project_id, name, id")
        else:
            rows = self._read("SELECT * FROM backups WHERE project_id = ? ORDER BY name, id", (project_id,))
        return [_backup_from_row(row) for row in rows]

    def has_due_restores(self, now: float) -> bool:
        return bool(
            self._read(
                "SELECT 1 FROM restores WHERE status = 'in_progress' AND finish_at <= ? LIMIT 1", (now,)
            )
        )

    def list_restores(self, project_id: str | None, status: str | None, limit: int) -> list[sqlite3.Row]:
        clauses: list[str] = []
        parameters: list[Any] = []
        if project_id is not None:
            clauses.append("project_id = ?")
            parameters.append(project_id)
        if status == "in_progress":
            clauses.append("status = 'in_progress'")  # a literal, so the partial indexes apply
        elif status is not None:
            clauses.append("status = ?")
            parameters.append(status)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        hint = "INDEXED BY active_restores_due" if status == "in_progress" else ""
        return self._read(f"SELECT * FROM restores {hint} {where} ORDER BY seq LIMIT ?", (*parameters, limit))

    def get_restore(self, restore_id: str) -> sqlite3.Row | None:
        rows = self._read("SELECT * FROM restores WHERE id = ?", (restore_id,))
        return rows[0] if rows else None

    def count_restores(self) -> int:
        return int(self._read("SELECT COUNT(*) AS n FROM restores")[0]["n"])

    # --- journal --------------------------------------------------------------------------

    @staticmethod
    def _journal_row(entry: dict[str, Any]) -> tuple[Any, ...]:
        return (
            entry["request_id"],
            entry["received_at"],
            entry["method"],
            entry["path"],
            entry["query"],
            json.dumps(entry["headers"]),
            entry["body"],
            entry["body_encoding"],
            entry["status"],
            entry["duration_ms"],
        )

    def queue_journal(self, entry: dict[str, Any], keep: int) -> None:
        """Write an entry on the event loop's next turn, with every other entry queued by then.

        Requests answered in the same loop turn then share one write transaction instead of
        taking the write lock once each. Outside an event loop the entry is written at once.
        Every journal read, reset and `close` writes the queued entries first.
        """
        with self._lock:
            self._journal_pending.append(self._journal_row(entry))
            self._journal_keep = keep
            if self._journal_flush_scheduled:
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush_journal()
                return
            self._journal_flush_scheduled = True
            loop.call_soon(self._flush_journal_logged)

    def _flush_journal_logged(self) -> None:
        try:
            self.flush_journal()
        except Exception:  # the journal must never break the stub
            logger.exception("could not write queued journal entries")

    def flush_journal(self) -> None:
        """Write the queued journal entries in one transaction."""
        with self._lock:
            self._journal_flush_scheduled = False
            if not self._journal_pending:
                return
            rows, self._journal_pending = self._journal_pending, []
            with self.write() as tx:
                tx.connection.executemany(
                    "INSERT INTO journal (request_id, received_at, method, path, query, headers, body,"
                    " body_encoding, status, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                before = self._journal_writes
                self._journal_writes += len(rows)
                if before // JOURNAL_PRUNE_EVERY != self._journal_writes // JOURNAL_PRUNE_EVERY:
                    tx.execute(
                        "DELETE FROM journal WHERE seq <= (SELECT MAX(seq) FROM journal) - ?",
                        (self._journal_keep,),
                    )

    def list_journal(self, limit: int, after_seq: int) -> list[sqlite3.Row]:
        self.flush_journal()
        # The newest `limit` entries after `after_seq`, oldest first.
        return self._read(
            "SELECT * FROM (SELECT * FROM journal WHERE seq > ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            (after_seq, limit),
        )

    def clear_journal(self) -> int:
        with self._writing():
            self.flush_journal()
            return self.connection.execute("DELETE FROM journal").rowcount

    # --- faults ---------------------------------------------------------------------------

    def arm_fault(self, kind: str, count: int, delay_ms: int, now: float) -> int:
        with self._writing():
            cursor = self.connection.execute(
                "INSERT INTO faults (kind, delay_ms, remaining, armed_at) VALUES (?, ?, ?, ?)",
                (kind, delay_ms, count, now),
            )
            return int(cursor.lastrowid or 0)

    def pending_faults(self) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM faults WHERE remaining > 0 ORDER BY seq")

    def clear_faults(self) -> int:
        with self._writing():
            return self.connection.execute("DELETE FROM faults WHERE remaining > 0").rowcount

    def claim_fault(self) -> tuple[str, int] | None:
        """Take one pending fault for the current request (kind, delay_ms), or None.

        The cheap read first keeps the common case (nothing armed) free of write locks.
        """
        if not self._read("SELECT 1 FROM faults WHERE remaining > 0 LIMIT 1"):
            return None
        with self.write() as tx:
            row = tx.execute(
                "SELECT seq, kind, delay_ms FROM faults WHERE remaining > 0 ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            tx.execute("UPDATE faults SET remaining = remaining - 1 WHERE seq = ?", (row["seq"],))
            return str(row["kind"]), int(row["delay_ms"])
