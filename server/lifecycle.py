"""How a restore moves from `in_progress` to `success` or `fail`.

A restore's outcome and deadline (`finish_at`) are fixed when it is created, so its state at any
moment is a pure function of the clock. Applying that function is idempotent
(`UPDATE ... WHERE status = 'in_progress'` inside a write transaction): any worker may do it, at
any time, and a restore is finished exactly once. After a restart, restores whose deadline passed
while the stub was down finish on the first settle; the others keep their deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from server.store import Store, Transaction

SERVER_TYPE = "OS::Nova::Server"
VOLUME_TYPE = "OS::Cinder::Volume"

logger = logging.getLogger("server.lifecycle")


def resource_key(resource_type: str, resource_id: str) -> str:
    return f"{resource_type}#{resource_id}"


def finished_document(document: dict[str, Any], outcome: str, fail_reason: str) -> dict[str, Any]:
    """The restore as reported once it has ended."""
    finished = dict(document)
    targets = document["parameters"]["targets"]
    server_key = resource_key(SERVER_TYPE, targets["server_id"])
    volume_keys = [resource_key(VOLUME_TYPE, v["volume_id"]) for v in targets.get("volumes", [])]
    if outcome == "success":
        finished["status"] = "success"
        finished["resources_status"] = {key: "available" for key in [server_key, *volume_keys]}
        finished["resources_reason"] = {}
    else:
        finished["status"] = "fail"
        finished["resources_status"] = {key: "error" for key in [server_key, *volume_keys]}
        finished["resources_reason"] = {server_key: fail_reason}
    return finished


def settle_in(tx: Transaction, now: float) -> int:
    """Finish every restore whose deadline has passed; return how many this call finished."""
    finished = 0
    for row in tx.due_restores(now):
        document = finished_document(json.loads(row["document"]), row["outcome"], row["fail_reason"])
        if tx.finish_restore(row["id"], document, now):
            tx.release_backup(row["checkpoint_item_id"])
            finished += 1
    return finished


def settle(store: Store, now: float | None = None) -> int:
    """Apply due outcomes; cheap (one indexed read) when nothing is due."""
    moment = time.time() if now is None else now
    if not store.has_due_restores(moment):
        return 0
    with store.write() as tx:
        return settle_in(tx, moment)


async def run_settler(store: Store, interval: float, stop: asyncio.Event) -> None:
    """Background loop of one worker: apply due outcomes every `interval` seconds until stopped."""
    while not stop.is_set():
        try:
            settle(store)
        except Exception:  # a locked or closing database must not end the loop
            logger.exception("applying restore outcomes failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
