"""Paced create-restore clients that record every attempt: when it was sent, how long it took, and
what came back (status, error body, X-Request-Id, Content-Type) or which transport error ended it.

Each client owns its servers and takes them in turn, so it restores a server again only long
after its previous restore of it has ended (no CSBS.6015 by design). Each request carries a tag
in `restore_target`, so the store shows whether a request was stored twice.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from tools.harness.seeds import SeedServer


@dataclasses.dataclass(frozen=True)
class Attempt:
    client: int
    tag: str
    server: SeedServer
    sent: float  # time.monotonic()
    elapsed: float
    status: int | None
    content_type: str = ""
    request_id: str | None = None
    body: Any = None
    text: str = ""
    error: str | None = None  # the transport error, when no answer came
    timed_out: bool = False

    @property
    def ended(self) -> float:
        return self.sent + self.elapsed

    @property
    def restore(self) -> dict[str, Any] | None:
        if self.status == 200 and isinstance(self.body, dict) and isinstance(self.body.get("restore"), dict):
            return self.body["restore"]
        return None

    @property
    def acknowledged(self) -> bool:
        """Only a 200 the client received counts: anything else may or may not have been stored."""
        return self.restore is not None

    @property
    def error_code(self) -> str | None:
        return self.body.get("error_code") if isinstance(self.body, dict) else None

    def overlaps(self, start: float, end: float) -> bool:
        return self.sent <= end and self.ended >= start


def send(http: httpx.Client, client: int, tag: str, server: SeedServer, token: str) -> Attempt:
    body = server.create_body(restore_target=tag)
    sent = time.monotonic()
    try:
        response = http.post(f"/v1/{server.project_id}/restores", json=body, headers={"X-Auth-Token": token})
    except httpx.TimeoutException as exc:
        elapsed = time.monotonic() - sent
        return Attempt(client, tag, server, sent, elapsed, None, error=repr(exc), timed_out=True)
    except httpx.HTTPError as exc:
        return Attempt(client, tag, server, sent, time.monotonic() - sent, None, error=repr(exc))
    elapsed = time.monotonic() - sent
    try:
        payload: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        payload = None
    return Attempt(
        client,
        tag,
        server,
        sent,
        elapsed,
        response.status_code,
        content_type=response.headers.get("content-type", ""),
        request_id=response.headers.get("x-request-id"),
        body=payload,
        text=response.text[:1000],
    )


class PacedLoad:
    """One thread and one keep-alive connection pool per client, each sending at most one create
    every `pace` seconds, until `stop()`."""

    def __init__(
        self,
        base_url: str,
        plans: Sequence[tuple[str, Sequence[SeedServer]]],
        *,
        pace: float,
        timeout: httpx.Timeout,
    ) -> None:
        self.base_url = base_url
        self.plans = plans  # per client: its token and its servers
        self.pace = pace
        self.timeout = timeout
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(index,), name=f"client-{index}", daemon=True)
            for index in range(len(plans))
        ]

    def _client(self, index: int) -> None:
        token, servers = self.plans[index]
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as http:
            number = 0
            next_send = time.monotonic() + index * self.pace / len(self.plans)  # spread the starts
            while not self._stop.is_set():
                self._stop.wait(max(0.0, next_send - time.monotonic()))
                if self._stop.is_set():
                    return
                next_send = time.monotonic() + self.pace
                server = servers[number % len(servers)]
                attempt = send(http, index, f"topology/c{index:02d}/r{number:05d}", server, token)
                number += 1
                with self._lock:
                    self.attempts.append(attempt)

    def start(self) -> PacedLoad:
        for thread in self._threads:
            thread.start()
        return self

    def snapshot(self) -> list[Attempt]:
        with self._lock:
            return list(self.attempts)

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for a in self.snapshot() if a.acknowledged and a.sent >= moment)

    def wait_acknowledged_since(self, moment: float, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.acknowledged_since(moment) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} creates acknowledged within {timeout:g}s")
            time.sleep(0.05)

    def stop(self) -> list[Attempt]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if any(thread.is_alive() for thread in self._threads):
            raise AssertionError("a load client did not stop")
        return self.snapshot()
