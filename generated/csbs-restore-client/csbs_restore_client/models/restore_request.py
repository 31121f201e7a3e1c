from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define

from ..models.provider_id import ProviderId
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
        provider_id (ProviderId): Backup provider ID (备份提供商ID). The only value the service accepts is the CSBS
            provider, `fc4d5750-22e7-4798-8a46-f48f62c4c1da` (当前取值固定值).
             Example: fc4d5750-22e7-4798-8a46-f48f62c4c1da.
        restore_target (str | Unset): Restore target (恢复目标). Optional and informational: the service echoes it back
            in `restore.restore_target`. The document's example value is an identity
            endpoint URL, but no format is stated, so any string up to 255 characters is
            accepted.
             Example: http://192.168.1.2:35357/v2.0/.
    """

    checkpoint_id: UUID
    parameters: RestoreParameters
    provider_id: ProviderId
    restore_target: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        checkpoint_id = str(self.checkpoint_id)

        parameters = self.parameters.to_dict()

        provider_id = self.provider_id.value

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

        provider_id = ProviderId(d.pop("provider_id"))

        restore_target = d.pop("restore_target", UNSET)

        restore_request = cls(
            checkpoint_id=checkpoint_id,
            parameters=parameters,
            provider_id=provider_id,
            restore_target=restore_target,
        )

        return restore_request
