"""The JSON documents every generator of the portability suite is fed, derived from the contract.

Nothing here is written by hand: the document's request and response examples are the
operation's own examples; the minimal request keeps only what the request schema requires; the
tolerant response adds one property the contract does not list at every object level of the
response example and sets a `status` the contract does not list. `write_documents` puts them
in a folder as JSON files, which is what the generated code reads.

`Contract` checks a body the way the stub does (`server/contract.py`, `server/schemas.py`):
against the contract itself, or against its strict profile.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from server.contract import Operation, build_operation
from server.openapi import Document, inlined, load_document
from server.schemas import describe

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "openapi" / "csbs-restore.yaml"
STRICT_SPEC = REPO_ROOT / "generated" / "csbs-restore.strict.yaml"
PATH = "/v1/{project_id}/restores"
METHOD = "post"
JSON_MEDIA_TYPE = "application/json"

UNKNOWN_STATUS = "waiting_for_quota"
"""A restore status the contract does not list (checked against its `x-extensible-enum`)."""
UNKNOWN_PROPERTY_PREFIX = "x_added_later"
UNKNOWN_PROPERTY_VALUE: dict[str, Any] = {"since": "a later release", "items": [1, "two", None]}
UNKNOWN_MAP_ENTRY = ("OS::Cinder::Volume#ee27f809-6fb5-40ae-ac46-c932bb4ee8fe", "migrating")
"""An entry for the response's string maps (`resources_status`, `resources_reason`)."""

FILES = {
    "document_request": "document-request.json",
    "minimal_request": "minimal-request.json",
    "document_response": "document-response.json",
    "tolerant_response": "tolerant-response.json",
    "wrong_request": "wrong-request.json",
    "wrong_response": "wrong-response.json",
    "path_parameters": "path-parameters.json",
}


@dataclass(frozen=True)
class Contract:
    """The create-restore operation of one OpenAPI document, compiled as the stub compiles it."""

    document: Document
    operation: Operation

    def request_refusal(self, body: Any) -> str | None:
        """Why the document refuses `body` as the request body (None: it accepts it)."""
        assert self.operation.body is not None
        return _refusal(self.operation.body.first_error(body))

    def response_refusal(self, body: Any, status: int = 200) -> str | None:
        """Why the document refuses `body` as the body of a `status` answer (None: it accepts it)."""
        schema = self.operation.responses[status]
        assert schema is not None
        return _refusal(schema.first_error(body))

    def schema(self, pointer: str) -> Any:
        """The operation's node at `pointer` below it (e.g. `requestBody`), every `$ref` inlined."""
        node: Any = self.document.root["paths"][PATH][METHOD]
        for part in pointer.split("/"):
            node = node[part]
        return inlined(self.document, node)


def _refusal(error: Any) -> str | None:
    if error is None:
        return None
    field, reason = describe(error)
    return f"{field} {reason}"


@cache
def contract() -> Contract:
    document = Document(load_document(SPEC))
    return Contract(document, build_operation(document, "", PATH, METHOD))


@cache
def strict_profile() -> Contract:
    document = Document(load_document(STRICT_SPEC))
    return Contract(document, build_operation(document, "", PATH, METHOD))


def _only_example(media: dict[str, Any]) -> Any:
    (example,) = media["examples"].values()
    return copy.deepcopy(example["value"])


def request_schema() -> dict[str, Any]:
    schema: dict[str, Any] = contract().schema("requestBody")["content"][JSON_MEDIA_TYPE]["schema"]
    return schema


def response_schema() -> dict[str, Any]:
    schema: dict[str, Any] = contract().schema("responses/200")["content"][JSON_MEDIA_TYPE]["schema"]
    return schema


def document_request() -> dict[str, Any]:
    """The document's request example (请求样例), as the operation gives it."""
    value: dict[str, Any] = _only_example(contract().schema("requestBody")["content"][JSON_MEDIA_TYPE])
    return value


def document_response() -> dict[str, Any]:
    """The document's response example (响应样例), as the operation's 200 answer gives it."""
    value: dict[str, Any] = _only_example(contract().schema("responses/200")["content"][JSON_MEDIA_TYPE])
    return value


def only_required(value: Any, schema: dict[str, Any]) -> Any:
    """`value` with every property its schema does not require left out, at every level."""
    if isinstance(value, dict) and "properties" in schema:
        required = set(schema.get("required", ()))
        return {
            key: only_required(item, schema["properties"][key])
            for key, item in value.items()
            if key in required
        }
    if isinstance(value, list) and "items" in schema:
        return [only_required(item, schema["items"]) for item in value]
    return copy.deepcopy(value)


def minimal_request() -> dict[str, Any]:
    """The document's request with only the fields the contract requires."""
    value: dict[str, Any] = only_required(document_request(), request_schema())
    return value


def with_unknown_properties(value: Any, schema: dict[str, Any], path: str = "") -> tuple[Any, list[str]]:
    """A copy of `value` with one property its schema does not list added to every object
    that has listed properties, and one entry added to every map; and where each was added."""
    if isinstance(value, dict) and "properties" in schema:
        added: list[str] = []
        copied: dict[str, Any] = {}
        for key, item in value.items():
            copied[key], inner = with_unknown_properties(item, schema["properties"][key], f"{path}.{key}")
            added += inner
        name = f"{UNKNOWN_PROPERTY_PREFIX}{path.replace('.', '_').replace('[', '_').replace(']', '')}"
        assert name not in schema["properties"]
        copied[name] = copy.deepcopy(UNKNOWN_PROPERTY_VALUE)
        return copied, [*added, f"{path or '(root)'}: {name}"]
    if isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        key, entry = UNKNOWN_MAP_ENTRY
        assert schema["additionalProperties"].get("type") == "string"
        return {**copy.deepcopy(value), key: entry}, [f"{path}: {key}"]
    if isinstance(value, list) and "items" in schema:
        copied_items: list[Any] = []
        added_items: list[str] = []
        for index, item in enumerate(value):
            copied_item, inner = with_unknown_properties(item, schema["items"], f"{path}[{index}]")
            copied_items.append(copied_item)
            added_items += inner
        return copied_items, added_items
    return copy.deepcopy(value), []


def known_statuses() -> list[str]:
    statuses: list[str] = response_schema()["properties"]["restore"]["properties"]["status"][
        "x-extensible-enum"
    ]
    return statuses


def tolerant_response() -> dict[str, Any]:
    """The document's response with an unknown property at every object level and an unknown status."""
    value, _ = with_unknown_properties(document_response(), response_schema())
    assert UNKNOWN_STATUS not in known_statuses()
    value["restore"]["status"] = UNKNOWN_STATUS
    return dict(value)


def wrong_request() -> dict[str, Any]:
    """The document's request with `power_on` typed as the document's field table types it (String)."""
    value = document_request()
    value["restore"]["parameters"]["power_on"] = str(value["restore"]["parameters"]["power_on"]).lower()
    return value


def wrong_response() -> dict[str, Any]:
    """The document's response without `status`, which the contract requires."""
    value = document_response()
    del value["restore"]["status"]
    return value


def path_parameters() -> dict[str, str]:
    """The operation's path parameters with the contract's example values."""
    return {
        parameter["name"]: parameter["example"]
        for parameter in contract().schema("parameters")
        if parameter["in"] == "path"
    }


def documents() -> dict[str, Any]:
    """Every document of the suite by its name in `FILES`."""
    return {
        "document_request": document_request(),
        "minimal_request": minimal_request(),
        "document_response": document_response(),
        "tolerant_response": tolerant_response(),
        "wrong_request": wrong_request(),
        "wrong_response": wrong_response(),
        "path_parameters": path_parameters(),
    }


def write_documents(folder: Path) -> dict[str, Path]:
    """Write every document as a JSON file into `folder`; their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, value in documents().items():
        path = folder / FILES[name]
        path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written[name] = path
    return written
