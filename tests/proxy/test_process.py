"""The proxy as users run it, `python -m server --proxy URL`, in front of the stub as users run
it: 32 clients at once get only the stub's answers and the proxy records nothing; a violation
is a JSON log line without credentials; options that do not fit together are refused."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.proxy.helpers import ADMIN, DEMO_PROJECT, DEMO_TOKEN, document_request
from tests.stub_process import REPO_ROOT, StubServer
from tools.harness.loadgen import run_clients
from tools.harness.seeds import SeedServer, write_seed

CLIENTS = 32
CREATES_PER_CLIENT = 8
SERVERS = 64


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StubServer, list[SeedServer]]]:
    root = tmp_path_factory.mktemp("proxy-upstream")
    servers = write_seed(root / "seed.yaml", SERVERS)[DEMO_PROJECT]
    stub = StubServer(
        data_dir=root / "data", seed=root / "seed.yaml", workers=1, args=("--restore-seconds", "0.5")
    )
    stub.start()
    try:
        yield stub, servers
    finally:
        stub.stop()


@pytest.fixture(scope="module")
def proxy(
    upstream: tuple[StubServer, list[SeedServer]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StubServer]:
    root = tmp_path_factory.mktemp("proxy")
    server = StubServer(
        data_dir=root / "unused",
        args=("--proxy", upstream[0].base_url, "--proxy-timeout", "5", "--log-format", "json"),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def admin_get(proxy: StubServer, path: str) -> dict[str, Any]:
    response = httpx.get(f"{proxy.base_url}/_stub{path}", headers=ADMIN, timeout=10)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.slow
def test_32_clients_through_the_proxy_get_the_stubs_answers_and_no_violation(
    proxy: StubServer,
    upstream: tuple[StubServer, list[SeedServer]],
) -> None:
    httpx.delete(f"{proxy.base_url}/_stub/violations", headers=ADMIN, timeout=10)
    before = admin_get(proxy, "/health")["proxy"]
    servers = upstream[1]
    plans = [
        [servers[(client * 3 + step) % SERVERS] for step in range(CREATES_PER_CLIENT)]
        for client in range(CLIENTS)
    ]

    started = time.monotonic()
    outcomes = run_clients(proxy.base_url, plans, DEMO_TOKEN, timeout=30.0)
    elapsed = time.monotonic() - started

    assert len(outcomes) == CLIENTS * CREATES_PER_CLIENT
    assert [o.transport_error for o in outcomes if o.transport_error] == []
    answers = Counter((o.status, o.error_code) for o in outcomes)
    assert set(answers) <= {(200, None), (400, "CSBS.6015")}, answers
    assert answers[(200, None)] >= SERVERS // 2, answers
    assert admin_get(proxy, "/violations") == {"violations": []}
    after = admin_get(proxy, "/health")["proxy"]
    assert after["forwarded"] - before["forwarded"] == CLIENTS * CREATES_PER_CLIENT
    assert after["violations"] == before["violations"]
    print(f"{len(outcomes)} creates through the proxy in {elapsed:.1f}s: {dict(answers)}")


def test_a_violation_is_a_json_log_line_without_credentials(proxy: StubServer) -> None:
    body = document_request()
    body["restore"]["parameters"]["power_on"] = "yes"
    response = httpx.post(
        f"{proxy.base_url}/v1/{DEMO_PROJECT}/restores",
        json=body,
        headers={"X-Auth-Token": DEMO_TOKEN},
        timeout=10,
    )
    assert response.status_code == 400  # the stub's answer, passed through
    request_id = response.headers["x-request-id"]

    deadline = time.monotonic() + 5
    lines: list[dict[str, Any]] = []
    while not lines and time.monotonic() < deadline:
        lines = [
            entry
            for entry in (json.loads(line) for line in proxy.logs().splitlines() if line.startswith("{"))
            if entry.get("logger") == "server.proxy" and entry.get("request_id") == request_id
        ]
        time.sleep(0.1)
    assert len(lines) == 1, proxy.logs()[-2000:]
    entry = lines[0]
    assert entry["level"] == "warning"
    assert (entry["kind"], entry["direction"], entry["pointer"], entry["upstream_status"]) == (
        "request",
        "request",
        "/body/restore/parameters/power_on",
        400,
    )
    assert DEMO_TOKEN not in proxy.logs()
    assert "Traceback" not in proxy.logs()


def test_an_answer_over_sockets_keeps_the_upstreams_own_headers(
    proxy: StubServer, upstream: tuple[StubServer, list[SeedServer]]
) -> None:
    response = httpx.post(
        f"{proxy.base_url}/v1/{DEMO_PROJECT}/restores",
        json=document_request(),
        headers={"X-Auth-Token": DEMO_TOKEN, "X-Trace": "through-the-proxy"},
        timeout=10,
    )

    names = [name.lower() for name, _ in response.headers.multi_items()]
    # One Date and one Server header, the upstream's: the proxy adds none of its own.
    assert names.count("date") == 1
    assert response.headers["server"] == "uvicorn"
    assert names.count("server") == 1
    assert "x-contract-proxy" not in names
    journal = httpx.get(f"{upstream[0].base_url}/_stub/journal", headers=ADMIN, timeout=10).json()["entries"]
    received = [entry for entry in journal if entry["request_id"] == response.headers["x-request-id"]]
    assert len(received) == 1
    assert received[0]["headers"]["x-trace"] == "through-the-proxy"
    assert received[0]["headers"]["x-auth-token"] == "<redacted>"
    assert received[0]["status"] == response.status_code


@pytest.mark.parametrize(
    "args",
    [
        ("--proxy", "ftp://example.com"),
        ("--proxy", "example.com"),
        ("--proxy", "http://127.0.0.1:9", "--workers", "2"),
        ("--proxy", "http://127.0.0.1:9", "--proxy-timeout", "0"),
        ("--proxy", "http://127.0.0.1:9", "--proxy-insecure", "--proxy-ca-file", "ca.pem"),
        ("--proxy", "http://127.0.0.1:9", "--store", "sqlite:///x.sqlite3"),
    ],
    ids=["ftp", "no-scheme", "two-workers", "zero-timeout", "insecure-and-ca", "store"],
)
def test_options_that_do_not_fit_are_refused_with_a_sentence(args: tuple[str, ...], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "--port", "9", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("cannot start the proxy: "), done.stderr
    assert "Traceback" not in done.stderr
