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

GROUP_COMMIT_FUNCTION = """
CREATE OR REPLACE FUNCTION stub_group_commit(
    plan_generations BIGINT[], ids TEXT[], project_ids TEXT[], item_ids TEXT[], server_ids TEXT[],
    outcomes TEXT[], fail_reasons TEXT[], finish_ats DOUBLE PRECISION[],
    created_ats DOUBLE PRECISION[], documents TEXT[],
    journal_generations BIGINT[], request_ids TEXT[], received_ats DOUBLE PRECISION[],
    methods TEXT[], paths TEXT[], queries TEXT[], headers TEXT[], bodies TEXT[],
    body_encodings TEXT[], statuses INTEGER[], durations_ms DOUBLE PRECISION[],
    settle_at DOUBLE PRECISION, journal_keep INTEGER, prune_journal BOOLEAN
) RETURNS TEXT[] LANGUAGE plpgsql AS $body$
DECLARE
    current_generation BIGINT;
    created TEXT[];
    labels TEXT[] := array_fill('stale'::TEXT, ARRAY[cardinality(ids)]);
BEGIN
    SELECT generation INTO current_generation FROM stub_state WHERE id = 1 FOR SHARE;
    IF current_generation = ANY(plan_generations) THEN
        UPDATE restores SET status = outcome, updated_at = settle_at WHERE seq IN (
            SELECT seq FROM restores WHERE status = 'in_progress' AND finish_at <= settle_at
            FOR UPDATE SKIP LOCKED);
        WITH inserted AS (
            INSERT INTO restores (id, project_id, checkpoint_item_id, server_id, status, outcome,
                                  fail_reason, finish_at, created_at, updated_at, document)
            SELECT p.id, p.project_id, p.item_id, p.server_id, 'in_progress', p.outcome,
                   p.fail_reason, p.finish_at, p.created_at, p.created_at, p.document
            FROM unnest(plan_generations, ids, project_ids, item_ids, server_ids, outcomes,
                        fail_reasons, finish_ats, created_ats, documents) WITH ORDINALITY
                 AS p(generation, id, project_id, item_id, server_id, outcome, fail_reason,
                      finish_at, created_at, document, position)
            WHERE p.generation = current_generation AND p.document IS NOT NULL
            ORDER BY p.position
            ON CONFLICT DO NOTHING RETURNING id)
        SELECT COALESCE(array_agg(id), '{}') INTO created FROM inserted;
        FOR i IN 1 .. cardinality(ids) LOOP
            CONTINUE WHEN plan_generations[i] <> current_generation;
            IF ids[i] = ANY(created) THEN
                labels[i] := 'created';
            ELSIF EXISTS (SELECT 1 FROM restores WHERE project_id = project_ids[i]
                          AND server_id = server_ids[i] AND status = 'in_progress') THEN
                labels[i] := 'server-restoring';
            ELSIF documents[i] IS NOT NULL OR EXISTS (SELECT 1 FROM restores
                          WHERE checkpoint_item_id = item_ids[i] AND status = 'in_progress') THEN
                labels[i] := 'backup-restoring';
            ELSE
                labels[i] := 'refused';
            END IF;
        END LOOP;
    END IF;
    INSERT INTO journal (request_id, received_at, method, path, query, headers, body,
                         body_encoding, status, duration_ms)
    SELECT j.request_id, j.received_at, j.method, j.path, j.query, j.headers, j.body,
           j.body_encoding, j.status, j.duration_ms
    FROM unnest(journal_generations, request_ids, received_ats, methods, paths, queries,
                headers, bodies, body_encodings, statuses, durations_ms) WITH ORDINALITY
         AS j(generation, request_id, received_at, method, path, query, headers, body,
              body_encoding, status, duration_ms, position)
    WHERE j.generation = current_generation
    ORDER BY j.position;
    IF prune_journal THEN
        DELETE FROM journal WHERE seq <= (SELECT MAX(seq) FROM journal) - journal_keep;
    END IF;
    RETURN labels;
END
$body$
"""
"""A group commit (`transactions.commit`) as one function, so that it costs one round trip
instead of six (BEGIN, the state lock, the settle, two inserts, COMMIT): on a two-core machine
each round trip is two process switches and a driver call, and they were most of what the
PostgreSQL stub spent beyond the SQLite one. It repeats `transactions.commit` statement for
statement (each statement takes its own snapshot, as in the transaction it replaces); the
store suites run both on every change. Labels are `CreateOutcome` values."""

POSTGRESQL: tuple[Migration, ...] = (
    Migration(
        1,
        "tables, seed generation, partial unique indexes of restores in progress",
        (*_tables("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION"), *_COMMON_INDEXES),
    ),
    Migration(2, "group commit in one call (stub_group_commit)", (GROUP_COMMIT_FUNCTION,)),
)
