"""Every failure schemathesis found in the stub, replayed as the exact request it sent.

One test per finding, named after it, sending the request from the reproduction curl with plain
httpx against the ASGI app, and asserting what the spec requires. The findings are listed with
their curl commands in the stub's bug reports; schemathesis found them with the seed in
tools/contract/config.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.app import create_app
from server.settings import Settings

ADMIN = {"X-Admin-Token": "stub-admin-token"}

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def stub() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings())
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client
    finally:
        app.close()


def assert_stub_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error_code"] == code
    assert isinstance(body["error_msg"], str) and body["error_msg"]


async def test_seed_with_duplicated_admin_token_is_refused_not_a_500(stub: httpx.AsyncClient) -> None:
    """not_a_server_error on PUT /_stub/seed: a repeated admin token hit a UNIQUE constraint."""
    response = await stub.put(
        "/_stub/seed",
        headers=ADMIN,
        json={"admin_tokens": ["stub-admin-token", "stub-admin-token"], "projects": []},
    )

    assert_stub_error(response, 400, "STUB.0400")
    # It names the repeated entry by its place, never the secret itself (it reaches logs).
    assert "admin_tokens[1]" in response.json()["error_msg"]
    assert "stub-admin-token" not in response.json()["error_msg"]
    # The refused seed left the stub as it was: the admin token still works.
    assert (await stub.get("/_stub/faults", headers=ADMIN)).status_code == 200


async def test_journal_after_beyond_64_bits_is_served_not_a_500(stub: httpx.AsyncClient) -> None:
    """not_a_server_error on GET /_stub/journal: `after` larger than SQLite's INTEGER overflowed."""
    response = await stub.get("/_stub/journal?after=10262204546010318848", headers=ADMIN)

    assert response.status_code == 200, response.text
    assert response.json() == {"entries": []}


@pytest.mark.parametrize(
    ("path", "methods"),
    [("/_stub/faults", {"GET", "POST", "DELETE"}), ("/_stub/journal", {"GET", "DELETE"})],
)
async def test_405_allow_header_names_every_method_of_the_path(
    stub: httpx.AsyncClient, path: str, methods: set[str]
) -> None:
    """allow_header_conformance: `Allow` named only the methods of the first route of the path."""
    response = await stub.request("OPTIONS", path, headers=ADMIN)

    assert response.status_code == 405
    allowed = {method.strip() for method in response.headers["allow"].split(",")} - {"HEAD"}
    assert allowed == methods
