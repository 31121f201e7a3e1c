"""One OpenAPI document with the contract's create-restore and the stub-control API's read operations.

An OpenAPI link lives on a response of its source operation. The sequence "create a restore, then
read it back" starts at `createRestore`, which lives in `openapi/csbs-restore.yaml`; that file is the
provider contract and must not name operations only the stub has, and `openapi/stub-control.yaml`
cannot carry a link from an operation it does not contain. So the link is added here, to a
test-only merge of the two documents, and schemathesis' stateful phase follows it
(`createRestore` -> `getRestore` / `listRestores`). The files in openapi/ are not changed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tools.contract.config import CONTROL_SPEC, STRICT_SPEC

CONTROL_PREFIX = "/_stub"
# The control operations that only read state; arming faults or loading seeds would change what
# the contract operation answers, which is not what this sequence is about.
READ_OPERATIONS = {"getRestore", "listRestores", "listBackups"}
CONTROL_COMPONENT_PREFIX = "Control"

CREATED_RESTORE_LINKS: dict[str, Any] = {
    "GetCreatedRestore": {
        "operationId": "getRestore",
        "parameters": {"restore_id": "$response.body#/restore/id"},
        "description": "Read the created restore back from the stub-control API.",
    },
    "ListRestoresOfProject": {
        "operationId": "listRestores",
        "parameters": {"project_id": "$response.body#/restore/project_id"},
        "description": "List the project's restores; the created one is among them.",
    },
}


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _rename_refs(node: Any, prefix: str) -> Any:
    """Point every local `$ref` at the prefixed copy of its component."""
    if isinstance(node, dict):
        renamed = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
                kind, name = value.removeprefix("#/components/").split("/", 1)
                renamed[key] = f"#/components/{kind}/{prefix}{name}"
            else:
                renamed[key] = _rename_refs(value, prefix)
        return renamed
    if isinstance(node, list):
        return [_rename_refs(item, prefix) for item in node]
    return node


def _without_links(operation: dict[str, Any]) -> dict[str, Any]:
    """The control API's own links are exercised by its own run. Dropped here so that
    `createRestore` is the only entry point of the sequences: schemathesis starts stateful runs
    at a list operation in preference to a POST whose input it cannot produce itself."""
    operation = copy.deepcopy(operation)
    for response in operation.get("responses", {}).values():
        if isinstance(response, dict):
            response.pop("links", None)
    return operation


def combined_spec() -> dict[str, Any]:
    """The merged document, with links from `createRestore` to the control API's restore reads."""
    contract = _load(STRICT_SPEC)
    control = _rename_refs(_load(CONTROL_SPEC), CONTROL_COMPONENT_PREFIX)

    merged = copy.deepcopy(contract)
    merged["info"] = {**contract["info"], "title": "CSBS contract with stub-control reads (test only)"}
    merged["servers"] = [{"url": "/"}]
    control_security = control.get("security", [])
    for path, item in control["paths"].items():
        kept = {}
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") in READ_OPERATIONS:
                kept[method] = {"security": control_security, **_without_links(operation)}
        if kept:
            merged["paths"][CONTROL_PREFIX + path] = kept
    for kind, components in control["components"].items():
        target = merged["components"].setdefault(kind, {})
        for name, value in components.items():
            # Security requirements name schemes directly (no `$ref`); the names do not collide.
            target[name if kind == "securitySchemes" else CONTROL_COMPONENT_PREFIX + name] = value

    created = merged["paths"]["/v1/{project_id}/restores"]["post"]["responses"]["200"]
    created["links"] = copy.deepcopy(CREATED_RESTORE_LINKS)
    return merged
