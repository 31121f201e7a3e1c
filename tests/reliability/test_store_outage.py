"""The database goes away under a stub on PostgreSQL: 503 within 2 s, never a 500 or a hang, and
the stub serves again on its own soon after the database is back.

The test runs its own PostgreSQL server (it stops it), and one stub with two workers on it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tools.harness.postgres import PostgresServer, StubStore, missing_reason
from tools.harness.seeds import ADMIN_TOKEN, DEMO_PROJECT, DEMO_TOKEN, SeedServer, write_seed
from tools.harness.stored import read_stored_restores
from tools.harness.stub_process import StubProcess

from .harness import STUB_LONG_RESTORES

ANSWER_WITHIN_S = 2.0
LONG_OUTAGE_S = 20.0
"""Long enough that a pool which doubled its reconnect wait (attempts 1, 3, 7, 15, 31 s into the
outage) would sleep through the database's return for about ten seconds."""
RECOVER_WITHIN_S = 6.0
CONCURRENT = 16
SERVICE_UNAVAILABLE = "CSBS.9998"


@dataclass(frozen=True)
class Answer:
    status: int | None
    error_code: str | None
    seconds: float
    text: str


@dataclass
class Outage:
    postgres: PostgresServer
    stub: StubProcess
    store: StubStore
    servers: Iterator[SeedServer]
    http: httpx.Client
    """One client for every thread, made before the clock starts (making one costs CPU)."""

    def create(self) -> Answer:
        server = next(self.servers)
        return self._send(
            "POST",
            f"/v1/{DEMO_PROJECT}/restores",
            json=server.create_body(),
            headers={"X-Auth-Token": DEMO_TOKEN},
        )

    def control(self, path: str) -> Answer:
        return self._send("GET", f"/_stub{path}", headers={"X-Admin-Token": ADMIN_TOKEN})

    def _send(self, method: str, path: str, **kwargs: Any) -> Answer:
        began = time.monotonic()
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as problem:
            return Answer(None, None, time.monotonic() - began, repr(problem))
        seconds = time.monotonic() - began
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error_code") if isinstance(body, dict) else None
        return Answer(response.status_code, code, seconds, response.text[:300])


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    postgres = PostgresServer().start()
    try:
        store = StubStore("postgresql", postgres.url)
        servers = write_seed(tmp_path / "seed.yaml", 400)[DEMO_PROJECT]
        args = (*STUB_LONG_RESTORES, *store.args())
        stub = StubProcess(tmp_path / "data", workers=2, seed=tmp_path / "seed.yaml", args=args)
        stub.start()
        # The health check answers once one worker serves; the outage must meet both.
        deadline = time.monotonic() + 60
        while stub.logs().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, stub.logs()[-3000:]
            time.sleep(0.1)
        limits = httpx.Limits(max_connections=CONCURRENT * 2)
        http = httpx.Client(base_url=stub.base_url, timeout=10, limits=limits)
        try:
            yield Outage(postgres, stub, store, iter(servers), http)
        finally:
            http.close()
            stub.stop()
    finally:
        postgres.stop()


def assert_unavailable(answers: list[Answer], code: str | None = SERVICE_UNAVAILABLE) -> None:
    for answer in answers:
        assert answer.status == 503 and answer.error_code == code, answer
        assert answer.seconds < ANSWER_WITHIN_S, answer


def concurrently(outage: Outage, count: int, gap: float = 0.0) -> list[Answer]:
    """`count` creates at once, or each `gap` seconds after the one before (still overlapping)."""
    start = threading.Barrier(count)

    def one(index: int) -> Answer:
        start.wait()
        time.sleep(index * gap)
        return outage.create()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def wait_until_serving(outage: Outage, timeout: float) -> tuple[float, Counter[object]]:
    began = time.monotonic()
    seen: Counter[object] = Counter()
    while True:
        answer = outage.create()
        seen[(answer.status, answer.error_code)] += 1
        assert answer.status in (200, 503), answer
        assert answer.seconds < ANSWER_WITHIN_S, answer
        if answer.status == 200:
            return time.monotonic() - began, seen
        assert time.monotonic() - began < timeout, f"still not serving after {timeout}s: {dict(seen)}"
        time.sleep(0.1)


def test_an_unreachable_database_gets_503_in_time_and_the_stub_recovers(outage: Outage) -> None:
    before = [outage.create() for _ in range(3)]
    assert [a.status for a in before] == [200, 200, 200], before

    # A restart: whatever is answered meanwhile is a 200 or a 503, in time; then it serves again.
    outage.postgres.restart()
    restarted_in, _ = wait_until_serving(outage, RECOVER_WITHIN_S)

    # A long outage, with a request every half second meanwhile.
    outage.postgres.halt()
    try:
        deadline = time.monotonic() + LONG_OUTAGE_S
        while time.monotonic() < deadline:
            assert_unavailable([outage.create()])
            time.sleep(0.5)
    finally:
        outage.postgres.resume()
    recovered_in, seen = wait_until_serving(outage, RECOVER_WITHIN_S)

    # Every kind of request, alone and many at once, while the database is away.
    outage.postgres.halt()
    try:
        assert_unavailable([outage.create() for _ in range(3)])
        assert_unavailable(concurrently(outage, CONCURRENT))
        # Requests that arrive while another one waits for the database get their 503 as soon.
        assert_unavailable(concurrently(outage, 8, gap=0.2))
        assert_unavailable([outage.control("/restores"), outage.control("/journal")], code="STUB.0503")
        health = outage.control("/health")
        assert health.status == 503 and health.seconds < ANSWER_WITHIN_S, health
    finally:
        outage.postgres.resume()
    wait_until_serving(outage, RECOVER_WITHIN_S)
    print(
        f"\nserving {restarted_in:.1f}s after a restart, {recovered_in:.1f}s after a"
        f" {LONG_OUTAGE_S:g}s outage ({dict(seen)})"
    )
    assert outage.control("/health").status == 200
    stored = read_stored_restores(outage.store.location(outage.stub.data_dir))
    for answer in before:
        assert any(restore_id in answer.text for restore_id in stored), answer
    log = outage.stub.logs()
    assert "Traceback" not in log, log[-4000:]


def worker_pids(stub: StubProcess) -> list[int]:
    """The PIDs of the stub's uvicorn workers (children of the process the test started)."""
    children = Path(f"/proc/{stub.pid}/task/{stub.pid}/children").read_text(encoding="utf-8").split()
    pids = []
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"multiprocessing" in command and b"resource_tracker" not in command:
            pids.append(child)
    return pids


def test_a_worker_started_while_the_database_is_away_does_not_end_the_stub(outage: Outage) -> None:
    """uvicorn starts a new worker when one dies; while the database is away that worker must
    start and answer 503, not fail its start-up, which makes uvicorn stop the whole stub."""
    assert outage.create().status == 200
    workers = worker_pids(outage.stub)
    assert len(workers) == 2, workers
    outage.postgres.halt()
    try:
        started = outage.stub.logs().count("Application startup complete")
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while outage.stub.logs().count("Application startup complete") <= started:
            assert outage.stub.alive(), f"the stub ended:\n{outage.stub.logs()[-3000:]}"
            assert time.monotonic() < deadline, outage.stub.logs()[-3000:]
            time.sleep(0.2)
        assert outage.stub.alive()
        assert set(worker_pids(outage.stub)) & set(workers) == {workers[1]}
        # Both workers, the new one too, answer 503 in time.
        assert_unavailable(concurrently(outage, 8))
    finally:
        outage.postgres.resume()
    wait_until_serving(outage, RECOVER_WITHIN_S)
    # Many requests, so both workers answer some: all 200 (each create is a new server).
    answers = concurrently(outage, 8)
    assert [a.status for a in answers] == [200] * 8, answers
    assert outage.stub.alive()
