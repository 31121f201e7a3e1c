"""The committed client is a complete package with readable names that parses every documented answer.

These run offline: answers come from an httpx.MockTransport that serves the spec's own examples.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from typing import Any

import csbs_restore_client
import httpx
import pytest
import yaml
from client_spec import CLIENT_DIR, CONFIG_PATH, REPO_ROOT, contract, error_examples, example_value
from csbs_restore_client import AuthenticatedClient, models
from csbs_restore_client.api.restores import create_restore
from csbs_restore_client.errors import UnexpectedStatus
from csbs_restore_client.models import CreateRestoreRequest, CreateRestoreResult, ErrorResponse

from tools.harness.seeds import DEMO_PROJECT

PROJECT_ID = DEMO_PROJECT


def test_the_client_is_a_complete_installable_project() -> None:
    package = CLIENT_DIR / "csbs_restore_client"
    for required in ("pyproject.toml", "README.md"):
        assert (CLIENT_DIR / required).is_file(), required
    for required in ("__init__.py", "py.typed", "client.py", "errors.py", "types.py"):
        assert (package / required).is_file(), required
    pyproject = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["poetry"]["name"] == "csbs-restore-client"
    assert pyproject["tool"]["poetry"]["packages"] == [{"include": "csbs_restore_client"}]
    assert "csbs_restore_client/py.typed" in pyproject["tool"]["poetry"]["include"]
    assert pyproject["build-system"]["build-backend"] == "poetry.core.masonry.api"


def test_the_client_version_is_the_spec_info_version() -> None:
    spec_version = contract()["info"]["version"]
    pyproject = tomllib.loads((CLIENT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["poetry"]["version"] == spec_version
    assert csbs_restore_client.__version__ == spec_version
    readme_title = (CLIENT_DIR / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert readme_title == f"# csbs-restore-client {spec_version}"


def test_the_config_leaves_the_version_to_the_spec() -> None:
    config = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    assert "package_version_override" not in config


def test_every_generated_file_says_nothing_about_the_machine_it_was_made_on() -> None:
    for path in sorted(CLIENT_DIR.rglob("*")):
        relative = path.relative_to(CLIENT_DIR)
        assert not {".ruff_cache", ".mypy_cache", ".pytest_cache"} & set(relative.parts), relative
        if not path.is_file() or path.suffix == ".pyc":
            continue
        text = path.read_text(encoding="utf-8")
        assert str(REPO_ROOT) not in text, relative
        assert "/tmp/" not in text and "csbs-client-check-" not in text, relative


def test_models_are_named_like_the_spec_components_and_the_config_overrides() -> None:
    config = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    # Objects and closed enums become classes; plain strings (open value lists included) stay str.
    expected = {
        name
        for name, schema in contract()["components"]["schemas"].items()
        if schema.get("type") == "object" or "enum" in schema
    } | {override["class_name"] for override in config["class_overrides"].values()}
    assert set(models.__all__) == expected
    # The names a client team looks for first.
    for name in (
        "CreateRestoreRequest",
        "CreateRestoreResult",
        "Restore",
        "ErrorResponse",
        "VolumeMapping",
    ):
        assert name in models.__all__
    # No names derived from where an inline schema is nested.
    assert not [name for name in models.__all__ if name.startswith("RestoreResources")]


def test_the_package_docstring_says_do_not_edit() -> None:
    assert csbs_restore_client.__doc__ is not None
    assert "Do not edit" in csbs_restore_client.__doc__


def _client_answering(status: int, body: Any, seen: list[httpx.Request]) -> AuthenticatedClient:
    """A client whose every call gets `status` with `body` as JSON; requests are recorded in `seen`."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body, headers={"X-Request-Id": "req-1"})

    # Through httpx_args, so the client still builds its own httpx.Client with the auth header.
    return AuthenticatedClient(
        base_url="https://csbs.example.invalid",
        token="t0ken",
        auth_header_name="X-Auth-Token",
        prefix="",
        httpx_args={"transport": httpx.MockTransport(answer)},
    )


def test_the_document_request_round_trips_through_the_request_model() -> None:
    document_request = example_value("DocumentRequest")
    assert CreateRestoreRequest.from_dict(document_request).to_dict() == document_request


def test_the_document_response_parses_into_the_typed_model() -> None:
    seen: list[httpx.Request] = []
    client = _client_answering(200, example_value("DocumentResponse"), seen)
    body = CreateRestoreRequest.from_dict(example_value("DocumentRequest"))
    answer = create_restore.sync_detailed(project_id=PROJECT_ID, client=client, body=body)
    assert answer.status_code == 200
    assert isinstance(answer.parsed, CreateRestoreResult)
    assert answer.parsed.to_dict() == example_value("DocumentResponse")
    assert str(answer.parsed.restore.id) == "d3a54e80-6483-485d-98f6-c0409e6f2e0a"
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == f"/v1/{PROJECT_ID}/restores"
    assert request.headers["X-Auth-Token"] == "t0ken"
    assert "Authorization" not in request.headers
    assert json.loads(request.content) == example_value("DocumentRequest")


def _with_unknown_field_everywhere(value: Any, path: str = "") -> Any:
    """A copy of a JSON value with an extra `x_added_<path>` property in every object."""
    if isinstance(value, dict):
        copied = {key: _with_unknown_field_everywhere(item, f"{path}_{key}") for key, item in value.items()}
        copied[f"x_added{path}"] = {"note": "a field the service added later"}
        return copied
    if isinstance(value, list):
        return [_with_unknown_field_everywhere(item, f"{path}_{index}") for index, item in enumerate(value)]
    return value


def test_a_response_with_unknown_fields_and_an_unknown_status_parses() -> None:
    """The contract's responses are extensible: what a newer service adds must not break the client."""
    answer_body = _with_unknown_field_everywhere(example_value("DocumentResponse"))
    answer_body["restore"]["status"] = "waiting_for_quota"
    answer_body["restore"]["resources_status"] = {"OS::Nova::Server#f45c477a": "migrating"}
    client = _client_answering(200, answer_body, [])
    body = CreateRestoreRequest.from_dict(example_value("DocumentRequest"))
    answer = create_restore.sync_detailed(project_id=PROJECT_ID, client=client, body=body)
    assert answer.status_code == 200
    assert isinstance(answer.parsed, CreateRestoreResult)
    restore = answer.parsed.restore
    assert restore.status == "waiting_for_quota"
    assert restore.resources_status.to_dict() == {"OS::Nova::Server#f45c477a": "migrating"}
    # Unknown fields are kept, at every level, and round-trip unchanged.
    assert restore["x_added_restore"] == {"note": "a field the service added later"}
    assert restore.parameters.targets["x_added_restore_parameters_targets"]
    assert restore.parameters.targets.volumes
    assert restore.parameters.targets.volumes[0]["x_added_restore_parameters_targets_volumes_0"]
    assert answer.parsed.to_dict() == answer_body


def test_an_error_with_an_unknown_field_parses() -> None:
    error = {"error_code": "CSBS.9999", "error_msg": "Internal error.", "retry_after_s": 30}
    answer = create_restore.sync_detailed(
        project_id=PROJECT_ID,
        client=_client_answering(500, error, []),
        body=CreateRestoreRequest.from_dict(example_value("DocumentRequest")),
    )
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed["retry_after_s"] == 30


def test_unset_optional_fields_are_left_out_and_null_is_accepted_back() -> None:
    """Unset optional fields are not sent; a request that carries null for them still loads."""
    minimal = {
        "restore": {
            "provider_id": "fc4d5750-22e7-4798-8a46-f48f62c4c1da",
            "checkpoint_id": "a2b9fb53-2770-4fcd-9bad-6cadd56e6c09",
            "parameters": {"targets": {}},
        }
    }
    assert CreateRestoreRequest.from_dict(minimal).to_dict() == minimal
    with_nulls = {
        "restore": {
            **minimal["restore"],
            "restore_target": None,
            "parameters": {
                "checkpoint_item_id": None,
                "power_on": None,
                "targets": {"server_id": None, "volumes": None},
            },
        }
    }
    assert CreateRestoreRequest.from_dict(with_nulls).to_dict() == with_nulls


ERROR_CASES = [
    pytest.param(status, example, id=f"{status}-{example['error_code']}")
    for status, examples in sorted(error_examples().items())
    for example in examples.values()
]


def test_every_documented_error_status_of_the_document_is_covered() -> None:
    assert {400, 401, 403, 404, 500, 503} <= set(error_examples())


@pytest.mark.parametrize(("status", "example"), ERROR_CASES)
def test_each_documented_error_parses_into_error_response(status: int, example: dict[str, Any]) -> None:
    client = _client_answering(status, example, [])
    body = CreateRestoreRequest.from_dict(example_value("DocumentRequest"))
    answer = create_restore.sync_detailed(project_id=PROJECT_ID, client=client, body=body)
    assert answer.status_code == status
    assert isinstance(answer.parsed, ErrorResponse)
    assert answer.parsed.error_code == example["error_code"]
    assert answer.parsed.error_msg == example["error_msg"]
    assert answer.parsed.to_dict() == example
    assert answer.headers["X-Request-Id"] == "req-1"


@pytest.mark.parametrize("raise_on_unexpected", [False, True])
def test_an_undocumented_status_is_not_silently_typed(raise_on_unexpected: bool) -> None:
    client = _client_answering(418, {"error_code": "X", "error_msg": "teapot"}, [])
    client.raise_on_unexpected_status = raise_on_unexpected
    body = CreateRestoreRequest.from_dict(example_value("DocumentRequest"))
    call: Callable[[], object] = lambda: create_restore.sync(project_id=PROJECT_ID, client=client, body=body)  # noqa: E731
    if raise_on_unexpected:
        with pytest.raises(UnexpectedStatus) as raised:
            call()
        assert raised.value.status_code == 418
    else:
        assert call() is None
