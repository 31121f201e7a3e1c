"""Cost with growth: creates against a stub whose SQLite file already holds 0, 100k and 1M restores.

`python -m tools.bench.growth [--sizes 0,100000,1000000] [--rounds 2]`

Each data directory is prepared once: the stub's own store creates the schema, loads the bench
seed and imports finished restores (spread over the seeded backups and servers, as a
long-running stub would hold them). Then, round after
round with the order reversed every other round, the stub is started in its recommended
configuration on each directory and the creates load is measured exactly as `make bench` does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.seeds import load_seed_file
from server.settings import DATABASE_FILE_NAME
from server.store import StoredRestore
from server.store.sqlite import SqliteStore
from tools.bench import install
from tools.bench.compare import RESTORE_SECONDS, SETTLE_GAP_S
from tools.bench.loads import PROJECT_ID, REPO_ROOT, RESTORES_PATH, bench_ids, creates_load, write_bench_seed
from tools.bench.servers import ServerKind, group_cpu_seconds, running, stub_kind
from tools.bench.wrk import WrkResult, run_wrk

INSERT_BATCH = 20_000


def _finished_document(index: int, ids: dict[str, str]) -> dict[str, Any]:
    server_key = f"OS::Nova::Server#{ids['server_id']}"
    return {
        "restore": None,
        "id": f"9e570000-0000-4000-8000-{index:012x}",
        "checkpoint_id": ids["checkpoint_id"],
        "parameters": {
            "checkpoint_item_id": ids["item_id"],
            "power_on": True,
            "targets": {
                "server_id": ids["server_id"],
                "volumes": [{"backup_id": ids["backup_id"], "volume_id": ids["volume_id"]}],
                "resource_type": "OS::Nova::Server",
            },
        },
        "project_id": PROJECT_ID,
        "provider_id": "fc4d5750-22e7-4798-8a46-f48f62c4c1da",
        "resources_reason": {},
        "resources_status": {server_key: "available", f"OS::Cinder::Volume#{ids['volume_id']}": "available"},
        "restore_target": None,
        "status": "success",
    }


def prepare(data_dir: Path, seed_path: Path, stored: int, backups: int) -> float:
    """Schema, seed and `stored` finished restores, all through the stub's store; returns seconds."""
    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(data_dir / DATABASE_FILE_NAME)
    store.prepare_now(load_seed_file(seed_path))
    try:
        now = time.time()
        for first in range(0, stored, INSERT_BATCH):
            batch = []
            for index in range(first, min(stored, first + INSERT_BATCH)):
                document = _finished_document(index, bench_ids(index % backups))
                del document["restore"]
                created = now - 86_400 + index * 0.01
                batch.append(StoredRestore(document, "success", created, created + 2, created + 2))
            asyncio.run(store.import_restores(batch))
    finally:
        store.close_now()
    return time.monotonic() - started


def _stub_on(data_dir: Path, base: ServerKind, stored: int) -> ServerKind:
    def command(port: int, scratch: Path) -> list[str]:
        argv = base.command(port, scratch)
        argv[argv.index("--data-dir") + 1] = str(data_dir)
        return argv

    return ServerKind(
        name=f"stored-{stored}",
        description=f"{base.description}, data dir with {stored} stored restores",
        command=command,
        workers=base.workers,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.growth", description=__doc__)
    parser.add_argument("--sizes", default="0,100000,1000000", help="stored restores per data dir")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backups", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=0, help="stub workers (default: the CLI default)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports")
    arguments = parser.parse_args(argv)
    sizes = [int(size) for size in arguments.sizes.split(",")]
    wrk = install.ensure_wrk()
    measurements: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as scratch:
        work = Path(scratch)
        seed = write_bench_seed(work / "seed.json", arguments.backups + 1)
        script = work / "creates.lua"
        script.write_text(creates_load(arguments.backups, 1).script, encoding="utf-8")
        stub_args = ("--restore-seconds", str(RESTORE_SECONDS))
        base = stub_kind(arguments.workers or None, seed, stub_args)
        prepared: dict[int, Path] = {}
        for size in sizes:
            data_dir = work / f"data-{size}"
            seconds = prepare(data_dir, seed, size, arguments.backups)
            print(f"prepared {size} stored restores in {seconds:.1f} s", flush=True)
            prepared[size] = data_dir
        log_dir = arguments.out / "bench-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        url_path = RESTORES_PATH
        for round_number in range(1, arguments.rounds + 1):
            order = sizes if round_number % 2 == 1 else list(reversed(sizes))
            for size in order:
                kind = _stub_on(prepared[size], base, size)
                with running(kind, log_dir) as server:
                    url = f"{server.base_url}{url_path}"
                    run_wrk(
                        wrk,
                        url,
                        script,
                        seconds=arguments.warmup,
                        connections=arguments.connections,
                        threads=1,
                    )
                    time.sleep(SETTLE_GAP_S)
                    cpu_before = group_cpu_seconds(server.pid)
                    result: WrkResult = run_wrk(
                        wrk,
                        url,
                        script,
                        seconds=arguments.duration,
                        connections=arguments.connections,
                        threads=1,
                    )
                    cpu_used = group_cpu_seconds(server.pid) - cpu_before
                cpu_per_request = round(cpu_used * 1000 / result.requests, 3) if result.requests else None
                row = {
                    "round": round_number,
                    "stored_restores": size,
                    **asdict(result),
                    "cpu_ms_per_request": cpu_per_request,
                }
                measurements.append(row)
                print(
                    f"  round {round_number}  stored {size:>8}  {result.requests_per_s:8.1f} req/s"
                    f"  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  max {result.max_ms:8.2f} ms"
                    f"  cpu/req {cpu_per_request} ms  non-2xx {result.non_2xx}",
                    flush=True,
                )
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": vars(arguments) | {"out": str(arguments.out)},
        "measurements": measurements,
    }
    arguments.out.mkdir(parents=True, exist_ok=True)
    path = arguments.out / f"growth-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"report: {path}")
    return 1 if any(m["non_2xx"] or m["socket_errors"] for m in measurements) else 0


if __name__ == "__main__":
    raise SystemExit(main())
