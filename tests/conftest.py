"""Fixtures shared by every test folder.

`live_stub`: the stub as users run it, `python -m server` in a subprocess (uvicorn on a free
loopback port, a temporary data directory, the default seed, restores that take 1 second), for
the whole session. It has `.base_url`, `.token`, `.project_id`, `.admin_token`. Tests that change
its state should reset it first (`POST /_stub/reset` with the admin token).

`store_kind` (module-scoped, `sqlite` and `postgresql`) runs a module once per store;
`module_store` and `fresh_store` give a new store of that kind (a new database on the session's
`postgres_server`) whose `.args()` a stub subprocess takes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stub_process import StubServer
from tools.harness.postgres import PostgresServer, StubStore, missing_reason


@pytest.fixture(scope="session")
def live_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubServer]:
    root = tmp_path_factory.mktemp("live-stub")
    server = StubServer(data_dir=root / "data", log_path=root / "stub.log", args=("--restore-seconds", "1"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- the store a stub keeps its state in: SQLite, or PostgreSQL on the session's own cluster ---

STORE_KINDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL cluster for the session (tools/harness/postgres.py); skipped
    only when this machine has no PostgreSQL binaries (`.ci/run` installs them)."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Runs a module's tests once per store."""
    kind: str = request.param
    return kind


def new_stub_store(request: pytest.FixtureRequest, kind: str) -> StubStore:
    """A fresh store of `kind`: SQLite in the stub's data directory, or a new PostgreSQL database."""
    if kind == "sqlite":
        return StubStore(kind)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return StubStore(kind, server.create_database())


@pytest.fixture(scope="module")
def module_store(request: pytest.FixtureRequest, store_kind: str) -> StubStore:
    """One fresh store for the module's stubs."""
    return new_stub_store(request, store_kind)


@pytest.fixture
def fresh_store(request: pytest.FixtureRequest, store_kind: str) -> StubStore:
    """A fresh store for this test alone."""
    return new_stub_store(request, store_kind)
