"""kill -9 in the middle of a load, restart on the same data: nothing acknowledged is lost.

Run once per store (`store_kind`). The stub (two workers, one SQLite file or PostgreSQL
database) takes creates from 16 clients; its whole process group is killed with SIGKILL while
they are sending, twice. After each restart every restore that was
answered 200 must be stored unchanged, and every restore left `in_progress` must go on to
`success` or `fail`, its backup back to `available`.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tools.harness.loadgen import BackgroundLoad, CreateOutcome, run_clients
from tools.harness.postgres import StubStore
from tools.harness.seeds import ADMIN_TOKEN, DEMO_PROJECT, DEMO_TOKEN, write_seed
from tools.harness.stored import read_stored_restores
from tools.harness.stub_process import StubProcess

from .harness import assert_acknowledged_restores_stored

CLIENTS = 16
CREATES_PER_CLIENT = 25
KILL_ROUNDS = 2
ACKS_BEFORE_KILL = 40
RESTORE_SECONDS = 20.0
"""How long a restore stays in progress: long enough that some are still running after a restart."""
SETTLE_TIMEOUT = RESTORE_SECONDS + 20.0


def wait_until_all_finished(
    stub: StubProcess, store: StubStore, timeout: float
) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        stored = read_stored_restores(store.location(stub.data_dir))
        pending = [r for r in stored.values() if r["document"]["status"] == "in_progress"]
        if not pending or time.monotonic() > deadline:
            assert not pending, f"{len(pending)} restores never left in_progress after the restart"
            return stored
        time.sleep(0.25)


def test_kill9_mid_load_keeps_every_acknowledged_restore(tmp_path: Path, fresh_store: StubStore) -> None:
    seed = tmp_path / "seed.yaml"
    servers = write_seed(seed, CLIENTS * CREATES_PER_CLIENT * KILL_ROUNDS)[DEMO_PROJECT]
    stub = StubProcess(
        tmp_path / "data",
        workers=2,
        seed=seed,
        args=("--restore-seconds", str(RESTORE_SECONDS), *fresh_store.args()),
    )
    began = time.monotonic()
    stub.start()
    timings = [f"start {time.monotonic() - began:.1f}s"]
    acknowledged: list[CreateOutcome] = []
    totals = {"sent": 0, "acknowledged": 0, "no_answer": 0, "in_progress_at_restart": 0}
    try:
        for kill_round in range(KILL_ROUNDS):
            # Each create targets its own server, so every answered create is a 200.
            offset = kill_round * CLIENTS * CREATES_PER_CLIENT
            plans = [
                servers[offset + c * CREATES_PER_CLIENT : offset + (c + 1) * CREATES_PER_CLIENT]
                for c in range(CLIENTS)
            ]
            load = BackgroundLoad(stub.base_url, plans, DEMO_TOKEN).start()
            # Kill once the load is flowing: some creates answered, most still to come.
            load.wait_for_acknowledged(ACKS_BEFORE_KILL)
            time.sleep(0.2)
            stub.kill9()
            results = load.finish()

            answered = [o for o in results if o.status is not None]
            assert not [o for o in answered if not o.acknowledged], [
                o.text for o in answered if not o.acknowledged
            ]
            round_acks = [o for o in answered if o.acknowledged]
            assert round_acks, "the kill came before any create was answered"
            assert len(results) < CLIENTS * CREATES_PER_CLIENT or any(o.status is None for o in results), (
                "the kill came after the load had finished"
            )
            acknowledged += round_acks
            totals["sent"] += len(results)
            totals["acknowledged"] += len(round_acks)
            totals["no_answer"] += sum(1 for o in results if o.status is None)

            restart_began = time.time()
            began = time.monotonic()
            stub.start()
            timings.append(f"restart {time.monotonic() - began:.1f}s")
            stored = read_stored_restores(fresh_store.location(stub.data_dir))
            read_at = time.time()
            assert_acknowledged_restores_stored(acknowledged, stored)
            # The lifecycle resumes where the clock says it is: restores that came due while the
            # stub was down have ended, the others are still running.
            for record in stored.values():
                status = record["document"]["status"]
                if record["finish_at"] < restart_began:
                    assert status in ("success", "fail"), record
                elif record["finish_at"] > read_at + 0.5:
                    assert status == "in_progress", record
            totals["in_progress_at_restart"] += sum(
                1 for r in stored.values() if r["document"]["status"] == "in_progress"
            )

        began = time.monotonic()
        stored = wait_until_all_finished(stub, fresh_store, SETTLE_TIMEOUT)
        timings.append(f"settle {time.monotonic() - began:.1f}s")
        assert_acknowledged_restores_stored(acknowledged, stored)
        assert {r["document"]["status"] for r in stored.values()} <= {"success", "fail"}
        for record in stored.values():
            assert record["document"]["resources_status"], "a finished restore reports its resources"
        response = httpx.get(
            f"{stub.base_url}/_stub/backups",
            params={"project_id": DEMO_PROJECT},
            headers={"X-Admin-Token": ADMIN_TOKEN},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        statuses = {backup["status"] for backup in response.json()["backups"]}
        assert statuses == {"available"}, "every backup is released once its restore ended"
        # The servers restored before the kills can be restored again: the lifecycle really ended.
        again = run_clients(stub.base_url, [[o.server] for o in acknowledged[:8]], DEMO_TOKEN)
        assert all(o.acknowledged for o in again), [o.text for o in again]
        assert "database is locked" not in stub.logs()
    finally:
        stub.stop()
    lost = sum(1 for o in acknowledged if o.restore is not None and o.restore["id"] not in stored)
    print(
        f"\n{KILL_ROUNDS} kills survived ({fresh_store.kind}); creates sent {totals['sent']},"
        f" acknowledged {totals['acknowledged']}, unanswered {totals['no_answer']},"
        f" in progress at restart {totals['in_progress_at_restart']}, restores lost {lost}"
        f" ({', '.join(timings)})"
    )
    assert lost == 0
