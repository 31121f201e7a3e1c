from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.restore_parameters import RestoreParameters


T = TypeVar("T", bound="RestoreRequest")


@_attrs_define
class RestoreRequest:
    """The restore to create (restore_req, 恢复请求).

    Attributes:
        checkpoint_id (UUID): Backup record ID (备份记录ID), the checkpoint that holds the backup. Example:
            a2b9fb53-2770-4fcd-9bad-6cadd56e6c09.
        parameters (RestoreParameters): Restore parameters (restore_param, 恢复参数) as sent in a request.
        provider_id (UUID): Backup provider ID (备份提供商ID) as sent in a request. The only value the service
            accepts is the CSBS provider, `fc4d5750-22e7-4798-8a46-f48f62c4c1da` (当前取值固定值);
            the pattern admits exactly that value.
             Example: fc4d5750-22e7-4798-8a46-f48f62c4c1da.
        restore_target (None | str | Unset): Restore target (恢复目标). Optional; `null` means not given. The document's
            response
            example carries an identity endpoint URL here, but no format is stated, so any
            string up to 255 characters is accepted.
             Example: http://192.168.1.2:35357/v2.0/.
    """

    checkpoint_id: UUID
    parameters: RestoreParameters
    provider_id: UUID
    restore_target: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        checkpoint_id = str(self.checkpoint_id)

        parameters = self.parameters.to_dict()

        provider_id = str(self.provider_id)

        restore_target: None | str | Unset
        if isinstance(self.restore_target, Unset):
            restore_target = UNSET
        else:
            restore_target = self.restore_target

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "checkpoint_id": checkpoint_id,
                "parameters": parameters,
                "provider_id": provider_id,
            }
        )
        if restore_target is not UNSET:
            field_dict["restore_target"] = restore_target

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.restore_parameters import RestoreParameters  # noqa: PLC0415

        d = dict(src_dict)
        checkpoint_id = UUID(d.pop("checkpoint_id"))

        parameters = RestoreParameters.from_dict(d.pop("parameters"))

        provider_id = UUID(d.pop("provider_id"))

        def _parse_restore_target(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        restore_target = _parse_restore_target(d.pop("restore_target", UNSET))

        restore_request = cls(
            checkpoint_id=checkpoint_id,
            parameters=parameters,
            provider_id=provider_id,
            restore_target=restore_target,
        )

        return restore_request
