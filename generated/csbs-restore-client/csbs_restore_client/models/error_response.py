from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorResponse")


@_attrs_define
class ErrorResponse:
    """The body of every error (异常) answer. `error_code` is stable and meant for programs
    (`CSBS.xxxx` from the service, `APIGW.xxxx` from the API gateway); `error_msg` is for
    people.

        Attributes:
            error_code (str): Error code (错误码), for example `CSBS.9001`. Example: CSBS.9001.
            error_msg (str): Human-readable description of the error (错误描述). Example: Invalid parameter..
            request_id (str | Unset): Request ID, present when the API gateway produced the error. Example:
                6f1b2a3c4d5e6f708192a3b4c5d6e7f8.
    """

    error_code: str
    error_msg: str
    request_id: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        error_code = self.error_code

        error_msg = self.error_msg

        request_id = self.request_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "error_code": error_code,
                "error_msg": error_msg,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error_code = d.pop("error_code")

        error_msg = d.pop("error_msg")

        request_id = d.pop("request_id", UNSET)

        error_response = cls(
            error_code=error_code,
            error_msg=error_msg,
            request_id=request_id,
        )

        return error_response
