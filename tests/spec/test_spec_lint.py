"""The house lint rules (tools/spec_lint.py): the real specs pass, and every rule catches a broken
fixture with its own rule id and no other. Fixtures are small YAML files under fixtures/lint/
(each starts with a `# BROKEN:` line saying what is wrong) and mutations of the real spec."""

from __future__ import annotations

import copy
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import spec_lint
from tools.spec_lint import Violation, lint_document, lint_file

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lint"
SPEC_PATH = REPO / "openapi" / "csbs-restore.yaml"
CONTROL_SPEC_PATH = REPO / "openapi" / "stub-control.yaml"
OPERATION = "/paths/~1v1~1{project_id}~1restores/post"
ALL_RULES = {value for name, value in vars(spec_lint).items() if name.startswith("RULE_")}
LINE_FORMAT = re.compile(r"^(?P<file>[^:]+): #(?P<pointer>[^:]*): (?P<rule>[a-z-]+): (?P<message>.+)$")

Json = Any


def rules_of(violations: list[Violation]) -> set[str]:
    return {violation.rule for violation in violations}


def pointers_of(violations: list[Violation]) -> set[str]:
    return {violation.pointer for violation in violations}


def run_lint(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.spec_lint", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def spec() -> Json:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


# --- clean documents -------------------------------------------------------------------------


def project_specs() -> list[Path]:
    return [path for path in (SPEC_PATH, CONTROL_SPEC_PATH) if path.exists()]


@pytest.mark.parametrize("path", project_specs(), ids=lambda path: path.name)
def test_project_specs_pass(path: Path) -> None:
    violations = lint_file(path)
    assert violations == [], "\n".join(violation.render(path.name) for violation in violations)


def test_valid_fixture_passes() -> None:
    # Nullable null examples, $ref properties, "$ref" keys inside example data, a property named
    # `example`, 5XX ranges, path-level parameters: none of them is a violation.
    assert lint_file(FIXTURES / "valid.yaml") == []


# --- one broken fixture per rule -------------------------------------------------------------

GET_THINGS = "/paths/~1things/get"
POST_THINGS = "/paths/~1things/post"
JSON_200 = f"{GET_THINGS}/responses/200/content/application~1json"
JSON_REQUEST = f"{POST_THINGS}/requestBody/content/application~1json"

BROKEN_FIXTURES: list[tuple[str, str, set[str]]] = [
    ("request-object-open.yaml", spec_lint.RULE_REQUEST_OBJECT_CLOSED, {"/components/schemas/Thing"}),
    ("response-object-closed.yaml", spec_lint.RULE_RESPONSE_OBJECT_OPEN, {"/components/schemas/Thing"}),
    (
        "response-closed-value-list.yaml",
        spec_lint.RULE_RESPONSE_OPEN_VALUE_LIST,
        {"/components/schemas/Thing/properties/state"},
    ),
    (
        "extensible-enum-malformed.yaml",
        spec_lint.RULE_EXTENSIBLE_ENUM_FORM,
        {"/components/schemas/Thing/properties/state"},
    ),
    ("request-response-shared.yaml", spec_lint.RULE_SHARED_SCHEMA, {"/components/schemas/State"}),
    ("operation-without-operation-id.yaml", spec_lint.RULE_OPERATION_METADATA, {GET_THINGS}),
    ("operation-without-summary.yaml", spec_lint.RULE_OPERATION_METADATA, {GET_THINGS}),
    ("operation-without-description.yaml", spec_lint.RULE_OPERATION_METADATA, {GET_THINGS}),
    ("operation-without-tags.yaml", spec_lint.RULE_OPERATION_METADATA, {GET_THINGS}),
    (
        "property-without-description.yaml",
        spec_lint.RULE_PROPERTY_DESCRIPTION,
        {"/components/schemas/Thing/properties/name"},
    ),
    (
        "property-nested-without-description.yaml",
        spec_lint.RULE_PROPERTY_DESCRIPTION,
        {"/components/schemas/Thing/properties/tags/items/properties/label"},
    ),
    (
        "property-ref-to-undescribed-schema.yaml",
        spec_lint.RULE_PROPERTY_DESCRIPTION,
        {"/components/schemas/Thing/properties/state"},
    ),
    ("example-inline-wrong-type.yaml", spec_lint.RULE_EXAMPLE_VALID, {f"{JSON_200}/example/count"}),
    (
        "example-component-bad-format.yaml",
        spec_lint.RULE_EXAMPLE_VALID,
        {"/components/examples/OneThing/value/id"},
    ),
    (
        "example-schema-level-pattern.yaml",
        spec_lint.RULE_EXAMPLE_VALID,
        {"/components/schemas/Thing/properties/code/example"},
    ),
    (
        "example-parameter-out-of-range.yaml",
        spec_lint.RULE_EXAMPLE_VALID,
        {f"{GET_THINGS}/parameters/0/example"},
    ),
    (
        "example-request-null-not-nullable.yaml",
        spec_lint.RULE_EXAMPLE_VALID,
        {f"{JSON_REQUEST}/examples/empty/value", f"{JSON_REQUEST}/examples/empty/value/name"},
    ),
    (
        "error-response-own-schema.yaml",
        spec_lint.RULE_ERROR_RESPONSE_SCHEMA,
        {f"{GET_THINGS}/responses/404", "/components/schemas"},
    ),
    (
        "error-response-two-media-types.yaml",
        spec_lint.RULE_ERROR_RESPONSE_SCHEMA,
        {"/components/responses/NotFound"},
    ),
    (
        "error-response-without-content.yaml",
        spec_lint.RULE_ERROR_RESPONSE_SCHEMA,
        {f"{GET_THINGS}/responses/500"},
    ),
    (
        "unused-components.yaml",
        spec_lint.RULE_UNUSED_COMPONENT,
        {
            "/components/schemas/Orphan",
            "/components/schemas/OrphanChild",
            "/components/responses/Gone",
            "/components/parameters/Limit",
            "/components/examples/Sample",
            "/components/headers/Trace",
            "/components/securitySchemes/Token",
        },
    ),
    ("inline-object-response.yaml", spec_lint.RULE_INLINE_OBJECT_SCHEMA, {f"{JSON_200}/schema"}),
    ("inline-object-in-array.yaml", spec_lint.RULE_INLINE_OBJECT_SCHEMA, {f"{JSON_REQUEST}/schema/items"}),
    ("unresolved-ref.yaml", spec_lint.RULE_UNRESOLVED_REF, {f"{JSON_200}/schema"}),
    ("not-yaml.yaml", spec_lint.RULE_SPEC_LOAD, {""}),
    ("not-a-mapping.yaml", spec_lint.RULE_SPEC_LOAD, {""}),
]


@pytest.mark.parametrize(
    ("fixture", "rule", "pointers"), BROKEN_FIXTURES, ids=[name for name, _, _ in BROKEN_FIXTURES]
)
def test_broken_fixture_is_caught_by_its_rule_only(fixture: str, rule: str, pointers: set[str]) -> None:
    violations = lint_file(FIXTURES / fixture)
    assert rules_of(violations) == {rule}, "\n".join(violation.render(fixture) for violation in violations)
    assert pointers_of(violations) == pointers


def test_every_rule_has_a_broken_fixture() -> None:
    assert {rule for _, rule, _ in BROKEN_FIXTURES} == ALL_RULES


def test_every_fixture_file_is_used() -> None:
    listed = {name for name, _, _ in BROKEN_FIXTURES} | {"valid.yaml", "other-error-schema-name.yaml"}
    assert {path.name for path in FIXTURES.glob("*.yaml")} == listed


def test_formats_are_checked() -> None:
    messages = [violation.message for violation in lint_file(FIXTURES / "example-component-bad-format.yaml")]
    assert any("is not a 'uuid'" in message for message in messages), messages


# --- the same rules on mutations of the real spec ----------------------------------------------


def schemas(spec: Json) -> Json:
    return spec["components"]["schemas"]


def examples(spec: Json) -> Json:
    return spec["components"]["examples"]


def operation(spec: Json) -> Json:
    return spec["paths"]["/v1/{project_id}/restores"]["post"]


def add_component(section: str, name: str, body: Json) -> Callable[[Json], None]:
    def mutate(spec: Json) -> None:
        spec["components"].setdefault(section, {})[name] = body

    return mutate


MUTATIONS: list[tuple[str, Callable[[Json], None], str, str]] = [
    *[
        (
            f"drop-{field}",
            lambda spec, field=field: operation(spec).pop(field),
            "operation-metadata",
            OPERATION,
        )
        for field in ("operationId", "summary", "description", "tags")
    ],
    (
        "property-description-dropped",
        lambda spec: schemas(spec)["VolumeMapping"]["properties"]["backup_id"].pop("description"),
        "property-description",
        "/components/schemas/VolumeMapping/properties/backup_id",
    ),
    (
        "referenced-component-undescribed",
        lambda spec: schemas(spec)["RestoreStatus"].pop("description"),
        "property-description",
        "/components/schemas/Restore/properties/status",
    ),
    (
        "request-example-bad-uuid",
        lambda spec: examples(spec)["DocumentRequest"]["value"]["restore"].update(checkpoint_id="not-a-uuid"),
        "example-valid",
        "/components/examples/DocumentRequest/value/restore/checkpoint_id",
    ),
    (
        "response-example-unknown-field",
        lambda spec: examples(spec)["DocumentResponse"]["value"]["restore"].update(colour="red"),
        "example-valid",
        "/components/examples/DocumentResponse/value/restore",
    ),
    (
        "response-example-null-boolean",
        lambda spec: examples(spec)["DocumentResponse"]["value"]["restore"]["parameters"].update(
            power_on=None
        ),
        "example-valid",
        "/components/examples/DocumentResponse/value/restore/parameters/power_on",
    ),
    (
        "error-example-missing-message",
        lambda spec: examples(spec)["InternalError"]["value"].pop("error_msg"),
        "example-valid",
        "/components/examples/InternalError/value",
    ),
    (
        "parameter-example-uppercase",
        lambda spec: spec["components"]["parameters"]["ProjectId"].update(
            example="B942CC8342734D15BCB246BABB1953CF"
        ),
        "example-valid",
        "/components/parameters/ProjectId/example",
    ),
    (
        "schema-example-too-short",
        lambda spec: schemas(spec)["Restore"]["properties"]["id"].update(example="d3a54e80"),
        "example-valid",
        "/components/schemas/Restore/properties/id/example",
    ),
    (
        "error-response-second-media-type",
        lambda spec: spec["components"]["responses"]["NotFound"]["content"].update(
            {"text/plain": {"schema": {"type": "string"}}}
        ),
        "error-response-schema",
        "/components/responses/NotFound",
    ),
    (
        "error-response-other-schema",
        lambda spec: spec["components"]["responses"]["BadRequest"]["content"]["application/json"].update(
            schema={
                "type": "object",
                "additionalProperties": True,
                "description": "Any object: the examples still match.",
            }
        ),
        "error-response-schema",
        "/components/responses/BadRequest",
    ),
    (
        "unused-schema",
        add_component("schemas", "Spare", {"type": "string", "description": "Unused."}),
        "unused-component",
        "/components/schemas/Spare",
    ),
    (
        "unused-response",
        add_component("responses", "Spare", {"description": "Unused."}),
        "unused-component",
        "/components/responses/Spare",
    ),
    (
        "unused-parameter",
        add_component(
            "parameters",
            "Spare",
            {"name": "limit", "in": "query", "description": "x", "schema": {"type": "integer"}},
        ),
        "unused-component",
        "/components/parameters/Spare",
    ),
    (
        "unused-example",
        add_component("examples", "Spare", {"summary": "Unused.", "value": {"error_code": 1}}),
        "unused-component",
        "/components/examples/Spare",
    ),
    (
        "unused-header",
        add_component("headers", "Spare", {"description": "Unused.", "schema": {"type": "string"}}),
        "unused-component",
        "/components/headers/Spare",
    ),
    (
        "unused-security-scheme",
        add_component("securitySchemes", "Spare", {"type": "http", "scheme": "basic"}),
        "unused-component",
        "/components/securitySchemes/Spare",
    ),
    (
        "inline-object-header",
        lambda spec: operation(spec)["responses"]["200"]["headers"].update(
            {
                "X-Debug": {
                    "description": "Debug data.",
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                }
            }
        ),
        "inline-object-schema",
        f"{OPERATION}/responses/200/headers/X-Debug/schema",
    ),
    (
        "dangling-ref",
        lambda spec: operation(spec)["responses"]["200"]["headers"].update(
            {"X-Request-Id": {"$ref": "#/components/headers/Nope"}}
        ),
        "unresolved-ref",
        f"{OPERATION}/responses/200/headers/X-Request-Id",
    ),
    (
        "request-object-opened",
        lambda spec: schemas(spec)["RestoreTargets"].pop("additionalProperties"),
        "request-object-closed",
        "/components/schemas/RestoreTargets",
    ),
    (
        "response-object-closed",
        lambda spec: schemas(spec)["RestoredTargets"].update(additionalProperties=False),
        "response-object-open",
        "/components/schemas/RestoredTargets",
    ),
    (
        "response-value-list-closed",
        lambda spec: schemas(spec)["RestoreStatus"].update(
            enum=schemas(spec)["RestoreStatus"].pop("x-extensible-enum")
        ),
        "response-open-value-list",
        "/components/schemas/RestoreStatus",
    ),
    (
        "extensible-enum-not-strings",
        lambda spec: schemas(spec)["ResourceStatus"].update({"x-extensible-enum": ["restoring", 7]}),
        "extensible-enum-form",
        "/components/schemas/ResourceStatus",
    ),
    (
        "response-example-unknown-status",
        lambda spec: examples(spec)["DocumentResponse"]["value"]["restore"].update(status="paused"),
        "example-valid",
        "/components/examples/DocumentResponse/value/restore/status",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "pointer"),
    [(mutate, rule, pointer) for _, mutate, rule, pointer in MUTATIONS],
    ids=[name for name, _, _, _ in MUTATIONS],
)
def test_broken_real_spec_is_caught_by_its_rule_only(
    spec: Json, mutate: Callable[[Json], None], rule: str, pointer: str
) -> None:
    mutated = copy.deepcopy(spec)
    mutate(mutated)
    violations = lint_document(mutated)
    assert rules_of(violations) == {rule}, "\n".join(violation.render("spec") for violation in violations)
    assert pointer in pointers_of(violations)


def test_null_is_a_valid_example_for_a_nullable_field(spec: Json) -> None:
    mutated = copy.deepcopy(spec)
    examples(mutated)["DocumentResponse"]["value"]["restore"]["restore_target"] = None
    assert lint_document(mutated) == []


# --- the command line ------------------------------------------------------------------------


def test_command_passes_the_project_specs() -> None:
    result = run_lint(*(str(path.relative_to(REPO)) for path in project_specs()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_command_prints_one_line_per_violation_and_fails() -> None:
    fixture = FIXTURES / "unused-components.yaml"
    result = run_lint(str(fixture), str(SPEC_PATH))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    for line in lines:
        match = LINE_FORMAT.match(line)
        assert match, line
        assert match["file"] == str(fixture)
        assert match["rule"] == "unused-component"
    assert "Traceback" not in result.stderr


def test_command_reports_a_missing_file_without_a_traceback() -> None:
    result = run_lint("openapi/no-such-spec.yaml")
    assert result.returncode == 1
    assert result.stdout.startswith("openapi/no-such-spec.yaml: #: spec-load: cannot read the file")
    assert "Traceback" not in result.stderr


def test_command_without_arguments_is_a_usage_error() -> None:
    result = run_lint()
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_error_schema_name_is_configurable() -> None:
    fixture = str(FIXTURES / "other-error-schema-name.yaml")
    assert run_lint("--error-schema", "Problem", fixture).returncode == 0
    default = run_lint(fixture)
    assert default.returncode == 1
    assert "error-response-schema" in default.stdout


def test_malformed_documents_give_violations_not_crashes(spec: Json) -> None:
    """Bounded, seeded: replace random nodes of the real spec with odd values; lint must not raise."""
    random_source = random.Random(20261127)
    odd_values: list[Json] = [
        None,
        [],
        {},
        0,
        "x",
        True,
        [1, "a"],
        {"$ref": 5},
        {"$ref": "#/x/y"},
        {"$ref": "#"},
    ]
    locations: list[tuple[Json, Json]] = []

    def collect(node: Json) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, value in items:
            locations.append((node, key))
            collect(value)

    for _ in range(80):
        mutated = copy.deepcopy(spec)
        locations.clear()
        collect(mutated)
        for _ in range(random_source.randint(1, 3)):
            container, key = random_source.choice(locations)
            container[key] = copy.deepcopy(random_source.choice(odd_values))
        violations = lint_document(mutated)
        assert all(isinstance(violation, Violation) for violation in violations)
