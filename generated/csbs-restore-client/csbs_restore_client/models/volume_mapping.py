from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

T = TypeVar("T", bound="VolumeMapping")


@_attrs_define
class VolumeMapping:
    """One volume backup and the volume to restore it to (restore_volume_mapping).

    Attributes:
        backup_id (UUID): Volume backup ID (卷备份ID), one of the backup's volume backups. Example:
            bc118c24-3234-4afd-8423-d66d3d677649.
        volume_id (UUID): ID of the volume to restore into (恢复目标卷ID). Example: ee27f809-6fb5-40ae-ac46-c932bb4ee8fe.
    """

    backup_id: UUID
    volume_id: UUID

    def to_dict(self) -> dict[str, Any]:
        backup_id = str(self.backup_id)

        volume_id = str(self.volume_id)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "backup_id": backup_id,
                "volume_id": volume_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        backup_id = UUID(d.pop("backup_id"))

        volume_id = UUID(d.pop("volume_id"))

        volume_mapping = cls(
            backup_id=backup_id,
            volume_id=volume_id,
        )

        return volume_mapping
