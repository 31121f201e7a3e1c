from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.restore_request import RestoreRequest


T = TypeVar("T", bound="CreateRestoreRequest")


@_attrs_define
class CreateRestoreRequest:
    """Body of a create-restore call.

    Attributes:
        restore (RestoreRequest): The restore to create (restore_req, 恢复请求).
    """

    restore: RestoreRequest

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
        from ..models.restore_request import RestoreRequest  # noqa: PLC0415

        d = dict(src_dict)
        restore = RestoreRequest.from_dict(d.pop("restore"))

        create_restore_request = cls(
            restore=restore,
        )

        return create_restore_request
