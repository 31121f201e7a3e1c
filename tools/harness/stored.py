"""The restores a stub has stored, read through its store (not through its API).

The reliability suites and the soak check that every acknowledged restore is stored once and
unchanged; they read the store the stub writes, SQLite file or PostgreSQL database alike, with
the stub's own store code, so no SQL lives outside `server/store/`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from server.settings import DATABASE_FILE_NAME
from server.store import open_store


async def _read(url: str) -> dict[str, dict[str, Any]]:
    store = open_store(url)
    await store.open()
    try:
        stored = await store.all_restores()
    finally:
        await store.close()
    return {
        restore_id: {
            "id": restore_id,
            "project_id": record.document["project_id"],
            "server_id": record.document["parameters"]["targets"]["server_id"],
            "document": record.document,
            "status": record.document["status"],
            "outcome": record.outcome,
            "created_at": record.created_at,
            "finish_at": record.finish_at,
        }
        for restore_id, record in stored.items()
    }


def store_url_of(data_dir: Path) -> str:
    """The store URL of a stub started with `--data-dir data_dir`."""
    return f"sqlite:///{(data_dir / DATABASE_FILE_NAME).resolve()}"


def read_stored_restores(store: Path | str) -> dict[str, dict[str, Any]]:
    """Every stored restore by ID, as of now. `store` is a store URL or a SQLite file.
    Raises if a restore is stored twice."""
    url = store if isinstance(store, str) else f"sqlite:///{store.resolve()}"
    return asyncio.run(_read(url))
