"""Fixtures shared by every test folder.

`live_stub`: the stub as users run it, `python -m server` in a subprocess (uvicorn on a free
loopback port, a temporary data directory, the default seed, restores that take 1 second), for
the whole session. It has `.base_url`, `.token`, `.project_id`, `.admin_token`. Tests that change
its state should reset it first (`POST /_stub/reset` with the admin token).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stub_process import StubServer


@pytest.fixture(scope="session")
def live_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StubServer]:
    root = tmp_path_factory.mktemp("live-stub")
    server = StubServer(data_dir=root / "data", log_path=root / "stub.log", args=("--restore-seconds", "1"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
