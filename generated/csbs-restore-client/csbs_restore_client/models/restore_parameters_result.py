from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.restored_targets import RestoredTargets


T = TypeVar("T", bound="RestoreParametersResult")


@_attrs_define
class RestoreParametersResult:
    """Restore parameters (restore_param, 恢复参数) as the service reports them.

    Attributes:
        targets (RestoredTargets): Restore target (restore_target, 恢复目标) as the service reports it: the request's
            target plus the type of the restored object.
        checkpoint_item_id (UUID | Unset): Backup ID (备份ID), the checkpoint item restored from. Example:
            504b7d59-c361-411f-9ed3-814f35d08e3d.
        power_on (bool | Unset): Whether the server is powered on after the restore (恢复后是否开机). The document's
            table says String here, but its example and its request table use a boolean.
             Example: True.
    """

    targets: RestoredTargets
    checkpoint_item_id: UUID | Unset = UNSET
    power_on: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        targets = self.targets.to_dict()

        checkpoint_item_id: str | Unset = UNSET
        if not isinstance(self.checkpoint_item_id, Unset):
            checkpoint_item_id = str(self.checkpoint_item_id)

        power_on = self.power_on

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "targets": targets,
            }
        )
        if checkpoint_item_id is not UNSET:
            field_dict["checkpoint_item_id"] = checkpoint_item_id
        if power_on is not UNSET:
            field_dict["power_on"] = power_on

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.restored_targets import RestoredTargets  # noqa: PLC0415

        d = dict(src_dict)
        targets = RestoredTargets.from_dict(d.pop("targets"))

        _checkpoint_item_id = d.pop("checkpoint_item_id", UNSET)
        checkpoint_item_id: UUID | Unset
        if isinstance(_checkpoint_item_id, Unset):
            checkpoint_item_id = UNSET
        else:
            checkpoint_item_id = UUID(_checkpoint_item_id)

        power_on = d.pop("power_on", UNSET)

        restore_parameters_result = cls(
            targets=targets,
            checkpoint_item_id=checkpoint_item_id,
            power_on=power_on,
        )

        restore_parameters_result.additional_properties = d
        return restore_parameters_result

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
