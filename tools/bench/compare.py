"""Side-by-side benchmark: the stub, Prism and a bare Starlette ceiling, interleaved, two loads.

Every round starts each server in turn (the order reverses every other round, so slow drift of
the machine touches all servers alike), runs each load as a warm-up that is thrown away and then
a measured run, and stops the server before the next one starts. Ratios are only ever taken
between servers of the same round: other work on the machine shifts absolute numbers from round
to round, but hardly the ratio of two runs a minute apart.

While it runs it shows the round, server, load and step it is at, with the requests and errors
so far (tools/harness/progress.py); it writes its JSON report and, beside it, a chart of
requests/s and p99 per server with the ratios to Prism and to the ceiling (tools/bench/chart.py,
needs the `bench` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from server.settings import DATABASE_FILE_NAME
from tools.bench import install
from tools.bench.cost import measure_store_cost
from tools.bench.loads import (
    CONTRACT_SPEC,
    REPO_ROOT,
    RESTORES_PATH,
    TENANT_TOKEN,
    Load,
    create_body,
    creates_load,
    document_request,
    example_load,
    write_bench_seed,
)
from tools.bench.profile import own_time_by_area, profile_load
from tools.bench.servers import (
    RunningServer,
    ServerKind,
    ceiling_kind,
    group_cpu_seconds,
    postgres_stub_kind,
    prism_kind,
    probe,
    proxied_kind,
    running,
    stub_kind,
)
from tools.bench.spread import spread
from tools.bench.wrk import WrkResult, run_wrk
from tools.harness.postgres import PostgresServer, missing_reason
from tools.harness.progress import (
    Advanced,
    Counted,
    Noted,
    PhaseStarted,
    Publisher,
    RunFinished,
    RunStarted,
    Silent,
    progress_bus,
)
from tools.harness.stored import read_stored_restores

PRISM = "prism"
PROXIED = "proxied"
RESTORE_SECONDS = 0.25
"""How long a bench restore stays in progress (`--restore-seconds`; the default is 2 s). Every
create still does all its work (a stored restore, later finished once); a short life only lets a
few thousand seeded servers carry thousands of creates per second without a server coming round
again while it is still restoring."""
SETTLE_GAP_S = 1.5
"""Pause after a creates warm-up: longer than a bench restore's life plus a settle tick, so every
server the warm-up touched is free again when the measured run comes round to it."""


@dataclass(frozen=True)
class Target:
    load: str
    setup: str
    """`all`: the stub with the default workers; `one`: one worker."""
    field: str
    """The ratio row's field the target bounds."""
    bound: float
    at_least: bool
    text: str


# What `make bench` must show in every round (docs/performance.md): ratios to Prism of the same
# round, and the server CPU per create.
TARGETS = (
    Target("creates", "all", "rps_vs_prism", 2.0, True, "req/s >= 2.0x Prism"),
    Target("creates", "all", "p99_vs_prism", 0.5, False, "p99 <= 0.5x Prism's"),
    Target("creates", "all", "cpu_ms_per_request", 0.45, False, "server CPU <= 0.45 ms per create"),
    Target("creates", "one", "rps_vs_prism", 1.5, True, "req/s >= 1.5x Prism (one worker)"),
    Target("example", "all", "rps_vs_prism", 3.5, True, "req/s >= 3.5x Prism"),
    Target("creates", "pg", "rps_vs_sqlite_stub", 0.7, True, "req/s >= 0.7x the SQLite stub's"),
)


@dataclass
class Measurement:
    round: int
    server: str
    load: str
    result: WrkResult
    warmup: WrkResult
    loadavg_before: float
    stored_restores: int | None = None
    server_cpu_s: float | None = None
    """CPU seconds the server's processes used during the measured run."""
    extra: dict[str, Any] = field(default_factory=dict)
    connections_per_worker: list[int] | None = None
    """wrk's connections per server process holding any, most first, a second into the run."""

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_s is None or not self.result.requests:
            return None
        return round(self.server_cpu_s * 1000 / self.result.requests, 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "server": self.server,
            "load": self.load,
            **self.result.as_dict(),
            "warmup_requests": self.warmup.requests,
            "warmup_non_2xx": self.warmup.non_2xx,
            "loadavg_1m_before": self.loadavg_before,
            "stored_restores": self.stored_restores,
            "server_cpu_s": self.server_cpu_s,
            "cpu_ms_per_request": self.cpu_ms_per_request,
            "connections_per_worker": self.connections_per_worker,
        }


class BenchProgress:
    """What the benchmark tells its progress reporters: one step per measured run."""

    def __init__(self, publisher: Publisher, rounds: int) -> None:
        self.publisher = publisher
        self.rounds = rounds
        self.steps_done = 0
        self.requests = 0
        self.errors = 0

    def started(self, steps: int) -> None:
        self.publisher.publish(RunStarted("bench", total=steps))
        self.publisher.publish(Advanced(done=0))

    def phase(self, text: str) -> None:
        self.publisher.publish(PhaseStarted(text))

    def run(self, round_number: int, server: str, load: str, step: str) -> None:
        self.phase(f"round {round_number}/{self.rounds}: {server}, {load} {step}")

    def note(self, text: str) -> None:
        self.publisher.publish(Noted(text))

    def measured(self, measurement: Measurement) -> None:
        self.steps_done += 1
        for result in (measurement.warmup, measurement.result):
            self.requests += result.requests
            self.errors += result.non_2xx + result.socket_errors
        self.publisher.publish(Counted(requests=self.requests, errors=self.errors))
        self.publisher.publish(Advanced(done=self.steps_done))
        self.note(_row(measurement))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (at least 2)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per run, not measured")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections kept open")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (it shares the CPUs)")
    parser.add_argument(
        "--workers", type=int, default=cpus, help="stub and ceiling workers of the 'all' setup"
    )
    parser.add_argument(
        "--backups", type=int, default=8000, help="seeded backups the creates load rotates over"
    )
    parser.add_argument("--loads", default="example,creates", help="comma-separated: example, creates")
    parser.add_argument(
        "--servers",
        default="",
        help="comma-separated subset of stub-<n>w, stub-pg, proxied, prism, ceiling-<n>w and, with"
        " --baseline, base-<n>w and base-pg (default: all of them)",
    )
    parser.add_argument("--stub-arg", action="append", default=[], help="extra argument for python -m server")
    parser.add_argument(
        "--stub-checkout",
        type=Path,
        help="run the stub from another checkout of the repo instead of this one",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of the repo (e.g. a git worktree of an older commit): its stub runs"
        " too, as base-<n>w and base-pg, to measure what a change gained",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports", help="folder for the JSON report")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=5.0,
        help="seconds of the creates profile after the rounds (share of time per subsystem); 0: none",
    )
    parser.add_argument(
        "--progress-interval",
        type=float,
        help="seconds between two progress lines off a terminal (default 5, or CSBS_PROGRESS_INTERVAL)",
    )
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart beside the report")
    arguments = parser.parse_args(argv)
    if arguments.rounds < 1 or arguments.duration <= 0 or arguments.warmup < 0:
        parser.error("--rounds must be at least 1 and --duration positive")
    return arguments


def _server_kinds(
    arguments: argparse.Namespace, prism_bin: Path | None, seed: Path, postgres: PostgresServer | None
) -> list[ServerKind]:
    stub_args = ("--restore-seconds", str(RESTORE_SECONDS), *arguments.stub_arg)
    worker_counts = sorted({arguments.workers, 1}, reverse=True)
    checkout = arguments.stub_checkout.resolve() if arguments.stub_checkout else None
    kinds = [stub_kind(n, seed, stub_args, checkout) for n in worker_counts]
    if arguments.baseline is not None:
        kinds.extend(
            stub_kind(n, seed, stub_args, arguments.baseline.resolve(), "base") for n in worker_counts
        )
    if postgres is not None:
        kinds.append(
            postgres_stub_kind(arguments.workers, seed, postgres.create_database, stub_args, checkout)
        )
        if arguments.baseline is not None:
            kinds.append(
                postgres_stub_kind(
                    arguments.workers,
                    seed,
                    postgres.create_database,
                    stub_args,
                    arguments.baseline.resolve(),
                    "base",
                )
            )
    kinds.append(proxied_kind(seed, stub_args))
    if prism_bin is not None:
        kinds.append(prism_kind(prism_bin, CONTRACT_SPEC))
    kinds.extend(ceiling_kind(n) for n in worker_counts)
    if arguments.servers:
        wanted = {name.strip() for name in arguments.servers.split(",") if name.strip()}
        unknown = wanted - {k.name for k in kinds}
        if unknown:
            raise SystemExit(f"unknown servers {sorted(unknown)}; choose from {[k.name for k in kinds]}")
        kinds = [k for k in kinds if k.name in wanted]
    return kinds


def _wanted(arguments: argparse.Namespace, *names: str) -> bool:
    """Whether any of these servers runs (all of them run when --servers is not given)."""
    return not arguments.servers or any(name in arguments.servers.split(",") for name in names)


def _bench_postgres(arguments: argparse.Namespace, progress: BenchProgress) -> PostgresServer | None:
    """A PostgreSQL server for `stub-pg` (and `base-pg`), unless neither was asked for or it
    cannot run here."""
    if not _wanted(arguments, "stub-pg", "base-pg"):
        return None
    reason = missing_reason()
    if reason is not None:
        progress.note(f"stub-pg left out: {reason}")
        return None
    progress.phase("starting PostgreSQL for stub-pg")
    return PostgresServer().start()


def _probe_request(load: Load, backup_count: int) -> tuple[bytes, dict[str, str]]:
    headers = {"Content-Type": "application/json", "X-Auth-Token": TENANT_TOKEN}
    if load.name == "example":
        return json.dumps(document_request()).encode(), {**headers, "Prefer": "code=200"}
    # The probe's backup lies outside the rotation, so the load never meets its restore.
    return json.dumps(create_body(backup_count)).encode(), headers


def _stored_restores(server: RunningServer) -> int | None:
    """How many restores the stub's store holds (after the run)."""
    database = server.scratch / DATABASE_FILE_NAME
    if not database.exists():
        return None
    return len(read_stored_restores(database))


def _measure_server(
    kind: ServerKind,
    loads: list[tuple[Load, Path]],
    arguments: argparse.Namespace,
    round_number: int,
    wrk: str,
    log_dir: Path,
    progress: BenchProgress | None = None,
) -> list[Measurement]:
    progress = progress or BenchProgress(Silent(), arguments.rounds)
    measurements: list[Measurement] = []
    progress.phase(f"round {round_number}/{arguments.rounds}: starting {kind.name}")
    with running(kind, log_dir) as server:
        for load, script in loads:
            progress.run(round_number, kind.name, load.name, "warm-up")
            body, headers = _probe_request(load, arguments.backups)
            probe(server, body, headers)
            url = f"{server.base_url}{RESTORES_PATH}"

            def run(seconds: float, url: str = url, script: Path = script) -> WrkResult:
                return run_wrk(
                    wrk,
                    url,
                    script,
                    seconds=seconds,
                    connections=arguments.connections,
                    threads=arguments.wrk_threads,
                )

            warmup = run(max(1.0, arguments.warmup))
            if load.name == "creates":
                time.sleep(SETTLE_GAP_S)
            progress.run(round_number, kind.name, load.name, "measured")
            loadavg = os.getloadavg()[0]
            cpu_before = group_cpu_seconds(server.pid)
            sampled: list[list[int]] = []
            sampler = threading.Timer(
                min(1.0, arguments.duration / 3), _sample_spread, (sampled, server.pid, server.port)
            )
            sampler.start()
            result = run(arguments.duration)
            sampler.join()
            cpu_used = round(group_cpu_seconds(server.pid) - cpu_before, 3)
            stored = None
            if kind.name.startswith(("stub", "base")) and load.name == "creates":
                stored = _stored_restores(server)
            measurement = Measurement(
                round_number,
                kind.name,
                load.name,
                result,
                warmup,
                loadavg,
                stored,
                cpu_used,
                # Workers holding none are counted too: 32/0 is one worker doing all the work.
                connections_per_worker=(
                    sampled[0] + [0] * (kind.workers - len(sampled[0])) if sampled else None
                ),
            )
            measurements.append(measurement)
            progress.measured(measurement)
    return measurements


def _sample_spread(into: list[list[int]], process_group: int, port: int) -> None:
    into.append(spread(process_group, port))


def _row(m: Measurement) -> str:
    r = m.result
    stored = "" if m.stored_restores is None else f"  stored {m.stored_restores}"
    if m.connections_per_worker:
        stored += f"  connections per worker {'/'.join(map(str, m.connections_per_worker))}"
    return (
        f"  round {m.round}  {m.load:8} {m.server:12} {r.requests_per_s:9.1f} req/s"
        f"  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms  max {r.max_ms:8.2f} ms"
        f"  cpu/req {m.cpu_ms_per_request} ms  non-2xx {r.non_2xx}  socket errors {r.socket_errors}"
        f"  load {m.loadavg_before:.2f}{stored}"
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def ratios(measurements: list[Measurement], all_workers: int) -> list[dict[str, Any]]:
    """Per round and load: each server's req/s and p99 against Prism and against the ceiling of
    the same worker count, from runs of that round only."""
    rows: list[dict[str, Any]] = []
    keys = sorted({(m.round, m.load) for m in measurements})
    for round_number, load in keys:
        same = {m.server: m.result for m in measurements if m.round == round_number and m.load == load}
        cpu = {
            m.server: m.cpu_ms_per_request for m in measurements if m.round == round_number and m.load == load
        }
        prism = same.get(PRISM)
        for server, result in same.items():
            workers = server.split("-")[-1] if "-" in server else ""
            stub_like = server.startswith(("stub", "base"))
            ceiling = same.get(f"ceiling-{workers}") if stub_like else None
            baseline = same.get(f"base-{workers}") if server.startswith("stub") else None
            rows.append(
                {
                    "round": round_number,
                    "load": load,
                    "server": server,
                    "requests_per_s": result.requests_per_s,
                    "rps_vs_prism": _ratio(result.requests_per_s, prism.requests_per_s) if prism else None,
                    "p99_vs_prism": _ratio(result.p99_ms, prism.p99_ms) if prism else None,
                    "rps_vs_ceiling": _ratio(result.requests_per_s, ceiling.requests_per_s)
                    if ceiling
                    else None,
                    "rps_vs_baseline": _ratio(result.requests_per_s, baseline.requests_per_s)
                    if baseline
                    else None,
                    "p99_vs_baseline": _ratio(result.p99_ms, baseline.p99_ms) if baseline else None,
                    "cpu_ms_per_request": cpu.get(server),
                    # Against the SQLite stub of the same checkout, or of this one when that did not run.
                    "rps_vs_sqlite_stub": _ratio(result.requests_per_s, direct_stub.requests_per_s)
                    if server in ("stub-pg", "base-pg")
                    and (
                        direct_stub := same.get(f"{server[:4]}-{all_workers}w")
                        or same.get(f"stub-{all_workers}w")
                    )
                    else None,
                    # What the validating proxy adds to the stub it fronts (same round).
                    "p99_added_by_proxy_ms": round(result.p99_ms - direct.p99_ms, 3)
                    if server == PROXIED and (direct := same.get(f"stub-{all_workers}w"))
                    else None,
                    "cpu_per_request_vs_baseline": _ratio(
                        cpu[server] or 0.0, cpu.get(f"base-{workers}") or 0.0
                    )
                    if baseline and cpu.get(server)
                    else None,
                }
            )
    return rows


def targets(ratio_rows: list[dict[str, Any]], all_workers: int) -> list[dict[str, Any]]:
    """The targets of the creates and example loads (`TARGETS`), checked in every round where the
    stub and Prism both ran."""
    checks: list[dict[str, Any]] = []
    for row in ratio_rows:
        setups = {f"stub-{all_workers}w": "all", "stub-1w": "one", "stub-pg": "pg"}
        setup = setups.get(row["server"])
        if setup is None or (row["rps_vs_prism"] is None and row["rps_vs_sqlite_stub"] is None):
            continue
        where = {"round": row["round"], "load": row["load"], "server": row["server"]}
        for target in TARGETS:
            if setup is None or target.load != row["load"] or target.setup != setup:
                continue
            value = row[target.field]
            met = value is not None and (value >= target.bound if target.at_least else value <= target.bound)
            checks.append({**where, "target": target.text, "value": value, "met": met})
    return checks


def _versions(wrk: str, prism_bin: Path | None) -> dict[str, str]:
    def output(command: list[str]) -> str:
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        text = (completed.stdout or completed.stderr).strip().splitlines()
        return text[0] if text else "unknown"

    return {
        "python": platform.python_version(),
        "connexion": metadata.version("connexion"),
        "uvicorn": metadata.version("uvicorn"),
        "jsonschema-rs": metadata.version("jsonschema-rs"),
        "prism": output([str(prism_bin), "--version"]) if prism_bin else "not run",
        "wrk": output([wrk, "--version"]),
    }


def _print_summary(ratio_rows: list[dict[str, Any]], checks: list[dict[str, Any]]) -> None:
    print("\nratios (each from runs of the same round):")
    for row in ratio_rows:
        if not row["server"].startswith(("stub", "base")):
            continue
        baseline = (
            f"  req/s vs baseline {row['rps_vs_baseline']}  p99 vs baseline {row['p99_vs_baseline']}"
            f"  cpu/req vs baseline {row['cpu_per_request_vs_baseline']}"
            if row["rps_vs_baseline"] is not None
            else ""
        )
        print(
            f"  round {row['round']}  {row['load']:8} {row['server']:10}"
            f"  req/s vs Prism {row['rps_vs_prism']}  p99 vs Prism {row['p99_vs_prism']}"
            f"  req/s vs ceiling {row['rps_vs_ceiling']}{baseline}"
        )
    for row in ratio_rows:
        if row["p99_added_by_proxy_ms"] is not None:
            print(
                f"  round {row['round']}  {row['load']:8} proxied     req/s {row['requests_per_s']:.0f}"
                f"  p99 added by the proxy {row['p99_added_by_proxy_ms']} ms"
            )
    print("\ntargets:")
    for check in checks:
        verdict = "met" if check["met"] else "MISSED"
        print(
            f"  round {check['round']}  {check['load']:8} {check['server']:10} {check['target']:40}"
            f" {check['value']}  {verdict}"
        )


def _creates_profile(seconds: float) -> dict[str, Any]:
    """The creates path under cProfile, one worker in this process: own time per subsystem."""
    result, profiler = profile_load("creates", seconds=seconds)
    areas = [
        {
            "area": area,
            "ms_per_request": round(own * 1000 / max(1, result.requests), 4),
            "share": round(share, 4),
        }
        for area, own, share in own_time_by_area(pstats.Stats(profiler))
    ]
    return {"requests": result.requests, "seconds": seconds, "areas": areas}


def _print_profile(profile: dict[str, Any]) -> None:
    print(f"\ncreates profile ({profile['requests']} requests under cProfile, one worker; own time):")
    for row in profile["areas"]:
        print(f"  {row['area']:36} {row['share']:6.1%}")


def _write_report(out_dir: Path, report: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"bench-{stamp}.json"
    text = json.dumps(report, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    (out_dir / "bench-latest.json").write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    wrk = install.ensure_wrk()
    # Prism is installed (npm) only for a run that includes it.
    prism_bin = install.ensure_prism() if _wanted(arguments, PRISM) else None
    load_names = [name.strip() for name in arguments.loads.split(",") if name.strip()]
    with progress_bus(interval=arguments.progress_interval) as bus:
        progress = BenchProgress(bus, arguments.rounds)
        run = _run(arguments, wrk, prism_bin, load_names, progress)
        bus.publish(RunFinished())
    measurements, kinds, loads = run.measurements, run.kinds, run.loads
    store_cost, creates_profile = run.store_cost, run.creates_profile
    ratio_rows = ratios(measurements, arguments.workers)
    checks = targets(ratio_rows, arguments.workers)
    _print_summary(ratio_rows, checks)
    print(
        f"\nstore cost per create (SQLite, counted): {store_cost['statements_per_create']} statements,"
        f" {store_cost['commits_per_create']} commits, {store_cost['wal_pages_per_create']} WAL pages"
        f" of {store_cost['page_size']} bytes (its settle and journal row included)"
    )
    if creates_profile is not None:
        _print_profile(creates_profile)
    failures = [m for m in measurements if m.result.non_2xx or m.result.socket_errors or m.warmup.non_2xx]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": _versions(wrk, prism_bin),
        "config": {
            "rounds": arguments.rounds,
            "warmup_s": arguments.warmup,
            "duration_s": arguments.duration,
            "connections": arguments.connections,
            "wrk_threads": arguments.wrk_threads,
            "all_workers": arguments.workers,
            "rotated_backups": arguments.backups,
            "stub_args": ["--restore-seconds", str(RESTORE_SECONDS), *arguments.stub_arg],
            "baseline": str(arguments.baseline) if arguments.baseline else None,
        },
        "servers": {k.name: k.description for k in kinds},
        "loads": {load.name: load.description for load, _ in loads},
        "measurements": [m.as_dict() for m in measurements],
        "ratios": ratio_rows,
        "targets": checks,
        "non_2xx_total": sum(m.result.non_2xx for m in measurements),
        "store_cost_per_create": store_cost,
        "creates_profile": creates_profile,
    }
    path = _write_report(arguments.out, report)
    print(f"\nreport: {_shown(path)}")
    if not arguments.no_chart:
        print(_write_chart(path))
    if failures:
        print(f"FAILED: {len(failures)} runs had non-2xx answers or socket errors", file=sys.stderr)
        return 1
    if arguments.strict and not all(c["met"] for c in checks):
        return 1
    return 0


@dataclass
class BenchRun:
    measurements: list[Measurement]
    kinds: list[ServerKind]
    loads: list[tuple[Load, Path]]
    store_cost: dict[str, Any]
    creates_profile: dict[str, Any] | None


def _run(
    arguments: argparse.Namespace,
    wrk: str,
    prism_bin: Path | None,
    load_names: list[str],
    progress: BenchProgress,
) -> BenchRun:
    """The rounds, then the store cost and the creates profile: everything that takes time."""
    with tempfile.TemporaryDirectory(prefix="bench-") as work, ExitStack() as stack:
        work_dir = Path(work)
        seed = write_bench_seed(work_dir / "bench-seed.json", arguments.backups + 1)
        loads: list[tuple[Load, Path]] = []
        for name in load_names:
            if name == "example":
                load = example_load()
            elif name == "creates":
                load = creates_load(arguments.backups, arguments.wrk_threads)
            else:
                raise SystemExit(f"unknown load {name!r}; choose example or creates")
            script = work_dir / f"{name}.lua"
            script.write_text(load.script, encoding="utf-8")
            loads.append((load, script))
        postgres = _bench_postgres(arguments, progress)
        if postgres is not None:
            stack.callback(postgres.stop)
        kinds = _server_kinds(arguments, prism_bin, seed, postgres)
        log_dir = arguments.out / "bench-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        progress.note(
            f"benchmark: {arguments.rounds} rounds x {len(kinds)} servers x {len(loads)} loads,"
            f" {arguments.warmup:g} s warm-up + {arguments.duration:g} s measured,"
            f" wrk {arguments.wrk_threads} thread(s) / {arguments.connections} connections, loopback only"
        )
        progress.started(arguments.rounds * len(kinds) * len(loads))
        measurements: list[Measurement] = []
        for round_number in range(1, arguments.rounds + 1):
            order = kinds if round_number % 2 == 1 else list(reversed(kinds))
            for kind in order:
                measurements.extend(
                    _measure_server(kind, loads, arguments, round_number, wrk, log_dir, progress)
                )
    progress.phase("store cost per create")
    store_cost = measure_store_cost().as_dict()
    creates_profile = None
    if arguments.profile_seconds > 0:
        progress.phase("creates profile")
        creates_profile = _creates_profile(arguments.profile_seconds)
    return BenchRun(measurements, kinds, loads, store_cost, creates_profile)


def _shown(path: Path) -> Path:
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def _write_chart(report_path: Path) -> str:
    """Draw the chart beside the report (and beside bench-latest.json); what happened, as one line."""
    try:
        from tools.bench.chart import write_bench_chart
    except ImportError as exc:  # matplotlib is the `bench` extra
        return f"chart: not drawn ({exc.name} is not installed; it comes with the bench extra)"
    chart = write_bench_chart(report_path)
    (report_path.parent / "bench-latest.svg").write_text(chart.read_text(encoding="utf-8"), encoding="utf-8")
    return f"chart: {_shown(chart)}"
