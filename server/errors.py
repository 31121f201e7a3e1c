"""The service's error format and the stub's own error codes.

Every error the stub sends is `{"error_code", "error_msg"}` (plus `request_id` for errors the API
gateway would produce), `application/json`, never connexion's problem+json.
"""

from __future__ import annotations

from typing import Any

from . import jsonbytes
from .settings import CONTROL_PREFIX

JSON_MEDIA_TYPE = "application/json"

INVALID_PARAMETER = "CSBS.9001"
GATEWAY_AUTH_FAILED = "APIGW.0301"
GATEWAY_NOT_FOUND = "APIGW.0101"
FORBIDDEN = "CSBS.9009"
CHECKPOINT_ITEM_NOT_FOUND = "CSBS.3001"
BACKUP_NOT_AVAILABLE = "CSBS.4000"
SERVER_RESTORING = "CSBS.6015"
BACKUP_NOT_IN_ITEM = "CSBS.6017"
VOLUMES_INCOMPLETE = "CSBS.6018"
VOLUME_NOT_IN_SERVER = "CSBS.6014"
VOLUME_TOO_SMALL = "CSBS.6024"
INTERNAL_ERROR = "CSBS.9999"
SERVICE_UNAVAILABLE = "CSBS.9998"

GATEWAY_AUTH_MESSAGE = (
    "Incorrect IAM authentication information: verify aksk signature fail or token is invalid."
)

# Error codes of the stub-control API (not part of the CSBS contract).
STUB_INVALID = "STUB.0400"
STUB_UNAUTHORIZED = "STUB.0401"
STUB_FORBIDDEN = "STUB.0403"
STUB_NOT_FOUND = "STUB.0404"
STUB_METHOD_NOT_ALLOWED = "STUB.0405"
STUB_TOO_LARGE = "STUB.0413"
STUB_INTERNAL = "STUB.0500"
STUB_UNAVAILABLE = "STUB.0503"

MAX_MESSAGE_CHARS = 400
"""Error messages quote client input; they are cut so a huge value cannot bloat the answer."""


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class StubError(Exception):
    """An error answer: raised anywhere, turned into the flat JSON error body."""

    def __init__(
        self,
        status: int,
        error_code: str,
        error_msg: str,
        *,
        gateway: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error_msg)
        self.status = status
        # connexion's security layer picks the most specific error by `status_code`.
        self.status_code = status
        self.error_code = error_code
        self.error_msg = shorten(error_msg)
        self.gateway = gateway
        self.headers = headers or {}

    def body(self, request_id: str) -> dict[str, Any]:
        payload: dict[str, Any] = {"error_code": self.error_code, "error_msg": self.error_msg}
        if self.gateway:
            payload["request_id"] = request_id
        return payload

    def __repr__(self) -> str:
        return f"StubError({self.status}, {self.error_code!r}, {self.error_msg!r})"


def invalid_parameter(message: str) -> StubError:
    return StubError(400, INVALID_PARAMETER, f"Invalid parameter: {message}")


def unauthorized() -> StubError:
    return StubError(401, GATEWAY_AUTH_FAILED, GATEWAY_AUTH_MESSAGE, gateway=True)


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def for_api(path: str, contract: StubError, control_code: str, control_msg: str | None = None) -> StubError:
    """The same failure in the stub-control API's codes when the path belongs to it."""
    if not is_control_path(path):
        return contract
    return StubError(
        contract.status,
        control_code,
        contract.error_msg if control_msg is None else control_msg,
        gateway=contract.gateway,
        headers=contract.headers,
    )


def bad_request(path: str, message: str) -> StubError:
    return for_api(path, invalid_parameter(message), STUB_INVALID)


def too_large(path: str, limit: int) -> StubError:
    message = f"The request body exceeds the limit of {limit} bytes."
    return for_api(path, StubError(413, INVALID_PARAMETER, message), STUB_TOO_LARGE)


def from_http_status(path: str, method: str, status: int, detail: str, headers: dict[str, str]) -> StubError:
    """An error connexion or Starlette raised (routing, security, validation), in the stub's format."""
    if status == 401:
        return for_api(
            path, unauthorized(), STUB_UNAUTHORIZED, "The X-Admin-Token header is missing or unknown."
        )
    if status == 403:
        return for_api(
            path,
            StubError(403, FORBIDDEN, shorten(detail) or "Forbidden."),
            STUB_FORBIDDEN,
            "A tenant token cannot use the stub-control API; send the admin token in X-Admin-Token.",
        )
    if status == 404:
        return for_api(
            path,
            StubError(
                404,
                GATEWAY_NOT_FOUND,
                "The API does not exist or has not been published in the environment.",
                gateway=True,
            ),
            STUB_NOT_FOUND,
            f"No stub-control path {path}.",
        )
    if status == 405:
        allowed = headers.get("Allow", headers.get("allow", ""))
        message = f"Method {method} is not allowed on {path}; allowed: {allowed or 'none'}."
        error = StubError(405, GATEWAY_NOT_FOUND, message, gateway=True, headers={"Allow": allowed})
        return for_api(path, error, STUB_METHOD_NOT_ALLOWED)
    if status == 413:
        return for_api(path, StubError(413, INVALID_PARAMETER, detail), STUB_TOO_LARGE)
    if 400 <= status < 500:
        # 415 and other client errors: the contract documents 400 for every bad input.
        return bad_request(path, detail.rstrip(".") + ".")
    if status == 503:
        return for_api(
            path,
            StubError(503, SERVICE_UNAVAILABLE, "The service is temporarily unavailable."),
            STUB_INTERNAL,
        )
    return for_api(path, StubError(500, INTERNAL_ERROR, f"Internal error. {detail}".strip()), STUB_INTERNAL)


def store_unavailable(path: str) -> StubError:
    """The database cannot be reached: the service's 503, within the store's timeout."""
    return for_api(
        path,
        StubError(503, SERVICE_UNAVAILABLE, "The service is temporarily unavailable. Try again later."),
        STUB_UNAVAILABLE,
        "The stub's database is unavailable. Try again later.",
    )


def encode(error: StubError, request_id: str) -> bytes:
    return jsonbytes.dumps(error.body(request_id))
