"""The shared store: one PostgreSQL database behind any number of stub replicas and workers.

psycopg 3 (async, with its connection pool) is the driver: the maintained PostgreSQL adapter for
Python, with native asyncio, server-side binding and a pool that replaces broken connections by
itself, which is what "recovers on its own after the database restarts" needs. The statements
are the ones the SQLite store runs (`transactions.py`), with `?` placeholders rewritten; a
group commit is one call of the database function that runs those statements
(`migrations.GROUP_COMMIT_FUNCTION`), one round trip instead of six.

What makes replicas agree lives in the database: partial unique indexes refuse a second restore
of a server (or a backup) in progress; settles skip rows another replica is settling; fault
claims take a transaction-level advisory lock; the seed's generation tells every replica when
to reload tokens and backups. Two batching points keep round trips per request low: checkpoint
reads of one moment share one query, and creates (with journal rows) are group-committed by one
writer per process. Every database call has a deadline (`timeout`); past it, or when the
database cannot be reached, the request is answered 503 (`StoreUnavailable`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, TypeVar, cast

import psycopg
from psycopg.abc import Buffer
from psycopg.rows import dict_row
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown, TextBinaryLoader, TextLoader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from . import migrations, redacted_url
from . import transactions as tx
from .base import Store, TransactionFactory, answer_creates
from .model import Checkpoint, CreateOutcome, CreatePlan, StoreHealth, StoreUnavailable

T = TypeVar("T")
logger = logging.getLogger("server.store")

MIGRATION_LOCK = 5_318_007
RECONNECT_WINDOW_S = 3.0
"""How long the pool retries one lost connection before it gives that slot up. psycopg_pool
doubles the wait between attempts for as long as `reconnect_timeout` allows (1, 2, 4, ... s), so
a long window left the stub answering 503 for about as long again as the outage lasted. A
slot given up is grown anew by the next request (the settle loop makes one every interval),
starting again at a 1 s wait: the stub serves again within seconds of the database's return."""
OPEN_WAIT_S = 10.0
"""How long a starting stub waits for its database (which may be starting too)."""
MAX_BATCH = 1000
DEADLOCK_ATTEMPTS = 2
"""Group commits insert in one order (transactions.commit), so two of them deadlock only when a
create targets another server than its backup's and the orders of servers and backups cross;
PostgreSQL then ends one of them after its `deadlock_timeout`, and it is run once more."""
"""Creates per group commit (11 parameters each, well under PostgreSQL's 65,535)."""


NUL = "\x00"
ESCAPE = "\uffff"
"""PostgreSQL's text cannot hold U+0000, which SQLite's can, and valid UTF-8 bodies, decoded
paths and seed strings may carry it. Text is stored with U+0000 as ESCAPE + "0" and ESCAPE
itself as ESCAPE + "1" (a noncharacter, so almost never doubled), and read back as it was
given: equality holds in SQL, and text without either character is stored unchanged."""
_ESCAPED = re.compile(f"{ESCAPE}(.)", re.DOTALL)


def escape_text(text: str) -> str:
    if NUL not in text and ESCAPE not in text:
        return text
    return text.replace(ESCAPE, ESCAPE + "1").replace(NUL, ESCAPE + "0")


def unescape_text(text: str) -> str:
    if ESCAPE not in text:
        return text
    return _ESCAPED.sub(lambda found: NUL if found.group(1) == "0" else ESCAPE, text)


class _TextDumper(StrDumperUnknown):
    """Strings bound with %s: untyped, as psycopg binds them by default."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(escape_text(obj))


class _TextBinaryDumper(StrBinaryDumper):
    def dump(self, obj: str) -> Buffer | None:
        return super().dump(escape_text(obj))


class _TextLoader(TextLoader):
    def load(self, data: Buffer) -> bytes | str:
        value = super().load(data)
        return unescape_text(value) if isinstance(value, str) else value


class _TextBinaryLoader(TextBinaryLoader):
    def load(self, data: Buffer) -> bytes | str:
        value = super().load(data)
        return unescape_text(value) if isinstance(value, str) else value


async def _configure(connection: psycopg.AsyncConnection[Any]) -> None:
    """Each new connection of the pool stores and reads text through the escape above."""
    adapters = connection.adapters
    # Binary first: the dumper registered last for str is the one %s uses.
    adapters.register_dumper(str, _TextBinaryDumper)
    adapters.register_dumper(str, _TextDumper)
    adapters.register_loader("text", _TextLoader)
    adapters.register_loader("text", _TextBinaryLoader)


def _placeholders(sql: str, binary: bool = False) -> str:
    return sql.replace("?", "%b" if binary else "%s")


class PostgresStore(Store):
    kind = "postgresql"
    dialect = tx.POSTGRESQL

    def __init__(self, url: str, *, journal_keep: int = 1000, timeout: float = 1.5) -> None:
        super().__init__(journal_keep=journal_keep)
        self.url = url
        self.timeout = timeout
        self.pool: AsyncConnectionPool | None = None
        # Queued creates with their deadlines (time.monotonic()).
        self._pending: list[tuple[CreatePlan, asyncio.Future[CreateOutcome], float]] = []
        self._wake = asyncio.Event()
        self._committing = asyncio.Lock()
        """Held by the writer while it commits what it took from the queues."""
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._next_state: asyncio.Future[tuple[int, bool]] | None = None
        self._state_reader: asyncio.Task[None] | None = None

    def _unavailable(self, problem: BaseException) -> StoreUnavailable:
        text = str(problem).replace(self.url, redacted_url(self.url)).strip() or type(problem).__name__
        return StoreUnavailable(text.splitlines()[0][:300])

    # --- connection and schema -----------------------------------------------------------

    def _new_pool(self) -> AsyncConnectionPool:
        self._wake = asyncio.Event()  # bound to the loop that serves the app
        self._committing = asyncio.Lock()
        return AsyncConnectionPool(
            conninfo=self.url,
            min_size=2,
            max_size=8,
            open=False,
            timeout=self.timeout,
            reconnect_timeout=RECONNECT_WINDOW_S,
            configure=_configure,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 2},
        )

    async def attach(self) -> None:
        """Open without waiting for the database: for a worker of a stub that has migrated and
        seeded it already, started while the database is away (uvicorn starts a new worker when
        one dies). Requests get 503 until it is back; then the pool connects by itself."""
        self.pool = self._new_pool()
        await self.pool.open(wait=False)
        self.opened = True
        self._closing = False
        self._writer = asyncio.create_task(self._write_loop())

    async def open(self) -> None:
        self.pool = self._new_pool()
        try:
            await self.pool.open(wait=True, timeout=OPEN_WAIT_S)
            await self._migrate()
        except PoolTimeout:
            # The pool says only that it has no connection yet; one attempt of our own says why.
            await self.pool.close()
            cause = await self._connect_problem()
            raise StoreUnavailable(f"cannot reach the database {redacted_url(self.url)}: {cause}") from None
        except (psycopg.Error, OSError) as problem:
            await self.pool.close()
            raise self._unavailable(problem) from None
        self.opened = True
        self._closing = False
        self._writer = asyncio.create_task(self._write_loop())

    async def _connect_problem(self) -> str:
        try:
            connection = await psycopg.AsyncConnection.connect(self.url, connect_timeout=2)
        except (psycopg.Error, OSError) as problem:
            return str(self._unavailable(problem))
        await connection.close()
        return f"no connection within {OPEN_WAIT_S:g} s"

    async def _migrate(self) -> None:
        assert self.pool is not None
        async with self.pool.connection() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            cursor = await connection.execute(
                "SELECT COALESCE(MAX(version), 0) AS version FROM schema_version"
            )
            row = await cursor.fetchone()
            version = int(cast(dict[str, Any], row)["version"]) if row else 0  # rows are dicts (dict_row)
            for migration in migrations.POSTGRESQL:
                if migration.version > version:
                    for statement in migration.statements:
                        await connection.execute(statement)
                    await connection.execute(
                        "INSERT INTO schema_version (version) VALUES (%s)", (migration.version,)
                    )
                    logger.info(
                        "database migrated to version %d: %s", migration.version, migration.description
                    )

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
            self._writer = None
        if self.pool is not None:
            await self.pool.close()
        self.opened = False

    # --- running transactions ------------------------------------------------------------

    async def _run(
        self,
        transaction: TransactionFactory[T],
        *,
        write: bool,
        timeout: float | None = None,
        atomic: bool = True,
    ) -> T:
        """Run a transaction; `atomic=False` for one of a single statement, which then needs no
        BEGIN and COMMIT (two round trips fewer: the connections are in autocommit).

        Not in psycopg's pipeline mode: it saved three of a group commit's six round trips, but
        while waiting for results it polls the socket for writing as well as reading, which is
        always ready, so it spun: the stub's CPU per create rose by about a tenth (measured in
        process, batches of 16), PostgreSQL's did not fall, and creates per second did not rise."""
        if self.pool is None:
            raise StoreUnavailable("the store is not open")
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
                    try:
                        async with self.pool.connection() as connection:
                            if not atomic:
                                return await self._drive(connection, transaction())
                            async with connection.transaction():
                                return await self._drive(connection, transaction())
                    except psycopg.errors.DeadlockDetected:
                        # PostgreSQL rolled this transaction back whole: running it again is safe.
                        if attempt == DEADLOCK_ATTEMPTS:
                            raise
                        logger.info("a transaction was chosen to end a deadlock; running it again")
                raise AssertionError("unreachable: the last attempt returns or raises")
        except (
            psycopg.OperationalError,
            psycopg.InterfaceError,
            PoolTimeout,
            TimeoutError,
            OSError,
        ) as problem:
            raise self._unavailable(problem) from None

    @staticmethod
    async def _drive(connection: psycopg.AsyncConnection[Any], transaction: tx.Transaction[T]) -> T:
        try:
            query = next(transaction)
            while True:
                query = transaction.send(await _execute(connection, query))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    # --- the hot path --------------------------------------------------------------------

    async def checkpoint(self, *, claim_fault: bool = True) -> Checkpoint:
        generation, faults_pending = await self._read_state()
        snapshot = await self._fresh(generation)
        fault = None
        if faults_pending and claim_fault:
            fault = await self._run(lambda: tx.claim_fault(self.dialect), write=True)
        return Checkpoint(snapshot, fault)

    async def _read_state(self) -> tuple[int, bool]:
        """The state as of a moment after this call began. Callers arriving while a read is
        under way wait for the next one, which then serves all of them at once."""
        if self._next_state is None:
            self._next_state = asyncio.get_running_loop().create_future()
            if self._state_reader is None or self._state_reader.done():
                self._state_reader = asyncio.create_task(self._read_states())
        # A caller that joined while a read was under way waits for that read and the next one:
        # together no longer than one database call may take, so a 503 is not twice as late.
        try:
            async with asyncio.timeout(self.timeout):
                return await asyncio.shield(self._next_state)
        except TimeoutError:
            raise self._late() from None

    def _late(self) -> StoreUnavailable:
        return StoreUnavailable(f"no answer from the database within {self.timeout:g}s")

    async def _read_states(self) -> None:
        while self._next_state is not None:
            waiting, self._next_state = self._next_state, None
            try:
                result = await self._run(lambda: tx.read_state(self.dialect), write=False, atomic=False)
            except Exception as problem:
                _fail(waiting, problem)
                if isinstance(problem, StoreUnavailable) and self._next_state is not None:
                    # Callers that came while this read failed would otherwise wait for it and
                    # then as long again for their own: the database is away for them too.
                    _fail(self._next_state, problem)
                    self._next_state = None
            else:
                waiting.set_result(result)

    async def create(self, plan: CreatePlan) -> CreateOutcome:
        if self._writer is None:
            raise StoreUnavailable("the store is not open")
        future: asyncio.Future[CreateOutcome] = asyncio.get_running_loop().create_future()
        # Answered within one timeout from now, however long earlier commits keep the writer busy.
        self._pending.append((plan, future, time.monotonic() + self.timeout))
        self._wake.set()
        return await future

    async def flush_journal(self) -> None:
        """Write the queued journal entries, after the writer's commit under way: it may hold
        entries taken from the queue, which a read of the journal must see."""
        async with self._committing:
            await super().flush_journal()

    def _journal_queued(self) -> None:
        self._wake.set()

    async def _write_loop(self) -> None:
        """The one writer of this process: commits everything queued since its last commit."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending or self._journal:
                async with self._committing:
                    await self._commit_queued()
            if self._closing:
                return

    async def _commit_queued(self) -> None:
        moment = time.monotonic()
        for _, future, deadline in self._pending:
            if deadline <= moment and not future.done():
                future.set_exception(self._late())
        self._pending = [item for item in self._pending if item[2] > moment and not item[1].done()]
        pending, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        rows, prune = self._take_journal()
        if not pending and not rows:
            return
        plans = [plan for plan, _, _ in pending]
        # The commit must end by the earliest deadline among its creates: past it, it is rolled
        # back, so a create answered 503 is not stored after all.
        budget = min((deadline for _, _, deadline in pending), default=moment + self.timeout) - moment
        now = time.time()
        try:
            outcomes = await self._run(
                lambda: tx.commit(
                    self.dialect, plans, rows, now, journal_keep=self.journal_keep, prune_journal=prune
                ),
                write=True,
                timeout=budget,
                atomic=False,  # one call of stub_group_commit (transactions.commit)
            )
        except Exception as problem:
            if rows and not pending:
                logger.warning("dropped %d journal entries: %s", len(rows), problem)
            answer_creates([future for _, future, _ in pending], problem)
            return
        answer_creates([future for _, future, _ in pending], outcomes)

    async def health(self) -> StoreHealth:
        try:
            await self._run(lambda: tx.read_state(self.dialect), write=False, atomic=False)
        except StoreUnavailable as problem:
            return StoreHealth(kind=self.kind, reachable=False, detail=str(problem))
        return StoreHealth(kind=self.kind, reachable=True)


def _fail(future: asyncio.Future[Any], problem: BaseException) -> None:
    """Fail a shared read. Callers past their deadline have let go of it (asyncio.shield), so
    it is marked seen: asyncio would otherwise log it as never retrieved, with a traceback."""
    future.set_exception(problem)
    future.exception()


async def _execute(connection: psycopg.AsyncConnection[Any], query: tx.Query) -> Any:
    sql = _placeholders(query.sql, query.binary)
    async with connection.cursor() as cursor:
        if query.many:
            await cursor.executemany(sql, query.params)
            return None
        await cursor.execute(sql, query.params or None)
        if query.fetch == "all":
            return await cursor.fetchall()
        if query.fetch == "one":
            return await cursor.fetchone()
        if query.fetch == "rowcount":
            return cursor.rowcount
        return None
