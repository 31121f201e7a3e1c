"""Fixtures of the reliability suite: stub subprocesses on free loopback ports, stopped by PID."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.harness.seeds import DEMO_PROJECT, SeedServer, write_seed
from tools.harness.stub_process import StubProcess

from .corpus import CORPUS_SERVERS, RESERVED_SERVERS
from .harness import ProbedStub


@pytest.fixture(scope="session")
def generated_seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[SeedServer]]]:
    path = tmp_path_factory.mktemp("seed") / "many-servers.yaml"
    servers = write_seed(path, CORPUS_SERVERS)
    return path, servers


@pytest.fixture(scope="module")
def corpus_stub(
    tmp_path_factory: pytest.TempPathFactory, generated_seed: tuple[Path, dict[str, list[SeedServer]]]
) -> Iterator[ProbedStub]:
    """One worker, so a request that kills the worker kills the server and the probe notices."""
    seed_path, servers = generated_seed
    data_dir = tmp_path_factory.mktemp("corpus-data")
    stub = StubProcess(data_dir, workers=1, seed=seed_path)
    stub.start()
    try:
        # One fresh server per probe, so no probe meets CSBS.6015.
        yield ProbedStub(stub, servers[DEMO_PROJECT][:-RESERVED_SERVERS])
    finally:
        stub.stop()
        log = stub.logs()
        # Nothing the corpus sends may reach the server's log as a crash.
        assert "Traceback" not in log, log[-5000:]
