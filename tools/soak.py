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

import argparse
import contextlib
import dataclasses
import http.client
import io
import json
import os
import random
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from server.settings import DATABASE_FILE_NAME

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
# Fields of a restore that never change after it is created (status and resources_* do).
IMMUTABLE_FIELDS: tuple[str, ...] = (
    "id",
    "checkpoint_id",
    "project_id",
    "provider_id",
    "parameters",
    "restore_target",
)


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


DOCUMENT_SERVER = SeedServer(
    project_id=DEMO_PROJECT,
    item_id="504b7d59-c361-411f-9ed3-814f35d08e3d",
    checkpoint_id="a2b9fb53-2770-4fcd-9bad-6cadd56e6c09",
    server_id="f45c477a-57e5-465f-999f-d845083962db",
    backup_id="bc118c24-3234-4afd-8423-d66d3d677649",
    volume_id="ee27f809-6fb5-40ae-ac46-c932bb4ee8fe",
)
"""The document's example backup; generated seeds hold it too, so the document's request works."""


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
    still being restored (CSBS.6015). The demo project also holds the document's example backup
    (`DOCUMENT_SERVER`), which is not part of the returned lists.
    """
    servers = {
        DEMO_PROJECT: [DOCUMENT_SERVER, *seed_servers(DEMO_PROJECT, servers_per_project)],
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
    servers[DEMO_PROJECT] = servers[DEMO_PROJECT][1:]
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


def _answer_complete(data: bytes, request_method: str) -> bool:
    """Whether `data` holds one whole HTTP answer (so a kept-alive connection need not close)."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = data[:head_end].decode("latin-1").lower()
    body = data[head_end + 4 :]
    status_line, _, header_text = head.partition("\r\n")
    status = status_line.split(" ")[1] if status_line.count(" ") >= 1 else ""
    if request_method == "HEAD" or status in ("204", "304"):
        return True
    headers = dict(line.split(":", 1) for line in header_text.split("\r\n") if ":" in line)
    if "content-length" in headers:
        return len(body) >= int(headers["content-length"].strip() or 0)
    if "chunked" in headers.get("transfer-encoding", ""):
        return body.endswith(b"0\r\n\r\n")
    return False  # the body runs until the server closes the connection


def raw_exchange(
    port: int,
    request: bytes,
    *,
    timeout: float = 30.0,
    request_method: str = "POST",
    half_close: bool = False,
) -> RawResponse | None:
    """Send raw bytes to the stub and read one whole answer (or until it closes the connection).

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
        while not _answer_complete(bytes(received), request_method):
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
        """Wait until the stub's health check answers 200."""
        deadline = time.monotonic() + timeout
        probe = build_request("GET", "/_stub/health", content_length=False)
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the stub exited during start-up:\n{self.logs()[-4000:]}")
            with contextlib.suppress(OSError, TimeoutError, http.client.HTTPException):
                answer = raw_exchange(self.port, probe, timeout=2.0, request_method="GET")
                if answer is not None and answer.status == 200:
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


@dataclasses.dataclass(frozen=True)
class CreateOutcome:
    """What one create-restore call got: an answer, or a transport failure (no answer)."""

    client: int
    server: SeedServer
    status: int | None
    error_code: str | None = None
    restore: dict[str, Any] | None = None
    text: str = ""
    transport_error: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status == 200 and self.restore is not None


def send_create(http: httpx.Client, client: int, server: SeedServer, token: str) -> CreateOutcome:
    try:
        response = http.post(
            f"/v1/{server.project_id}/restores",
            json=server.create_body(),
            headers={"X-Auth-Token": token},
        )
    except httpx.HTTPError as exc:
        return CreateOutcome(client, server, None, transport_error=f"{type(exc).__name__}: {exc}")
    text = response.text[:2000]
    try:
        payload = response.json()
    except ValueError:
        return CreateOutcome(client, server, response.status_code, text=text)
    if response.status_code == 200 and isinstance(payload, dict) and isinstance(payload.get("restore"), dict):
        return CreateOutcome(client, server, 200, restore=payload["restore"], text=text)
    code = payload.get("error_code") if isinstance(payload, dict) else None
    return CreateOutcome(client, server, response.status_code, error_code=str(code), text=text)


def run_clients(
    base_url: str,
    plans: Sequence[Sequence[SeedServer]],
    token: str,
    *,
    stop: threading.Event | None = None,
    timeout: float = 30.0,
    outcomes: list[CreateOutcome] | None = None,
) -> list[CreateOutcome]:
    """One thread and one HTTP connection pool per plan; all start together; bounded by the plans.

    Each outcome is appended to `outcomes` (a new list unless given) as soon as it is known, so
    another thread can watch progress. `stop` ends every client early (the rest of its plan is
    not sent).
    """
    collected: list[CreateOutcome] = [] if outcomes is None else outcomes
    lock = threading.Lock()
    start = threading.Barrier(len(plans))

    def client_loop(index: int, plan: Sequence[SeedServer]) -> None:
        with httpx.Client(base_url=base_url, timeout=timeout) as http:
            start.wait()
            for server in plan:
                if stop is not None and stop.is_set():
                    break
                outcome = send_create(http, index, server, token)
                with lock:
                    collected.append(outcome)

    threads = [
        threading.Thread(target=client_loop, args=(i, plan), daemon=True) for i, plan in enumerate(plans)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * (len(max(plans, key=len)) + 2))
    return collected


def read_stored_restores(database: Path) -> dict[str, dict[str, Any]]:
    """Every stored restore by ID, read from the stub's SQLite file in read-only mode.

    Needs the server running (or cleanly stopped): after a crash, SQLite's WAL recovery needs
    write access, which a read-only connection does not have.
    """
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT id, project_id, server_id, status, created_at, finish_at, document"
            " FROM restores ORDER BY seq"
        ).fetchall()
    finally:
        connection.close()
    stored: dict[str, dict[str, Any]] = {}
    for row in rows:
        record = dict(row)
        record["document"] = json.loads(row["document"])
        if row["id"] in stored:
            raise AssertionError(f"restore {row['id']} is stored twice")
        stored[row["id"]] = record
    return stored


class BackgroundLoad:
    """`run_clients` in a background thread, so the caller can kill the stub while it runs."""

    def __init__(
        self, base_url: str, plans: Sequence[Sequence[SeedServer]], token: str, *, timeout: float = 10.0
    ) -> None:
        self.stop_event = threading.Event()
        self.outcomes: list[CreateOutcome] = []
        self._thread = threading.Thread(
            target=self._run, args=(base_url, plans, token, timeout), name="background-load", daemon=True
        )

    def _run(self, base_url: str, plans: Sequence[Sequence[SeedServer]], token: str, timeout: float) -> None:
        run_clients(base_url, plans, token, stop=self.stop_event, timeout=timeout, outcomes=self.outcomes)

    def start(self) -> BackgroundLoad:
        self._thread.start()
        return self

    def wait_for_acknowledged(self, count: int, timeout: float = 120.0) -> None:
        """Block until `count` creates were answered 200 (the load is really under way)."""
        deadline = time.monotonic() + timeout
        while sum(1 for outcome in list(self.outcomes) if outcome.acknowledged) < count:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise TimeoutError(f"fewer than {count} creates were acknowledged")
            time.sleep(0.02)

    def finish(self, timeout: float = 120.0) -> list[CreateOutcome]:
        """Tell the clients to stop, wait for them and return every outcome."""
        self.stop_event.set()
        self._thread.join(timeout=timeout)
        if self._thread.is_alive():
            raise TimeoutError("the load clients did not stop")
        return self.outcomes


# --- the soak itself -------------------------------------------------------------------------


def hostile_requests() -> list[tuple[str, bytes]]:
    """A small, cheap set of refused requests for the soak (the full corpus is tests/reliability)."""
    path = f"/v1/{DEMO_PROJECT}/restores"
    json_headers = (("X-Auth-Token", DEMO_TOKEN), ("Content-Type", "application/json"))
    valid = json.dumps(seed_servers(DEMO_PROJECT, 1)[0].create_body()).encode()
    depth = 10_000
    return [
        ("malformed-json", build_request("POST", path, body=b'{"restore": ', headers=json_headers)),
        (
            "wrong-type",
            build_request("POST", path, body=b'{"restore": {"checkpoint_id": 7}}', headers=json_headers),
        ),
        ("non-utf8", build_request("POST", path, body=b'{"restore": "\xff\xfe"}', headers=json_headers)),
        ("deep-nesting", build_request("POST", path, body=b"[" * depth + b"]" * depth, headers=json_headers)),
        (
            "duplicate-keys",
            build_request("POST", path, body=b'{"restore": 1, "restore": {}}', headers=json_headers),
        ),
        (
            "no-token",
            build_request("POST", path, body=valid, headers=(("Content-Type", "application/json"),)),
        ),
        (
            "other-tenant-path",
            build_request("POST", f"/v1/{OTHER_PROJECT}/restores", body=valid, headers=json_headers),
        ),
        (
            "wrong-content-type",
            build_request(
                "POST",
                path,
                body=valid,
                headers=(("X-Auth-Token", DEMO_TOKEN), ("Content-Type", "text/plain")),
            ),
        ),
        ("other-method", build_request("DELETE", path, headers=json_headers)),
        (
            "encoded-traversal",
            build_request(
                "POST", "/v1/%2e%2e%2f%2e%2e%2fetc%2fpasswd/restores", body=valid, headers=json_headers
            ),
        ),
        ("2mb-body", build_request("POST", path, body=b" " * (2 << 20) + valid, headers=json_headers)),
        (
            "control-api-as-tenant",
            build_request("GET", "/_stub/restores", headers=(("X-Admin-Token", DEMO_TOKEN),)),
        ),
    ]


def refusal_problem(response: RawResponse) -> str | None:
    """Why an answer to a hostile request is not a clean refusal, or None when it is one."""
    if not 400 <= response.status < 500:
        return f"status {response.status}"
    text = response.body.decode("latin-1")
    leaked = [marker for marker in LEAK_MARKERS if marker in text]
    if leaked:
        return f"body leaks {leaked}"
    if (response.header("Content-Type") or "").split(";")[0].strip() != "application/json":
        return f"content type {response.header('Content-Type')!r}"
    try:
        body = json.loads(response.body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict) or not {"error_code", "error_msg"} <= body.keys():
        return "body lacks error_code/error_msg"
    return None


@dataclasses.dataclass
class SoakReport:
    minutes: float
    workers: int
    clients: int
    requests_sent: int = 0
    requests_served: int = 0
    creates_acknowledged: int = 0
    kills_survived: int = 0
    restores_checked: int = 0
    restores_lost: int = 0
    restores_changed: int = 0
    restores_stuck: int = 0
    answers_by_class: dict[str, int] = dataclasses.field(default_factory=dict)
    violations: dict[str, int] = dataclasses.field(default_factory=dict)
    violation_examples: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.violations
            and self.restores_lost == 0
            and self.restores_changed == 0
            and self.restores_stuck == 0
            and self.kills_survived > 0
            and self.creates_acknowledged > 0
        )

    def render(self) -> str:
        lines = [
            f"soak: {self.minutes:g} min, {self.workers} workers, {self.clients} clients",
            f"  requests sent       {self.requests_sent}",
            f"  requests served     {self.requests_served}",
            f"  creates acknowledged {self.creates_acknowledged}",
            f"  kills survived      {self.kills_survived}",
            f"  restores checked    {self.restores_checked}",
            f"  restores lost       {self.restores_lost}",
            f"  restores changed    {self.restores_changed}",
            f"  restores stuck      {self.restores_stuck}",
            "  answers by class:",
            *[f"    {name:<34} {count}" for name, count in sorted(self.answers_by_class.items())],
            "  violations:" + ("" if self.violations else " none"),
            *[f"    {name:<34} {count}" for name, count in sorted(self.violations.items())],
            *[f"    e.g. {example}" for example in self.violation_examples[:10]],
            f"result: {'PASS' if self.ok else 'FAIL'}",
        ]
        return "\n".join(lines)


class Soak:
    """Clients, the kill loop and the bookkeeping of one soak run."""

    def __init__(
        self, stub: StubProcess, servers: list[SeedServer], report: SoakReport, random_seed: int
    ) -> None:
        self.stub = stub
        self.servers = servers
        self.report = report
        self.random_seed = random_seed
        self.hostile = hostile_requests()
        self.lock = threading.Lock()
        self.answers: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()
        self.acknowledged: dict[str, CreateOutcome] = {}
        # Incremented when a kill starts (odd: down) and when the restarted stub is ready (even: up).
        self.generation = 0
        self.stop = threading.Event()

    def note(self, answer_class: str, violation: str | None = None, example: str = "") -> None:
        with self.lock:
            self.answers[answer_class] += 1
            if violation is not None:
                self.violations[violation] += 1
                if len(self.report.violation_examples) < 50:
                    self.report.violation_examples.append(f"{violation}: {example[:300]}")

    def client(self, index: int, deadline: float) -> None:
        rng = random.Random(self.random_seed * 1000 + index)
        mine = self.servers[index :: self.report.clients]
        position = 0
        with httpx.Client(base_url=self.stub.base_url, timeout=15.0) as http:
            while not self.stop.is_set() and time.monotonic() < deadline:
                generation = self.generation
                if rng.random() < 0.7:
                    server = mine[position % len(mine)]
                    position += 1
                    self.valid_create(http, index, server, generation)
                else:
                    name, request = self.hostile[rng.randrange(len(self.hostile))]
                    self.hostile_request(name, request, generation)

    def unanswered(self, generation: int, detail: str) -> None:
        # Odd generations are the time between a kill and the restarted stub's first 200 on its
        # health check; a request that began before a kill is cut off by it.
        if generation != self.generation or generation % 2 == 1:
            self.note("no answer: stub killed or restarting")
        else:
            self.note("no answer while up", "no answer while up", detail)
        time.sleep(0.2)  # do not spin while the stub is down

    def valid_create(self, http: httpx.Client, index: int, server: SeedServer, generation: int) -> None:
        outcome = send_create(http, index, server, DEMO_TOKEN)
        with self.lock:
            self.report.requests_sent += 1
        if outcome.status is None:
            self.unanswered(generation, outcome.transport_error or "")
            return
        with self.lock:
            self.report.requests_served += 1
        if outcome.acknowledged and outcome.restore is not None:
            with self.lock:
                self.acknowledged[outcome.restore["id"]] = outcome
            self.note("valid: 200")
        elif outcome.status == 400 and outcome.error_code == "CSBS.6015":
            self.note("valid: 400 CSBS.6015 server restoring")
        elif outcome.status >= 500:
            self.note(f"valid: {outcome.status}", "5xx", outcome.text)
        else:
            self.note(f"valid: {outcome.status} {outcome.error_code}", "valid create refused", outcome.text)

    def hostile_request(self, name: str, request: bytes, generation: int) -> None:
        with self.lock:
            self.report.requests_sent += 1
        try:
            response = raw_exchange(self.stub.port, request, timeout=15.0)
        except (OSError, TimeoutError, http.client.HTTPException) as exc:
            self.unanswered(generation, f"{name}: {type(exc).__name__}: {exc}")
            return
        if response is None:
            self.unanswered(generation, f"{name}: connection closed without an answer")
            return
        with self.lock:
            self.report.requests_served += 1
        problem = refusal_problem(response)
        if problem is None:
            self.note(f"hostile: {response.status}")
        elif response.status >= 500:
            self.note(f"hostile: {response.status}", "5xx", f"{name}: {response.body[:200]!r}")
        else:
            self.note(f"hostile: {response.status}", "unclean refusal", f"{name}: {problem}")

    def verify(self, *, final: bool) -> None:
        """Every acknowledged restore is stored unchanged; at the end, none is still in progress."""
        # Acknowledged before the read: each of these was committed before the read began.
        with self.lock:
            acknowledged = list(self.acknowledged.values())
        stored = read_stored_restores(self.stub.data_dir / DATABASE_FILE_NAME)
        lost = changed = stuck = 0
        for outcome in acknowledged:
            assert outcome.restore is not None
            record = stored.get(outcome.restore["id"])
            if record is None:
                lost += 1
                continue
            document = record["document"]
            if any(document.get(key) != outcome.restore.get(key) for key in IMMUTABLE_FIELDS):
                changed += 1
            if final and document.get("status") not in ("success", "fail"):
                stuck += 1
        self.report.restores_checked = max(self.report.restores_checked, len(acknowledged))
        self.report.restores_lost = max(self.report.restores_lost, lost)
        self.report.restores_changed = max(self.report.restores_changed, changed)
        if final:
            self.report.restores_stuck = stuck

    def run(self, minutes: float, kill_every: float) -> None:
        deadline = time.monotonic() + minutes * 60
        threads = [
            threading.Thread(
                target=self.client, args=(index, deadline), name=f"soak-client-{index}", daemon=True
            )
            for index in range(self.report.clients)
        ]
        for thread in threads:
            thread.start()
        rng = random.Random(self.random_seed)
        while True:
            pause = kill_every * rng.uniform(0.6, 1.4)
            if time.monotonic() + pause >= deadline - 5:
                break
            time.sleep(pause)
            with self.lock:
                self.generation += 1
            self.stub.kill9()
            self.stub.start()
            with self.lock:
                self.generation += 1
            self.report.kills_survived += 1
            self.verify(final=False)
        while time.monotonic() < deadline:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        self.stop.set()
        for thread in threads:
            thread.join(timeout=60)

    def settle(self, timeout: float) -> None:
        """Wait (bounded) until no restore is in progress, then check everything once more."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            stored = read_stored_restores(self.stub.data_dir / DATABASE_FILE_NAME)
            if all(record["document"].get("status") != "in_progress" for record in stored.values()):
                break
            time.sleep(0.5)
        self.verify(final=True)
        self.report.creates_acknowledged = len(self.acknowledged)
        self.report.answers_by_class = dict(self.answers)
        log = self.stub.logs()
        for marker in ("Traceback", "database is locked"):
            if marker in log:
                self.violations[f"server log contains {marker!r}"] += log.count(marker)
        self.report.violations = dict(self.violations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes", type=float, default=3.0, help="how long traffic runs (default 3, max 60)"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the stub (default 2)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument(
        "--kill-every", type=float, default=20.0, help="mean seconds between kill -9 (default 20)"
    )
    parser.add_argument(
        "--servers", type=int, default=1000, help="servers per project in the seed (default 1000)"
    )
    parser.add_argument("--random-seed", type=int, default=1, help="seed of the traffic mix and kill times")
    parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")
    parser.add_argument("--keep-data", type=Path, help="use this directory for data and logs and keep it")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 60:
        parser.error("--minutes must be in (0, 60]")
    if not 1 <= args.clients <= 256 or not 1 <= args.workers <= 16 or args.kill_every < 2:
        parser.error("need 1-256 clients, 1-16 workers and --kill-every of at least 2 seconds")

    with contextlib.ExitStack() as stack:
        if args.keep_data is not None:
            root = args.keep_data
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="csbs-soak-")))
        servers = write_seed(root / "seed.yaml", args.servers)[DEMO_PROJECT]
        stub = StubProcess(
            root / "data", workers=args.workers, seed=root / "seed.yaml", log_path=root / "server.log"
        )
        report = SoakReport(minutes=args.minutes, workers=args.workers, clients=args.clients)
        soak = Soak(stub, servers, report, args.random_seed)
        stub.start()
        try:
            soak.run(args.minutes, args.kill_every)
            soak.settle(timeout=60)
        finally:
            stub.stop()
        print(report.render())
        if args.report is not None:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(json.dumps(dataclasses.asdict(report), indent=2) + "\n", encoding="utf-8")
        if not report.ok:
            print(f"server log: {stub.log_path}" if args.keep_data else stub.logs()[-3000:], file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
