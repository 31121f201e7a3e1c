from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
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
        checkpoint_item_id (None | Unset | UUID): Backup ID (备份ID), the checkpoint item inside `checkpoint_id` to
            restore from.
            Optional; `null` means not given.
             Example: 504b7d59-c361-411f-9ed3-814f35d08e3d.
        power_on (bool | None | Unset): Whether to power the server on after the restore (恢复后是否开机). Optional; `null`
            means not given.
             Example: True.
    """

    targets: RestoreTargets
    checkpoint_item_id: None | Unset | UUID = UNSET
    power_on: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        targets = self.targets.to_dict()

        checkpoint_item_id: None | str | Unset
        if isinstance(self.checkpoint_item_id, Unset):
            checkpoint_item_id = UNSET
        elif isinstance(self.checkpoint_item_id, UUID):
            checkpoint_item_id = str(self.checkpoint_item_id)
        else:
            checkpoint_item_id = self.checkpoint_item_id

        power_on: bool | None | Unset
        if isinstance(self.power_on, Unset):
            power_on = UNSET
        else:
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

        def _parse_checkpoint_item_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                checkpoint_item_id_type_0 = UUID(data)

                return checkpoint_item_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        checkpoint_item_id = _parse_checkpoint_item_id(d.pop("checkpoint_item_id", UNSET))

        def _parse_power_on(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        power_on = _parse_power_on(d.pop("power_on", UNSET))

        restore_parameters = cls(
            targets=targets,
            checkpoint_item_id=checkpoint_item_id,
            power_on=power_on,
        )

        return restore_parameters
