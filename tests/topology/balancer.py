"""HAProxy as a subprocess: `deploy/haproxy.cfg` as shipped, its addresses from the environment.

It runs in the foreground (`-db`), in its own session, on free loopback ports, and is stopped by
its PID. Its stats page (CSV at `/;csv`) says which replicas are in service and why.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from tools.harness.stub_process import LOOPBACK, REPO_ROOT, free_port

CONFIG = REPO_ROOT / "deploy" / "haproxy.cfg"
BACKEND = "replicas"
READY_TIMEOUT_S = 15.0
STOP_GRACE_S = 5.0


def missing_reason() -> str | None:
    """Why HAProxy cannot be started here, or None when it can."""
    if shutil.which("haproxy") is None:
        return "HAProxy is not installed (Debian package `haproxy`)"
    return None


@dataclasses.dataclass(frozen=True)
class ServerState:
    """One replica as the balancer sees it (a row of the stats CSV)."""

    name: str
    status: str  # UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT, ...
    check_status: str  # L7OK, L7STS (wrong status), L4CON (refused), L4TOUT, SOCKERR, ...
    check_code: str  # the HTTP status of the last check, when there was one
    sessions_total: int  # requests (sessions) sent to it so far

    @property
    def in_service(self) -> bool:
        return self.status.startswith("UP")


class HAProxy:
    def __init__(self, replicas: Sequence[str], log_path: Path, *, config: Path = CONFIG) -> None:
        reason = missing_reason()
        if reason is not None:
            raise RuntimeError(reason)
        self.config = config
        self.replicas = list(replicas)
        self.log_path = log_path
        self.port = free_port()
        self.stats_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def stats_url(self) -> str:
        return f"http://{LOOPBACK}:{self.stats_port}/"

    def environment(self) -> dict[str, str]:
        env = {
            "CSBS_LISTEN": f"{LOOPBACK}:{self.port}",
            "CSBS_STATS": f"{LOOPBACK}:{self.stats_port}",
        }
        env.update({f"CSBS_REPLICA_{i}": address for i, address in enumerate(self.replicas, start=1)})
        return env

    def start(self) -> HAProxy:
        command = ["haproxy", "-db", "-f", str(self.config)]
        env = dict(os.environ, **self.environment())
        check = subprocess.run([*command, "-c"], env=env, capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {self.config}:\n{check.stdout}{check.stderr}")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited ({self.process.returncode}):\n{self.logs()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.stats_url, timeout=1.0).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"haproxy did not serve its stats page within {READY_TIMEOUT_S:g}s")

    def servers(self, timeout: float = 2.0) -> dict[str, ServerState]:
        """The replicas of the backend, by server name, as of now."""
        response = httpx.get(f"{self.stats_url};csv", timeout=timeout)
        response.raise_for_status()
        text = response.text.removeprefix("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {
            row["svname"]: ServerState(
                name=row["svname"],
                status=row["status"],
                check_status=row["check_status"],
                check_code=row["check_code"],
                sessions_total=int(row["stot"] or 0),
            )
            for row in rows
            if row["pxname"] == BACKEND and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_for(self, name: str, *, in_service: bool, timeout: float) -> ServerState:
        """Wait until the balancer has (or has not) `name` in service; returns its state then."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.servers()[name]
            if state.in_service == in_service and state.status in ("UP", "DOWN"):
                return state
            if time.monotonic() > deadline:
                wanted = "in service" if in_service else "out of service"
                raise AssertionError(f"{name} not {wanted} within {timeout:g}s: {state}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_GRACE_S)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_GRACE_S)

    def logs(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""


@dataclasses.dataclass(frozen=True)
class Transition:
    at: float  # time.monotonic()
    server: str
    status: str
    check_status: str
    check_code: str


class StatsWatcher:
    """Polls the stats page in the background and records every change of a replica's state,
    so the test can show when the balancer took a replica out of service and why."""

    def __init__(self, balancer: HAProxy, interval: float = 0.1) -> None:
        self.balancer = balancer
        self.interval = interval
        self.transitions: list[Transition] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stats-watcher", daemon=True)

    def _run(self) -> None:
        last: dict[str, tuple[str, str, str]] = {}
        while not self._stop.is_set():
            try:
                servers = self.balancer.servers(timeout=1.0)
            except httpx.HTTPError:
                self.errors += 1
            else:
                now = time.monotonic()
                for name, state in servers.items():
                    key = (state.status, state.check_status, state.check_code)
                    if last.get(name) != key:
                        last[name] = key
                        self.transitions.append(Transition(now, name, *key))
            self._stop.wait(self.interval)

    def start(self) -> StatsWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
