"""Token checks, plugged into connexion's security layer through `security_map`.

Contract (`X-Auth-Token`): a tenant token from the seed maps to its project. No or unknown token
-> 401 `APIGW.0301` (the API gateway's answer, with `request_id`); a valid token on another
project's path -> 403 `CSBS.9009` ("the user is unverified", the only 403 code of the service's
error-code appendix; see openapi/DECISIONS.md). A malformed project ID in the path is left to
validation (400).

Stub control (`X-Admin-Token`): only admin tokens; a tenant token -> 403, anything else -> 401.
A credential header sent twice is refused (401) rather than one of its values picked.
"""

from __future__ import annotations

from typing import Any

from connexion.security import ApiKeySecurityHandler

from server import errors, runtime
from server.errors import StubError
from server.seeds import PROJECT_ID


def _repeated(request: Any, header: str) -> bool:
    """Two values of one credential header are ambiguous: a proxy may have checked the other one."""
    return len(request.headers.getlist(header)) > 1


def verify_tenant_token(api_key: str, request: Any, required_scopes: Any = None) -> dict[str, Any]:
    if _repeated(request, "X-Auth-Token"):
        raise errors.unauthorized()
    role = runtime.current().store.token_role(api_key)
    if role is None or role[0] != "tenant" or role[1] is None:
        raise errors.unauthorized()
    project_id = role[1]
    path_project = request.path_params.get("project_id")
    if isinstance(path_project, str) and PROJECT_ID.fullmatch(path_project) and path_project != project_id:
        raise StubError(403, errors.FORBIDDEN, f"The user is unverified for project {path_project}.")
    return {"sub": project_id, "project_id": project_id}


def verify_admin_token(api_key: str, request: Any, required_scopes: Any = None) -> dict[str, Any]:
    role = runtime.current().store.token_role(api_key)
    if role is None or _repeated(request, "X-Admin-Token"):
        raise StubError(
            401,
            errors.STUB_UNAUTHORIZED,
            "The X-Admin-Token header is missing, unknown or repeated.",
            gateway=True,
        )
    if role[0] != "admin":
        raise StubError(
            403,
            errors.STUB_FORBIDDEN,
            "A tenant token cannot use the stub-control API; send the admin token in X-Admin-Token.",
        )
    return {"sub": "admin"}


class TenantTokenHandler(ApiKeySecurityHandler):
    def _resolve_func(self, security_scheme: Any) -> Any:
        return verify_tenant_token


class AdminTokenHandler(ApiKeySecurityHandler):
    def _resolve_func(self, security_scheme: Any) -> Any:
        return verify_admin_token


CONTRACT_SECURITY_MAP: dict[str, Any] = {"apiKey": TenantTokenHandler}
CONTROL_SECURITY_MAP: dict[str, Any] = {"apiKey": AdminTokenHandler}
