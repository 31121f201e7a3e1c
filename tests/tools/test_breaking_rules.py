"""One before/after fixture pair per rule: the comparer reports exactly the expected changes.

Each folder under fixtures/rules/ holds before.yaml, after.yaml (small, valid OpenAPI 3.0
documents that differ in one thing) and expected.yaml (every change the comparer must report,
with rule id, level, operation and location). A rule that no pair of valid documents can show
has an `invalid:` entry in expected.yaml: the document that is not valid on purpose, and the
validator's complaint about it, which must still be the only one. Try one by hand with
`python -m tools.breaking --old .../before.yaml --new .../after.yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from breaking_helpers import RULE_FIXTURES, run_cli
from openapi_spec_validator import OpenAPIV30SpecValidator, validate

from tools.breaking import RULES, Level, compare, load_file
from tools.breaking.context import Options

# Rules implemented but still without their own before/after pair; this list may only shrink.
WITHOUT_FIXTURE: frozenset[str] = frozenset()


FOLDERS = sorted(path for path in RULE_FIXTURES.iterdir() if path.is_dir())


def _expected(folder: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    changes: list[dict[str, Any]] = document["changes"]
    return changes


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_fixture_reports_exactly_the_expected_changes(folder: Path) -> None:
    document = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    options = Options(**document.get("options", {}))  # policy a rule needs, e.g. deprecation days
    changes = compare(load_file(folder / "before.yaml"), load_file(folder / "after.yaml"), options)
    got = sorted((c.rule_id, c.level.name, c.operation, c.location) for c in changes)
    want = sorted((e["id"], e["level"], e["operation"], e["location"]) for e in _expected(folder))
    assert got == want


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_fixture_documents_are_valid_openapi(folder: Path) -> None:
    document = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    invalid: dict[str, str] = document.get("invalid", {})
    assert set(invalid) <= {"before.yaml", "after.yaml"}
    for name in ("before.yaml", "after.yaml"):
        spec = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        if name not in invalid:
            validate(spec)
            continue
        assert [error.message for error in OpenAPIV30SpecValidator(spec).iter_errors()] == [invalid[name]]


def test_every_rule_has_a_fixture_and_every_fixture_names_real_rules() -> None:
    expected_ids = {change["id"] for folder in FOLDERS for change in _expected(folder)}
    assert expected_ids - set(RULES) == set(), "fixtures expect rule ids the catalogue does not have"
    assert set(RULES) - expected_ids - WITHOUT_FIXTURE == set(), "rules without a fixture"
    assert WITHOUT_FIXTURE & expected_ids == set(), "a rule got a fixture: drop it from WITHOUT_FIXTURE"
    # A folder named after a rule is that rule's own fixture, and it expects that rule.
    for folder in FOLDERS:
        if folder.name in RULES:
            assert folder.name in {change["id"] for change in _expected(folder)}


def test_fixture_levels_match_the_catalogue() -> None:
    for folder in FOLDERS:
        for change in _expected(folder):
            assert RULES[change["id"]].level == Level[change["level"]], (folder.name, change["id"])


def test_request_and_response_rules_are_opposite() -> None:
    """Narrowing a request breaks clients; so does widening a response, and not the reverse."""
    assert RULES["request-property-enum-value-removed"].level == Level.ERR
    assert RULES["response-property-enum-value-removed"].level == Level.INFO
    assert RULES["request-property-enum-value-added"].level == Level.INFO
    assert RULES["response-property-enum-value-added"].level == Level.WARN
    assert RULES["request-property-became-required"].level == Level.ERR
    assert RULES["response-property-became-required"].level == Level.INFO


def test_a_fixture_through_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    folder = RULE_FIXTURES / "request-property-became-required"
    args = ["--old", str(folder / "before.yaml"), "--new", str(folder / "after.yaml"), "--no-ignore"]
    run = run_cli([*args, "--format", "json"], capsys)
    assert run.code == 0
    assert '"id": "request-property-became-required"' in run.out
    assert '"level": 3' in run.out
