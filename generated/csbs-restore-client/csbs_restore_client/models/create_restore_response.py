from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.restore import Restore


T = TypeVar("T", bound="CreateRestoreResponse")


@_attrs_define
class CreateRestoreResponse:
    """Answer to a create-restore call.

    Attributes:
        restore (Restore): A restore as the service reports it (restore_resp, 恢复响应).
    """

    restore: Restore

    def to_dict(self) -> dict[str, Any]:
        restore = self.restore.to_dict()

        field_dict: dict[str, Any] = {}

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

        create_restore_response = cls(
            restore=restore,
        )

        return create_restore_response
