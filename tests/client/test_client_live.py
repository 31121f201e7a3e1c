"""The generated client against the stub over real HTTP (uvicorn on a free loopback port).

`live_stub` (tests/conftest.py) runs `python -m server` with the default seed. Tests that create
the document's restore first reset the stub (`POST /_stub/reset`): the document's server can be
restored only once at a time, and the reset returns its backup to `available`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, Protocol
from uuid import UUID

import httpx
import pytest
from client_spec import error_examples, example_value
from csbs_restore_client import AuthenticatedClient
from csbs_restore_client.api.restores import create_restore
from csbs_restore_client.models import (
    CreateRestoreRequest,
    CreateRestoreResult,
    ErrorResponse,
    VolumeMapping,
)
from csbs_restore_client.types import Response
from usage_example import restore_server

HTTP_TIMEOUT_S = 10.0
OTHER_TENANT_TOKEN = "csbs-other-token"  # the default seed's second tenant (another project)
# Fields of a stored restore that its lifecycle changes after creation.
LIFECYCLE_FIELDS = ("status", "resources_status", "resources_reason")


class LiveStub(Protocol):
    base_url: str
    token: str
    project_id: str
    admin_token: str


def control(stub: LiveStub, method: str, path: str, body: Any = None) -> Any:
    """Call the stub-control API (`/_stub/...`) and return its JSON answer."""
    answer = httpx.request(
        method,
        f"{stub.base_url}/_stub{path}",
        headers={"X-Admin-Token": stub.admin_token},
        json=body,
        timeout=HTTP_TIMEOUT_S,
    )
    assert answer.status_code < 300, f"{method} /_stub{path}: {answer.status_code} {answer.text}"
    return answer.json()


@pytest.fixture
def fresh_stub(live_stub: LiveStub) -> Iterator[LiveStub]:
    control(live_stub, "POST", "/reset")
    yield live_stub
    control(live_stub, "DELETE", "/faults")


def client_for(stub: LiveStub, token: str | None = None) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=stub.base_url,
        token=stub.token if token is None else token,
        auth_header_name="X-Auth-Token",
        prefix="",
        timeout=httpx.Timeout(HTTP_TIMEOUT_S),
    )


def document_body() -> CreateRestoreRequest:
    return CreateRestoreRequest.from_dict(example_value("DocumentRequest"))


def call_sync(
    client: AuthenticatedClient, project_id: str, body: CreateRestoreRequest
) -> Response[CreateRestoreResult | ErrorResponse]:
    with client:
        return create_restore.sync_detailed(project_id=project_id, client=client, body=body)


def call_async(
    client: AuthenticatedClient, project_id: str, body: CreateRestoreRequest
) -> Response[CreateRestoreResult | ErrorResponse]:
    async def call() -> Response[CreateRestoreResult | ErrorResponse]:
        async with client:
            return await create_restore.asyncio_detailed(project_id=project_id, client=client, body=body)

    return asyncio.run(call())


CALLS = {"sync": call_sync, "asyncio": call_async}


def assert_matches_stored(stub: LiveStub, created: CreateRestoreResult) -> None:
    """The typed answer is what the stub stored (lifecycle fields only while still in progress)."""
    stored = control(stub, "GET", f"/restores/{created.restore.id}")["restore"]
    answered = created.restore.to_dict()
    if stored["status"] != "in_progress":
        for name in LIFECYCLE_FIELDS:
            stored.pop(name)
            answered.pop(name)
    assert answered == stored


def assert_is_the_document_restore(stub: LiveStub, created: CreateRestoreResult) -> None:
    restore = created.restore
    request = example_value("DocumentRequest")["restore"]
    assert restore.status == "in_progress"
    assert restore.project_id == stub.project_id
    assert str(restore.checkpoint_id) == request["checkpoint_id"]
    assert str(restore.provider_id) == request["provider_id"]
    assert restore.parameters.to_dict()["checkpoint_item_id"] == request["parameters"]["checkpoint_item_id"]
    targets = restore.parameters.targets
    assert targets.to_dict()["server_id"] == request["parameters"]["targets"]["server_id"]
    assert targets.to_dict()["volumes"] == request["parameters"]["targets"]["volumes"]
    assert restore.resources_status.to_dict() == {}
    assert restore.resources_reason.to_dict() == {}


@pytest.mark.parametrize("mode", sorted(CALLS))
def test_the_document_request_returns_the_stored_restore(fresh_stub: LiveStub, mode: str) -> None:
    answer = CALLS[mode](client_for(fresh_stub), fresh_stub.project_id, document_body())

    assert answer.status_code == 200, answer.content
    assert isinstance(answer.parsed, CreateRestoreResult)
    # The typed model keeps everything the stub sent.
    assert answer.parsed.to_dict() == json.loads(answer.content)
    assert answer.headers.get("X-Request-Id")
    assert_is_the_document_restore(fresh_stub, answer.parsed)
    assert_matches_stored(fresh_stub, answer.parsed)


def test_the_usage_example_creates_the_document_restore(fresh_stub: LiveStub) -> None:
    answer = restore_server(fresh_stub.base_url, fresh_stub.token, fresh_stub.project_id)
    assert isinstance(answer, CreateRestoreResult), answer
    assert_is_the_document_restore(fresh_stub, answer)
    assert_matches_stored(fresh_stub, answer)


FORCED_ERRORS = [
    pytest.param(status, name, example, mode, id=f"{status}-{name}-{mode}")
    for status, examples in sorted(error_examples().items())
    for name, example in examples.items()
    for mode in sorted(CALLS)
]


@pytest.mark.parametrize(("status", "name", "example", "mode"), FORCED_ERRORS)
def test_each_documented_error_parses_into_error_response(
    fresh_stub: LiveStub, status: int, name: str, example: dict[str, Any], mode: str
) -> None:
    client = client_for(fresh_stub).with_headers({"Prefer": f"code={status}, example={name}"})
    answer = CALLS[mode](client, fresh_stub.project_id, document_body())

    assert answer.status_code == status, answer.content
    assert isinstance(answer.parsed, ErrorResponse), answer.content
    assert answer.parsed.error_code == example["error_code"]
    assert answer.parsed.error_msg == example["error_msg"]
    assert answer.parsed.to_dict() == json.loads(answer.content)


def test_a_wrong_token_is_a_typed_gateway_401(fresh_stub: LiveStub) -> None:
    answer = call_sync(client_for(fresh_stub, token="not-a-token"), fresh_stub.project_id, document_body())
    assert answer.status_code == 401
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed.error_code == "APIGW.0301"
    assert answer.parsed.request_id


def test_another_tenants_project_is_a_typed_403(fresh_stub: LiveStub) -> None:
    answer = call_sync(
        client_for(fresh_stub, token=OTHER_TENANT_TOKEN), fresh_stub.project_id, document_body()
    )
    assert answer.status_code == 403
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed.error_code == error_examples()[403]["forbidden"]["error_code"]


def test_an_unknown_backup_is_a_typed_404(fresh_stub: LiveStub) -> None:
    body = document_body()
    body.restore.parameters.checkpoint_item_id = UUID("00000000-0000-4000-8000-000000000404")
    answer = call_sync(client_for(fresh_stub), fresh_stub.project_id, body)
    assert answer.status_code == 404
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed.error_code == "CSBS.3001"
    assert "00000000-0000-4000-8000-000000000404" in answer.parsed.error_msg


def test_a_volume_backup_outside_the_backup_is_a_typed_400(fresh_stub: LiveStub) -> None:
    body = document_body()
    targets = body.restore.parameters.targets
    targets.volumes = [
        VolumeMapping(
            backup_id=UUID("0b7a1e52-8f2c-4c55-9a3e-2f7d4c1b9e10"),
            volume_id=UUID("ee27f809-6fb5-40ae-ac46-c932bb4ee8fe"),
        )
    ]
    answer = call_sync(client_for(fresh_stub), fresh_stub.project_id, body)
    assert answer.status_code == 400
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed.error_code == "CSBS.6017"


@pytest.mark.parametrize(
    ("kind", "status", "code"), [("status_500", 500, "CSBS.9999"), ("status_503", 503, "CSBS.9998")]
)
@pytest.mark.parametrize("mode", sorted(CALLS))
def test_armed_server_faults_are_typed_errors(
    fresh_stub: LiveStub, kind: str, status: int, code: str, mode: str
) -> None:
    control(fresh_stub, "POST", "/faults", {"kind": kind, "count": 1})
    answer = CALLS[mode](client_for(fresh_stub), fresh_stub.project_id, document_body())
    assert answer.status_code == status
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed.error_code == code
