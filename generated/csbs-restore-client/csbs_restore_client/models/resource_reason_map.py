from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ResourceReasonMap")


@_attrs_define
class ResourceReasonMap:
    """Why resources failed to restore (资源恢复失败原因): a map from
    `"<resource type>#<resource id>"` (for example
    `"OS::Nova::Server#f45c477a-57e5-465f-999f-d845083962db"`) to a reason. Empty
    while the restore is in progress and when nothing failed.

        Example:
            {}

    """

    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        resource_reason_map = cls()

        resource_reason_map.additional_properties = d
        return resource_reason_map

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
