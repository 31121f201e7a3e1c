"""A tiny provider of `POST /v1/{project_id}/restores`, correct by default, broken on request.

The contract check must catch a provider that gets the contract wrong. This app implements the
route the way the contract says, and each `Defect` breaks exactly one thing, so a test can run
schemathesis against the correct variant (no failures) and against each broken one (the
expected check fails). Hand-written on purpose: it has to stay small and obviously right, and the
real stub is far bigger than a control case needs.
"""

from __future__ import annotations

import enum
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30WriteValidator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tools.harness.seeds import DEMO_PROJECT, DEMO_TOKEN

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "csbs-restore.yaml"
TOKEN = DEMO_TOKEN
PROJECT_ID = DEMO_PROJECT
CHECKPOINT_ID = "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09"
PROJECT_ID_PATTERN = re.compile(r"[0-9a-f]{32}")


class Defect(enum.Enum):
    """One way to break the contract."""

    # The 200 answer lacks `restore.status`, a required field.
    MISSING_REQUIRED_FIELD = "missing-required-field"
    # Any restore with `power_on: false` crashes with a 500.
    SERVER_ERROR_ON_INPUT = "server-error-on-input"
    # The token is never checked: any caller may create restores.
    IGNORED_TOKEN = "ignored-token"
    # A `restore_target` that is not an http(s) URL is refused as an invalid parameter, though the
    # contract accepts any string up to 255 characters.
    REFUSES_VALID_INPUT = "refuses-valid-input"
    # The 200 answer carries a field the contract does not document: fine for tolerant clients,
    # reported by `make contract --strict`.
    UNDOCUMENTED_FIELD = "undocumented-field"


def _request_validator() -> Any:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    schema = {"$ref": "#/components/schemas/CreateRestoreRequest", "components": spec["components"]}
    # OpenAPI 3.0 semantics (`nullable`); the contract's fixed lengths keep Python's `$` (which
    # would accept "id\n") from letting anything through that ECMA-262 regexes refuse.
    return OAS30WriteValidator(schema)


def _error(status: int, code: str, message: str, *, gateway: bool = False) -> JSONResponse:
    body: dict[str, str] = {"error_code": code, "error_msg": message}
    if gateway:
        body["request_id"] = uuid.uuid4().hex
    return JSONResponse(body, status_code=status, headers={"X-Request-Id": uuid.uuid4().hex})


def create_provider(defect: Defect | None = None) -> Starlette:
    """The provider app; `defect=None` is the correct variant."""
    validator = _request_validator()

    async def create_restore(request: Request) -> Response:
        if defect is not Defect.IGNORED_TOKEN and request.headers.get("x-auth-token") != TOKEN:
            return _error(401, "APIGW.0301", "Incorrect IAM authentication information.", gateway=True)
        project_id = request.path_params["project_id"]
        if not PROJECT_ID_PATTERN.fullmatch(project_id):
            return _error(400, "CSBS.9001", "Invalid parameter: project_id.")
        if defect is not Defect.IGNORED_TOKEN and project_id != PROJECT_ID:
            return _error(403, "CSBS.9009", f"Not authorized for project {project_id}.")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(400, "CSBS.9001", "The body must be application/json.")
        try:
            body = json.loads((await request.body()).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _error(400, "CSBS.9001", "The body is not valid JSON.")
        if not validator.is_valid(body):
            return _error(400, "CSBS.9001", "Invalid parameter.")
        restore_req = body["restore"]
        target = restore_req.get("restore_target")
        if defect is Defect.REFUSES_VALID_INPUT and target is not None and not target.startswith("http"):
            return _error(400, "CSBS.9001", "Invalid parameter: restore.restore_target must be a URL.")
        if restore_req["checkpoint_id"] != CHECKPOINT_ID:
            return _error(404, "CSBS.3001", f"Checkpoint ({restore_req['checkpoint_id']}) is not found.")
        # null in an optional field means "not given".
        parameters = {key: value for key, value in restore_req["parameters"].items() if value is not None}
        if defect is Defect.SERVER_ERROR_ON_INPUT and parameters.get("power_on") is False:
            return _error(500, "CSBS.9999", "Internal error.")
        targets = {key: value for key, value in parameters["targets"].items() if value is not None}
        targets["resource_type"] = "OS::Nova::Server"
        restore: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "checkpoint_id": restore_req["checkpoint_id"],
            "parameters": {**parameters, "targets": targets},
            "project_id": project_id,
            "provider_id": restore_req["provider_id"],
            "resources_reason": {},
            "resources_status": {},
            "restore_target": restore_req.get("restore_target"),
            "status": "in_progress",
        }
        if defect is Defect.MISSING_REQUIRED_FIELD:
            del restore["status"]
        if defect is Defect.UNDOCUMENTED_FIELD:
            restore["progress_percent"] = 0
        return JSONResponse({"restore": restore}, headers={"X-Request-Id": uuid.uuid4().hex})

    return Starlette(routes=[Route("/v1/{project_id}/restores", create_restore, methods=["POST"])])


def create_provider_from_env() -> Starlette:
    """Factory for `uvicorn --factory`: the defect comes from `BROKEN_PROVIDER_DEFECT` (empty = none)."""
    name = os.environ.get("BROKEN_PROVIDER_DEFECT", "")
    return create_provider(Defect(name) if name else None)
