"""Start and stop the servers under test, each as its own process group on a free loopback port."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tools.bench.loads import RESTORES_PATH, TENANT_TOKEN
from tools.harness.stub_process import stub_command

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class ServerKind:
    """How to start one server under test.

    `command` gets the port and a fresh scratch directory and returns the argv.
    """

    name: str
    description: str
    command: Callable[[int, Path], list[str]]
    workers: int
    cwd: Path | None = None
    """Directory to start in (another checkout of the repo for a baseline stub)."""


@dataclass(frozen=True)
class RunningServer:
    kind: ServerKind
    port: int
    pid: int
    log_path: Path
    scratch: Path
    """The server's own scratch directory (the stub's data dir)."""

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def group_processes(process_group: int, proc: Path = Path("/proc")) -> Iterator[tuple[int, list[str]]]:
    """(pid, fields of /proc/<pid>/stat after the command name) of each live process of one
    process group (a server and its workers)."""
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        # Fields after the command name (which may hold spaces) start at ") ".
        fields = raw.rsplit(") ", 1)[-1].split()
        if len(fields) > 13 and int(fields[2]) == process_group:
            yield int(entry.name), fields


def group_cpu_seconds(process_group: int) -> float:
    """User + system CPU seconds used so far by the live processes of one process group, read
    from /proc. Unlike throughput, CPU time per request hardly moves when other work competes
    for the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = sum(int(fields[11]) + int(fields[12]) for _, fields in group_processes(process_group))
    return total / ticks  # utime + stime


def free_port() -> int:
    """A port the kernel just handed out on loopback (closed again, so a server can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
        assert isinstance(port, int)
        return port


def post(port: int, body: bytes, headers: dict[str, str], timeout_s: float = 10.0) -> tuple[int, bytes]:
    """One POST to the restores path; returns status and body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout_s)
    try:
        connection.request("POST", RESTORES_PATH, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait_until_answering(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll with a bodiless POST until the server answers anything over HTTP."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode} while starting; log {log_path}:\n"
                + log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            )
        try:
            post(port, b"{}", {"Content-Type": "application/json", "X-Auth-Token": TENANT_TOKEN}, 2.0)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer within {STARTUP_TIMEOUT_S:.0f} s; log {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it started its own), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def running(kind: ServerKind, log_dir: Path) -> Iterator[RunningServer]:
    """Run one server for the duration of the block, in a fresh scratch directory."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind.name}-") as scratch:
        port = free_port()
        log_path = log_dir / f"{kind.name}-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                kind.command(port, Path(scratch)),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=kind.cwd,
            )
        try:
            _wait_until_answering(port, process, log_path)
            yield RunningServer(
                kind=kind, port=port, pid=process.pid, log_path=log_path, scratch=Path(scratch)
            )
        finally:
            _stop(process)


def stub_kind(
    workers: int | None,
    seed_path: Path,
    extra_args: tuple[str, ...] = (),
    checkout: Path | None = None,
    prefix: str = "stub",
) -> ServerKind:
    """The stub with `workers` workers (None: the CLI's default), started in `checkout` (another
    work tree of the repo) when given; named `<prefix>-<n>w`."""
    worker_args = [] if workers is None else ["--workers", str(workers)]
    label = "default" if workers is None else f"{workers}w"

    def command(port: int, scratch: Path) -> list[str]:
        return stub_command(port, scratch, workers=workers, seed=seed_path, args=extra_args)

    shown = " ".join(["python -m server", *worker_args])
    where = "" if checkout is None else f" as checked out in {checkout}"
    return ServerKind(
        name=f"{prefix}-{label}",
        description=f"the stub{where}, `{shown}` (request and response validation, SQLite, journal on)",
        command=command,
        workers=workers or 0,
        cwd=checkout,
    )


def postgres_stub_kind(
    workers: int,
    seed_path: Path,
    database: Callable[[], str],
    extra_args: tuple[str, ...] = (),
    checkout: Path | None = None,
    prefix: str = "stub",
) -> ServerKind:
    """The stub with `workers` workers on a PostgreSQL database; `database()` gives the URL of a
    fresh, empty database for each run. Started in `checkout` when given; named `<prefix>-pg`."""

    def command(port: int, scratch: Path) -> list[str]:
        url = database()
        args = (*extra_args, "--store", url, "--allow-demo-tokens")
        return stub_command(port, scratch, workers=workers, seed=seed_path, args=args)

    where = "" if checkout is None else f" as checked out in {checkout}"
    return ServerKind(
        name=f"{prefix}-pg",
        description=f"the stub{where}, `python -m server --workers {workers} --store postgresql://...`"
        " on a PostgreSQL server of its own (Debian's package, fsync on)",
        command=command,
        workers=workers,
        cwd=checkout,
    )


def proxied_kind(seed_path: Path, extra_args: tuple[str, ...] = ()) -> ServerKind:
    """The stub (default workers) behind the validating proxy (`tools/bench/proxied.py`)."""

    def command(port: int, scratch: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tools.bench.proxied",
            "--port",
            str(port),
            "--data-dir",
            str(scratch),
            "--seed",
            str(seed_path),
            *extra_args,
        ]

    return ServerKind(
        name="proxied",
        description="the stub (default workers) behind `python -m server --proxy` (one worker), both counted",
        command=command,
        workers=0,
    )


def prism_kind(prism_bin: Path, spec: Path) -> ServerKind:
    def command(port: int, scratch: Path) -> list[str]:
        return [str(prism_bin), "mock", "-h", HOST, "-p", str(port), "-v", "silent", str(spec)]

    return ServerKind(
        name="prism",
        description="Prism's mock server, `prism mock -v silent` (its fastest mode), same contract",
        command=command,
        workers=1,
    )


def ceiling_kind(workers: int) -> ServerKind:
    def command(port: int, scratch: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "tools.bench.ceiling:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]

    return ServerKind(
        name=f"ceiling-{workers}w",
        description=f"bare Starlette app, uvicorn --workers {workers}: reads the body, answers fixed bytes",
        command=command,
        workers=workers,
    )


def probe(server: RunningServer, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    """One request before the load: it must be a 200 with a JSON body holding a restore."""
    status, answer = post(server.port, body, headers)
    if status != 200:
        raise RuntimeError(f"{server.kind.name} answered the probe with {status}: {answer[:500]!r}")
    document = json.loads(answer)
    if not isinstance(document, dict) or "restore" not in document:
        raise RuntimeError(f"{server.kind.name} answered the probe without a restore: {answer[:500]!r}")
    return document
