"""Soak test of the stub: minutes of mixed valid and hostile traffic with periodic kill -9.

`make soak` (or `python -m tools.soak --minutes 3`) starts `python -m server` on a free loopback
port with several workers and a temporary data directory, drives it with concurrent clients that
send valid creates and hostile requests, kills the whole process group with SIGKILL at intervals,
restarts it on the same data, and checks after every restart that each restore the stub
acknowledged (HTTP 200) is still stored, unchanged. It prints requests served, errors by class,
kills survived and restores lost, and exits non-zero when a restore was lost, a 5xx was answered
or an answer broke the error format.

The process and raw-socket helpers here are shared with `tests/reliability/`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import io
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"

# The default seed's tenants and admin token (server/seeds/default.yaml); generated seeds keep them.
DEMO_PROJECT = "b942cc8342734d15bcb246babb1953cf"
DEMO_TOKEN = "csbs-demo-token"
OTHER_PROJECT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
OTHER_TOKEN = "csbs-other-token"
ADMIN_TOKEN = "stub-admin-token"
PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"
SERVER_RESOURCE_TYPE = "OS::Nova::Server"
_SEED_NAMESPACE = uuid.UUID("6d2c1f0e-8a4b-4c3d-9e5f-0a1b2c3d4e5f")

# What must never reach a client: signs of a stack trace or of the stub's own files.
LEAK_MARKERS: tuple[str, ...] = ("Traceback", "/work/", ".py", 'File "', "site-packages")


@dataclasses.dataclass(frozen=True)
class SeedServer:
    """One backed-up server of a generated seed: a checkpoint item with a single volume backup."""

    project_id: str
    item_id: str
    checkpoint_id: str
    server_id: str
    backup_id: str
    volume_id: str

    def create_body(self, *, restore_target: str | None = None) -> dict[str, Any]:
        """A valid create-restore body for this server, every optional field filled in."""
        restore: dict[str, Any] = {
            "provider_id": PROVIDER_ID,
            "checkpoint_id": self.checkpoint_id,
            "parameters": {
                "checkpoint_item_id": self.item_id,
                "power_on": True,
                "targets": {
                    "server_id": self.server_id,
                    "volumes": [{"backup_id": self.backup_id, "volume_id": self.volume_id}],
                },
            },
        }
        if restore_target is not None:
            restore["restore_target"] = restore_target
        return {"restore": restore}


def seed_servers(project_id: str, count: int) -> list[SeedServer]:
    """`count` servers of `project_id` with deterministic IDs (UUIDv5), the same on every run."""

    def make_id(kind: str, index: int) -> str:
        return str(uuid.uuid5(_SEED_NAMESPACE, f"{project_id}/{kind}/{index}"))

    return [
        SeedServer(
            project_id=project_id,
            item_id=make_id("item", index),
            checkpoint_id=make_id("checkpoint", index),
            server_id=make_id("server", index),
            backup_id=make_id("volume-backup", index),
            volume_id=make_id("volume", index),
        )
        for index in range(count)
    ]


def write_seed(path: Path, servers_per_project: int) -> dict[str, list[SeedServer]]:
    """Write a seed YAML with the default tenants and many independent servers per project.

    Load tests need many servers because the stub refuses a second restore of a server that is
    still being restored (CSBS.6015).
    """
    servers = {
        DEMO_PROJECT: seed_servers(DEMO_PROJECT, servers_per_project),
        OTHER_PROJECT: seed_servers(OTHER_PROJECT, servers_per_project),
    }
    tokens = {DEMO_PROJECT: DEMO_TOKEN, OTHER_PROJECT: OTHER_TOKEN}
    document = {
        "admin_tokens": [ADMIN_TOKEN],
        "projects": [
            {
                "project_id": project_id,
                "tokens": [tokens[project_id]],
                "backups": [
                    {
                        "id": server.item_id,
                        "name": f"soak-server-{index:04d}",
                        "checkpoint_id": server.checkpoint_id,
                        "resource_id": server.server_id,
                        "resource_type": SERVER_RESOURCE_TYPE,
                        "status": "available",
                        "extend_info": {
                            "volume_backups": [
                                {
                                    "id": server.backup_id,
                                    "source_volume_id": server.volume_id,
                                    "source_volume_size": 40,
                                    "bootable": True,
                                }
                            ]
                        },
                    }
                    for index, server in enumerate(project_servers)
                ],
            }
            for project_id, project_servers in servers.items()
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return servers


def free_port() -> int:
    """A loopback TCP port that was free a moment ago (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class RawResponse:
    """One HTTP answer read off a socket."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def json(self) -> object:
        return json.loads(self.body)


class _ReplayedSocket:
    """Hands bytes already read from a socket to `http.client.HTTPResponse`, which wants a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str, *args: object, **kwargs: object) -> io.BytesIO:
        return io.BytesIO(self._data)


def parse_response(data: bytes, *, request_method: str = "POST") -> RawResponse:
    """Parse raw response bytes with the standard library's HTTP/1.1 parser."""
    response = http.client.HTTPResponse(
        _ReplayedSocket(data),  # type: ignore[arg-type]  # duck-typed: only makefile() is used
        method=request_method,
    )
    response.begin()
    try:
        body = response.read()
    except http.client.IncompleteRead as partial:
        body = partial.partial
    return RawResponse(
        status=response.status,
        reason=response.reason,
        headers=tuple(response.getheaders()),
        body=body,
    )


def build_request(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    content_length: bool = True,
) -> bytes:
    """An HTTP/1.1 request as bytes, with Host and `Connection: close` (so the answer ends at EOF).

    Headers are written as given, in order, so a case can send duplicates or odd values;
    Content-Length is added unless `content_length` is false (e.g. for chunked bodies).
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def raw_exchange(
    port: int,
    request: bytes,
    *,
    timeout: float = 30.0,
    request_method: str = "POST",
    half_close: bool = False,
) -> RawResponse | None:
    """Send raw bytes to the stub and read its answer until it closes the connection.

    Sending and reading are interleaved, so an answer the server gives before it has read the
    whole request (a 413 for a huge body) is caught even if the server then resets the
    connection. `half_close` shuts the write side after sending (a client that stops mid-body).
    Returns None when the connection ended without any answer.
    """
    deadline = time.monotonic() + timeout
    received = bytearray()
    pending = memoryview(request)
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.setblocking(False)
        write_closed = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete answer within {timeout}s; got {bytes(received[:200])!r}")
            writers = [sock] if len(pending) else []
            readable, writable, _ = select.select([sock], writers, [], min(remaining, 1.0))
            if readable:
                try:
                    chunk = sock.recv(1 << 16)
                except (ConnectionResetError, BrokenPipeError):
                    break
                if not chunk:
                    break
                received += chunk
            if writable and len(pending):
                try:
                    sent = sock.send(pending[: 1 << 16])
                    pending = pending[sent:]
                except (BrokenPipeError, ConnectionResetError):
                    # The server stopped reading; its answer, if any, is already on the way.
                    pending = pending[:0]
            if not len(pending) and half_close and not write_closed:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
                write_closed = True
    if not received:
        return None
    return parse_response(bytes(received), request_method=request_method)


class StubProcess:
    """`python -m server` as a subprocess on a free loopback port, stopped by its PID.

    The server runs in its own session (process group), so `kill9()` takes the uvicorn master
    and all its workers down at once like a power cut, and `stop()` never leaves a worker behind.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        seed: Path | None = None,
        extra_args: Sequence[str] = (),
        log_path: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.seed = seed
        self.extra_args = tuple(extra_args)
        self.log_path = log_path or data_dir.parent / f"{data_dir.name}-server.log"
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "server",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        return command + list(self.extra_args)

    def start(self, ready_timeout: float = 60.0) -> None:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the stub is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1}: {' '.join(self.command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        """Wait until the stub answers HTTP (any status) on its port."""
        deadline = time.monotonic() + timeout
        probe = build_request("GET", "/", content_length=False)
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the stub exited during start-up:\n{self.logs()[-4000:]}")
            with contextlib.suppress(OSError, TimeoutError, http.client.HTTPException):
                if raw_exchange(self.port, probe, timeout=2.0, request_method="GET") is not None:
                    return
            time.sleep(0.1)
        self.kill9()
        raise RuntimeError(f"the stub did not answer within {timeout}s:\n{self.logs()[-4000:]}")

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
        self.process.wait(timeout=30)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the master (a clean shutdown), then SIGKILL whatever is left of its group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)

    def logs(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def __enter__(self) -> StubProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def running_stub(
    data_dir: Path,
    *,
    workers: int = 2,
    seed: Path | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[StubProcess]:
    stub = StubProcess(data_dir, workers=workers, seed=seed, extra_args=extra_args)
    try:
        stub.start()
        yield stub
    finally:
        stub.stop()
