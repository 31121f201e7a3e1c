"""Handlers of the stub-control API (`openapi/stub-control.yaml`, mounted under `/_stub`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from . import errors, runtime
from .proxy import violations
from .runtime import NOT_PARSED
from .seeds import Backup, Seed, SeedError, parse_seed
from .store import StoredFault, StoredRestore

Answer = tuple[dict[str, Any], int]


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stored_restore(stored: StoredRestore) -> dict[str, Any]:
    return {
        "restore": stored.document,
        "created_at": iso(stored.created_at),
        "updated_at": iso(stored.updated_at),
        "finish_at": iso(stored.finish_at),
        "outcome": stored.outcome,
    }


def backup_view(backup: Backup) -> dict[str, Any]:
    return {
        "id": backup.id,
        "project_id": backup.project_id,
        "checkpoint_id": backup.checkpoint_id,
        "resource_id": backup.resource_id,
        "resource_type": backup.resource_type,
        "name": backup.name,
        "status": backup.status,
        "restore_outcome": backup.restore_outcome,
        "extend_info": {"volume_backups": [asdict(v) for v in backup.volume_backups]},
    }


def seed_summary(seed: Seed) -> dict[str, Any]:
    return {
        "projects": len(seed.projects),
        "tenant_tokens": len(seed.tenant_tokens),
        "backups": len(seed.backups),
    }


async def get_health() -> Answer:
    health = await runtime.current().store.health()
    if not health.reachable:
        detail = f": {health.detail}" if health.detail else ""
        error = errors.StubError(503, errors.STUB_UNAVAILABLE, f"The stub's database is unavailable{detail}.")
        return error.body(runtime.request_id()), 503
    answer: dict[str, Any] = {
        "status": "ok",
        "store": {"kind": health.kind, "reachable": True, **health.extra},
    }
    proxy = violations.current()
    if proxy is not None:
        answer["proxy"] = proxy.health()
    return answer, 200


async def list_restores(project_id: str | None = None, status: str | None = None, limit: int = 100) -> Answer:
    found = await runtime.current().store.list_restores(project_id, status, limit)
    return {"restores": [stored_restore(stored) for stored in found]}, 200


async def get_restore(restore_id: str) -> Answer:
    found = await runtime.current().store.get_restore(restore_id)
    if found is None:
        error = errors.StubError(404, errors.STUB_NOT_FOUND, f"Restore {restore_id} is not found.")
        return error.body(runtime.request_id()), 404
    return stored_restore(found), 200


async def list_backups(project_id: str | None = None) -> Answer:
    found = await runtime.current().store.list_backups(project_id)
    return {"backups": [backup_view(b) for b in found]}, 200


async def list_journal(limit: int = 100, after: int = 0) -> Answer:
    # The spec puts no maximum on `after`; seq values are 64-bit integers, so a larger value
    # means the same as the largest one (and must not overflow the query).
    after = min(after, 2**63 - 1)
    stub = runtime.current()
    # The table is pruned in batches; the journal never shows more than its configured size.
    rows = await stub.store.list_journal(min(limit, stub.settings.journal_limit), after)
    entries = [
        {
            "seq": row["seq"],
            "request_id": row["request_id"],
            "received_at": iso(row["received_at"]),
            "method": row["method"],
            "path": row["path"],
            "query": row["query"],
            "headers": json.loads(row["headers"]),
            "body": row["body"],
            "body_encoding": row["body_encoding"],
            "status": row["status"],
            "duration_ms": row["duration_ms"],
        }
        for row in rows
    ]
    return {"entries": entries}, 200


async def clear_journal() -> Answer:
    return {"cleared": await runtime.current().store.clear_journal()}, 200


def _body() -> Any:
    parsed = runtime.request().parsed
    return None if parsed is NOT_PARSED else parsed


async def load_seed() -> Answer:
    try:
        seed = parse_seed(_body())
    except SeedError as problem:
        error = errors.StubError(400, errors.STUB_INVALID, f"Invalid seed: {problem}")
        return error.body(runtime.request_id()), 400
    await runtime.current().store.replace_seed(seed, clear_state=True)
    return seed_summary(seed), 200


async def reset_state() -> Answer:
    stub = runtime.current()
    await stub.store.replace_seed(stub.startup_seed, clear_state=True)
    return seed_summary(stub.startup_seed), 200


def _fault_view(fault: StoredFault) -> dict[str, Any]:
    return {"id": fault.seq, "kind": fault.kind, "remaining": fault.remaining, "delay_ms": fault.delay_ms}


async def list_faults() -> Answer:
    return {"faults": [_fault_view(fault) for fault in await runtime.current().store.pending_faults()]}, 200


async def arm_fault() -> Answer:
    body = _body()
    kind = body["kind"]
    count = int(body.get("count", 1))
    delay_ms = int(body.get("delay_ms", 1000)) if kind == "delay" else 0
    fault_id = await runtime.current().store.arm_fault(kind, count, delay_ms)
    return {"id": fault_id, "kind": kind, "remaining": count, "delay_ms": delay_ms}, 201


async def clear_faults() -> Answer:
    return {"cleared": await runtime.current().store.clear_faults()}, 200


async def list_violations(limit: int = 100, after: int = 0) -> Answer:
    """What the proxy serving this request found (`server/proxy/`); empty without `--proxy`."""
    proxy = violations.current()
    found = [] if proxy is None else proxy.log.listed(limit, after)
    return {"violations": [violation.view() for violation in found]}, 200


async def clear_violations() -> Answer:
    proxy = violations.current()
    return {"cleared": 0 if proxy is None else proxy.log.clear()}, 200


OPERATIONS: dict[str, Callable[..., Any]] = {
    "getHealth": get_health,
    "listRestores": list_restores,
    "getRestore": get_restore,
    "listBackups": list_backups,
    "listJournal": list_journal,
    "clearJournal": clear_journal,
    "loadSeed": load_seed,
    "resetState": reset_state,
    "listFaults": list_faults,
    "armFault": arm_fault,
    "clearFaults": clear_faults,
    "listViolations": list_violations,
    "clearViolations": clear_violations,
}
