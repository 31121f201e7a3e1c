"""The embedded store: one SQLite file (WAL mode) shared by the workers of one host, or memory.

Transactions run synchronously on the event loop's thread: SQLite answers in microseconds, so a
thread hop would cost more than it saves. Writes take `BEGIN IMMEDIATE`; the workers of one
host also take turns through a lock file beside the database (`stub.sqlite3.write-lock`), which
wakes a waiting worker the moment the other commits instead of letting it sleep in SQLite's
busy handler. Creates and journal rows of one event-loop turn share one transaction.

Copying the WAL back into the database file (a checkpoint) runs on a thread of each worker
(`WalCheckpointer`), not inside a commit: SQLite's automatic checkpoint would run in the commit
that crossed its threshold, on the event loop and under the write lock, and wait there for the
file's fsync, stalling both workers' requests (a create's COMMIT took 92 µs of wall time with
it, 36 µs without, in the store alone). The thread's PASSIVE checkpoints never block a reader
or a writer; SQLite's own automatic checkpoint stays on at a far higher threshold as a backstop.

Every contract request needs the seed generation and whether a fault is armed. Those change
rarely (a new seed, a fault armed or used up), so each worker keeps them in memory and rereads
them only when the state signal says another transaction changed them: a counter in a small
memory-mapped file beside the database (`stub.sqlite3.state-signal`), raised under the write
lock after each such commit. Reading it costs a memory load instead of a query. Written here
because SQLite has no change notification across processes (`PRAGMA data_version` changes on
every commit, and creates commit all the time).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import mmap
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, TypeVar

from ..seeds import Seed
from . import migrations
from . import transactions as tx
from .base import Store, TransactionFactory, answer_creates
from .model import Checkpoint, CreateOutcome, CreatePlan, StoreHealth

T = TypeVar("T")
logger = logging.getLogger("server.store")
BUSY_TIMEOUT_MS = 10_000
STATE_MAX_AGE_S = 1.0
"""A cached state older than this is reread even without a signal (a worker killed between its
commit and raising the signal must not leave the others on a stale state for long)."""
_COUNTER = struct.Struct("<Q")
CHECKPOINT_INTERVAL_S = 1.0
"""How often the checkpoint thread copies the WAL back: at the bench's rate of about 3000 WAL
pages a second, some 3000 pages (12 MiB) a time. A page rewritten within that window is copied
once; every 0.25 s, the commits' CPU per create was no lower than with SQLite's own checkpoint
every 1000 pages (one worker, side by side), every second it was 0.85-0.92x in three rounds of
four."""
BACKSTOP_AUTOCHECKPOINT_PAGES = 16_000
"""SQLite's automatic checkpoint (64 MiB of WAL) in case the thread falls behind."""


class WalCheckpointer:
    """A thread with its own connection running `PRAGMA wal_checkpoint(PASSIVE)` every
    `interval` seconds. CPython's sqlite3 releases the GIL while SQLite works, so the event loop
    keeps serving meanwhile; a checkpoint that finds another one running (the other worker's)
    simply returns."""

    def __init__(self, path: Path, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        """Checkpoints run so far (a test reads it)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as problem:
            logger.warning("no WAL checkpoint thread (commits checkpoint instead): %s", problem)
            return
        try:
            connection.execute("PRAGMA synchronous = NORMAL")
            failing = False
            while not self._stop.wait(self.interval):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as problem:
                    if not failing:  # once per spell of failures, not every interval
                        logger.warning("WAL checkpoint failed (commits checkpoint instead): %s", problem)
                    failing = True
                    continue
                failing = False
                self.checkpoints += 1
        finally:
            connection.close()


class StateSignal:
    """The counter shared by the workers of one database file (process-local when in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.local = 0
        self.mapped: mmap.mmap | None = None
        if path is not None:
            with open(path, "a+b") as file:
                if file.seek(0, 2) < _COUNTER.size:
                    file.write(bytes(_COUNTER.size))
                    file.flush()
                self.mapped = mmap.mmap(file.fileno(), _COUNTER.size)

    def read(self) -> int:
        if self.mapped is None:
            return self.local
        return int(_COUNTER.unpack_from(self.mapped, 0)[0])

    def raise_(self) -> None:
        """Called with the write lock held, so two workers never raise it at once."""
        if self.mapped is None:
            self.local += 1
        else:
            _COUNTER.pack_into(self.mapped, 0, (self.read() + 1) % 2**64)

    def close(self) -> None:
        if self.mapped is not None:
            self.mapped.close()
            self.mapped = None


class SqliteStore(Store):
    kind = "sqlite"
    dialect = tx.SQLITE

    def __init__(self, path: Path | None, *, journal_keep: int = 1000) -> None:
        super().__init__(journal_keep=journal_keep)
        self.path = path
        self.connection: sqlite3.Connection | None = None
        self._lock_file: IO[bytes] | None = None
        self._pending: list[tuple[CreatePlan, asyncio.Future[CreateOutcome]]] = []
        self._flush_scheduled = False
        self._lock_waiter: threading.Thread | None = None
        self._signal: StateSignal | None = None
        self._state: tuple[int, bool] | None = None
        self._state_signal = -1
        self._state_read_at = 0.0
        self.checkpointer: WalCheckpointer | None = None

    # --- connection and schema -----------------------------------------------------------

    async def open(self) -> None:
        self.open_now()

    def open_now(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.path.with_name(self.path.name + ".write-lock"), "ab")  # noqa: SIM115
        self._signal = StateSignal(
            None if self.path is None else self.path.with_name(self.path.name + ".state-signal")
        )
        connection = sqlite3.connect(
            ":memory:" if self.path is None else str(self.path),
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.path is not None:
            connection.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode keeps every commit across a crash or kill of the process;
            # only a power loss can drop the last commits. FULL would fsync on every commit.
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_AUTOCHECKPOINT_PAGES}")
        self.connection = connection
        with self._write_lock():
            self._migrate(connection)
        if self.path is not None and self.checkpointer is None:
            self.checkpointer = WalCheckpointer(self.path)
            self.checkpointer.start()
        self.opened = True

    def stop_checkpoints(self) -> None:
        """Stop the checkpoint thread (the bench counts WAL pages with no checkpoint between)."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None

    def _migrate(self, connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if (
                version == 0
                and connection.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'restores'"
                ).fetchone()
            ):
                # A data directory from before versioned migrations.
                for statement in migrations.SQLITE_UNVERSIONED:
                    connection.execute(statement)
                version = 1
            for migration in migrations.SQLITE:
                if migration.version > version:
                    for statement in migration.statements:
                        connection.execute(statement)
                    version = migration.version
            connection.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def prepare_now(self, seed: Seed) -> bool:
        """Open, load `seed` unless it is loaded already (True when it loaded it), and finish the
        restores that came due while no stub ran, all synchronously (the app factory runs where
        an event loop may already be running)."""
        self.open_now()
        loaded = self.run_now(lambda: tx.ensure_seeded(self.dialect, seed), write=True)
        self.snapshot = self.run_now(lambda: tx.load_snapshot(self.dialect), write=False)
        now = time.time()
        self.run_now(lambda: tx.settle(self.dialect, now), write=True)
        return loaded

    async def close(self) -> None:
        self.close_now()

    def close_now(self) -> None:
        if self.connection is None:
            return
        self._flush()
        self.stop_checkpoints()
        self.connection.close()
        self.connection = None
        if self._signal is not None:
            self._signal.close()
            self._signal = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    @contextmanager
    def _write_lock(self, *, held: bool = False) -> Iterator[None]:
        """The shared file lock for one write; `held`: the caller has taken it already."""
        if self._lock_file is None:
            yield
            return
        if not held:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def _take_write_lock_now(self) -> bool:
        """Take the shared file lock if no other worker holds it (True), without waiting. A
        success means this process holds it until the write that follows releases it: nothing
        else runs on the event loop in between."""
        if self._lock_file is None:
            return True
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _commit_when_lock_is_free(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait for the other worker's write on a thread, then commit everything queued by then.

        A blocking flock on the event loop stalled every request of this worker for as long as
        the other worker held the lock, which is far longer than its commit when the scheduler
        takes its CPU away meanwhile: `perf trace` showed waits of 5-57 ms several times a
        second under the creates load. The thread only waits; the commit still runs on the loop
        (which checks the lock again first: a write of this process may have released it)."""
        if self._lock_waiter is not None:
            return  # one thread waits for this process; the commit takes every create queued by then
        lock_file = self._lock_file
        assert lock_file is not None

        def wait() -> None:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
            except (OSError, ValueError):  # the store was closed meanwhile: close() commits
                return
            finally:
                with suppress(RuntimeError):  # the loop has ended
                    loop.call_soon_threadsafe(self._lock_granted)

        self._lock_waiter = threading.Thread(target=wait, name="csbs-write-lock", daemon=True)
        self._lock_waiter.start()

    def _lock_granted(self) -> None:
        self._lock_waiter = None
        if self.connection is None:
            return
        if self._pending or self._journal:
            self._flush(defer=True)
        elif self._lock_file is not None:  # a close or another write took them meanwhile
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    # --- running transactions ------------------------------------------------------------

    async def _run(self, transaction: TransactionFactory[T], *, write: bool, atomic: bool = True) -> T:
        return self.run_now(transaction, write=write, atomic=atomic)

    def run_now(
        self,
        transaction: TransactionFactory[T],
        *,
        write: bool,
        atomic: bool = True,
        keeps_state: bool = False,
        lock_held: bool = False,
    ) -> T:
        """Run a transaction synchronously (writes under the write lock, in BEGIN IMMEDIATE).

        A write raises the state signal after its commit unless the caller knows it leaves the
        seed generation and the faults alone (`keeps_state`); `lock_held`: the caller took the
        write lock (`_take_write_lock_now`), and the write releases it."""
        connection = self.connection
        if connection is None:
            raise RuntimeError("the store is not open")
        if not atomic:
            return self._drive(connection, transaction())
        with self._write_lock(held=lock_held) if write else _no_lock():
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = self._drive(connection, transaction())
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            if write and not keeps_state and self._signal is not None:
                self._signal.raise_()
        return result

    @staticmethod
    def _drive(connection: sqlite3.Connection, transaction: tx.Transaction[T]) -> T:
        try:
            query = next(transaction)
            while True:
                query = transaction.send(_execute(connection, query))
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]

    # --- the hot path --------------------------------------------------------------------

    def _read_state(self) -> tuple[int, bool]:
        signal = self._signal.read() if self._signal is not None else -2
        now = time.monotonic()
        if self._state is None or signal != self._state_signal or now - self._state_read_at > STATE_MAX_AGE_S:
            # The signal is read before the state: a change committed meanwhile raises it again.
            self._state = self.run_now(lambda: tx.read_state(self.dialect), write=False, atomic=False)
            self._state_signal, self._state_read_at = signal, now
        return self._state

    async def checkpoint(self, *, claim_fault: bool = True) -> Checkpoint:
        generation, faults_pending = self._read_state()
        if generation != self.snapshot.generation:
            self.snapshot = self.run_now(lambda: tx.load_snapshot(self.dialect), write=False)
        fault = None
        if faults_pending and claim_fault:
            fault = self.run_now(lambda: tx.claim_fault(self.dialect), write=True)
        return Checkpoint(self.snapshot, fault)

    async def create(self, plan: CreatePlan) -> CreateOutcome:
        future: asyncio.Future[CreateOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append((plan, future))
        self._schedule_flush()
        return await future

    def _journal_queued(self) -> None:
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()  # no event loop (a script or a test): write at once
            return
        self._flush_scheduled = True
        loop.call_soon(self._flush, True)

    def _flush(self, defer: bool = False) -> None:
        """One transaction for the creates and journal rows queued during this loop turn.

        With `defer` (on the event loop), a lock held by another worker is waited for on a
        thread while this worker serves on; the creates queued meanwhile join this commit."""
        self._flush_scheduled = False
        if self.connection is None or (not self._pending and not self._journal):
            return
        lock_held = False
        if defer:
            if self._lock_waiter is not None:
                return  # the waiting thread's commit will take these too
            lock_held = self._take_write_lock_now()
            if not lock_held:
                self._commit_when_lock_is_free(asyncio.get_running_loop())
                return
        pending, self._pending = self._pending, []
        rows, prune = self._take_journal()
        plans = [plan for plan, _ in pending]
        now = time.time()
        try:
            outcomes = self.run_now(
                lambda: tx.commit(
                    self.dialect, plans, rows, now, journal_keep=self.journal_keep, prune_journal=prune
                ),
                write=True,
                keeps_state=True,
                lock_held=lock_held,
            )
        except Exception as problem:
            if not pending:  # journal rows only: they must never break the stub
                logger.exception("could not write %d journal entries", len(rows))
            answer_creates([future for _, future in pending], problem)
            return
        answer_creates([future for _, future in pending], outcomes)

    async def settle(self, now: float | None = None) -> int:
        moment = time.time() if now is None else now
        return self.run_now(lambda: tx.settle(self.dialect, moment), write=True, keeps_state=True)

    async def health(self) -> StoreHealth:
        return StoreHealth(kind=self.kind, reachable=self.connection is not None)


def _execute(connection: sqlite3.Connection, query: tx.Query) -> Any:
    if query.many:
        connection.executemany(query.sql, query.params)
        return None
    cursor = connection.execute(query.sql, query.params)
    if query.fetch == "all":
        return cursor.fetchall()
    if query.fetch == "one":
        return cursor.fetchone()
    if query.fetch == "rowcount":
        return cursor.rowcount
    return None


@contextmanager
def _no_lock() -> Iterator[None]:
    yield
