from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.restore import Restore


T = TypeVar("T", bound="CreateRestoreResult")


@_attrs_define
class CreateRestoreResult:
    """Answer to a create-restore call.

    Attributes:
        restore (Restore): A restore as the service reports it (restore_resp, 恢复响应).
    """

    restore: Restore
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        restore = self.restore.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "restore": restore,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.restore import Restore  # noqa: PLC0415

        d = dict(src_dict)
        restore = Restore.from_dict(d.pop("restore"))

        create_restore_result = cls(
            restore=restore,
        )

        create_restore_result.additional_properties = d
        return create_restore_result

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
