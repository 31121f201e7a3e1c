from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.resource_reason_map import ResourceReasonMap
    from ..models.resource_status_map import ResourceStatusMap
    from ..models.restore_parameters_result import RestoreParametersResult


T = TypeVar("T", bound="Restore")


@_attrs_define
class Restore:
    """A restore as the service reports it (restore_resp, 恢复响应).

    Attributes:
        id (UUID): Restore ID (恢复ID). Example: d3a54e80-6483-485d-98f6-c0409e6f2e0a.
        checkpoint_id (UUID): Backup record ID (备份记录ID) the restore reads from. Example:
            a2b9fb53-2770-4fcd-9bad-6cadd56e6c09.
        parameters (RestoreParametersResult): Restore parameters (restore_param, 恢复参数) as the service reports them.
        project_id (str): Project ID (项目ID) that owns the restore. Example: b942cc8342734d15bcb246babb1953cf.
        provider_id (UUID): Backup provider ID (备份提供商ID) as the service reports it: today always the CSBS
            provider, `fc4d5750-22e7-4798-8a46-f48f62c4c1da` (当前取值固定值, "currently a fixed
            value"). The list is open: read another value as a string.
             Example: fc4d5750-22e7-4798-8a46-f48f62c4c1da.
        resources_reason (ResourceReasonMap): Why resources failed to restore (资源恢复失败原因): a map from
            `"<resource type>#<resource id>"` (for example
            `"OS::Nova::Server#f45c477a-57e5-465f-999f-d845083962db"`) to a reason. Empty
            while the restore is in progress and when nothing failed.
             Example: {}.
        resources_status (ResourceStatusMap): Status of each restored resource (资源状态): a map from
            `"<resource type>#<resource id>"` to the resource's status (see `ResourceStatus`).
            Empty right after creation.
             Example: {}.
        status (str): Status of the restore (状态). The document lists no values and shows `in_progress`
            right after creation; the other known values are the engine's, `success` and `fail`.
            The list is open: read a value not listed here as a string, not as an error.
             Example: in_progress.
        restore_target (None | str | Unset): Restore target (恢复目标) as given in the request; null when none was given.
            Example: http://192.168.1.2:35357/v2.0/.
    """

    id: UUID
    checkpoint_id: UUID
    parameters: RestoreParametersResult
    project_id: str
    provider_id: UUID
    resources_reason: ResourceReasonMap
    resources_status: ResourceStatusMap
    status: str
    restore_target: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        checkpoint_id = str(self.checkpoint_id)

        parameters = self.parameters.to_dict()

        project_id = self.project_id

        provider_id = str(self.provider_id)

        resources_reason = self.resources_reason.to_dict()

        resources_status = self.resources_status.to_dict()

        status = self.status

        restore_target: None | str | Unset
        if isinstance(self.restore_target, Unset):
            restore_target = UNSET
        else:
            restore_target = self.restore_target

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "checkpoint_id": checkpoint_id,
                "parameters": parameters,
                "project_id": project_id,
                "provider_id": provider_id,
                "resources_reason": resources_reason,
                "resources_status": resources_status,
                "status": status,
            }
        )
        if restore_target is not UNSET:
            field_dict["restore_target"] = restore_target

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.resource_reason_map import ResourceReasonMap  # noqa: PLC0415
        from ..models.resource_status_map import ResourceStatusMap  # noqa: PLC0415
        from ..models.restore_parameters_result import RestoreParametersResult  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        checkpoint_id = UUID(d.pop("checkpoint_id"))

        parameters = RestoreParametersResult.from_dict(d.pop("parameters"))

        project_id = d.pop("project_id")

        provider_id = UUID(d.pop("provider_id"))

        resources_reason = ResourceReasonMap.from_dict(d.pop("resources_reason"))

        resources_status = ResourceStatusMap.from_dict(d.pop("resources_status"))

        status = d.pop("status")

        def _parse_restore_target(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        restore_target = _parse_restore_target(d.pop("restore_target", UNSET))

        restore = cls(
            id=id,
            checkpoint_id=checkpoint_id,
            parameters=parameters,
            project_id=project_id,
            provider_id=provider_id,
            resources_reason=resources_reason,
            resources_status=resources_status,
            status=status,
            restore_target=restore_target,
        )

        restore.additional_properties = d
        return restore

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
