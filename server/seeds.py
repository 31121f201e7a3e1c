"""Seed data: the tokens, projects and backups (checkpoint items) the stub starts with.

A seed is a YAML (or JSON) document; `server/seeds/default.yaml` explains the layout. The same
structure is accepted by the stub-control API (`PUT /_stub/seed`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from .openapi import parse_yaml

PROJECT_ID = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
BACKUP_STATUSES = frozenset(
    {
        "waiting_protect",
        "protecting",
        "available",
        "waiting_restore",
        "restoring",
        "error",
        "waiting_delete",
        "deleting",
        "deleted",
    }
)
OUTCOMES = frozenset({"success", "fail"})
DEFAULT_FAIL_REASON = "The restore failed."


class SeedError(ValueError):
    """The seed document is not usable; the message names the offending entry."""


@dataclass(frozen=True)
class VolumeBackup:
    id: str
    source_volume_id: str
    source_volume_size: int
    bootable: bool


@dataclass(frozen=True)
class Backup:
    """One checkpoint item: the backup of one server inside a checkpoint."""

    id: str
    project_id: str
    checkpoint_id: str
    resource_id: str
    resource_type: str
    name: str
    status: str
    volume_backups: tuple[VolumeBackup, ...]
    restore_outcome: str = "success"
    fail_reason: str = DEFAULT_FAIL_REASON


@dataclass(frozen=True)
class Seed:
    admin_tokens: tuple[str, ...]
    tenant_tokens: dict[str, str]
    """token -> project_id"""
    projects: tuple[str, ...]
    backups: tuple[Backup, ...]
    digest: str
    """Fingerprint of the seed's content; a data dir reseeds when it changes."""


# Read through importlib.resources: the seed ships inside the package (the wheel as the checkout).
DEFAULT_SEED_FILE = Path(str(files(__package__ or "server") / "seeds" / "default.yaml"))
TENANT_TOKENS_ENV = "CSBS_STUB_TOKENS"
ADMIN_TOKEN_ENV = "CSBS_STUB_ADMIN_TOKEN"


def load_seed_file(
    path: Path,
    *,
    tenant_tokens: tuple[tuple[str, str], ...] | None = None,
    admin_tokens: tuple[str, ...] | None = None,
) -> Seed:
    """The seed in `path`; `tenant_tokens` ((token, project_id) pairs) and `admin_tokens`, when
    given, replace all of its own (they come from the environment: `parse_token_environment`)."""
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))  # libyaml when installed: seeds get big
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SeedError(f"cannot read seed {path}: {exc}") from exc
    return parse_seed(_with_tokens(document, tenant_tokens, admin_tokens))


def parse_token_environment(
    environ: Mapping[str, str],
) -> tuple[tuple[tuple[str, str], ...] | None, tuple[str, ...] | None]:
    """The tokens the environment gives instead of the seed's: `CSBS_STUB_TOKENS` as
    `token=project_id,token2=project_id2` (each project one of the seed's) and
    `CSBS_STUB_ADMIN_TOKEN` as one token, or several separated by commas. None where a variable
    is unset or empty. Errors name entries by position: they may be read by others, the tokens
    must not."""
    tenant: tuple[tuple[str, str], ...] | None = None
    admin: tuple[str, ...] | None = None
    raw = environ.get(TENANT_TOKENS_ENV, "").strip()
    if raw:
        pairs: list[tuple[str, str]] = []
        for index, entry in enumerate(raw.split(","), start=1):
            token, sep, project = (part.strip() for part in entry.strip().rpartition("="))
            if not sep or not token:
                raise SeedError(f"{TENANT_TOKENS_ENV}: entry {index} is not token=project_id")
            if PROJECT_ID.fullmatch(project) is None:
                raise SeedError(f"{TENANT_TOKENS_ENV}: entry {index} names no project ID (32 hex digits)")
            for earlier, (other, _) in enumerate(pairs, start=1):
                _require(
                    other != token, f"{TENANT_TOKENS_ENV}: entry {index} repeats the token of entry {earlier}"
                )
            pairs.append((token, project))
        tenant = tuple(pairs)
    raw = environ.get(ADMIN_TOKEN_ENV, "").strip()
    if raw:
        tokens = [token.strip() for token in raw.split(",")]
        if not all(tokens):
            raise SeedError(f"{ADMIN_TOKEN_ENV}: an empty token between commas")
        _require(len(set(tokens)) == len(tokens), f"{ADMIN_TOKEN_ENV}: a token is given twice")
        admin = tuple(tokens)
    if tenant is not None and admin is not None:
        _require(
            not {token for token, _ in tenant} & set(admin),
            f"a token is both in {TENANT_TOKENS_ENV} and in {ADMIN_TOKEN_ENV}",
        )
    return tenant, admin


def _with_tokens(
    document: Any, tenant_tokens: tuple[tuple[str, str], ...] | None, admin_tokens: tuple[str, ...] | None
) -> Any:
    """The seed document with its tokens replaced, before it is checked (so the digest, which
    makes a store reload the seed, changes with them)."""
    if (tenant_tokens is None and admin_tokens is None) or not isinstance(document, dict):
        return document
    document = dict(document)
    if admin_tokens is not None:
        document["admin_tokens"] = list(admin_tokens)
    if tenant_tokens is not None:
        projects = document.get("projects")
        if not isinstance(projects, list):
            return document  # parse_seed says what is wrong with it
        known = {p.get("project_id") for p in projects if isinstance(p, dict)}
        for index, (_, project_id) in enumerate(tenant_tokens, start=1):
            _require(
                project_id in known,
                f"{TENANT_TOKENS_ENV}: entry {index} names a project the seed does not have",
            )
        document["projects"] = [
            {
                **p,
                "tokens": [token for token, project_id in tenant_tokens if project_id == p.get("project_id")],
            }
            if isinstance(p, dict)
            else p
            for p in projects
        ]
    return document


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SeedError(message)


def _string(entry: dict[str, Any], key: str, where: str, pattern: re.Pattern[str] | None = None) -> str:
    value = entry.get(key)
    _require(isinstance(value, str) and value != "", f"{where}.{key} must be a non-empty string")
    assert isinstance(value, str)
    if pattern is not None:
        _require(pattern.fullmatch(value) is not None, f"{where}.{key} has an invalid format: {value!r}")
    return value


def _check_text(node: Any, where: str) -> None:
    """Every string must be storable as UTF-8 (JSON allows lone surrogates such as "\\ud800")."""
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            raise SeedError(f"{where} is not valid Unicode text") from None
    elif isinstance(node, dict):
        for key, value in node.items():
            _check_text(key, f"{where} key")
            _check_text(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _check_text(item, f"{where}[{index}]")


def parse_seed(document: Any) -> Seed:
    """Check a seed document and turn it into a `Seed`; raise `SeedError` naming the bad entry."""
    _require(isinstance(document, dict), "the seed must be a mapping with admin_tokens and projects")
    _check_text(document, "seed")
    admin_tokens = document.get("admin_tokens", [])
    _require(
        isinstance(admin_tokens, list) and all(isinstance(t, str) and t for t in admin_tokens),
        "admin_tokens must be a list of non-empty strings",
    )
    for index, token in enumerate(admin_tokens):
        # Positions, not values: a seed's errors reach logs and answers, its tokens must not.
        _require(token not in admin_tokens[:index], f"admin_tokens[{index}] repeats an earlier token")
    projects = document.get("projects", [])
    _require(isinstance(projects, list), "projects must be a list")
    tenant_tokens: dict[str, str] = {}
    project_ids: list[str] = []
    backups: list[Backup] = []
    seen_items: set[str] = set()
    for p_index, project in enumerate(projects):
        where = f"projects[{p_index}]"
        _require(isinstance(project, dict), f"{where} must be a mapping")
        project_id = _string(project, "project_id", where, PROJECT_ID)
        _require(project_id not in project_ids, f"{where}.project_id {project_id} appears twice")
        project_ids.append(project_id)
        tokens = project.get("tokens", [])
        _require(isinstance(tokens, list), f"{where}.tokens must be a list")
        for t_index, token in enumerate(tokens):
            _require(isinstance(token, str) and token != "", f"{where}.tokens holds an empty token")
            _require(
                token not in tenant_tokens and token not in admin_tokens,
                f"{where}.tokens[{t_index}] repeats a token used before (tenant or admin)",
            )
            tenant_tokens[token] = project_id
        entries = project.get("backups", [])
        _require(isinstance(entries, list), f"{where}.backups must be a list")
        for b_index, entry in enumerate(entries):
            backup = _parse_backup(entry, project_id, f"{where}.backups[{b_index}]")
            _require(backup.id not in seen_items, f"backup {backup.id} appears twice")
            seen_items.add(backup.id)
            backups.append(backup)
    canonical = json.dumps(document, sort_keys=True, default=str).encode("utf-8")
    return Seed(
        admin_tokens=tuple(admin_tokens),
        tenant_tokens=tenant_tokens,
        projects=tuple(project_ids),
        backups=tuple(backups),
        digest=hashlib.sha256(canonical).hexdigest(),
    )


def _parse_backup(entry: Any, project_id: str, where: str) -> Backup:
    _require(isinstance(entry, dict), f"{where} must be a mapping")
    status = _string(entry, "status", where)
    _require(status in BACKUP_STATUSES, f"{where}.status must be one of {sorted(BACKUP_STATUSES)}")
    outcome = entry.get("restore_outcome", "success")
    _require(outcome in OUTCOMES, f"{where}.restore_outcome must be success or fail")
    fail_reason = entry.get("fail_reason", DEFAULT_FAIL_REASON)
    _require(isinstance(fail_reason, str), f"{where}.fail_reason must be a string")
    extend_info = entry.get("extend_info", {})
    _require(isinstance(extend_info, dict), f"{where}.extend_info must be a mapping")
    raw_volumes = extend_info.get("volume_backups", [])
    _require(isinstance(raw_volumes, list), f"{where}.extend_info.volume_backups must be a list")
    volumes: list[VolumeBackup] = []
    for v_index, raw in enumerate(raw_volumes):
        v_where = f"{where}.extend_info.volume_backups[{v_index}]"
        _require(isinstance(raw, dict), f"{v_where} must be a mapping")
        size = raw.get("source_volume_size", 40)
        _require(
            isinstance(size, int) and not isinstance(size, bool) and size > 0,
            f"{v_where}.source_volume_size must be a positive integer",
        )
        bootable = raw.get("bootable", False)
        _require(isinstance(bootable, bool), f"{v_where}.bootable must be a boolean")
        volumes.append(
            VolumeBackup(
                id=_string(raw, "id", v_where, UUID),
                source_volume_id=_string(raw, "source_volume_id", v_where, UUID),
                source_volume_size=size,
                bootable=bootable,
            )
        )
    name = entry.get("name", "")
    _require(isinstance(name, str), f"{where}.name must be a string")
    return Backup(
        id=_string(entry, "id", where, UUID),
        project_id=project_id,
        checkpoint_id=_string(entry, "checkpoint_id", where, UUID),
        resource_id=_string(entry, "resource_id", where, UUID),
        resource_type=entry.get("resource_type", "OS::Nova::Server"),
        name=name,
        status=status,
        volume_backups=tuple(volumes),
        restore_outcome=outcome,
        fail_reason=fail_reason,
    )


def _demo_tokens() -> frozenset[str]:
    seed = load_seed_file(DEFAULT_SEED_FILE)
    return frozenset(seed.admin_tokens) | frozenset(seed.tenant_tokens)


DEMO_TOKENS: frozenset[str] = _demo_tokens()
"""The bundled seed's tokens: public, so never to be served where others can reach the stub."""
