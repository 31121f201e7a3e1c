"""The stub's state: tokens, backups, restores, the request journal and armed faults.

One interface (`Store`), two databases chosen by URL (`open_store`):
- `sqlite:///path/to/stub.sqlite3` (the default, embedded) or `sqlite://` (memory);
- `postgresql://user@host:5432/db`, for one stub shared by many replicas and machines.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from .base import Store
from .model import (
    Checkpoint,
    CreateOutcome,
    CreatePlan,
    Fault,
    JournalRow,
    SeedSnapshot,
    StoredFault,
    StoredRestore,
    StoreHealth,
    StoreUnavailable,
)

__all__ = [
    "Checkpoint",
    "CreateOutcome",
    "CreatePlan",
    "Fault",
    "JournalRow",
    "SeedSnapshot",
    "Store",
    "StoreHealth",
    "StoreUnavailable",
    "StoredFault",
    "StoredRestore",
    "open_store",
    "redacted_url",
    "sqlite_path",
]


class StoreUrlError(ValueError):
    """The store URL names no database this stub supports."""


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:` URL, as SQLAlchemy reads them: `sqlite:///relative/path`,
    `sqlite:////absolute/path`; None for memory (`sqlite://`, `sqlite:///:memory:`)."""
    parts = urlsplit(url)
    if parts.netloc:
        raise StoreUrlError(f"a sqlite URL names a file, not a host: {redacted_url(url)}")
    path = unquote(parts.path).removeprefix("/")
    if path in ("", ":memory:"):
        return None
    return Path(path)


SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
"""Connection parameters that libpq also takes from a URL's query string."""


def redacted_url(url: str) -> str:
    """The URL without its password (in the user part or the query), for logs, errors and the
    stub-control API."""
    parts = urlsplit(url)
    secret_query = any(
        unquote(piece.partition("=")[0]).lower() in SECRET_PARAMETERS for piece in parts.query.split("&")
    )
    if parts.password is None and not secret_query:
        return url  # as given (geturl() would shorten `sqlite:///x` to `sqlite:/x`)
    if secret_query:
        pieces = []
        for piece in parts.query.split("&"):
            name, sep, _ = piece.partition("=")
            pieces.append(f"{name}=***" if sep and unquote(name).lower() in SECRET_PARAMETERS else piece)
        parts = parts._replace(query="&".join(pieces))
    if parts.password is not None:
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        user = f"{parts.username}:***@" if parts.username else "***@"
        parts = parts._replace(netloc=f"{user}{host}{port}")
    return parts.geturl()


def open_store(url: str, *, journal_keep: int = 1000, timeout: float = 1.5) -> Store:
    """The store for `url` (not yet opened: `await store.open()`). `timeout` bounds each wait
    for a PostgreSQL database (SQLite answers from the same machine and has no such wait)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from .sqlite import SqliteStore

        return SqliteStore(sqlite_path(url), journal_keep=journal_keep)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresStore

        return PostgresStore(url, journal_keep=journal_keep, timeout=timeout)
    raise StoreUrlError(
        f"unsupported store URL {redacted_url(url)!r}: use sqlite:///FILE or postgresql://..."
    )
