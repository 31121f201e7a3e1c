"""Where a request's time goes: the stub in one process under cProfile while wrk sends a load.

`python -m tools.bench.profile [--load example|creates] [--seconds 10] [--top 40]`

The stub runs in this process (one uvicorn worker, its usual settings and a fresh data dir); wrk
runs beside it for a bounded time; then the profile is printed sorted by own time and by
cumulative time, and saved under reports/ for snakeviz/pstats.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from server.app import create_app
from server.connection import JsonRefusals
from server.settings import Settings
from tools.bench import install
from tools.bench.loads import REPO_ROOT, RESTORES_PATH, creates_load, example_load, write_bench_seed
from tools.bench.servers import HOST, free_port
from tools.bench.wrk import WrkResult, run_wrk


def profile_load(
    load_name: str, *, seconds: float, connections: int = 32, backups: int = 4000
) -> tuple[WrkResult, cProfile.Profile]:
    """Serve `load_name` for `seconds` under cProfile (after a 2 s warm-up that is not profiled)."""
    wrk = install.ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        work = Path(scratch)
        seed = write_bench_seed(work / "seed.json", backups + 1)
        load = example_load() if load_name == "example" else creates_load(backups, 1)
        script = work / "load.lua"
        script.write_text(load.script, encoding="utf-8")
        app = create_app(Settings(data_dir=work, seed_path=seed))
        port = free_port()
        # The connection layer `python -m server` runs (JSON refusals, one send per answer).
        config = uvicorn.Config(
            app, host=HOST, port=port, log_level="warning", access_log=False, lifespan="on", http=JsonRefusals
        )
        server = uvicorn.Server(config)
        loop_thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        loop_thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://{HOST}:{port}{RESTORES_PATH}"
        run_wrk(wrk, url, script, seconds=2, connections=connections, threads=1)
        if load_name == "creates":
            time.sleep(3)  # the warm-up's restores end before the profiled run
        profiler = cProfile.Profile()
        # cProfile watches the thread that enables it, so it is switched on and off from inside
        # the server's event loop (every handler of the stub is async and runs on that loop).
        enable_done = threading.Event()

        def enable() -> None:
            profiler.enable()
            enable_done.set()

        def disable() -> None:
            profiler.disable()
            enable_done.clear()

        loop = _server_loop(server)
        loop.call_soon_threadsafe(enable)
        enable_done.wait(5)
        result = run_wrk(wrk, url, script, seconds=seconds, connections=connections, threads=1)
        loop.call_soon_threadsafe(disable)
        time.sleep(0.5)
        server.should_exit = True
        loop_thread.join(timeout=15)
        app.close()
    return result, profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.profile", description=__doc__)
    parser.add_argument("--load", choices=("example", "creates"), default="creates")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backups", type=int, default=4000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports")
    arguments = parser.parse_args(argv)
    result, profiler = profile_load(
        arguments.load,
        seconds=arguments.seconds,
        connections=arguments.connections,
        backups=arguments.backups,
    )
    arguments.out.mkdir(parents=True, exist_ok=True)
    stats_path = arguments.out / f"profile-{arguments.load}.pstats"
    profiler.dump_stats(stats_path)
    print(
        f"profiled {result.requests} requests ({result.requests_per_s:.0f} req/s under the profiler,"
        f" non-2xx {result.non_2xx}); stats in {stats_path}"
    )
    print("\n=== own time by where the code lives ===")
    for area, seconds, share in own_time_by_area(pstats.Stats(profiler)):
        print(f"  {area:34} {seconds * 1000 / max(1, result.requests):7.3f} ms/request  {share:5.1%}")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(arguments.top)
        print(f"\n=== sorted by {order} ===")
        print(_trim(text.getvalue()))
    return 0


AREAS: tuple[tuple[str, str], ...] = (
    ("/server/", "stub code (server/)"),
    ("connexion/", "connexion"),
    ("starlette/", "starlette"),
    ("werkzeug/", "werkzeug (connexion's context proxies)"),
    ("uvicorn/", "uvicorn"),
    ("jsonschema_rs", "jsonschema-rs (compiled validation)"),
    ("jsonschema/", "jsonschema (pure Python)"),
    ("sqlite3", "SQLite"),
    ("json/", "json encode/decode"),
    ("_socket", "socket send/recv"),
    ("asyncio/", "asyncio event loop"),
    ("logging/", "logging"),
)


def own_time_by_area(stats: pstats.Stats) -> list[tuple[str, float, float]]:
    """Own (not cumulative) time summed per library or subsystem, largest first."""
    totals: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in raw.items():
        where = f"{filename}:{function}"
        area = next((name for marker, name in AREAS if marker in where), "other Python and builtins")
        totals[area] = totals.get(area, 0.0) + own
    whole = sum(totals.values()) or 1.0
    return sorted(((area, t, t / whole) for area, t in totals.items()), key=lambda item: -item[1])


def _server_loop(server: uvicorn.Server) -> asyncio.AbstractEventLoop:
    """The event loop uvicorn runs on (the one its servers were created in)."""
    for listener in server.servers:
        loop = listener.get_loop()
        return loop
    raise RuntimeError("uvicorn has no listening server")


def _trim(text: str) -> str:
    site = str(Path(uvicorn.__file__).resolve().parents[1]) + "/"
    return text.replace(site, "").replace(str(REPO_ROOT) + "/", "")


if __name__ == "__main__":
    raise SystemExit(main())
