"""How a restore moves from `in_progress` to `success` or `fail`.

A restore's outcome and deadline (`finish_at`) are fixed when it is created, so its state at any
moment is a function of the clock: reads report it finished once its deadline has passed
(`server/store/transactions.py: stored_restore`). The store still records the end, so that the
server and the backup are free for the next restore and the file says what happened: every
worker (and replica) runs `run_settler`, whose UPDATE finishes each due restore exactly once.
After a restart, restores whose deadline passed while the stub was down finish at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .store import Store, StoreUnavailable

logger = logging.getLogger("server.lifecycle")


async def run_settler(store: Store, interval: float, stop: asyncio.Event) -> None:
    """Background loop of one worker: record due outcomes every `interval` seconds until stopped."""
    while not stop.is_set():
        try:
            await store.settle()
            await store.flush_journal()
        except StoreUnavailable as problem:  # the database is away: say so, without a traceback
            logger.warning("recording restore outcomes failed (%s); retrying", problem)
        except Exception:  # nor must anything else end the loop
            logger.warning("recording restore outcomes failed; retrying", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
