"""The real contract: compared with itself, with its JSON bundle and fully inlined, nothing changes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from breaking_helpers import CONTRACT, REPO, run_cli

from tools.breaking import compare, load_file, load_git, parse_spec
from tools.breaking.loader import resolve_pointer


def _inline_refs(node: Any, document: dict[str, Any], depth: int = 0) -> Any:
    """The document with every $ref replaced by a copy of its target (the contract is not recursive)."""
    assert depth < 50, "unexpected recursion in the contract"
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline_refs(
                copy.deepcopy(resolve_pointer(document, node["$ref"][1:])), document, depth + 1
            )
        return {key: _inline_refs(value, document, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(value, document, depth + 1) for value in node]
    return node


def test_contract_compared_with_itself_reports_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert compare(load_file(CONTRACT), load_file(CONTRACT)) == []
    run = run_cli(
        ["--old", str(CONTRACT), "--new", str(CONTRACT), "--fail-on", "INFO", "--format", "json"], capsys
    )
    assert run.code == 0
    assert json.loads(run.out) == []


def test_committed_contract_compared_with_itself_reports_nothing() -> None:
    """The contract as committed at HEAD of this repository, read through git like `--base` does."""
    committed = load_git("HEAD", "openapi/csbs-restore.yaml", REPO)
    assert committed.document["openapi"].startswith("3.0.")
    assert compare(committed, load_git("HEAD", "openapi/csbs-restore.yaml", REPO)) == []


def test_inlining_every_ref_changes_nothing() -> None:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    inlined = _inline_refs(document, document)
    assert "$ref" not in json.dumps(inlined["paths"])
    old = load_file(CONTRACT)
    new = parse_spec(yaml.safe_dump(inlined, allow_unicode=True), label="inlined", path="inlined.yaml")
    assert compare(old, new) == []
    assert compare(new, old) == []


def test_json_rendering_of_the_contract_changes_nothing() -> None:
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    as_json = parse_spec(json.dumps(document), label="json", path="contract.json")
    assert compare(load_file(CONTRACT), as_json) == []


def test_contract_walk_reaches_nested_properties() -> None:
    """Guard against a comparer that reports nothing because it never looks: a deep change is seen."""
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["VolumeMapping"]["properties"]["volume_id"]["maxLength"] = 40
    changes = compare(load_file(CONTRACT), parse_spec(yaml.safe_dump(changed), label="x", path="x.yaml"))
    found = {(change.rule_id, change.location) for change in changes}
    assert found == {
        (
            "request-property-max-length-increased",
            "request body restore.parameters.targets.volumes[].volume_id",
        ),
    }
