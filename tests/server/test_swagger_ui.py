"""Swagger UI and the served spec documents, for the contract and the stub-control API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from stub_helpers import CONTRACT, CONTROL, InProcessStub, StubApi, assert_error


@pytest.mark.parametrize(
    ("prefix", "document"), [("", CONTRACT), ("/_stub", CONTROL)], ids=["contract", "control"]
)
def test_swagger_ui_and_spec_are_served(api: StubApi, prefix: str, document: dict[str, object]) -> None:
    page = api.request("GET", f"{prefix}/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in page.text
    assert page.headers.get("x-request-id")
    spec = api.request("GET", f"{prefix}/openapi.json")
    assert spec.status_code == 200
    served = spec.json()
    assert served["info"] == document["info"]
    assert set(served["paths"]) == set(document["paths"])  # type: ignore[arg-type]


def test_swagger_ui_can_be_switched_off(make_stub: Callable[..., InProcessStub]) -> None:
    stub = make_stub(swagger_ui=False)
    assert_error(stub.request("GET", "/ui/"), 404, "APIGW.0101")
