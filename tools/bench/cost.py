"""What one create costs the embedded store: SQL statements and WAL pages, counted, not timed.

The app runs in this process on a fresh data directory with the bench seed; creates are sent
through its ASGI interface in bursts of `concurrency` (as wrk's connections would arrive in one
event-loop turn), then the lifecycle's settle runs once the restores are due. Statements are
counted with sqlite3's documented `set_trace_callback` on the store's own connection; WAL pages
are the frames the log holds afterwards (`PRAGMA wal_checkpoint(PASSIVE)` reports them), with
automatic checkpoints switched off for the measurement so no frame is recycled in between.
Counts do not depend on what else the machine is doing, so they compare across runs and commits.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from server.app import create_app
from server.settings import Settings
from server.store.sqlite import SqliteStore
from tools.bench.loads import RESTORES_PATH, TENANT_TOKEN, create_body, write_bench_seed

RESTORE_SECONDS = 0.25


@dataclass(frozen=True)
class StoreCost:
    creates: int
    concurrency: int
    statements_per_create: float
    """Statements the store ran per create, its later settle and its journal row included."""
    commits_per_create: float
    wal_pages_per_create: float
    page_size: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _send_creates(app: Any, count: int, concurrency: int) -> None:
    transport = httpx.ASGITransport(app=app)
    headers = {"Content-Type": "application/json", "X-Auth-Token": TENANT_TOKEN}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for first in range(0, count, concurrency):
            burst = range(first, min(count, first + concurrency))
            answers = await asyncio.gather(
                *(client.post(RESTORES_PATH, json=create_body(index), headers=headers) for index in burst)
            )
            refused = [answer.status_code for answer in answers if answer.status_code != 200]
            if refused:
                raise RuntimeError(f"creates were refused while measuring: {refused[:5]}")


def measure_store_cost(creates: int = 512, concurrency: int = 32) -> StoreCost:
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as scratch:
        work = Path(scratch)
        seed = write_bench_seed(work / "seed.json", creates + 1)
        app = create_app(Settings(data_dir=work, seed_path=seed, restore_seconds=RESTORE_SECONDS))
        store = app.store
        if not isinstance(store, SqliteStore) or store.connection is None:
            raise RuntimeError("the store cost is measured on the embedded SQLite store")
        connection = store.connection
        try:
            store.stop_checkpoints()
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA wal_autocheckpoint = 0")
            page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
            statements: list[str] = []
            connection.set_trace_callback(statements.append)

            async def run() -> None:
                await _send_creates(app, creates, concurrency)
                await asyncio.sleep(RESTORE_SECONDS + 0.05)
                await store.settle()
                await store.flush_journal()

            asyncio.run(run())
            connection.set_trace_callback(None)
            frames = int(connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
        finally:
            app.close()
    # BEGIN/COMMIT/ROLLBACK frame a transaction; they are counted as commits, not statements.
    framing = [s for s in statements if s.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK")]
    commits = sum(1 for s in framing if s.upper().startswith("COMMIT"))
    return StoreCost(
        creates=creates,
        concurrency=concurrency,
        statements_per_create=round((len(statements) - len(framing)) / creates, 2),
        commits_per_create=round(commits / creates, 3),
        wal_pages_per_create=round(frames / creates, 2),
        page_size=page_size,
    )


if __name__ == "__main__":
    print(measure_store_cost())
