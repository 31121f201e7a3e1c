"""The suite's JSON documents are what they claim to be, so that a generator passing with them
proves something."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.portability.documents import (
    FILES,
    UNKNOWN_PROPERTY_PREFIX,
    UNKNOWN_STATUS,
    contract,
    document_response,
    documents,
    known_statuses,
    request_schema,
    response_schema,
    strict_profile,
    with_unknown_properties,
)

pytestmark = pytest.mark.portability


def _objects_with_properties(value: Any, schema: dict[str, Any]) -> int:
    """How many objects of `value` are instances of a schema that lists properties."""
    if isinstance(value, dict) and "properties" in schema:
        return 1 + sum(
            _objects_with_properties(item, schema["properties"][key]) for key, item in value.items()
        )
    if isinstance(value, list) and "items" in schema:
        return sum(_objects_with_properties(item, schema["items"]) for item in value)
    return 0


def _without_unknown(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_unknown(item)
            for key, item in value.items()
            if not key.startswith(UNKNOWN_PROPERTY_PREFIX) and "#" not in key
        }
    if isinstance(value, list):
        return [_without_unknown(item) for item in value]
    return value


def test_the_files_hold_the_documents(document_files: dict[str, Path]) -> None:
    assert set(document_files) == set(FILES)
    for name, value in documents().items():
        assert json.loads(document_files[name].read_text(encoding="utf-8")) == value, name


def test_the_document_examples_are_valid_and_complete() -> None:
    values = documents()
    assert contract().request_refusal(values["document_request"]) is None
    assert contract().response_refusal(values["document_response"]) is None
    assert strict_profile().response_refusal(values["document_response"]) is None
    # The request example sets every optional field but restore_target.
    parameters = values["document_request"]["restore"]["parameters"]
    assert set(parameters) == set(
        request_schema()["properties"]["restore"]["properties"]["parameters"]["properties"]
    )
    assert set(parameters["targets"]) == {"server_id", "volumes"}


def test_the_minimal_request_has_only_required_fields_and_is_valid() -> None:
    minimal = documents()["minimal_request"]
    assert contract().request_refusal(minimal) is None
    restore = minimal["restore"]
    assert set(restore) == set(request_schema()["properties"]["restore"]["required"])
    assert restore["parameters"] == {"targets": {}}


def test_the_tolerant_response_adds_one_unknown_thing_at_every_object_level() -> None:
    tolerant = documents()["tolerant_response"]
    _, added = with_unknown_properties(document_response(), response_schema())
    levels = _objects_with_properties(document_response(), response_schema())
    maps = ["resources_status", "resources_reason"]
    assert levels == 5  # the body, restore, parameters, targets, the one volume mapping
    assert len(added) == levels + len(maps), added
    assert tolerant["restore"]["status"] == UNKNOWN_STATUS
    assert UNKNOWN_STATUS not in known_statuses()
    # The contract accepts it; its strict profile, which lists exactly what is documented, does not.
    assert contract().response_refusal(tolerant) is None
    assert strict_profile().response_refusal(tolerant) == "x_added_later is not an allowed field"
    expected = document_response()
    expected["restore"]["status"] = UNKNOWN_STATUS
    assert _without_unknown(tolerant) == expected


def test_the_wrong_documents_are_refused_by_the_contract() -> None:
    values = documents()
    assert (
        contract().request_refusal(values["wrong_request"])
        == "restore.parameters.power_on must be of type boolean"
    )
    assert contract().response_refusal(values["wrong_response"]) == "restore.status is required"
