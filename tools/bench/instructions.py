"""Instructions per create, counted by callgrind: a measure of a lever that the machine's noise
does not move.

`python -m tools.bench.instructions [--counts 480,1440] [--stub-checkout DIR]`

CPU time per create moves by up to a fifth between runs of one commit on a shared machine, more
than most single levers gain. Instructions do not: the app runs in process (its ASGI interface,
no sockets, no uvicorn), creates arrive in groups of 16 per event-loop turn as wrk's connections
bring them, and valgrind's callgrind counts the instructions of two runs that differ only in
the number of measured creates. Their difference, divided by the difference of the counts, is
the cost of one create with start-up (imports, the seed, the spec) cancelled out. Kernel time is
not counted, so a lever that removes a system call or a wait is judged by `make bench` instead.
Each run takes a few minutes under valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
GROUP = 16
WARMUP_GROUPS = 10
BACKUPS = 2000
_TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def instructions_of(callgrind_output: str) -> int:
    """The program's total instruction count from a callgrind output file's text."""
    found = _TOTALS.search(callgrind_output)
    if found is None:
        raise ValueError("no summary line in the callgrind output")
    return int(found.group(1))


def per_create(counts: tuple[int, int], instructions: tuple[int, int]) -> float:
    """Instructions of one create from two runs of `counts` creates."""
    (few, many), (low, high) = counts, instructions
    if many <= few:
        raise ValueError("the second run must measure more creates than the first")
    return (high - low) / (many - few)


async def drive_creates(app: Any, count: int, *, warmup_groups: int = WARMUP_GROUPS) -> Counter[int]:
    """Send `warmup_groups` groups of creates, then `count` more, in groups of GROUP per loop
    turn, through the app's ASGI interface; the status of every answer, counted."""
    from tools.bench.loads import RESTORES_PATH, TENANT_TOKEN, create_body

    statuses: Counter[int] = Counter()
    bodies = [json.dumps(create_body(index)).encode() for index in range(BACKUPS)]

    async def one(index: int) -> None:
        body = bodies[index % BACKUPS]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": RESTORES_PATH,
            "raw_path": RESTORES_PATH.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8080"),
                (b"content-type", b"application/json"),
                (b"x-auth-token", TENANT_TOKEN.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                statuses[int(message["status"])] += 1

        await app(scope, receive, send)

    total = warmup_groups * GROUP + count
    for first in range(0, total, GROUP):
        await asyncio.gather(*(one(index) for index in range(first, min(total, first + GROUP))))
    return statuses


def run_inner(count: int) -> int:
    """The process callgrind runs: build the app as a worker does, drive the creates, print
    the statuses (all must be 200: a refused create costs less and would flatter the count)."""
    from server.app import create_app
    from server.cli import freeze_startup_heap
    from server.settings import Settings
    from tools.bench.loads import write_bench_seed

    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as scratch:
        work = Path(scratch)
        seed = write_bench_seed(work / "seed.json", BACKUPS + 1)
        app = create_app(Settings(data_dir=work, seed_path=seed, restore_seconds=0.25))
        freeze_startup_heap()
        try:
            statuses = asyncio.run(drive_creates(app, count))
        finally:
            app.close()
    print(json.dumps(dict(statuses)))
    return 0 if set(statuses) == {200} else 1


def count_instructions(count: int, checkout: Path, out_dir: Path) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    output = out_dir / f"callgrind.{count}.out"
    done = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            f"--callgrind-out-file={output}",
            sys.executable,
            "-m",
            "tools.bench.instructions",
            "--inner",
            str(count),
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run of {count} creates failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return instructions_of(output.read_text(encoding="utf-8", errors="replace"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.instructions", description=__doc__)
    parser.add_argument("--counts", default="480,1440", help="measured creates of the two runs")
    parser.add_argument(
        "--stub-checkout", type=Path, default=REPO_ROOT, help="the checkout whose stub is counted"
    )
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.inner is not None:
        return run_inner(arguments.inner)
    try:
        few, many = (int(part) for part in arguments.counts.split(","))
    except ValueError:
        parser.error("--counts takes two numbers, such as 480,1440")
    checkout = arguments.stub_checkout.resolve()
    if not (checkout / "tools" / "bench" / "instructions.py").exists():
        parser.error(f"{checkout} has no tools/bench/instructions.py to run")
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as scratch:
        low = count_instructions(few, checkout, Path(scratch))
        high = count_instructions(many, checkout, Path(scratch))
    print(f"{per_create((few, many), (low, high)):,.0f} instructions per create ({checkout})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
