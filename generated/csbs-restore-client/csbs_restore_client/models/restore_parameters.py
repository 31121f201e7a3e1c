from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.restore_targets import RestoreTargets


T = TypeVar("T", bound="RestoreParameters")


@_attrs_define
class RestoreParameters:
    """Restore parameters (restore_param, 恢复参数) as sent in a request.

    Attributes:
        targets (RestoreTargets): Restore target (restore_target, 恢复目标) as sent in a request: the server and the
            volume mapping to restore. The document reuses the name `restore_target` for the
            string field `restore.restore_target`; this object is a different thing.
        checkpoint_item_id (UUID | Unset): Backup ID (备份ID), the checkpoint item inside `checkpoint_id` to restore from.
            When omitted, the service uses the checkpoint's backup of the target server.
             Example: 504b7d59-c361-411f-9ed3-814f35d08e3d.
        power_on (bool | Unset): Whether to power the server on after the restore (恢复后是否开机). Example: True.
    """

    targets: RestoreTargets
    checkpoint_item_id: UUID | Unset = UNSET
    power_on: bool | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        targets = self.targets.to_dict()

        checkpoint_item_id: str | Unset = UNSET
        if not isinstance(self.checkpoint_item_id, Unset):
            checkpoint_item_id = str(self.checkpoint_item_id)

        power_on = self.power_on

        field_dict: dict[str, Any] = {}

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
        from ..models.restore_targets import RestoreTargets  # noqa: PLC0415

        d = dict(src_dict)
        targets = RestoreTargets.from_dict(d.pop("targets"))

        _checkpoint_item_id = d.pop("checkpoint_item_id", UNSET)
        checkpoint_item_id: UUID | Unset
        if isinstance(_checkpoint_item_id, Unset):
            checkpoint_item_id = UNSET
        else:
            checkpoint_item_id = UUID(_checkpoint_item_id)

        power_on = d.pop("power_on", UNSET)

        restore_parameters = cls(
            targets=targets,
            checkpoint_item_id=checkpoint_item_id,
            power_on=power_on,
        )

        return restore_parameters
