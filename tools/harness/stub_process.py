"""The stub as users run it: `python -m server` in a subprocess on a free loopback port.

One launcher for every caller that needs a real stub process: the `live_stub` fixture and
tests/server (`tests.stub_process.StubServer`), tests/reliability and the soak (kill -9 and
restart on the same data), `python -m tools.contract` (a new port when the chosen one is taken)
and the benchmark's command line (`stub_command`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from server.kit import LAUNCH_DIR, STUB_MODULE
from server.store import redacted_url
from tools.harness.seeds import ADMIN_TOKEN, DEMO_PROJECT, DEMO_TOKEN

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (tests start their own processes from it); installed, the package folder."""
LOOPBACK = "127.0.0.1"
HEALTH_PATH = "/_stub/health"
READY_TIMEOUT_S = 60.0
STOP_GRACE_S = 15.0
KILL_WAIT_S = 30.0


class StubStartError(RuntimeError):
    """The stub exited while starting or did not answer its health check in time."""


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def stub_command(
    port: int,
    data_dir: Path,
    *,
    workers: int | None = None,
    seed: Path | None = None,
    args: Sequence[str] = (),
) -> list[str]:
    """The argv of `python -m server` on loopback; `workers=None` keeps the CLI's default."""
    command = [sys.executable, "-m", STUB_MODULE, "--host", LOOPBACK, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    command += ["--data-dir", str(data_dir)]
    if seed is not None:
        command += ["--seed", str(seed)]
    return command + list(args)


class StubProcess:
    """`python -m server` as a subprocess on a free loopback port, stopped by its PID.

    The server runs in its own session (process group), so `kill9()` takes the uvicorn master
    and all its workers down at once like a power cut, and `stop()` never leaves a worker behind.
    `start()` may be called again after `kill9()` or `stop()`: same port, same data.
    """

    # The default seed's tenant and admin token (also kept by tools.harness.seeds.write_seed).
    token: str = DEMO_TOKEN
    project_id: str = DEMO_PROJECT
    admin_token: str = ADMIN_TOKEN

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int | None = None,
        seed: Path | None = None,
        args: Sequence[str] = (),
        log_path: Path | None = None,
        port: int | None = None,
        ready_timeout: float = READY_TIMEOUT_S,
        start_attempts: int = 1,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """`start_attempts` > 1: when a start fails (another process may have taken the port
        between `free_port()` and the stub binding it), try again on a new port. `env`: variables
        added to the stub's environment."""
        self.data_dir = data_dir
        self.workers = workers
        self.seed = seed
        self.args = tuple(args)
        self.log_path = log_path or data_dir.parent / f"{data_dir.name}-server.log"
        self.port = port or free_port()
        self.ready_timeout = ready_timeout
        self.start_attempts = max(1, start_attempts)
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def command(self) -> list[str]:
        return stub_command(self.port, self.data_dir, workers=self.workers, seed=self.seed, args=self.args)

    def start(self, ready_timeout: float | None = None) -> StubProcess:
        """Start the stub and wait until its health check answers 200."""
        if self.alive():
            raise RuntimeError("the stub is already running")
        for attempt in range(self.start_attempts):
            if attempt:
                self.port = free_port()
            try:
                self._launch()
                self.wait_ready(self.ready_timeout if ready_timeout is None else ready_timeout)
                return self
            except StubStartError:
                if attempt + 1 == self.start_attempts:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _launch(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = self.command()
        with self.log_path.open("ab") as log:
            # Marks each start, so the log of a restarted stub shows where each run began.
            # Store URLs without their password: the log must hold no secret the stub keeps out.
            shown = " ".join(redacted_url(arg) if "://" in arg else arg for arg in command)
            log.write(f"--- start {self.starts + 1}: {shown}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                cwd=LAUNCH_DIR,
                env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers share its process group, stopped together
            )
        self.starts += 1

    def wait_ready(self, timeout: float) -> None:
        """Wait until the stub's health check answers 200; stop it and raise if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise StubStartError(
                    f"the stub exited during start-up (code {code}); log {self.log_path}:\n"
                    f"{self.logs()[-4000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}{HEALTH_PATH}", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise StubStartError(
            f"the stub did not answer on {self.base_url} within {timeout:g}s; log {self.log_path}:\n"
            f"{self.logs()[-4000:]}"
        )

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the stub was never started")
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _signal_group(self, signum: int) -> None:
        # The group id is the PID of the process we started (start_new_session=True).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once, as a crash would."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=KILL_WAIT_S)

    def stop(self, grace: float = STOP_GRACE_S) -> int | None:
        """SIGTERM the process group (a clean shutdown), then SIGKILL whatever is left of it;
        returns the master's exit code (None when it was never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=KILL_WAIT_S)
        return self.process.returncode

    def logs(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> StubProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
