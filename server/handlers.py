"""The contract's operation, `createRestore`, with the service's business rules.

What the stub does when the document lets a field be omitted:
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
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from connexion import request
from starlette.responses import Response

from server import errors, runtime, simulation
from server.errors import StubError
from server.lifecycle import SERVER_TYPE, settle_in
from server.seeds import Backup
from server.store import Transaction

PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"


def _not_found(item_id: str) -> StubError:
    return StubError(404, errors.CHECKPOINT_ITEM_NOT_FOUND, f"Checkpoint_item ({item_id}) is not found.")


def _choose_backup(tx: Transaction, project_id: str, checkpoint_id: str, params: dict[str, Any]) -> Backup:
    item_id = params.get("checkpoint_item_id")
    server_id = params["targets"].get("server_id")
    if item_id is not None:
        backup = tx.backup(project_id, item_id)
        if backup is None:
            raise _not_found(item_id)
        if backup.checkpoint_id != checkpoint_id:
            raise StubError(
                404,
                errors.CHECKPOINT_ITEM_NOT_FOUND,
                f"Checkpoint_item ({item_id}) is not found in checkpoint ({checkpoint_id}).",
            )
        return backup
    items = tx.backups_in_checkpoint(project_id, checkpoint_id)
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


def _known_volumes(tx: Transaction, project_id: str, server_id: str) -> dict[str, int] | None:
    """Volumes (id -> size GB) of a server the stub knows from its backups; None if unknown."""
    rows = tx.execute(
        "SELECT volume_backups FROM backups WHERE project_id = ? AND resource_id = ?", (project_id, server_id)
    ).fetchall()
    if not rows:
        return None
    volumes: dict[str, int] = {}
    for row in rows:
        for volume in json.loads(row["volume_backups"]):
            volumes[volume["source_volume_id"]] = int(volume["source_volume_size"])
    return volumes


def _volume_mapping(
    tx: Transaction, project_id: str, backup: Backup, server_id: str, requested: list[dict[str, str]] | None
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
    known = _known_volumes(tx, project_id, server_id)
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
                    "CSBS.6024",
                    f"Volume {mapping['volume_id']} ({known[mapping['volume_id']]} GB) is smaller than "
                    f"volume backup {mapping['backup_id']} ({needed} GB).",
                )
    return [{"backup_id": m["backup_id"], "volume_id": m["volume_id"]} for m in requested]


def create_in(
    tx: Transaction, project_id: str, restore_request: dict[str, Any], now: float, seconds: float
) -> dict[str, Any]:
    """Check the request against the stored state and store the new restore (one transaction)."""
    settle_in(tx, now)  # restores that are due end first, so they no longer block this one
    checkpoint_id = restore_request["checkpoint_id"]
    params = restore_request["parameters"]
    backup = _choose_backup(tx, project_id, checkpoint_id, params)
    server_id = params["targets"].get("server_id") or backup.resource_id
    if tx.server_restoring(project_id, server_id):
        raise StubError(400, errors.SERVER_RESTORING, f"The server {server_id} is restoring.")
    if backup.status != "available":
        raise StubError(
            400,
            errors.BACKUP_NOT_AVAILABLE,
            f"The backup status is {backup.status}; only an available backup can be restored.",
        )
    volumes = _volume_mapping(tx, project_id, backup, server_id, params["targets"].get("volumes"))
    document: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "checkpoint_id": checkpoint_id,
        "parameters": {
            "checkpoint_item_id": backup.id,
            "power_on": True if params.get("power_on") is None else params["power_on"],
            "targets": {"server_id": server_id, "volumes": volumes, "resource_type": SERVER_TYPE},
        },
        "project_id": project_id,
        "provider_id": restore_request["provider_id"],
        "resources_reason": {},
        "resources_status": {},
        "restore_target": restore_request.get("restore_target"),
        "status": "in_progress",
    }
    tx.insert_restore(
        document,
        checkpoint_item_id=backup.id,
        server_id=server_id,
        outcome=backup.restore_outcome,
        fail_reason=backup.fail_reason,
        now=now,
        finish_at=now + seconds,
    )
    tx.set_backup_status(backup.id, "restoring")
    return document


class HandOver(Exception):
    """Raised by an `accept` check to roll the create back and leave the request to connexion."""


Accept = Callable[[int, Any], bool]
"""(status, answer) -> whether the caller can send this answer as it is (see `answer_create`)."""


async def answer_create(
    stub: runtime.Runtime,
    project_id: str,
    body: dict[str, Any],
    prefer: list[str] | simulation.Preferences,
    accept: Accept | None = None,
) -> tuple[int, dict[str, Any] | bytes]:
    """(status, answer) of a create: a JSON document, or the bytes of a documented example.

    `prefer` is the `Prefer` header values, or what a caller already read from them.
    `accept`, when given, is asked before a create is committed; if it refuses, `HandOver` is
    raised and nothing is stored (the fast lane uses it to prove an answer before sending it).
    """
    try:
        if isinstance(prefer, simulation.Preferences):
            preferences = prefer
        else:
            preferences = simulation.parse_prefer(prefer, stub.settings.max_prefer_delay_ms)
        if preferences.delay_ms:
            await asyncio.sleep(preferences.delay_ms / 1000)
        if preferences.wants_example:
            return stub.examples.pick(preferences)
        with stub.store.write() as tx:
            document = create_in(tx, project_id, body["restore"], time.time(), stub.settings.restore_seconds)
            answer = {"restore": document}
            if accept is not None and not accept(200, answer):
                raise HandOver
    except StubError as error:
        # Answered rather than raised, so response validation checks error answers too.
        return error.status, error.body(runtime.request_id())
    return 200, answer


async def create_restore(project_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], int] | Response:
    """POST /v1/{project_id}/restores"""
    prefer = request.headers.getlist("prefer")
    status, answer = await answer_create(runtime.current(), project_id, body, prefer)
    if isinstance(answer, bytes):
        # Already serialised: connexion passes a framework response through unchanged (same
        # bytes and headers as jsonify would make), and response validation still checks it.
        return Response(answer, status_code=status, media_type="application/json")
    return answer, status
