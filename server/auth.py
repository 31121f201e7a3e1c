"""Who is calling: token -> role -> project, one function per API, used by every path.

Contract (`X-Auth-Token`): a tenant token of the seed maps to its project. No, unknown or
repeated token -> 401 `APIGW.0301` (the API gateway's answer, with `request_id`); a valid token
on another project's path -> 403 `CSBS.9009` ("the user is unverified", the only 403 code of
the service's error-code appendix; see openapi/DECISIONS.md). A malformed project ID in the path
is left to validation (400).

Stub control (`X-Admin-Token`): only admin tokens; a tenant token -> 403, anything else -> 401.
A credential header sent twice is refused (401) rather than one of its values picked: a proxy
in front may have checked the other one.

The pipeline calls `authenticate_tenant` itself; connexion reaches the same functions through
its documented security-handler hook (`x-apikeyInfoFunc`, set by `server/connexion_app.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import errors, runtime
from .errors import StubError
from .seeds import PROJECT_ID
from .store import SeedSnapshot

TENANT_HEADER = "X-Auth-Token"
ADMIN_HEADER = "X-Admin-Token"


def authenticate_tenant(tokens: Sequence[str], path_project: str | None, snapshot: SeedSnapshot) -> str:
    """The project the caller acts for, or the 401/403 `StubError` of the contract."""
    if len(tokens) != 1:
        raise errors.unauthorized()
    role = snapshot.role_of(tokens[0])
    if role is None or role[0] != "tenant" or role[1] is None:
        raise errors.unauthorized()
    project_id = role[1]
    if isinstance(path_project, str) and PROJECT_ID.fullmatch(path_project) and path_project != project_id:
        raise StubError(403, errors.FORBIDDEN, f"The user is unverified for project {path_project}.")
    return project_id


def authenticate_admin(tokens: Sequence[str], snapshot: SeedSnapshot) -> None:
    """Nothing for an admin token; the 401/403 `StubError` of the stub-control API otherwise."""
    role = snapshot.role_of(tokens[0]) if len(tokens) == 1 else None
    if role is None:
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


def _snapshot() -> SeedSnapshot:
    state = runtime.request()
    return state.snapshot if state.snapshot is not None else runtime.current().store.snapshot


def verify_tenant_token(apikey: str, required_scopes: Any = None, request: Any = None) -> dict[str, Any]:
    """connexion's security function of the contract (documented `x-apikeyInfoFunc` interface)."""
    tokens = request.headers.getlist(TENANT_HEADER) if request is not None else [apikey]
    path_project = request.path_params.get("project_id") if request is not None else None
    project_id = authenticate_tenant(tokens, path_project, _snapshot())
    runtime.request().project_id = project_id
    return {"sub": project_id, "project_id": project_id}


def verify_admin_token(apikey: str, required_scopes: Any = None, request: Any = None) -> dict[str, Any]:
    """connexion's security function of the stub-control API."""
    tokens = request.headers.getlist(ADMIN_HEADER) if request is not None else [apikey]
    authenticate_admin(tokens, _snapshot())
    return {"sub": "admin"}
