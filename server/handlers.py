"""The contract's operation, `createRestore`, with the service's business rules.

`plan_create` decides a create against the seed snapshot alone (a pure function); the store then
commits it, or tells that the server or the backup is being restored, in the order the service
checks them: the backup is found (404 `CSBS.3001`), the server is not being restored
(`CSBS.6015`), the backup is available (`CSBS.4000`), the volume mapping is complete and one to
one (`CSBS.6017`, `CSBS.9001`, `CSBS.6018`, `CSBS.6014`, `CSBS.6024`).

What the stub does when the document lets a field be omitted (the document does not say what
the service does; see openapi/DECISIONS.md):
- `parameters.checkpoint_item_id` omitted: the checkpoint's backup of the target server
  (`targets.server_id`), or the checkpoint's only backup; ambiguous otherwise (400 CSBS.9001).
- `targets.server_id` omitted: the server the backup was taken from.
- `targets.volumes` omitted: every volume backup is restored to the volume it was taken from.
- `power_on` omitted: true (the server is started after the restore).
- `restore_target` omitted: reported as null.
A field sent as null is treated as omitted (the contract makes every optional field nullable).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import errors, jsonbytes, runtime, simulation
from .errors import StubError
from .seeds import Backup
from .store import CreateOutcome, CreatePlan, SeedSnapshot
from .store.model import SERVER_TYPE

Answer = tuple[int, dict[str, Any] | bytes]
"""(status, answer): a JSON document, or the bytes of a documented example."""
Verify = Callable[[int, Any], None]
"""Raises when an answer breaks the contract's strict profile (checked before a create commits)."""
MAX_STALE_RETRIES = 3


def _not_found(item_id: str) -> StubError:
    return StubError(404, errors.CHECKPOINT_ITEM_NOT_FOUND, f"Checkpoint_item ({item_id}) is not found.")


def choose_backup(
    snapshot: SeedSnapshot, project_id: str, checkpoint_id: str, params: dict[str, Any]
) -> Backup:
    item_id = params.get("checkpoint_item_id")
    server_id = params["targets"].get("server_id")
    if item_id is not None:
        backup = snapshot.backups.get((project_id, item_id))
        if backup is None:
            raise _not_found(item_id)
        if backup.checkpoint_id != checkpoint_id:
            raise StubError(
                404,
                errors.CHECKPOINT_ITEM_NOT_FOUND,
                f"Checkpoint_item ({item_id}) is not found in checkpoint ({checkpoint_id}).",
            )
        return backup
    items = snapshot.checkpoints.get((project_id, checkpoint_id), ())
    if not items:
        raise StubError(404, errors.CHECKPOINT_ITEM_NOT_FOUND, f"Checkpoint ({checkpoint_id}) is not found.")
    if server_id is not None:
        of_server = [b for b in items if b.resource_id == server_id]
        if len(of_server) == 1:
            return of_server[0]
    if len(items) == 1:
        return items[0]
    raise errors.invalid_parameter(
        f"restore.parameters.checkpoint_item_id is required: checkpoint {checkpoint_id} holds "
        f"{len(items)} backups" + ("" if server_id is None else f" and none of server {server_id}") + "."
    )


def volume_mapping(
    snapshot: SeedSnapshot,
    project_id: str,
    backup: Backup,
    server_id: str,
    requested: list[dict[str, str]] | None,
) -> list[dict[str, str]]:
    if requested is None:
        return [{"backup_id": v.id, "volume_id": v.source_volume_id} for v in backup.volume_backups]
    by_id = {v.id: v for v in backup.volume_backups}
    unknown = [m["backup_id"] for m in requested if m["backup_id"] not in by_id]
    if unknown:
        raise StubError(
            400,
            errors.BACKUP_NOT_IN_ITEM,
            f"Backup(s) {', '.join(dict.fromkeys(unknown))} not found in checkpoint item {backup.id}.",
        )
    seen_backups: set[str] = set()
    seen_volumes: set[str] = set()
    for index, mapping in enumerate(requested):
        if mapping["backup_id"] in seen_backups:
            raise errors.invalid_parameter(
                f"restore.parameters.targets.volumes[{index}].backup_id {mapping['backup_id']}"
                " is assigned twice."
            )
        if mapping["volume_id"] in seen_volumes:
            raise errors.invalid_parameter(
                f"restore.parameters.targets.volumes[{index}].volume_id {mapping['volume_id']}"
                " is a target twice."
            )
        seen_backups.add(mapping["backup_id"])
        seen_volumes.add(mapping["volume_id"])
    missing = [v.id for v in backup.volume_backups if v.id not in seen_backups]
    if missing:
        raise StubError(
            400,
            errors.VOLUMES_INCOMPLETE,
            f"Every volume backup must be restored; not assigned to a volume: {', '.join(missing)}.",
        )
    # Volume checks apply only to servers the seed describes (openapi/DECISIONS.md).
    known = snapshot.server_volumes.get((project_id, server_id))
    if known is not None:
        absent = [m["volume_id"] for m in requested if m["volume_id"] not in known]
        if absent:
            raise StubError(
                400,
                errors.VOLUME_NOT_IN_SERVER,
                f"Volume(s) {', '.join(absent)} not found in server {server_id}.",
            )
        for mapping in requested:
            needed = by_id[mapping["backup_id"]].source_volume_size
            if known[mapping["volume_id"]] < needed:
                raise StubError(
                    400,
                    errors.VOLUME_TOO_SMALL,
                    f"Volume {mapping['volume_id']} ({known[mapping['volume_id']]} GB) is smaller than "
                    f"volume backup {mapping['backup_id']} ({needed} GB).",
                )
    return [{"backup_id": m["backup_id"], "volume_id": m["volume_id"]} for m in requested]


def backup_not_available(status: str) -> StubError:
    return StubError(
        400,
        errors.BACKUP_NOT_AVAILABLE,
        f"The backup status is {status}; only an available backup can be restored.",
    )


def plan_create(
    snapshot: SeedSnapshot, project_id: str, restore_request: dict[str, Any], now: float, seconds: float
) -> CreatePlan:
    """The create as the snapshot decides it. Raises the errors that come before the
    "server is restoring" check; the ones after it travel in `refusal`."""
    checkpoint_id = restore_request["checkpoint_id"]
    params = restore_request["parameters"]
    backup = choose_backup(snapshot, project_id, checkpoint_id, params)
    server_id = params["targets"].get("server_id") or backup.resource_id
    plan = CreatePlan(
        generation=snapshot.generation,
        project_id=project_id,
        server_id=server_id,
        checkpoint_item_id=backup.id,
        outcome=backup.restore_outcome,
        fail_reason=backup.fail_reason,
        created_at=now,
        finish_at=now + seconds,
    )
    try:
        if backup.status != "available":
            raise backup_not_available(backup.status)
        volumes = volume_mapping(snapshot, project_id, backup, server_id, params["targets"].get("volumes"))
    except StubError as refusal:
        plan.refusal = refusal
        return plan
    power_on = params.get("power_on")
    plan.document = {
        "id": str(uuid.uuid4()),
        "checkpoint_id": checkpoint_id,
        "parameters": {
            "checkpoint_item_id": backup.id,
            "power_on": True if power_on is None else power_on,
            "targets": {"server_id": server_id, "volumes": volumes, "resource_type": SERVER_TYPE},
        },
        "project_id": project_id,
        "provider_id": restore_request["provider_id"],
        "resources_reason": {},
        "resources_status": {},
        "restore_target": restore_request.get("restore_target"),
        "status": "in_progress",
    }
    plan.document_json = jsonbytes.dumps_text(plan.document)
    return plan


async def answer_create(
    stub: runtime.Runtime,
    state: runtime.RequestState,
    project_id: str,
    body: dict[str, Any],
    verify: Verify,
) -> Answer:
    """(status, answer) of a create. Errors are answered rather than raised, so the caller
    verifies error answers like any other."""
    try:
        preferences = simulation.parse_prefer(
            state.header_values(b"prefer"), stub.settings.max_prefer_delay_ms
        )
        if preferences.delay_ms:
            await asyncio.sleep(preferences.delay_ms / 1000)
        if preferences.wants_example:
            return stub.examples.pick(preferences)
        return await _create(stub, state, project_id, body["restore"], verify)
    except StubError as error:
        return error.status, error.body(state.request_id)


async def _create(
    stub: runtime.Runtime,
    state: runtime.RequestState,
    project_id: str,
    restore: dict[str, Any],
    verify: Verify,
) -> Answer:
    snapshot = state.snapshot or stub.store.snapshot
    for _ in range(MAX_STALE_RETRIES):
        plan = plan_create(snapshot, project_id, restore, time.time(), stub.settings.restore_seconds)
        if plan.document is not None:
            verify(200, {"restore": plan.document})  # before anything is stored
        outcome = await stub.store.create(plan)
        if outcome is CreateOutcome.CREATED:
            # Verified above; the bytes are those `answers.json_bytes` would make of it.
            return 200, ('{"restore":' + plan.document_json + "}").encode("utf-8")
        if outcome is CreateOutcome.SERVER_RESTORING:
            raise StubError(400, errors.SERVER_RESTORING, f"The server {plan.server_id} is restoring.")
        if outcome is CreateOutcome.BACKUP_RESTORING:
            raise backup_not_available("restoring")
        if outcome is CreateOutcome.REFUSED:
            assert plan.refusal is not None
            raise plan.refusal
        # The seed changed while the plan was made: decide again on the new one.
        snapshot = state.snapshot = (await stub.store.checkpoint(claim_fault=False)).snapshot
    raise StubError(
        503, errors.SERVICE_UNAVAILABLE, "The service is temporarily unavailable. Try again later."
    )
