"""Every transaction of the store, written once for both databases.

Each function is a generator that yields the `Query` objects it needs and receives their
results: it holds the logic (which statements, in which order, what the results mean) but does
no I/O. `server/store/sqlite.py` runs them synchronously on sqlite3, `server/store/postgres.py`
awaits them on psycopg; statements use `?` placeholders, which the PostgreSQL driver rewrites.
This sans-I/O split keeps the two stores from drifting apart: a rule changes in one place.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

from .. import jsonbytes
from ..seeds import Backup, Seed, VolumeBackup
from .model import (
    IN_PROGRESS,
    CreateOutcome,
    CreatePlan,
    Fault,
    JournalRow,
    SeedSnapshot,
    StoredFault,
    StoredRestore,
    finished_document,
)

T = TypeVar("T")
Fetch = Literal["all", "one", "none", "rowcount"]
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Query:
    sql: str
    params: Sequence[Any] = ()
    fetch: Fetch = "none"
    many: bool = False
    """`params` is a list of parameter tuples, one execution each (no results)."""
    binary: bool = False
    """Send the parameters in PostgreSQL's binary format: arrays of strings then need no
    escaping of every element (SQLite binds values natively and ignores it)."""


@dataclass(frozen=True)
class Dialect:
    """What differs between the two databases, as far as the transactions care."""

    name: str
    row_locks: bool
    """PostgreSQL takes row locks (FOR SHARE / FOR UPDATE / SKIP LOCKED); SQLite has one writer."""
    column_arrays: bool
    """Rows are bound as one array per column (`unnest`): PostgreSQL then gets one statement of
    the same text for any number of rows, which the driver parses once and prepares, instead of
    a new text per batch size (or one execution per row)."""
    byte_order: str
    """What makes text sort by its code points, as SQLite's BINARY collation does: PostgreSQL
    sorts by the database's locale unless told `COLLATE "C"`, so backup lists would otherwise
    come out in another order on another server."""

    commit_function: bool = False
    """A group commit is one call of the database's `stub_group_commit` (`migrations.py`)
    instead of its statements one by one: one round trip to a server across a socket."""

    def by_bytes(self, *columns: str) -> str:
        return ", ".join(f"{column}{self.byte_order}" for column in columns)


SQLITE = Dialect("sqlite", row_locks=False, column_arrays=False, byte_order="")
POSTGRESQL = Dialect(
    "postgresql", row_locks=True, column_arrays=True, byte_order=' COLLATE "C"', commit_function=True
)

Transaction = Generator[Query, Any, T]

JOURNAL_PRUNE_EVERY = 64
_RESTORE_COLUMNS = (
    "id, project_id, checkpoint_item_id, server_id, status, outcome, fail_reason,"
    " finish_at, created_at, updated_at, document"
)
_RESTORE_TYPES = ("text",) * 7 + ("float8",) * 3 + ("text",)
_JOURNAL_COLUMNS = (
    "request_id, received_at, method, path, query, headers, body, body_encoding, status, duration_ms"
)
_JOURNAL_TYPES = ("text", "float8", "text", "text", "text", "text", "text", "text", "int4", "float8")


def _from_arrays(types: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list[list[Any]]]:
    """`SELECT * FROM unnest(...)` over one array parameter per column, and those arrays: the
    rows in their order, as a multi-row VALUES would give them."""
    arrays = ", ".join(f"?::{kind}[]" for kind in types)
    return f"SELECT * FROM unnest({arrays})", [list(column) for column in zip(*rows, strict=True)]


# --- seed ---------------------------------------------------------------------------------------


def read_state(dialect: Dialect) -> Transaction[tuple[int, bool]]:
    """(seed generation, whether any fault is armed): the one read every contract request makes."""
    row = yield Query(
        "SELECT generation, EXISTS (SELECT 1 FROM faults WHERE remaining > 0) AS faults_pending"
        " FROM stub_state WHERE id = 1",
        fetch="one",
    )
    return int(row["generation"]), bool(row["faults_pending"])


def load_snapshot(dialect: Dialect) -> Transaction[SeedSnapshot]:
    state = yield Query("SELECT generation FROM stub_state WHERE id = 1", fetch="one")
    tokens = yield Query("SELECT token, role, project_id FROM tokens", fetch="all")
    backups = yield Query(f"SELECT * FROM backups ORDER BY {dialect.by_bytes('id')}", fetch="all")
    return SeedSnapshot.build(
        int(state["generation"]),
        {row["token"]: (row["role"], row["project_id"]) for row in tokens},
        [backup_of(row) for row in backups],
    )


def backup_of(row: Row) -> Backup:
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


def _lock_state(dialect: Dialect, mode: Literal["share", "update"]) -> str:
    lock = {"share": " FOR SHARE", "update": " FOR UPDATE"}[mode] if dialect.row_locks else ""
    return f"SELECT generation, seed_digest FROM stub_state WHERE id = 1{lock}"


def ensure_seeded(dialect: Dialect, seed: Seed) -> Transaction[bool]:
    """Load `seed` unless the database holds exactly this seed already; True when it loaded it.
    Restores are kept, so a restart on the same data resumes them."""
    state = yield Query(_lock_state(dialect, "update"), fetch="one")
    if state["seed_digest"] == seed.digest:
        return False
    yield from _replace_seed(seed, clear_state=False)
    return True


def replace_seed(dialect: Dialect, seed: Seed, *, clear_state: bool) -> Transaction[int]:
    """Replace tokens and backups (and with `clear_state` drop restores, journal and faults);
    returns the new generation, which tells every worker and replica to reload."""
    yield Query(_lock_state(dialect, "update"), fetch="one")
    return (yield from _replace_seed(seed, clear_state=clear_state))


def _replace_seed(seed: Seed, *, clear_state: bool) -> Transaction[int]:
    yield Query("DELETE FROM tokens")
    yield Query("DELETE FROM projects")
    yield Query("DELETE FROM backups")
    if clear_state:
        yield Query("DELETE FROM restores")
        yield Query("DELETE FROM journal")
        yield Query("DELETE FROM faults")
    tokens: list[tuple[str, str | None, str]] = [(token, None, "admin") for token in seed.admin_tokens]
    tokens += [(token, project, "tenant") for token, project in seed.tenant_tokens.items()]
    if tokens:
        yield Query("INSERT INTO tokens (token, project_id, role) VALUES (?, ?, ?)", tokens, many=True)
    if seed.projects:
        yield Query("INSERT INTO projects (project_id) VALUES (?)", [(p,) for p in seed.projects], many=True)
    if seed.backups:
        yield Query(
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
            many=True,
        )
    state = yield Query(
        "UPDATE stub_state SET generation = generation + 1, seed_digest = ? WHERE id = 1"
        " RETURNING generation",
        (seed.digest,),
        fetch="one",
    )
    return int(state["generation"])


# --- creates and their lifecycle ----------------------------------------------------------------


def _settle_due(dialect: Dialect, now: float) -> Query:
    """Finish every restore whose deadline has passed: its status becomes its outcome. Each row
    is finished once; with replicas, rows another one is settling are skipped, not waited for."""
    if dialect.row_locks:
        return Query(
            "UPDATE restores SET status = outcome, updated_at = ? WHERE seq IN (SELECT seq FROM restores"
            " WHERE status = 'in_progress' AND finish_at <= ? FOR UPDATE SKIP LOCKED)",
            (now, now),
            fetch="rowcount",
        )
    return Query(
        "UPDATE restores SET status = outcome, updated_at = ?"
        " WHERE status = 'in_progress' AND finish_at <= ?",
        (now, now),
        fetch="rowcount",
    )


def settle(dialect: Dialect, now: float) -> Transaction[int]:
    return int((yield _settle_due(dialect, now)))


def _insert_order(plan: CreatePlan) -> tuple[str, str, str]:
    """The one order every writer inserts its restores in (see `commit`)."""
    return plan.project_id, plan.server_id, plan.checkpoint_item_id


def _in_progress(condition: str, params: tuple[Any, ...]) -> Query:
    return Query(
        f"SELECT 1 AS found FROM restores WHERE {condition} AND status = 'in_progress'", params, fetch="one"
    )


def commit(
    dialect: Dialect,
    plans: Sequence[CreatePlan],
    journal: Sequence[JournalRow],
    now: float,
    *,
    journal_keep: int,
    prune_journal: bool,
) -> Transaction[list[CreateOutcome]]:
    """One write transaction for every create and journal row queued since the last one (group
    commit): answers are sent only after it commits, so every acknowledged restore is stored."""
    if dialect.commit_function:
        return (yield from _commit_in_one_call(plans, journal, now, journal_keep, prune_journal))
    state = yield Query(_lock_state(dialect, "share"), fetch="one")
    generation = int(state["generation"])
    outcomes = [CreateOutcome.STALE] * len(plans)
    current = [index for index, plan in enumerate(plans) if plan.generation == generation]
    if current:
        # Restores that came due no longer block their server or backup.
        yield _settle_due(dialect, now)
    # In one order for every writer: a row waits for another transaction's uncommitted entry of
    # its server (or backup) in the unique indexes, and two commits inserting the same servers
    # in opposite orders would each wait for the other (PostgreSQL aborts one as a deadlock).
    inserting = sorted(
        (index for index in current if plans[index].document is not None),
        key=lambda index: _insert_order(plans[index]),
    )
    if inserting:
        restores = [_restore_values(plans[index]) for index in inserting]
        if dialect.column_arrays:
            source, params = _from_arrays(_RESTORE_TYPES, restores)
        else:
            source = "VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(inserting))
            params = [value for row in restores for value in row]
        rows = yield Query(
            f"INSERT INTO restores ({_RESTORE_COLUMNS}) {source} ON CONFLICT DO NOTHING RETURNING id",
            params,
            fetch="all",
            binary=dialect.column_arrays,
        )
        created = {row["id"] for row in rows}
        for index in inserting:
            document = plans[index].document
            assert document is not None
            if document["id"] in created:
                outcomes[index] = CreateOutcome.CREATED
    for index in current:
        if outcomes[index] is CreateOutcome.CREATED:
            continue
        plan = plans[index]
        # The server's restore comes first (CSBS.6015), then the backup's (CSBS.4000 restoring),
        # then whatever the snapshot refused.
        server = yield _in_progress("project_id = ? AND server_id = ?", (plan.project_id, plan.server_id))
        if server is not None:
            outcomes[index] = CreateOutcome.SERVER_RESTORING
            continue
        item = yield _in_progress("checkpoint_item_id = ?", (plan.checkpoint_item_id,))
        if item is not None or plan.document is not None:
            outcomes[index] = CreateOutcome.BACKUP_RESTORING
        else:
            outcomes[index] = CreateOutcome.REFUSED
    yield from _write_journal(dialect, journal, generation, journal_keep=journal_keep, prune=prune_journal)
    return outcomes


_GROUP_COMMIT_TYPES = (
    # Each plan: its seed generation, then the restore's columns without status and updated_at.
    ("int8",)
    + ("text",) * 6
    + ("float8",) * 2
    + ("text",)
    # Each journal row: its seed generation, then the journal's columns.
    + ("int8", *_JOURNAL_TYPES)
)


def _commit_in_one_call(
    plans: Sequence[CreatePlan],
    journal: Sequence[JournalRow],
    now: float,
    journal_keep: int,
    prune_journal: bool,
) -> Transaction[list[CreateOutcome]]:
    """`commit` as one call of `stub_group_commit`, which runs the same statements in the same
    order inside the database: plans sorted by (project, server, backup), one array per column."""
    order = sorted(
        range(len(plans)),
        key=lambda index: _insert_order(plans[index]),
    )
    columns: list[list[Any]] = [[] for _ in range(10)]
    for index in order:
        plan = plans[index]
        document = plan.document
        values = (
            plan.generation,
            None if document is None else document["id"],
            plan.project_id,
            plan.checkpoint_item_id,
            plan.server_id,
            plan.outcome,
            plan.fail_reason,
            plan.finish_at,
            plan.created_at,
            None if document is None else plan.document_json or jsonbytes.dumps_text(document),
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    rows = [(r.generation, *_journal_values(r)) for r in journal]
    columns += [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(11)]
    arrays = ", ".join(f"?::{kind}[]" for kind in _GROUP_COMMIT_TYPES)
    row = yield Query(
        f"SELECT stub_group_commit({arrays}, ?::float8, ?::int4, ?::bool) AS labels",
        [*columns, now, journal_keep, prune_journal],
        fetch="one",
        binary=True,
    )
    outcomes = [CreateOutcome.STALE] * len(plans)
    for index, label in zip(order, row["labels"], strict=True):
        outcomes[index] = CreateOutcome(label)
    return outcomes


def _restore_values(plan: CreatePlan) -> tuple[Any, ...]:
    document = plan.document
    assert document is not None
    return (
        document["id"],
        plan.project_id,
        plan.checkpoint_item_id,
        plan.server_id,
        IN_PROGRESS,
        plan.outcome,
        plan.fail_reason,
        plan.finish_at,
        plan.created_at,
        plan.created_at,
        plan.document_json or jsonbytes.dumps_text(document),
    )


def _journal_values(row: JournalRow) -> tuple[Any, ...]:
    """A journal row's values in the order of `_JOURNAL_COLUMNS`."""
    return (
        row.request_id,
        row.received_at,
        row.method,
        row.path,
        row.query,
        jsonbytes.dumps_text(row.headers),
        row.body,
        row.body_encoding,
        row.status,
        row.duration_ms,
    )


def _write_journal(
    dialect: Dialect, journal: Sequence[JournalRow], generation: int, *, journal_keep: int, prune: bool
) -> Transaction[None]:
    # Rows of requests served before a seed load or reset belong to the journal it cleared.
    rows = [_journal_values(r) for r in journal if r.generation == generation]
    if rows and dialect.column_arrays:
        source, params = _from_arrays(_JOURNAL_TYPES, rows)
        yield Query(f"INSERT INTO journal ({_JOURNAL_COLUMNS}) {source}", params, binary=True)
    elif rows:
        yield Query(
            f"INSERT INTO journal ({_JOURNAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows, many=True
        )
    if prune:
        yield Query("DELETE FROM journal WHERE seq <= (SELECT MAX(seq) FROM journal) - ?", (journal_keep,))


# --- reads of the stub-control API --------------------------------------------------------------


def stored_restore(row: Row, now: float) -> StoredRestore:
    """A row as the stub-control API reports it: finished once its deadline has passed, whether
    or not a settle has run since (the state is a function of the clock)."""
    document = json.loads(row["document"])
    finished = row["status"] != IN_PROGRESS or row["finish_at"] <= now
    if finished:
        document = finished_document(document, row["outcome"], row["fail_reason"])
    # Due but not settled yet: it ended at its deadline.
    updated_at = row["finish_at"] if row["status"] == IN_PROGRESS and finished else row["updated_at"]
    return StoredRestore(
        document=document,
        outcome=row["outcome"],
        created_at=row["created_at"],
        updated_at=updated_at,
        finish_at=row["finish_at"],
    )


def list_restores(
    dialect: Dialect, project_id: str | None, status: str | None, limit: int, now: float
) -> Transaction[list[StoredRestore]]:
    clauses: list[str] = []
    params: list[Any] = []
    if project_id is not None:
        clauses.append("project_id = ?")
        params.append(project_id)
    if status == IN_PROGRESS:
        clauses.append("status = 'in_progress' AND finish_at > ?")
        params.append(now)
    elif status is not None:
        clauses.append("(status = ? OR (status = 'in_progress' AND finish_at <= ? AND outcome = ?))")
        params += [status, now, status]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = yield Query(
        f"SELECT {_RESTORE_COLUMNS} FROM restores{where} ORDER BY seq LIMIT ?", (*params, limit), fetch="all"
    )
    return [stored_restore(row, now) for row in rows]


def get_restore(dialect: Dialect, restore_id: str, now: float) -> Transaction[StoredRestore | None]:
    row = yield Query(f"SELECT {_RESTORE_COLUMNS} FROM restores WHERE id = ?", (restore_id,), fetch="one")
    return None if row is None else stored_restore(row, now)


def all_restores(dialect: Dialect, now: float) -> Transaction[dict[str, StoredRestore]]:
    """Every stored restore by id (for the reliability suites, which check nothing was lost)."""
    rows = yield Query(f"SELECT {_RESTORE_COLUMNS} FROM restores ORDER BY seq", fetch="all")
    found: dict[str, StoredRestore] = {}
    for row in rows:
        if row["id"] in found:
            raise AssertionError(f"restore {row['id']} is stored twice")
        found[row["id"]] = stored_restore(row, now)
    return found


def import_restores(dialect: Dialect, restores: Sequence[StoredRestore]) -> Transaction[None]:
    """Store restores that have already ended, as a long-running stub holds them (the benchmark
    of cost with growth fills a store this way)."""
    yield Query(
        f"INSERT INTO restores ({_RESTORE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.document["id"],
                r.document["project_id"],
                r.document["parameters"]["checkpoint_item_id"],
                r.document["parameters"]["targets"]["server_id"],
                r.outcome,
                r.outcome,
                "",
                r.finish_at,
                r.created_at,
                r.updated_at,
                jsonbytes.dumps_text(r.document),
            )
            for r in restores
        ],
        many=True,
    )


def list_backups(dialect: Dialect, project_id: str | None, now: float) -> Transaction[list[Backup]]:
    """The backups with their status as of now: `restoring` while a restore reads from one."""
    where, params = ("WHERE b.project_id = ?", (project_id,)) if project_id else ("", ())
    order = dialect.by_bytes(*(["b.name", "b.id"] if project_id else ["b.project_id", "b.name", "b.id"]))
    rows = yield Query(
        "SELECT b.id, b.project_id, b.checkpoint_id, b.resource_id, b.resource_type, b.name,"
        " b.restore_outcome, b.fail_reason, b.volume_backups,"
        " CASE WHEN EXISTS (SELECT 1 FROM restores r WHERE r.checkpoint_item_id = b.id"
        " AND r.status = 'in_progress' AND r.finish_at > ?) THEN 'restoring' ELSE b.status END AS status"
        f" FROM backups b {where} ORDER BY {order}",
        (now, *params),
        fetch="all",
    )
    return [backup_of(row) for row in rows]


# --- journal ------------------------------------------------------------------------------------


def flush_journal(
    dialect: Dialect, journal: Sequence[JournalRow], *, journal_keep: int, prune: bool
) -> Transaction[None]:
    if dialect.commit_function:
        yield from _commit_in_one_call((), journal, 0.0, journal_keep, prune)
        return
    state = yield Query(_lock_state(dialect, "share"), fetch="one")
    yield from _write_journal(
        dialect, journal, int(state["generation"]), journal_keep=journal_keep, prune=prune
    )


def list_journal(dialect: Dialect, limit: int, after_seq: int) -> Transaction[list[Row]]:
    # The newest `limit` entries after `after_seq`, oldest first.
    rows = yield Query(
        "SELECT * FROM (SELECT * FROM journal WHERE seq > ? ORDER BY seq DESC LIMIT ?) AS newest"
        " ORDER BY seq",
        (after_seq, limit),
        fetch="all",
    )
    return list(rows)


def clear_journal(dialect: Dialect) -> Transaction[int]:
    return int((yield Query("DELETE FROM journal", fetch="rowcount")))


# --- faults -------------------------------------------------------------------------------------


def arm_fault(dialect: Dialect, kind: str, count: int, delay_ms: int, now: float) -> Transaction[int]:
    row = yield Query(
        "INSERT INTO faults (kind, delay_ms, remaining, armed_at) VALUES (?, ?, ?, ?) RETURNING seq",
        (kind, delay_ms, count, now),
        fetch="one",
    )
    return int(row["seq"])


def claim_fault(dialect: Dialect) -> Transaction[Fault | None]:
    """Take one armed fault for the current request, exactly once across workers and replicas:
    claims are serialised (SQLite: its single writer; PostgreSQL: a transaction-level lock)."""
    if dialect.row_locks:
        yield Query("SELECT pg_advisory_xact_lock(?)", (FAULT_CLAIM_LOCK,), fetch="one")
    row = yield Query(
        "SELECT seq, kind, delay_ms FROM faults WHERE remaining > 0 ORDER BY seq LIMIT 1", fetch="one"
    )
    if row is None:
        return None
    yield Query("UPDATE faults SET remaining = remaining - 1 WHERE seq = ?", (row["seq"],))
    return Fault(kind=str(row["kind"]), delay_ms=int(row["delay_ms"]))


FAULT_CLAIM_LOCK = 5_318_008
"""Advisory lock key that serialises fault claims on PostgreSQL."""


def pending_faults(dialect: Dialect) -> Transaction[list[StoredFault]]:
    rows = yield Query(
        "SELECT seq, kind, remaining, delay_ms FROM faults WHERE remaining > 0 ORDER BY seq", fetch="all"
    )
    return [StoredFault(int(r["seq"]), str(r["kind"]), int(r["remaining"]), int(r["delay_ms"])) for r in rows]


def clear_faults(dialect: Dialect) -> Transaction[int]:
    return int((yield Query("DELETE FROM faults WHERE remaining > 0", fetch="rowcount")))
