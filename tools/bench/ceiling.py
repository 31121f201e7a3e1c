"""The ceiling: a bare Starlette app that reads the request body and answers fixed bytes.

It does no routing beyond one path, no validation and no state, so its numbers are the most any
Python ASGI app can reach on this machine under the same uvicorn and load generator.
Run: `python -m uvicorn tools.bench.ceiling:app`.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_SPEC = Path(__file__).resolve().parents[2] / "openapi" / "csbs-restore.yaml"
# The documented 200 example, the same bytes a mock answers with.
ANSWER = json.dumps(
    yaml.safe_load(_SPEC.read_text(encoding="utf-8"))["components"]["examples"]["DocumentResponse"]["value"]
).encode("utf-8")


async def create_restore(request: Request) -> Response:
    await request.body()
    return Response(ANSWER, media_type="application/json")


app = Starlette(routes=[Route("/v1/{project_id}/restores", create_restore, methods=["POST"])])
