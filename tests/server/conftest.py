"""Fixtures of the stub tests.

`api` runs a test twice: against an in-process stub (state in memory) and against the session's
`live_stub` (uvicorn on a loopback port), each reset to its seed first. `store_api` adds a third
run, against `live_postgres_stub` (the same, on PostgreSQL). `persistent` is the settings of a
store that outlives an app, once per store: a SQLite data directory, or a PostgreSQL database;
`make_stub(**persistent)` opens an in-process stub on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_helpers import InProcessStub, SocketStub, StubApi

from server.app import StubApp, create_app, prepare
from server.settings import Settings
from server.store import open_store
from tests.stub_process import StubServer
from tools.harness.postgres import PostgresServer, StubStore

LIVE_RESTORE_SECONDS = 1.0  # tests/conftest.py starts live_stub with --restore-seconds 1


@pytest.fixture(scope="session")
def shared_apps() -> Iterator[dict[tuple[tuple[str, Any], ...], StubApp]]:
    """In-memory apps by settings, reused across tests (building one validates both specs)."""
    apps: dict[tuple[tuple[str, Any], ...], StubApp] = {}
    yield apps
    for app in apps.values():
        app.close()


@pytest.fixture
def make_stub(
    shared_apps: dict[tuple[tuple[str, Any], ...], StubApp],
) -> Iterator[Callable[..., InProcessStub]]:
    """An in-process stub with these settings, in its seed state. Apps without a data_dir are
    shared between tests and reset to the seed (restores, journal, faults dropped) for each."""
    made: list[InProcessStub] = []

    def make(**settings: Any) -> InProcessStub:
        settings.setdefault("restore_seconds", 0.3)
        if "store_url" in settings:
            # A PostgreSQL store belongs to the loop that serves the app: opened on the stub's.
            config = Settings(**settings)
            store = open_store(config.store, journal_keep=config.journal_limit, timeout=config.store_timeout)
            stub = InProcessStub(create_app(config, store=store))
            stub.run(prepare(store, config.load_seed(), config))
        elif "data_dir" in settings:
            stub = InProcessStub(create_app(Settings(**settings)))
        else:
            key = tuple(sorted(settings.items()))
            app = shared_apps.get(key)
            if app is None:
                app = shared_apps[key] = create_app(Settings(**settings))
            asyncio.run(app.store.replace_seed(app.runtime.startup_seed, clear_state=True))
            stub = InProcessStub(app, owns_app=False)
        made.append(stub)
        return stub

    yield make
    for stub in made:
        if stub.app.store.kind == "postgresql":
            stub.run(stub.app.store.close())
        stub.close()


@pytest.fixture
def stub(make_stub: Callable[..., InProcessStub]) -> InProcessStub:
    return make_stub()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(params=["in-process", "socket"])
def api(request: pytest.FixtureRequest, make_stub: Callable[..., InProcessStub]) -> Iterator[StubApi]:
    yield from _stub_api(request, make_stub, {"socket": "live_stub"})


@pytest.fixture(params=["sqlite", "postgresql"])
def persistent(request: pytest.FixtureRequest, data_dir: Path) -> dict[str, Any]:
    """Settings of a store that outlives one app: a data directory, or a fresh database."""
    if request.param == "sqlite":
        return {"data_dir": data_dir}
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return {"store_url": server.create_database("lifecycle")}


@pytest.fixture(scope="session")
def live_postgres_stub(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[StubServer]:
    """`live_stub` on PostgreSQL: `python -m server --store postgresql://...` for the session."""
    root = tmp_path_factory.mktemp("live-postgres-stub")
    store = StubStore("postgresql", postgres_server.create_database("live"))
    args = ("--restore-seconds", str(LIVE_RESTORE_SECONDS), *store.args())
    server = StubServer(data_dir=root / "data", log_path=root / "stub.log", args=args)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["in-process", "socket", "socket-postgresql"])
def store_api(request: pytest.FixtureRequest, make_stub: Callable[..., InProcessStub]) -> Iterator[StubApi]:
    yield from _stub_api(
        request, make_stub, {"socket": "live_stub", "socket-postgresql": "live_postgres_stub"}
    )


def _stub_api(
    request: pytest.FixtureRequest, make_stub: Callable[..., InProcessStub], live_fixtures: dict[str, str]
) -> Iterator[StubApi]:
    """An in-process stub, or a client of the live stub named for the fixture's parameter."""
    if request.param == "in-process":
        yield make_stub()
        return
    live = request.getfixturevalue(live_fixtures[request.param])
    kind = "postgresql" if request.param.endswith("postgresql") else "sqlite"
    client = SocketStub(live.base_url, LIVE_RESTORE_SECONDS, kind)
    client.reset()
    try:
        yield client
    finally:
        client.control("DELETE", "/faults")
        client.close()
