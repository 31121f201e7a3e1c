from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.restored_volume_mapping import RestoredVolumeMapping


T = TypeVar("T", bound="RestoredTargets")


@_attrs_define
class RestoredTargets:
    """Restore target (restore_target, 恢复目标) as the service reports it: the request's
    target plus the type of the restored object.

        Attributes:
            server_id (UUID | Unset): ID of the cloud server being restored (恢复的目标云主机ID). Example:
                f45c477a-57e5-465f-999f-d845083962db.
            volumes (list[RestoredVolumeMapping] | Unset): Volume backups and their target volumes (卷备份与目标卷关系列表).
            resource_type (str | Unset): Type of the object being restored (待恢复的目标对象类型), for a cloud server
                `OS::Nova::Server`.
                 Example: OS::Nova::Server.
    """

    server_id: UUID | Unset = UNSET
    volumes: list[RestoredVolumeMapping] | Unset = UNSET
    resource_type: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

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

        resource_type = self.resource_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if server_id is not UNSET:
            field_dict["server_id"] = server_id
        if volumes is not UNSET:
            field_dict["volumes"] = volumes
        if resource_type is not UNSET:
            field_dict["resource_type"] = resource_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.restored_volume_mapping import RestoredVolumeMapping  # noqa: PLC0415

        d = dict(src_dict)
        _server_id = d.pop("server_id", UNSET)
        server_id: UUID | Unset
        if isinstance(_server_id, Unset):
            server_id = UNSET
        else:
            server_id = UUID(_server_id)

        _volumes = d.pop("volumes", UNSET)
        volumes: list[RestoredVolumeMapping] | Unset = UNSET
        if _volumes is not UNSET:
            volumes = []
            for volumes_item_data in _volumes:
                volumes_item = RestoredVolumeMapping.from_dict(volumes_item_data)

                volumes.append(volumes_item)

        resource_type = d.pop("resource_type", UNSET)

        restored_targets = cls(
            server_id=server_id,
            volumes=volumes,
            resource_type=resource_type,
        )

        restored_targets.additional_properties = d
        return restored_targets

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
