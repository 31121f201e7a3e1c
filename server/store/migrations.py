"""The store's schema, as numbered migrations per database dialect.

The stub creates and upgrades its schema itself when it starts: each dialect has an ordered
list of steps, the database records the last step applied (SQLite: `PRAGMA user_version`;
PostgreSQL: the `schema_version` table, under an advisory lock so replicas that start together
apply each step once), and only the missing steps run, each in its own transaction.

Design of version 1, shared by both dialects:
- `stub_state` is one row: the seed's `generation` (raised by every seed load and reset, so
  every worker and replica knows when its in-memory copy of tokens and backups is stale) and
  the seed's digest.
- A server is never restored twice at once, and a backup is not read by two restores at once,
  because the database says so: two partial unique indexes over restores still in progress.
  Creates therefore need no read-before-write, and replicas cannot both accept one server.
- A restore's document is stored once, as acknowledged; its finished state is derived from
  `outcome` (`server/store/model.py: finished_document`). Settling a restore only flips its
  `status`, in one set-based UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


_COMMON_INDEXES = (
    "CREATE UNIQUE INDEX restoring_servers ON restores (project_id, server_id) WHERE status = 'in_progress'",
    "CREATE UNIQUE INDEX restoring_items ON restores (checkpoint_item_id) WHERE status = 'in_progress'",
    "CREATE INDEX restores_due ON restores (finish_at) WHERE status = 'in_progress'",
    "CREATE INDEX restores_by_project ON restores (project_id, seq)",
    "CREATE INDEX backups_by_project ON backups (project_id)",
    "CREATE INDEX faults_pending ON faults (seq) WHERE remaining > 0",
)


def _tables(serial: str, real: str) -> tuple[str, ...]:
    return (
        "CREATE TABLE stub_state ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " generation BIGINT NOT NULL,"
        " seed_digest TEXT NOT NULL)",
        "INSERT INTO stub_state (id, generation, seed_digest) VALUES (1, 0, '')",
        "CREATE TABLE tokens ("
        " token TEXT PRIMARY KEY,"
        " project_id TEXT,"
        " role TEXT NOT NULL CHECK (role IN ('tenant', 'admin')))",
        "CREATE TABLE projects (project_id TEXT PRIMARY KEY)",
        "CREATE TABLE backups ("
        " id TEXT PRIMARY KEY, project_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL,"
        " resource_id TEXT NOT NULL, resource_type TEXT NOT NULL, name TEXT NOT NULL,"
        " status TEXT NOT NULL, restore_outcome TEXT NOT NULL, fail_reason TEXT NOT NULL,"
        " volume_backups TEXT NOT NULL)",
        f"CREATE TABLE restores ("
        f" seq {serial}, id TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL,"
        f" checkpoint_item_id TEXT NOT NULL, server_id TEXT NOT NULL, status TEXT NOT NULL,"
        f" outcome TEXT NOT NULL, fail_reason TEXT NOT NULL, finish_at {real} NOT NULL,"
        f" created_at {real} NOT NULL, updated_at {real} NOT NULL, document TEXT NOT NULL)",
        f"CREATE TABLE journal ("
        f" seq {serial}, request_id TEXT NOT NULL, received_at {real} NOT NULL,"
        f" method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL, headers TEXT NOT NULL,"
        f" body TEXT NOT NULL, body_encoding TEXT NOT NULL, status INTEGER NOT NULL,"
        f" duration_ms {real} NOT NULL)",
        f"CREATE TABLE faults ("
        f" seq {serial}, kind TEXT NOT NULL, delay_ms INTEGER NOT NULL,"
        f" remaining INTEGER NOT NULL, armed_at {real} NOT NULL)",
    )


SQLITE: tuple[Migration, ...] = (
    Migration(
        1,
        "tables, seed generation, partial unique indexes of restores in progress",
        (*_tables("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL"), *_COMMON_INDEXES),
    ),
)

# Data directories written before versioned migrations (user_version 0 with tables in place):
# restores and journal are kept, the seed is loaded again at start, and the old indexes make way.
SQLITE_UNVERSIONED: tuple[str, ...] = (
    "DROP INDEX IF EXISTS active_restores_due",
    "DROP INDEX IF EXISTS active_restores_by_server",
    "DROP INDEX IF EXISTS active_restores_by_item",
    "DROP INDEX IF EXISTS restores_due",
    "DROP INDEX IF EXISTS restores_by_server",
    "DROP INDEX IF EXISTS restores_by_item",
    "DROP INDEX IF EXISTS backups_by_checkpoint",
    "DROP INDEX IF EXISTS backups_by_server",
    "DROP INDEX IF EXISTS faults_pending",
    "DROP TABLE IF EXISTS meta",
    "DROP TABLE IF EXISTS tokens",
    "DROP TABLE IF EXISTS projects",
    "DROP TABLE IF EXISTS backups",
    "CREATE TABLE stub_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL, seed_digest TEXT NOT NULL)",
    "INSERT INTO stub_state (id, generation, seed_digest) VALUES (1, 0, '')",
    "CREATE TABLE tokens (token TEXT PRIMARY KEY, project_id TEXT,"
    " role TEXT NOT NULL CHECK (role IN ('tenant', 'admin')))",
    "CREATE TABLE projects (project_id TEXT PRIMARY KEY)",
    "CREATE TABLE backups ("
    " id TEXT PRIMARY KEY, project_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL,"
    " resource_id TEXT NOT NULL, resource_type TEXT NOT NULL, name TEXT NOT NULL,"
    " status TEXT NOT NULL, restore_outcome TEXT NOT NULL, fail_reason TEXT NOT NULL,"
    " volume_backups TEXT NOT NULL)",
    *_COMMON_INDEXES,
)

POSTGRESQL: tuple[Migration, ...] = (
    Migration(
        1,
        "tables, seed generation, partial unique indexes of restores in progress",
        (*_tables("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION"), *_COMMON_INDEXES),
    ),
)
