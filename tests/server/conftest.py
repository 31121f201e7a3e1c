"""Fixtures of the stub tests.

`api` runs a test twice: against a fresh in-process stub (state in memory) and against the
session's `live_stub` (uvicorn on a loopback port), reset to its seed first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stub_helpers import InProcessStub, SocketStub, StubApi

from server.app import create_app
from server.settings import Settings

LIVE_RESTORE_SECONDS = 1.0  # tests/conftest.py starts live_stub with --restore-seconds 1


@pytest.fixture
def make_stub() -> Iterator[Callable[..., InProcessStub]]:
    made: list[InProcessStub] = []

    def make(**settings: Any) -> InProcessStub:
        settings.setdefault("restore_seconds", 0.3)
        stub = InProcessStub(create_app(Settings(**settings)))
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
