"""Checks and helpers shared by the reliability tests (the process harness is tools/stub_process.py)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tools.harness.loadgen import CreateOutcome
from tools.harness.rawhttp import RawResponse, build_request, raw_exchange
from tools.harness.seeds import DEMO_TOKEN, SeedServer
from tools.harness.stub_process import StubProcess
from tools.soak import IMMUTABLE_FIELDS, LEAK_MARKERS

from .corpus import HostileCase


class ProbedStub:
    """A running stub plus a supply of servers that have never been restored."""

    def __init__(self, stub: StubProcess, servers: list[SeedServer]) -> None:
        self.stub = stub
        self._fresh = itertools.cycle(servers)
        self.probes = 0

    @property
    def port(self) -> int:
        return self.stub.port

    def raw(self, case: HostileCase) -> RawResponse | None:
        return raw_exchange(
            self.port, case.request, timeout=20, request_method=case.method, half_close=case.half_close
        )

    def create(self, server: SeedServer, token: str = DEMO_TOKEN) -> RawResponse:
        body = json.dumps(server.create_body()).encode()
        request = build_request(
            "POST",
            f"/v1/{server.project_id}/restores",
            body=body,
            headers=(("X-Auth-Token", token), ("Content-Type", "application/json")),
        )
        response = raw_exchange(self.port, request, timeout=30)
        assert response is not None, "the stub closed the connection without answering a valid create"
        return response

    def assert_still_serving(self) -> dict[str, Any]:
        """A valid create on a fresh server must succeed: the stub survived the previous request."""
        assert self.stub.alive(), f"the stub process died:\n{self.stub.logs()[-3000:]}"
        server = next(self._fresh)
        response = self.create(server)
        self.probes += 1
        assert response.status == 200, (response.status, response.body[:500])
        restore = response.json()
        assert isinstance(restore, dict)
        assert restore["restore"]["status"] == "in_progress"
        assert restore["restore"]["parameters"]["targets"]["server_id"] == server.server_id
        return restore


def assert_no_leak(response: RawResponse) -> None:
    text = response.body.decode("latin-1")
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers)
    for marker in LEAK_MARKERS:
        assert marker not in text, f"answer body leaks {marker!r}: {text[:500]}"
        assert marker not in headers, f"answer headers leak {marker!r}: {headers[:500]}"


def assert_error_body(response: RawResponse, error_code: str | None = None) -> dict[str, Any]:
    """The service's error format: JSON object with string error_code and error_msg."""
    content_type = response.header("Content-Type") or ""
    assert content_type.split(";")[0].strip() == "application/json", (content_type, response.body[:300])
    body = json.loads(response.body)
    assert isinstance(body, dict), body
    assert {"error_code", "error_msg"} <= body.keys() <= {"error_code", "error_msg", "request_id"}, body
    assert isinstance(body["error_code"], str) and body["error_code"], body
    assert isinstance(body["error_msg"], str) and body["error_msg"], body
    if error_code is not None:
        assert body["error_code"] == error_code, body
    return body


STUB_LONG_RESTORES: tuple[str, ...] = ("--restore-seconds", "600")
"""CLI arguments that keep every restore in progress for longer than a test runs."""


def assert_acknowledged_restores_stored(
    acknowledged: list[CreateOutcome], stored: dict[str, dict[str, Any]]
) -> None:
    """Each 200 answer has its own ID and a stored restore equal to what was answered."""
    ids = [o.restore["id"] for o in acknowledged if o.restore is not None]
    assert len(ids) == len(acknowledged)
    assert len(set(ids)) == len(ids), "two acknowledged creates got the same restore ID"
    for outcome in acknowledged:
        assert outcome.restore is not None
        restore_id = outcome.restore["id"]
        assert restore_id in stored, f"acknowledged restore {restore_id} is not stored"
        record = stored[restore_id]
        assert record["server_id"] == outcome.server.server_id
        assert record["project_id"] == outcome.server.project_id
        answered = {key: outcome.restore.get(key) for key in IMMUTABLE_FIELDS}
        kept = {key: record["document"].get(key) for key in IMMUTABLE_FIELDS}
        assert kept == answered, f"restore {restore_id} changed in storage"
        assert record["document"]["status"] in {"in_progress", "success", "fail"}
