"""Load clients: concurrent create-restore calls against a running stub, one outcome per call."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from tools.harness.seeds import SeedServer


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
    base_url: str | Sequence[str],
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
    not sent). With several base URLs (replicas of one stub), client `i` talks to the
    `i % len(base_url)`-th.
    """
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    collected: list[CreateOutcome] = [] if outcomes is None else outcomes
    lock = threading.Lock()
    start = threading.Barrier(len(plans))

    def client_loop(index: int, plan: Sequence[SeedServer]) -> None:
        with httpx.Client(base_url=urls[index % len(urls)], timeout=timeout) as http:
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
