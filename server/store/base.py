"""The store's interface: one class for both databases, the transactions in `transactions.py`.

A driver (`sqlite.py`, `postgres.py`) supplies `_run` (execute one transaction) and the two
batching points of the hot path:
- `checkpoint()`: before a contract request is decided it learns the current seed generation
  (reloading tokens and backups into memory when another worker or replica changed them) and
  claims the fault armed for it, if any;
- `create()`: creates, with the journal rows queued meanwhile, are committed in groups (group
  commit); each caller is answered once the transaction holding its create has committed.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..seeds import Backup, Seed
from . import transactions as tx
from .model import (
    Checkpoint,
    CreateOutcome,
    CreatePlan,
    JournalRow,
    SeedSnapshot,
    StoredFault,
    StoredRestore,
    StoreHealth,
)

T = TypeVar("T")


def answer_creates(
    waiting: Sequence[asyncio.Future[CreateOutcome]], result: Sequence[CreateOutcome] | BaseException
) -> None:
    """Hand each create waiting on a group commit its outcome, or the commit's failure (a
    create whose caller gave up meanwhile is skipped)."""
    for index, future in enumerate(waiting):
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result[index])


TransactionFactory = Callable[[], tx.Transaction[T]]


class Store(abc.ABC):
    kind: str
    dialect: tx.Dialect

    def __init__(self, *, journal_keep: int = 1000) -> None:
        self.journal_keep = journal_keep
        self.snapshot = SeedSnapshot.build(-1, {}, [])
        self._journal: list[JournalRow] = []
        self._journal_written = 0
        self.opened = False

    # --- what drivers provide ------------------------------------------------------------

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema to the current version."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Write what is queued and disconnect."""

    @abc.abstractmethod
    async def _run(self, transaction: TransactionFactory[T], *, write: bool, atomic: bool = True) -> T:
        """Run one transaction (a fresh generator from `transaction`) and return its result;
        `atomic=False` for one of a single statement, which needs no BEGIN and COMMIT."""

    @abc.abstractmethod
    async def checkpoint(self, *, claim_fault: bool = True) -> Checkpoint: ...

    @abc.abstractmethod
    async def create(self, plan: CreatePlan) -> CreateOutcome: ...

    @abc.abstractmethod
    def _journal_queued(self) -> None:
        """A journal row was queued: make sure it is written soon."""

    @abc.abstractmethod
    async def health(self) -> StoreHealth: ...

    # --- shared ---------------------------------------------------------------------------

    def _take_journal(self) -> tuple[list[JournalRow], bool]:
        """The queued journal rows, and whether this write should prune old ones."""
        rows, self._journal = self._journal, []
        before = self._journal_written
        self._journal_written += len(rows)
        prune = before // tx.JOURNAL_PRUNE_EVERY != self._journal_written // tx.JOURNAL_PRUNE_EVERY
        return rows, prune

    def journal(self, row: JournalRow) -> None:
        """Queue a journal row; it is written with the next group of creates (or on its own)."""
        self._journal.append(row)
        self._journal_queued()

    async def flush_journal(self) -> None:
        if not self._journal:
            return
        rows, prune = self._take_journal()
        await self._run(
            lambda: tx.flush_journal(self.dialect, rows, journal_keep=self.journal_keep, prune=prune),
            write=True,
            atomic=not self.dialect.commit_function,  # one call of stub_group_commit
        )

    async def reload(self) -> SeedSnapshot:
        self.snapshot = await self._run(lambda: tx.load_snapshot(self.dialect), write=False)
        return self.snapshot

    async def ensure_seeded(self, seed: Seed) -> bool:
        loaded = await self._run(lambda: tx.ensure_seeded(self.dialect, seed), write=True)
        await self.reload()
        return loaded

    async def replace_seed(self, seed: Seed, *, clear_state: bool) -> None:
        if clear_state:
            self._journal.clear()  # entries of earlier requests go with the rest of the journal
        else:
            await self.flush_journal()
        await self._run(lambda: tx.replace_seed(self.dialect, seed, clear_state=clear_state), write=True)
        await self.reload()

    async def settle(self, now: float | None = None) -> int:
        moment = time.time() if now is None else now
        return await self._run(lambda: tx.settle(self.dialect, moment), write=True)

    async def list_restores(
        self, project_id: str | None, status: str | None, limit: int
    ) -> list[StoredRestore]:
        now = time.time()
        return await self._run(
            lambda: tx.list_restores(self.dialect, project_id, status, limit, now), write=False
        )

    async def get_restore(self, restore_id: str) -> StoredRestore | None:
        now = time.time()
        return await self._run(lambda: tx.get_restore(self.dialect, restore_id, now), write=False)

    async def all_restores(self) -> dict[str, StoredRestore]:
        now = time.time()
        return await self._run(lambda: tx.all_restores(self.dialect, now), write=False)

    async def import_restores(self, restores: list[StoredRestore]) -> None:
        await self._run(lambda: tx.import_restores(self.dialect, restores), write=True)

    async def list_backups(self, project_id: str | None) -> list[Backup]:
        now = time.time()
        return await self._run(lambda: tx.list_backups(self.dialect, project_id, now), write=False)

    async def list_journal(self, limit: int, after_seq: int) -> list[Any]:
        await self.flush_journal()
        return await self._run(lambda: tx.list_journal(self.dialect, limit, after_seq), write=False)

    async def clear_journal(self) -> int:
        await self.flush_journal()
        return await self._run(lambda: tx.clear_journal(self.dialect), write=True)

    async def arm_fault(self, kind: str, count: int, delay_ms: int) -> int:
        now = time.time()
        return await self._run(lambda: tx.arm_fault(self.dialect, kind, count, delay_ms, now), write=True)

    async def pending_faults(self) -> list[StoredFault]:
        return await self._run(lambda: tx.pending_faults(self.dialect), write=False)

    async def clear_faults(self) -> int:
        return await self._run(lambda: tx.clear_faults(self.dialect), write=True)

    async def _fresh(self, generation: int) -> SeedSnapshot:
        if generation != self.snapshot.generation:
            await self.reload()
        return self.snapshot
