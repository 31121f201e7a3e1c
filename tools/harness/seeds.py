"""Seeds for load and reliability runs: the default seed's tenants plus many backed-up servers.

Used by the soak (tools/soak.py) and tests/reliability; IDs are deterministic (UUIDv5), so a run
can be repeated exactly.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

import yaml

from server.seeds import DEFAULT_SEED_FILE, load_seed_file
from server.store.model import SERVER_TYPE as SERVER_RESOURCE_TYPE

# The default seed's tenants and admin token (server/seeds/default.yaml), read from it; generated
# seeds keep them.
_DEFAULT = load_seed_file(DEFAULT_SEED_FILE)
_TENANTS = {project: token for token, project in reversed(list(_DEFAULT.tenant_tokens.items()))}
DEMO_PROJECT, OTHER_PROJECT = _DEFAULT.projects[:2]
DEMO_TOKEN, OTHER_TOKEN = _TENANTS[DEMO_PROJECT], _TENANTS[OTHER_PROJECT]
ADMIN_TOKEN = _DEFAULT.admin_tokens[0]
_DOCUMENT_BACKUP = next(b for b in _DEFAULT.backups if b.project_id == DEMO_PROJECT)
PROVIDER_ID = "fc4d5750-22e7-4798-8a46-f48f62c4c1da"  # the contract's one provider (ProviderId)
_SEED_NAMESPACE = uuid.UUID("6d2c1f0e-8a4b-4c3d-9e5f-0a1b2c3d4e5f")


@dataclasses.dataclass(frozen=True)
class SeedServer:
    """One backed-up server of a generated seed: a checkpoint item with a single volume backup."""

    project_id: str
    item_id: str
    checkpoint_id: str
    server_id: str
    backup_id: str
    volume_id: str

    def create_body(self, *, restore_target: str | None = None) -> dict[str, Any]:
        """A valid create-restore body for this server, every optional field filled in."""
        restore: dict[str, Any] = {
            "provider_id": PROVIDER_ID,
            "checkpoint_id": self.checkpoint_id,
            "parameters": {
                "checkpoint_item_id": self.item_id,
                "power_on": True,
                "targets": {
                    "server_id": self.server_id,
                    "volumes": [{"backup_id": self.backup_id, "volume_id": self.volume_id}],
                },
            },
        }
        if restore_target is not None:
            restore["restore_target"] = restore_target
        return {"restore": restore}


DOCUMENT_SERVER = SeedServer(
    project_id=DEMO_PROJECT,
    item_id=_DOCUMENT_BACKUP.id,
    checkpoint_id=_DOCUMENT_BACKUP.checkpoint_id,
    server_id=_DOCUMENT_BACKUP.resource_id,
    backup_id=_DOCUMENT_BACKUP.volume_backups[0].id,
    volume_id=_DOCUMENT_BACKUP.volume_backups[0].source_volume_id,
)
"""The document's example backup; generated seeds hold it too, so the document's request works."""


def seed_servers(project_id: str, count: int) -> list[SeedServer]:
    """`count` servers of `project_id` with deterministic IDs (UUIDv5), the same on every run."""

    def make_id(kind: str, index: int) -> str:
        return str(uuid.uuid5(_SEED_NAMESPACE, f"{project_id}/{kind}/{index}"))

    return [
        SeedServer(
            project_id=project_id,
            item_id=make_id("item", index),
            checkpoint_id=make_id("checkpoint", index),
            server_id=make_id("server", index),
            backup_id=make_id("volume-backup", index),
            volume_id=make_id("volume", index),
        )
        for index in range(count)
    ]


def write_seed(path: Path, servers_per_project: int) -> dict[str, list[SeedServer]]:
    """Write a seed YAML with the default tenants and many independent servers per project.

    Load tests need many servers because the stub refuses a second restore of a server that is
    still being restored (CSBS.6015). The demo project also holds the document's example backup
    (`DOCUMENT_SERVER`), which is not part of the returned lists.
    """
    servers = {
        DEMO_PROJECT: [DOCUMENT_SERVER, *seed_servers(DEMO_PROJECT, servers_per_project)],
        OTHER_PROJECT: seed_servers(OTHER_PROJECT, servers_per_project),
    }
    tokens = {DEMO_PROJECT: DEMO_TOKEN, OTHER_PROJECT: OTHER_TOKEN}
    document = {
        "admin_tokens": [ADMIN_TOKEN],
        "projects": [
            {
                "project_id": project_id,
                "tokens": [tokens[project_id]],
                "backups": [
                    {
                        "id": server.item_id,
                        "name": f"soak-server-{index:04d}",
                        "checkpoint_id": server.checkpoint_id,
                        "resource_id": server.server_id,
                        "resource_type": SERVER_RESOURCE_TYPE,
                        "status": "available",
                        "extend_info": {
                            "volume_backups": [
                                {
                                    "id": server.backup_id,
                                    "source_volume_id": server.volume_id,
                                    "source_volume_size": 40,
                                    "bootable": True,
                                }
                            ]
                        },
                    }
                    for index, server in enumerate(project_servers)
                ],
            }
            for project_id, project_servers in servers.items()
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    servers[DEMO_PROJECT] = servers[DEMO_PROJECT][1:]
    return servers
