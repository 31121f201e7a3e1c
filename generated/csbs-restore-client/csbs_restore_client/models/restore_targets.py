from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
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
            server_id (None | Unset | UUID): ID of the cloud server to restore (恢复的目标云主机ID). Optional; `null` means not
                given.
                 Example: f45c477a-57e5-465f-999f-d845083962db.
            volumes (list[VolumeMapping] | None | Unset): Mapping of volume backups to target volumes (卷备份与目标卷关系列表).
                Optional; `null`
                means not given. When given, it must assign every volume backup of the backup to a
                volume, one to one: each `backup_id` and each `volume_id` may appear only once
                (400 `CSBS.9001` otherwise).
    """

    server_id: None | Unset | UUID = UNSET
    volumes: list[VolumeMapping] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        server_id: None | str | Unset
        if isinstance(self.server_id, Unset):
            server_id = UNSET
        elif isinstance(self.server_id, UUID):
            server_id = str(self.server_id)
        else:
            server_id = self.server_id

        volumes: list[dict[str, Any]] | None | Unset
        if isinstance(self.volumes, Unset):
            volumes = UNSET
        elif isinstance(self.volumes, list):
            volumes = []
            for volumes_type_0_item_data in self.volumes:
                volumes_type_0_item = volumes_type_0_item_data.to_dict()
                volumes.append(volumes_type_0_item)

        else:
            volumes = self.volumes

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

        def _parse_server_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                server_id_type_0 = UUID(data)

                return server_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        server_id = _parse_server_id(d.pop("server_id", UNSET))

        def _parse_volumes(data: object) -> list[VolumeMapping] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                volumes_type_0 = []
                _volumes_type_0 = data
                for volumes_type_0_item_data in _volumes_type_0:
                    volumes_type_0_item = VolumeMapping.from_dict(volumes_type_0_item_data)

                    volumes_type_0.append(volumes_type_0_item)

                return volumes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[VolumeMapping] | None | Unset, data)

        volumes = _parse_volumes(d.pop("volumes", UNSET))

        restore_targets = cls(
            server_id=server_id,
            volumes=volumes,
        )

        return restore_targets
