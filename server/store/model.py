"""What the store keeps and hands out, independent of the database behind it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..seeds import Backup, Seed

IN_PROGRESS = "in_progress"
SERVER_TYPE = "OS::Nova::Server"
VOLUME_TYPE = "OS::Cinder::Volume"


class StoreUnavailable(Exception):
    """The database cannot be reached or did not answer in time; the request is answered 503."""


def resource_key(resource_type: str, resource_id: str) -> str:
    return f"{resource_type}#{resource_id}"


def finished_document(document: Mapping[str, Any], outcome: str, fail_reason: str) -> dict[str, Any]:
    """The restore as reported once it has ended. A pure function of the stored, acknowledged
    document and the outcome fixed at creation, so the stored document never changes and a
    restore's state at any moment follows from the clock."""
    finished = dict(document)
    targets = document["parameters"]["targets"]
    server_key = resource_key(SERVER_TYPE, targets["server_id"])
    volume_keys = [resource_key(VOLUME_TYPE, v["volume_id"]) for v in targets.get("volumes") or []]
    if outcome == "success":
        finished["status"] = "success"
        finished["resources_status"] = {key: "available" for key in [server_key, *volume_keys]}
        finished["resources_reason"] = {}
    else:
        finished["status"] = "fail"
        finished["resources_status"] = {key: "error" for key in [server_key, *volume_keys]}
        finished["resources_reason"] = {server_key: fail_reason}
    return finished


@dataclass(frozen=True)
class SeedSnapshot:
    """The seed's tokens and backups as one generation of the store holds them, indexed for the
    lookups a request makes. Requests read it from memory; `generation` says which seed it is."""

    generation: int
    tokens: Mapping[str, tuple[str, str | None]]
    """token -> (role, project_id); project_id is None for admin tokens."""
    backups: Mapping[tuple[str, str], Backup]
    """(project_id, checkpoint item id) -> backup."""
    checkpoints: Mapping[tuple[str, str], tuple[Backup, ...]]
    """(project_id, checkpoint_id) -> its backups, ordered by id."""
    server_volumes: Mapping[tuple[str, str], Mapping[str, int]]
    """(project_id, server id) -> volume id -> size in GB, for servers the seed describes."""

    def role_of(self, token: str) -> tuple[str, str | None] | None:
        return self.tokens.get(token)

    @classmethod
    def of(cls, generation: int, seed: Seed) -> SeedSnapshot:
        tokens: dict[str, tuple[str, str | None]] = {token: ("admin", None) for token in seed.admin_tokens}
        tokens.update({token: ("tenant", project) for token, project in seed.tenant_tokens.items()})
        return cls.build(generation, tokens, seed.backups)

    @classmethod
    def build(
        cls, generation: int, tokens: Mapping[str, tuple[str, str | None]], all_backups: Iterable[Backup]
    ) -> SeedSnapshot:
        listed = sorted(all_backups, key=lambda b: b.id)
        backups = {(b.project_id, b.id): b for b in listed}
        checkpoints: dict[tuple[str, str], list[Backup]] = {}
        volumes: dict[tuple[str, str], dict[str, int]] = {}
        for backup in listed:
            checkpoints.setdefault((backup.project_id, backup.checkpoint_id), []).append(backup)
            sizes = volumes.setdefault((backup.project_id, backup.resource_id), {})
            for volume in backup.volume_backups:
                sizes[volume.source_volume_id] = volume.source_volume_size
        return cls(
            generation=generation,
            tokens=dict(tokens),
            backups=backups,
            checkpoints={key: tuple(items) for key, items in checkpoints.items()},
            server_volumes=volumes,
        )


@dataclass(frozen=True)
class Fault:
    """A failure armed for the next contract requests (stub-control `POST /_stub/faults`)."""

    kind: str  # status_500 | status_503 | delay | drop
    delay_ms: int = 0


@dataclass(frozen=True)
class Checkpoint:
    """What a contract request learns from the store before it is decided: the current seed and
    the fault, if one was armed, that this very request claims."""

    snapshot: SeedSnapshot
    fault: Fault | None = None


@dataclass
class CreatePlan:
    """A create decided against one snapshot, to be committed (or refused) by the store.

    `refusal` is set when the snapshot alone refuses the request (backup not available, a bad
    volume mapping, ...); the store still asks whether the server is being restored, because
    that answer (`CSBS.6015`) comes first."""

    generation: int
    project_id: str
    server_id: str
    checkpoint_item_id: str
    document: dict[str, Any] | None = None
    document_json: str = ""
    """`document` encoded once: the store keeps these characters and the answer carries them."""
    refusal: Exception | None = None
    outcome: str = "success"
    fail_reason: str = ""
    created_at: float = 0.0
    finish_at: float = 0.0


class CreateOutcome(enum.Enum):
    CREATED = "created"
    SERVER_RESTORING = "server-restoring"
    BACKUP_RESTORING = "backup-restoring"
    REFUSED = "refused"
    STALE = "stale"
    """The seed changed since the plan was made: decide again on the new snapshot."""


@dataclass(frozen=True)
class StoredRestore:
    """A restore as the stub-control API reports it: the document as of now, and bookkeeping."""

    document: dict[str, Any]
    outcome: str
    created_at: float
    updated_at: float
    finish_at: float


@dataclass(frozen=True)
class JournalRow:
    """One contract request the stub received, credentials redacted."""

    request_id: str
    received_at: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str
    body_encoding: str
    status: int
    duration_ms: float
    generation: int = 0
    """The seed generation the request was served under; a reset drops older rows."""


@dataclass(frozen=True)
class StoredFault:
    seq: int
    kind: str
    remaining: int
    delay_ms: int


@dataclass(frozen=True)
class StoreHealth:
    kind: str
    reachable: bool
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
