"""Several stub processes on one PostgreSQL database behave as one stub.

Three replicas (`python -m server --store postgresql://...`, one of them with two workers) share
a database on the session's own cluster. Whatever replica a request reaches:
- a server is never restored twice at once: one 200, every other create `CSBS.6015`;
- each restore is finished exactly once: a trigger the test installs records every change of a
  restore's status, and each restore's row changes once, from `in_progress` to its outcome;
- a fault armed through one replica meets exactly the next N contract requests of all of them;
- the journal is one log: the same entries in the same order through every replica;
- `PUT /_stub/seed` and `POST /_stub/reset` through one replica act on every replica at once.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from tools.harness.loadgen import CreateOutcome, run_clients
from tools.harness.postgres import PostgresServer, StubStore
from tools.harness.seeds import ADMIN_TOKEN, DEMO_PROJECT, DEMO_TOKEN, SeedServer, write_seed
from tools.harness.stored import read_stored_restores
from tools.harness.stub_process import StubProcess

from .harness import STUB_LONG_RESTORES, assert_acknowledged_restores_stored

REPLICA_WORKERS = (1, 1, 2)
SERVERS = 30
STAMPEDE_SERVERS = 4
CLIENTS = 24
SERVER_RESTORING = "CSBS.6015"
SERVICE_UNAVAILABLE = "CSBS.9998"


@dataclass
class Replicas:
    stubs: list[StubProcess]
    store: StubStore
    servers: list[SeedServer]
    seed_path: Path

    @property
    def urls(self) -> list[str]:
        return [stub.base_url for stub in self.stubs]

    def admin(self, replica: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Admin-Token": ADMIN_TOKEN, **kwargs.pop("headers", {})}
        return httpx.request(
            method, f"{self.urls[replica]}/_stub{path}", headers=headers, timeout=30, **kwargs
        )

    def create(self, replica: int, server: SeedServer, token: str = DEMO_TOKEN) -> httpx.Response:
        return httpx.post(
            f"{self.urls[replica]}/v1/{server.project_id}/restores",
            json=server.create_body(),
            headers={"X-Auth-Token": token},
            timeout=30,
        )


def start_replicas(root: Path, store: StubStore, seed: Path, args: tuple[str, ...]) -> list[StubProcess]:
    stubs: list[StubProcess] = []
    try:
        for index, workers in enumerate(REPLICA_WORKERS):
            # application_name tells the database which replica a session belongs to.
            url = f"{store.url}?application_name=replica-{index}"
            stub = StubProcess(
                root / f"replica-{index}",
                workers=workers,
                seed=seed,
                args=(*args, *StubStore(store.kind, url).args()),
            )
            stubs.append(stub.start())
    except BaseException:
        for stub in stubs:
            stub.stop()
        raise
    return stubs


def stop_replicas(stubs: list[StubProcess]) -> None:
    for stub in stubs:
        stub.stop()
    for stub in stubs:
        log = stub.logs()
        assert "Traceback" not in log, log[-4000:]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Replicas]:
    """Restores outlast the module, so a server accepts one restore for its whole run."""
    root = tmp_path_factory.mktemp("replicas")
    seed = root / "seed.yaml"
    servers = write_seed(seed, SERVERS + STAMPEDE_SERVERS)[DEMO_PROJECT]
    store = StubStore("postgresql", postgres_server.create_database("replicas"))
    stubs = start_replicas(root, store, seed, STUB_LONG_RESTORES)
    try:
        yield Replicas(stubs, store, servers, seed)
    finally:
        stop_replicas(stubs)


def summarize(outcomes: list[CreateOutcome]) -> Counter[str]:
    return Counter("200" if o.acknowledged else f"{o.status} {o.error_code}" for o in outcomes)


def test_a_server_is_never_restored_twice_whatever_replica_is_asked(replicas: Replicas) -> None:
    replicas.admin(0, "POST", "/reset").raise_for_status()
    # Clients spread over the replicas, servers drawn with a pinned seed so that they collide.
    rng = random.Random(20261203)
    plans = [[rng.choice(replicas.servers[:SERVERS]) for _ in range(8)] for _ in range(CLIENTS)]
    outcomes = run_clients(replicas.urls, plans, DEMO_TOKEN)
    counts = summarize(outcomes)
    assert len(outcomes) == CLIENTS * 8
    assert set(counts) <= {"200", f"400 {SERVER_RESTORING}"}, counts
    acknowledged = [o for o in outcomes if o.acknowledged]
    targeted = {server.server_id for plan in plans for server in plan}
    assert len(acknowledged) == len(targeted), counts
    assert len({o.server.server_id for o in acknowledged}) == len(acknowledged)

    # Every client of a round asks for the same untouched server at the same moment.
    stampedes: list[CreateOutcome] = []
    for server in replicas.servers[SERVERS:]:
        round_outcomes = run_clients(replicas.urls, [[server]] * CLIENTS, DEMO_TOKEN)
        round_counts = summarize(round_outcomes)
        assert round_counts == {"200": 1, f"400 {SERVER_RESTORING}": CLIENTS - 1}, round_counts
        stampedes += round_outcomes
    print(
        f"\n{len(outcomes)} creates over {len(replicas.stubs)} replicas: {dict(counts)};"
        f" {STAMPEDE_SERVERS} stampedes of {CLIENTS}: {dict(summarize(stampedes))}"
    )
    stored = read_stored_restores(replicas.store.location(replicas.stubs[0].data_dir))
    everything = acknowledged + [o for o in stampedes if o.acknowledged]
    assert_acknowledged_restores_stored(everything, stored)
    assert len(stored) == len(everything), "a refused create left a stored restore behind"


def _no_token_create(url: str) -> httpx.Response:
    """A contract request that the stub answers 401 unless a fault meets it first."""
    return httpx.post(f"{url}/v1/{DEMO_PROJECT}/restores", json={}, timeout=30)


def test_a_fault_armed_through_one_replica_meets_exactly_the_next_n_requests(replicas: Replicas) -> None:
    replicas.admin(0, "DELETE", "/faults").raise_for_status()
    armed = replicas.admin(1, "POST", "/faults", json={"kind": "status_503", "count": 4})
    assert armed.status_code == 201, armed.text
    # One after the other, each to the next replica.
    answers = [_no_token_create(replicas.urls[i % len(replicas.urls)]) for i in range(9)]
    statuses = [(a.status_code, a.json()["error_code"]) for a in answers]
    assert statuses == [(503, SERVICE_UNAVAILABLE)] * 4 + [(401, "APIGW.0301")] * 5, statuses
    for replica in range(len(replicas.stubs)):
        faults = replicas.admin(replica, "GET", "/faults")
        assert faults.status_code == 200 and faults.json()["faults"] == [], faults.text

    # All at once, spread over the replicas: exactly `count` of them meet the fault.
    count, sent = 10, 30
    armed = replicas.admin(2, "POST", "/faults", json={"kind": "status_500", "count": count})
    assert armed.status_code == 201, armed.text
    start = threading.Barrier(sent)

    def send(index: int) -> int:
        start.wait()
        return _no_token_create(replicas.urls[index % len(replicas.urls)]).status_code

    with ThreadPoolExecutor(max_workers=sent) as pool:
        got = Counter(pool.map(send, range(sent)))
    assert got == {500: count, 401: sent - count}, got
    assert replicas.admin(0, "GET", "/faults").json()["faults"] == []


def _journal(replicas: Replicas, replica: int, **params: Any) -> list[dict[str, Any]]:
    response = replicas.admin(replica, "GET", "/journal", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_the_journal_is_one_ordered_log_across_replicas(replicas: Replicas) -> None:
    assert replicas.admin(2, "DELETE", "/journal").status_code == 200
    sent: list[str] = []
    for index in range(9):
        replica = index % len(replicas.stubs)
        answer = _no_token_create(replicas.urls[replica])
        sent.append(answer.headers["x-request-id"])
        # The entry is written by the replica that answered; another replica must see it soon.
        reader = (replica + 1) % len(replicas.stubs)
        deadline = time.monotonic() + 5
        while sent[-1] not in {e["request_id"] for e in _journal(replicas, reader)}:
            assert time.monotonic() < deadline, f"replica {reader} never saw request {index}"
            time.sleep(0.02)
    views = [_journal(replicas, replica) for replica in range(len(replicas.stubs))]
    assert views[0] == views[1] == views[2]
    assert [entry["request_id"] for entry in views[0]] == sent
    seqs = [entry["seq"] for entry in views[0]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # `after` and `limit` mean the same through any replica: the newest `limit` entries after
    # `after`, oldest first.
    assert [e["request_id"] for e in _journal(replicas, 1, after=seqs[3])] == sent[4:]
    assert [e["request_id"] for e in _journal(replicas, 2, after=seqs[3], limit=2)] == sent[-2:]


def _seed_document(path: Path, tenant_token: str) -> dict[str, Any]:
    """The seed file as the stub-control API takes it, with another tenant token for the demo
    project (the admin token stays)."""
    document: dict[str, Any] = copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))
    for project in document["projects"]:
        if project["project_id"] == DEMO_PROJECT:
            project["tokens"] = [tenant_token]
    return document


def test_seed_and_reset_through_one_replica_act_on_every_replica_at_once(replicas: Replicas) -> None:
    replicas.admin(0, "POST", "/reset").raise_for_status()
    server = replicas.servers[0]
    assert replicas.create(0, server).status_code == 200
    for replica in (1, 2):  # every replica has the restore in its view
        assert replicas.create(replica, server).json()["error_code"] == SERVER_RESTORING

    new_token = "replica-seed-token-3e91"
    loaded = replicas.admin(0, "PUT", "/seed", json=_seed_document(replicas.seed_path, new_token))
    assert loaded.status_code == 200, loaded.text
    # At once, through the others: the new token is served, the old one is unknown, and the
    # restore the seed load forgot no longer blocks its server.
    for replica in (1, 2):
        assert replicas.create(replica, replicas.servers[1], DEMO_TOKEN).status_code == 401
        assert replicas.admin(replica, "GET", "/restores").json()["restores"] == []
    assert replicas.create(1, server, new_token).status_code == 200
    assert replicas.create(2, server, new_token).json()["error_code"] == SERVER_RESTORING
    assert replicas.create(0, replicas.servers[2], DEMO_TOKEN).status_code == 401

    reset = replicas.admin(2, "POST", "/reset")
    assert reset.status_code == 200, reset.text
    for replica in (0, 1):
        assert replicas.create(replica, replicas.servers[3], new_token).status_code == 401
        assert replicas.admin(replica, "GET", "/restores").json()["restores"] == []
    assert replicas.create(0, server, DEMO_TOKEN).status_code == 200
    assert replicas.create(1, server, DEMO_TOKEN).json()["error_code"] == SERVER_RESTORING
    backups = replicas.admin(1, "GET", "/backups", params={"project_id": DEMO_PROJECT}).json()["backups"]
    assert {b["status"] for b in backups if b["id"] == server.item_id} == {"restoring"}


# --- each restore is finished once --------------------------------------------------------------

SETTLE_RESTORE_SECONDS = 1.0
SETTLED = 24
STATUS_AUDIT = (
    "CREATE TABLE restore_status_changes (id TEXT NOT NULL, old_status TEXT NOT NULL,"
    " new_status TEXT NOT NULL, replica TEXT NOT NULL)",
    "CREATE FUNCTION record_restore_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " INSERT INTO restore_status_changes VALUES"
    " (NEW.id, OLD.status, NEW.status, current_setting('application_name'));"
    " RETURN NEW; END $$",
    # Every UPDATE that touches a row's status is recorded, even one that sets the same value.
    "CREATE TRIGGER restore_status_audit AFTER UPDATE OF status ON restores"
    " FOR EACH ROW EXECUTE FUNCTION record_restore_status()",
)


def test_each_restore_is_finished_by_exactly_one_replica(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    seed = tmp_path / "seed.yaml"
    servers = write_seed(seed, SETTLED)[DEMO_PROJECT]
    store = StubStore("postgresql", postgres_server.create_database("settle"))
    assert store.url is not None
    stubs = start_replicas(tmp_path, store, seed, ("--restore-seconds", str(SETTLE_RESTORE_SECONDS)))
    try:
        with psycopg.connect(store.url, autocommit=True) as connection:
            for statement in STATUS_AUDIT:
                connection.execute(statement)
        urls = [stub.base_url for stub in stubs]
        outcomes = run_clients(urls, [[server] for server in servers], DEMO_TOKEN)
        assert summarize(outcomes) == {"200": SETTLED}, summarize(outcomes)
        created = {o.restore["id"] for o in outcomes if o.restore is not None}
        # Wait until the replicas' settle loops have recorded every end, then a while longer:
        # a second settle of any restore would show up meanwhile.
        deadline = time.monotonic() + SETTLE_RESTORE_SECONDS + 30
        with psycopg.connect(store.url, autocommit=True) as connection:
            while connection.execute("SELECT 1 FROM restores WHERE status = 'in_progress'").fetchone():
                assert time.monotonic() < deadline, "restores were never settled"
                time.sleep(0.1)
            time.sleep(1.5)
            changes = connection.execute(
                "SELECT c.id, c.old_status, c.new_status, r.outcome, c.replica"
                " FROM restore_status_changes c JOIN restores r USING (id)"
            ).fetchall()
    finally:
        stop_replicas(stubs)
    by_restore = Counter(row[0] for row in changes)
    assert set(by_restore) == created
    assert set(by_restore.values()) == {1}, [r for r, n in by_restore.items() if n > 1]
    assert all(old == "in_progress" and new == outcome for _, old, new, outcome, _ in changes), changes
    print(f"\n{SETTLED} restores finished once each; by replica: {dict(Counter(r[4] for r in changes))}")
