"""Fixtures of the stub tests.

`api` runs a test twice: against an in-process stub (state in memory) and against the session's
`live_stub` (uvicorn on a loopback port), each reset to its seed first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_helpers import InProcessStub, SocketStub, StubApi

from server.app import StubApp, create_app
from server.settings import Settings

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
        if "data_dir" in settings:
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
        stub.close()


@pytest.fixture
def stub(make_stub: Callable[..., InProcessStub]) -> InProcessStub:
    return make_stub()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(params=["in-process", "socket"])
def api(request: pytest.FixtureRequest, make_stub: Callable[..., InProcessStub]) -> Iterator[StubApi]:
    if request.param == "in-process":
        yield make_stub()
        return
    live = request.getfixturevalue("live_stub")
    client = SocketStub(live.base_url, LIVE_RESTORE_SECONDS)
    client.reset()
    try:
        yield client
    finally:
        client.control("DELETE", "/faults")
        client.close()
