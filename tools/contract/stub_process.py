"""Start the stub (`python -m server`) on a free loopback port and stop it again by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tools.contract.config import REPO_ROOT

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3


class StubStartError(RuntimeError):
    """The stub did not start listening."""


def free_port() -> int:
    """A port that was free a moment ago (bind to port 0 and let the OS choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _start(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "server",
        "--host",
        HOST,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StubStartError(f"the stub exited with code {process.returncode}; see {log_path}")
        if _is_listening(port):
            return process
        time.sleep(0.1)
    _stop(process)
    raise StubStartError(
        f"the stub did not listen on {HOST}:{port} within {START_TIMEOUT:.0f}s; see {log_path}"
    )


@contextlib.contextmanager
def running_stub(log_path: Path) -> Iterator[str]:
    """Run the stub with a fresh data directory and yield its base URL; stop it on exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="csbs-contract-") as data_dir:
        error: StubStartError | None = None
        # Another process may take the chosen port before the stub binds it; try a new one then.
        for _ in range(START_ATTEMPTS):
            port = free_port()
            try:
                process = _start(port, Path(data_dir), log_path)
            except StubStartError as exc:
                error = exc
                continue
            try:
                yield f"http://{HOST}:{port}"
            finally:
                _stop(process)
            return
        assert error is not None
        raise error
