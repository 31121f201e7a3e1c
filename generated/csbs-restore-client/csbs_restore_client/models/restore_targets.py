from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.volume_mapping import VolumeMapping


T = TypeVar("T", bound="RestoreTargets")


@_attrs_define
class RestoreTargets:
    """Restore target (restore_target, 恢复目标) as sent in a request: the server and the
    volume mapping to restore. The document reuses the name `restore_target` for the
    string field `restore.restore_target`; this object is a different thing.

        Attributes:
            server_id (UUID | Unset): ID of the cloud server to restore (恢复的目标云主机ID). When omitted, the server
                the backup was taken from is restored.
                 Example: f45c477a-57e5-465f-999f-d845083962db.
            volumes (list[VolumeMapping] | Unset): Mapping of volume backups to target volumes (卷备份与目标卷关系列表). When omitted,
                every volume backup is restored to the volume it was taken from. When given, it
                must assign every volume backup of the backup to a volume, one to one: each
                `backup_id` and each `volume_id` may appear only once (400 `CSBS.9001` otherwise).
    """

    server_id: UUID | Unset = UNSET
    volumes: list[VolumeMapping] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        server_id: str | Unset = UNSET
        if not isinstance(self.server_id, Unset):
            server_id = str(self.server_id)

        volumes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.volumes, Unset):
            volumes = []
            for volumes_item_data in self.volumes:
                volumes_item = volumes_item_data.to_dict()
                volumes.append(volumes_item)

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if server_id is not UNSET:
            field_dict["server_id"] = server_id
        if volumes is not UNSET:
            field_dict["volumes"] = volumes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.volume_mapping import VolumeMapping  # noqa: PLC0415

        d = dict(src_dict)
        _server_id = d.pop("server_id", UNSET)
        server_id: UUID | Unset
        if isinstance(_server_id, Unset):
            server_id = UNSET
        else:
            server_id = UUID(_server_id)

        _volumes = d.pop("volumes", UNSET)
        volumes: list[VolumeMapping] | Unset = UNSET
        if _volumes is not UNSET:
            volumes = []
            for volumes_item_data in _volumes:
                volumes_item = VolumeMapping.from_dict(volumes_item_data)

                volumes.append(volumes_item)

        restore_targets = cls(
            server_id=server_id,
            volumes=volumes,
        )

        return restore_targets
