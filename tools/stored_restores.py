"""The restores a stub has stored, read straight from its SQLite file (not through its API)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def read_stored_restores(database: Path) -> dict[str, dict[str, Any]]:
    """Every stored restore by ID, read from the stub's SQLite file in read-only mode.

    Needs the server running (or cleanly stopped): after a crash, SQLite's WAL recovery needs
    write access, which a read-only connection does not have.
    """
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT id, project_id, server_id, status, created_at, finish_at, document"
            " FROM restores ORDER BY seq"
        ).fetchall()
    finally:
        connection.close()
    stored: dict[str, dict[str, Any]] = {}
    for row in rows:
        record = dict(row)
        record["document"] = json.loads(row["document"])
        if row["id"] in stored:
            raise AssertionError(f"restore {row['id']} is stored twice")
        stored[row["id"]] = record
    return stored
