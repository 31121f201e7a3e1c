"""Many clients, several workers, one store: every 200 is exactly one stored restore.

Run once per store (`store_kind`): the workers share one SQLite file, or one PostgreSQL database.
32 client threads send a bounded number of creates each at a stub with three uvicorn workers.
Servers are drawn with a pinned random seed, so clients collide on the same server and the stub
must refuse all but one of them with 400 CSBS.6015 (the server is restoring).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

import pytest

from tools.harness.loadgen import CreateOutcome, run_clients
from tools.harness.postgres import StubStore
from tools.harness.seeds import DEMO_PROJECT, DEMO_TOKEN, SeedServer, write_seed
from tools.harness.stored import read_stored_restores
from tools.harness.stub_process import StubProcess

from .harness import STUB_LONG_RESTORES, assert_acknowledged_restores_stored

CLIENTS = 32
CREATES_PER_CLIENT = 10
SERVERS = 40
STAMPEDE_SERVERS = 5
WORKERS = 3
SERVER_RESTORING = "CSBS.6015"


@pytest.fixture(scope="module")
def load_stub(
    tmp_path_factory: pytest.TempPathFactory, module_store: StubStore
) -> Iterator[tuple[StubProcess, list[SeedServer]]]:
    root = tmp_path_factory.mktemp("concurrency")
    servers = write_seed(root / "seed.yaml", SERVERS + STAMPEDE_SERVERS)[DEMO_PROJECT]
    stub = StubProcess(
        root / "data",
        workers=WORKERS,
        seed=root / "seed.yaml",
        args=(*STUB_LONG_RESTORES, *module_store.args()),
    )
    stub.start()
    try:
        yield stub, servers
    finally:
        stub.stop()


def summarize(outcomes: list[CreateOutcome]) -> Counter[str]:
    return Counter(
        "200" if outcome.acknowledged else f"{outcome.status} {outcome.error_code}" for outcome in outcomes
    )


def test_concurrent_creates_store_each_acknowledged_restore_exactly_once(
    load_stub: tuple[StubProcess, list[SeedServer]], module_store: StubStore
) -> None:
    stub, servers = load_stub
    rng = random.Random(20240611)
    plans = [[rng.choice(servers[:SERVERS]) for _ in range(CREATES_PER_CLIENT)] for _ in range(CLIENTS)]
    outcomes = run_clients(stub.base_url, plans, DEMO_TOKEN)
    counts = summarize(outcomes)
    print(
        f"\n{len(outcomes)} creates from {CLIENTS} clients against {WORKERS} workers"
        f" ({module_store.kind}): {dict(counts)}"
    )

    assert len(outcomes) == CLIENTS * CREATES_PER_CLIENT, "every client sent its whole plan"
    assert all(outcome.status is not None for outcome in outcomes), [o.transport_error for o in outcomes]
    assert not [o for o in outcomes if o.status is not None and o.status >= 500], counts
    assert not [o for o in outcomes if "locked" in o.text.lower()], "database is locked reached a client"
    refused = [o for o in outcomes if not o.acknowledged]
    assert {(o.status, o.error_code) for o in refused} <= {(400, SERVER_RESTORING)}, counts

    acknowledged = [o for o in outcomes if o.acknowledged]
    targeted = {server.server_id for plan in plans for server in plan}
    # Restores outlast the test, so each targeted server accepts exactly one restore.
    assert len(acknowledged) == len(targeted), counts
    assert len({o.server.server_id for o in acknowledged}) == len(acknowledged)

    stored = read_stored_restores(module_store.location(stub.data_dir))
    assert_acknowledged_restores_stored(acknowledged, stored)
    assert len(stored) == len(acknowledged), "a refused create left a stored restore behind"
    assert "database is locked" not in stub.logs()
    assert "Traceback" not in stub.logs()


def test_simultaneous_creates_of_one_server_accept_exactly_one(
    load_stub: tuple[StubProcess, list[SeedServer]], module_store: StubStore
) -> None:
    """All 32 clients hit the same untouched server at the same moment, five times over."""
    stub, servers = load_stub
    candidates = servers[SERVERS:]  # never part of the random plans
    stored_before = read_stored_restores(module_store.location(stub.data_dir))
    assert not {s.server_id for s in candidates} & {r["server_id"] for r in stored_before.values()}
    outcomes: list[CreateOutcome] = []
    for server in candidates:
        round_outcomes = run_clients(stub.base_url, [[server]] * CLIENTS, DEMO_TOKEN)
        counts = summarize(round_outcomes)
        assert counts["200"] == 1, counts
        assert counts[f"400 {SERVER_RESTORING}"] == CLIENTS - 1, counts
        outcomes += round_outcomes
    counts = summarize(outcomes)
    print(f"\n{STAMPEDE_SERVERS} rounds of {CLIENTS} simultaneous creates of one server: {dict(counts)}")
    stored = read_stored_restores(module_store.location(stub.data_dir))
    assert_acknowledged_restores_stored([o for o in outcomes if o.acknowledged], stored)
    assert len(stored) == len(stored_before) + len(candidates)
