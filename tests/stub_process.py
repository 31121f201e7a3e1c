"""`StubServer`: the stub as users run it, `python -m server` in a subprocess on a free loopback
port, stopped by its PID. Used by the `live_stub` fixture (tests/conftest.py) and by tests that
need their own stub process (`from tests.stub_process import StubServer`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
DEMO_TOKEN = "csbs-demo-token"
DEMO_PROJECT = "b942cc8342734d15bcb246babb1953cf"
ADMIN_TOKEN = "stub-admin-token"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    """A port the OS just handed out for loopback (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class StubServer:
    """A `python -m server` subprocess; `start()` waits until it answers, `stop()` ends it by PID."""

    data_dir: Path
    log_path: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    token: str = DEMO_TOKEN
    project_id: str = DEMO_PROJECT
    admin_token: str = ADMIN_TOKEN
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "server",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]

    def start(self) -> StubServer:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
                start_new_session=True,  # its workers share its process group, stopped together
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the stub exited at start-up:\n{self.logs()}")
            try:
                if httpx.get(f"{self.base_url}/_stub/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the stub did not answer within {START_TIMEOUT_S}s:\n{self.logs()}")

    def stop(self) -> int | None:
        """SIGTERM to the stub's process group (its PID), SIGKILL if it does not end; the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_S)
        return self.process.returncode

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
