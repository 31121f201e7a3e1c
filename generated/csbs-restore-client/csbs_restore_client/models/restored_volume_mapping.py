from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RestoredVolumeMapping")


@_attrs_define
class RestoredVolumeMapping:
    """One volume backup and the volume it is restored to (restore_volume_mapping), as the
    service reports it.

        Attributes:
            backup_id (UUID): Volume backup ID (卷备份ID). Example: bc118c24-3234-4afd-8423-d66d3d677649.
            volume_id (UUID): ID of the volume restored into (恢复目标卷ID). Example: ee27f809-6fb5-40ae-ac46-c932bb4ee8fe.
    """

    backup_id: UUID
    volume_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        backup_id = str(self.backup_id)

        volume_id = str(self.volume_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
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

        restored_volume_mapping = cls(
            backup_id=backup_id,
            volume_id=volume_id,
        )

        restored_volume_mapping.additional_properties = d
        return restored_volume_mapping

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
