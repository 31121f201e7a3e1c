"""The spec against the document's field inventory (openapi/document-fields.yaml), both ways.

Every field of the document's tables must be in the spec at its path, with the mapped type and the
same required flag; the spec must have no parameter or body field the document lacks; the statuses
must be the document's. A difference is accepted only when an `exceptions:` entry allows it, and an
entry that allows a difference the spec no longer has is reported too, so the list stays true.
The mutation tests below show that each kind of drift is caught.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.openapi import Document, Located

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "openapi" / "csbs-restore.yaml"
INVENTORY_PATH = REPO / "openapi" / "document-fields.yaml"
DECISIONS_PATH = REPO / "openapi" / "DECISIONS.md"
# The seed lives beside the repository in the shared workspace; a fresh clone does not have it.
SEED_PATH = REPO.parent / "shared" / "seeds" / "000_4b24d6877d4aa656.txt"

Json = Any
SCALAR_TYPES = {"String": "string", "Boolean": "boolean", "Integer": "integer", "Number": "number"}
LIST_TYPE = re.compile(r"^List<(\w+)>$")
CHECK_KEYS = {
    "location",
    "path",
    "exists",
    "required",
    "type",
    "schema",
    "enum",
    "extensible_enum",
    "nullable",
    "format",
    "pattern",
    "length",
    "maxLength",
    "values",
}


@dataclass(frozen=True)
class SpecField:
    """A parameter or body property of the spec, with its `$ref` chain resolved."""

    location: str  # "path" | "query" | "header" | "request" | "response"
    path: str
    schema: Mapping[str, Json]
    required: bool
    ref_name: str | None  # the component a `$ref` named, if the property was one


@dataclass
class SpecShape:
    fields: dict[tuple[str, str], SpecField] = field(default_factory=dict)
    objects: list[tuple[str, str, Mapping[str, Json]]] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | extra | type | required | status | stale-exception | check | inventory
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


def load_yaml(path: Path) -> Json:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec() -> Json:
    return load_yaml(SPEC_PATH)


@pytest.fixture(scope="module")
def inventory() -> Json:
    return load_yaml(INVENTORY_PATH)


# --- reading the spec ------------------------------------------------------------------------


def resolve(document: Document, node: Json, pointer: str) -> Located:
    located = document.follow(Located(pointer, node))
    assert located is not None, f"unresolvable $ref at #{pointer}"
    return located


def ref_name(node: Json) -> str | None:
    ref = node.get("$ref") if isinstance(node, Mapping) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def find_operation(spec: Json, operation: str) -> tuple[str, Mapping[str, Json]]:
    method, path = operation.split(" ", 1)
    node = spec["paths"][path][method.lower()]
    return f"/paths/{path.replace('/', '~1')}/{method.lower()}", node


def walk_object(document: Document, shape: SpecShape, schema: Located, location: str, prefix: str) -> None:
    shape.objects.append((location, prefix or "(body)", schema.node))
    required = set(schema.node.get("required") or [])
    for name, prop in (schema.node.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        target = resolve(document, prop, f"{schema.pointer}/properties/{name}")
        shape.fields[(location, path)] = SpecField(
            location, path, target.node, name in required, ref_name(prop)
        )
        walk_nested(document, shape, target, location, path)


def walk_nested(document: Document, shape: SpecShape, schema: Located, location: str, path: str) -> None:
    node = schema.node
    if node.get("type") == "object" and "properties" in node:
        walk_object(document, shape, schema, location, path)
    elif node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        items = resolve(document, node["items"], f"{schema.pointer}/items")
        if "properties" in items.node:
            walk_object(document, shape, items, location, f"{path}[]")


def read_spec(spec: Json, operation: str) -> SpecShape:
    document = Document(spec)
    shape = SpecShape()
    pointer, op = find_operation(spec, operation)
    for index, parameter in enumerate(op.get("parameters") or []):
        resolved = resolve(document, parameter, f"{pointer}/parameters/{index}").node
        schema = resolve(document, resolved.get("schema", {}), f"{pointer}/parameters/{index}/schema")
        key = (resolved["in"], resolved["name"])
        shape.fields[key] = SpecField(
            resolved["in"], resolved["name"], schema.node, bool(resolved.get("required")), None
        )
    body = resolve(document, op["requestBody"], f"{pointer}/requestBody").node
    walk_nested(
        document, shape, resolve(document, body["content"]["application/json"]["schema"], ""), "request", ""
    )
    responses = {str(code): value for code, value in op["responses"].items()}
    shape.statuses = set(responses)
    ok = resolve(document, responses["200"], f"{pointer}/responses/200").node
    walk_nested(
        document, shape, resolve(document, ok["content"]["application/json"]["schema"], ""), "response", ""
    )
    return shape


def spec_type(document: Document, schema: Mapping[str, Json]) -> str:
    """The spec's type in the inventory's vocabulary: string, boolean, object, map, array<...>."""
    kind = schema.get("type")
    if kind == "object":
        extra = schema.get("additionalProperties")
        if "properties" not in schema and (extra is True or isinstance(extra, Mapping)):
            return "map"
        return "object"
    if kind == "array":
        items = document.follow(Located("", schema.get("items", {})))
        return f"array<{spec_type(document, items.node) if items else '?'}>"
    return str(kind)


def expected_type(doc_type: str, tables: set[str]) -> str:
    if doc_type in SCALAR_TYPES:
        return SCALAR_TYPES[doc_type]
    if doc_type == "Dict":
        return "map"
    listed = LIST_TYPE.match(doc_type)
    if listed and listed.group(1) in tables:
        return "array<object>"
    if doc_type in tables:
        return "object"
    return f"unknown document type {doc_type!r}"


# --- the comparison --------------------------------------------------------------------------


def inventory_fields(inventory: Json) -> Iterator[tuple[Mapping[str, Json], Mapping[str, Json]]]:
    for table in inventory["tables"]:
        for entry in table["fields"]:
            yield table, entry


def compare(spec: Json, inventory: Json) -> list[Problem]:
    document = Document(spec)
    shape = read_spec(spec, inventory["document"]["operation"])
    problems: list[Problem] = []
    tables = {table["table"] for table in inventory["tables"]}

    allowed_types: dict[tuple[str, str], tuple[str, str]] = {}
    allowed_required: dict[tuple[str, str], tuple[bool, str]] = {}
    allowed_statuses: dict[str, str] = {}
    for exception in inventory.get("exceptions") or []:
        for allowance in exception.get("allows") or []:
            if "status" in allowance:
                allowed_statuses[str(allowance["status"])] = exception["decision"]
            elif "spec_type" in allowance:
                key = (allowance["location"], allowance["path"])
                allowed_types[key] = (allowance["spec_type"], exception["decision"])
            elif "spec_required" in allowance:
                key = (allowance["location"], allowance["path"])
                allowed_required[key] = (bool(allowance["spec_required"]), exception["decision"])
            else:
                problems.append(Problem("inventory", exception["decision"], f"unknown allowance {allowance}"))
    used: set[tuple[str, tuple[str, str] | str]] = set()

    documented: set[tuple[str, str]] = set()
    for table, entry in inventory_fields(inventory):
        key = (str(table["location"]), str(entry["path"]))
        documented.add(key)
        subject = f"{key[0]} {key[1]}"
        found = shape.fields.get(key)
        if found is None:
            problems.append(Problem("missing", subject, "in the document, not in the spec"))
            continue
        actual = spec_type(document, found.schema)
        expected = expected_type(entry["type"], tables)
        if actual != expected:
            allowed = allowed_types.get(key)
            if allowed and allowed[0] == actual:
                used.add(("type", key))
            else:
                problems.append(
                    Problem("type", subject, f"spec has {actual}, document says {entry['type']} ({expected})")
                )
        # Response tables have no flag (null): the baseline is optional.
        documented_required = bool(entry["required"])
        if found.required != documented_required:
            allowed_flag = allowed_required.get(key)
            if allowed_flag and allowed_flag[0] == found.required:
                used.add(("required", key))
            else:
                problems.append(
                    Problem(
                        "required",
                        subject,
                        f"spec says required={found.required}, document says {entry['required']}",
                    )
                )

    for key in sorted(set(shape.fields) - documented):
        problems.append(Problem("extra", f"{key[0]} {key[1]}", "in the spec, not in the document"))

    documented_statuses = {str(status["code"]) for status in inventory["statuses"]}
    for status in sorted(documented_statuses - shape.statuses):
        problems.append(Problem("status", status, "listed by the document, missing from the spec"))
    for status in sorted(shape.statuses - documented_statuses):
        if status in allowed_statuses:
            used.add(("status", status))
        else:
            problems.append(Problem("status", status, "in the spec, not listed by the document"))

    for key, (value, decision) in allowed_types.items():
        if ("type", key) not in used:
            problems.append(
                Problem(
                    "stale-exception",
                    decision,
                    f"allows type {value} at {key[0]} {key[1]}; no such difference",
                )
            )
    for key, (flag, decision) in allowed_required.items():
        if ("required", key) not in used:
            problems.append(
                Problem(
                    "stale-exception",
                    decision,
                    f"allows required={flag} at {key[0]} {key[1]}; no such difference",
                )
            )
    for status, decision in allowed_statuses.items():
        if ("status", status) not in used:
            problems.append(
                Problem("stale-exception", decision, f"allows status {status}; the spec lacks it")
            )

    for exception in inventory.get("exceptions") or []:
        for check in exception.get("checks") or []:
            problems.extend(run_check(document, shape, exception["decision"], check))
    return problems


def run_check(
    document: Document, shape: SpecShape, decision: str, check: Mapping[str, Json]
) -> list[Problem]:
    if check.get("all") in ("request-objects", "response-objects"):
        side = str(check["all"]).removesuffix("-objects")
        expected = check["additionalProperties"]
        return [
            Problem("check", decision, f"{location} {path}: additionalProperties is not {expected}")
            for location, path, schema in shape.objects
            if location == side
            and (
                "additionalProperties" in schema
                if expected == "absent"
                else schema.get("additionalProperties") is not expected
            )
        ]
    unknown = set(check) - CHECK_KEYS
    if unknown:
        return [Problem("inventory", decision, f"unknown check keys {sorted(unknown)}")]
    subject = f"{check['location']} {check['path']}"
    found = shape.fields.get((check["location"], check["path"]))
    if found is None:
        if check.get("exists", True):
            return [Problem("check", decision, f"{subject}: not in the spec")]
        return []
    if check.get("exists") is False:
        return [Problem("check", decision, f"{subject}: in the spec, but should not be")]
    schema = found.schema
    actual: dict[str, Json] = {
        "exists": True,
        "required": found.required,
        "type": schema.get("type"),
        "schema": found.ref_name,
        "enum": schema.get("enum"),
        "extensible_enum": schema.get("x-extensible-enum"),
        "nullable": bool(schema.get("nullable", False)),
        "format": schema.get("format"),
        "pattern": bool(schema.get("pattern")),
        "length": schema.get("minLength") if schema.get("minLength") == schema.get("maxLength") else None,
        "maxLength": schema.get("maxLength"),
    }
    if "values" in check:
        values = schema.get("additionalProperties")
        resolved = document.follow(Located("", values)) if isinstance(values, Mapping) else None
        actual["values"] = resolved.node.get("type") if resolved else None
    return [
        Problem("check", decision, f"{subject}: {key} is {actual[key]!r}, expected {expected!r}")
        for key, expected in check.items()
        if key not in ("location", "path") and actual[key] != expected
    ]


# --- the real spec ---------------------------------------------------------------------------


def test_spec_matches_the_document_inventory(spec: Json, inventory: Json) -> None:
    problems = compare(spec, inventory)
    assert problems == [], "\n".join(map(str, problems))


def test_inventory_is_well_formed(inventory: Json) -> None:
    tables = {table["table"] for table in inventory["tables"]}
    seen: set[tuple[str, str]] = set()
    for table, entry in inventory_fields(inventory):
        key = (table["location"], entry["path"])
        assert key not in seen, f"duplicate field {key}"
        seen.add(key)
        assert re.split(r"[.\[\]]+", entry["path"].rstrip("]"))[-1] == entry["name"], entry
        assert not expected_type(entry["type"], tables).startswith("unknown"), entry
        if table["location"] == "response":
            assert entry["required"] is None, f"response tables have no required column: {entry}"
        else:
            assert entry["required"] in (True, False), entry
        assert isinstance(entry["description"], str) and entry["description"], entry


def test_every_exception_names_a_decision(inventory: Json) -> None:
    headings = {
        line[3:].strip()
        for line in DECISIONS_PATH.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    for exception in inventory["exceptions"]:
        assert exception["decision"] in headings, f"no heading '{exception['decision']}' in DECISIONS.md"
        assert exception.get("allows") or exception.get("checks"), f"{exception['decision']} asserts nothing"


def seed_tables(text: str) -> dict[str, list[list[str]]]:
    """The seed's HTML tables by anchor, as rows of cell texts (header row dropped)."""
    tables: dict[str, list[list[str]]] = {}
    for match in re.finditer(r'<a name="(table\d+)"></a>\s*<table>(.*?)</table>', text, re.S):
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(2), re.S)
        cells = [
            [
                html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
            ]
            for row in rows
        ]
        tables[match.group(1)] = cells[1:]
    return tables


@pytest.mark.skipif(not SEED_PATH.exists(), reason="the seed document is outside this clone")
def test_inventory_is_verbatim_from_the_seed(inventory: Json) -> None:
    seed = seed_tables(SEED_PATH.read_text(encoding="utf-8"))
    field_tables = [
        table for table in seed.values() if table and len(table[0]) in (3, 4) and table[0][0] != "200"
    ]
    assert len(inventory["tables"]) == len(field_tables), (
        "the inventory must hold every field table of the seed"
    )
    flags = {"是": True, "否": False}
    for table in inventory["tables"]:
        rows = seed[table["anchor"]]
        expected = [
            (row[0], flags[row[1]], row[2], row[3]) if len(row) == 4 else (row[0], None, row[1], row[2])
            for row in rows
        ]
        listed = [
            (entry["name"], entry["required"], entry["type"], entry["description"])
            for entry in table["fields"]
        ]
        assert listed == expected, f"table {table['anchor']} differs from the seed"
    status_rows = [row for table in seed.values() for row in table if len(row) == 2]
    assert [(str(status["code"]), status["description"]) for status in inventory["statuses"]] == [
        (row[0], row[1]) for row in status_rows
    ]


# --- the comparison can fail -----------------------------------------------------------------


def schemas_of(spec: Json) -> Json:
    return spec["components"]["schemas"]


def kinds_at(problems: list[Problem], kind: str, subject: str) -> list[Problem]:
    return [problem for problem in problems if problem.kind == kind and problem.subject == subject]


def remove_volume_id(spec: Json) -> None:
    mapping = schemas_of(spec)["VolumeMapping"]
    del mapping["properties"]["volume_id"]
    mapping["required"].remove("volume_id")


def remove_reported_volume_id(spec: Json) -> None:
    mapping = schemas_of(spec)["RestoredVolumeMapping"]
    del mapping["properties"]["volume_id"]
    mapping["required"].remove("volume_id")


def add_request_field(spec: Json) -> None:
    schemas_of(spec)["RestoreRequest"]["properties"]["description"] = {"type": "string", "description": "x"}


def add_response_field(spec: Json) -> None:
    schemas_of(spec)["Restore"]["properties"]["created_at"] = {"type": "string", "description": "x"}


def add_query_parameter(spec: Json) -> None:
    operation = spec["paths"]["/v1/{project_id}/restores"]["post"]
    operation["parameters"].append({"name": "dry_run", "in": "query", "schema": {"type": "boolean"}})


def remove_path_parameter(spec: Json) -> None:
    spec["paths"]["/v1/{project_id}/restores"]["post"]["parameters"] = []


def request_power_on_string(spec: Json) -> None:
    schemas_of(spec)["RestoreParameters"]["properties"]["power_on"]["type"] = "string"


def reasons_as_string(spec: Json) -> None:
    reason = schemas_of(spec)["Restore"]["properties"]["resources_reason"]
    reason.clear()
    reason.update({"type": "string", "description": "x"})


def volumes_of_strings(spec: Json) -> None:
    schemas_of(spec)["RestoreTargets"]["properties"]["volumes"]["items"] = {"type": "string"}


def power_on_required(spec: Json) -> None:
    schemas_of(spec)["RestoreParameters"]["required"].append("power_on")


def checkpoint_id_optional(spec: Json) -> None:
    schemas_of(spec)["RestoreRequest"]["required"].remove("checkpoint_id")


def response_restore_target_required(spec: Json) -> None:
    schemas_of(spec)["Restore"]["required"].append("restore_target")


def add_status_409(spec: Json) -> None:
    responses = spec["paths"]["/v1/{project_id}/restores"]["post"]["responses"]
    responses["409"] = {"$ref": "#/components/responses/BadRequest"}


def remove_status_503(spec: Json) -> None:
    del spec["paths"]["/v1/{project_id}/restores"]["post"]["responses"]["503"]


@pytest.mark.parametrize(
    ("mutate", "kind", "subject"),
    [
        pytest.param(
            remove_volume_id,
            "missing",
            "request restore.parameters.targets.volumes[].volume_id",
            id="field-removed-request",
        ),
        pytest.param(
            remove_reported_volume_id,
            "missing",
            "response restore.parameters.targets.volumes[].volume_id",
            id="field-removed-response",
        ),
        pytest.param(remove_path_parameter, "missing", "path project_id", id="path-parameter-removed"),
        pytest.param(add_request_field, "extra", "request restore.description", id="field-added-request"),
        pytest.param(add_response_field, "extra", "response restore.created_at", id="field-added-response"),
        pytest.param(add_query_parameter, "extra", "query dry_run", id="parameter-added"),
        pytest.param(
            request_power_on_string,
            "type",
            "request restore.parameters.power_on",
            id="type-boolean-to-string",
        ),
        pytest.param(
            reasons_as_string, "type", "response restore.resources_reason", id="type-dict-to-string"
        ),
        pytest.param(
            volumes_of_strings,
            "type",
            "request restore.parameters.targets.volumes",
            id="type-list-items-changed",
        ),
        pytest.param(
            power_on_required, "required", "request restore.parameters.power_on", id="optional-made-required"
        ),
        pytest.param(
            checkpoint_id_optional, "required", "request restore.checkpoint_id", id="required-made-optional"
        ),
        pytest.param(
            response_restore_target_required,
            "required",
            "response restore.restore_target",
            id="response-flag-flipped",
        ),
        pytest.param(add_status_409, "status", "409", id="status-added"),
        pytest.param(remove_status_503, "status", "503", id="status-removed"),
    ],
)
def test_drift_from_the_document_is_reported(
    spec: Json, inventory: Json, mutate: Any, kind: str, subject: str
) -> None:
    mutated = copy.deepcopy(spec)
    mutate(mutated)
    problems = compare(mutated, inventory)
    assert kinds_at(problems, kind, subject), "\n".join(map(str, problems)) or "no problem reported"


def test_an_exception_the_spec_no_longer_needs_is_reported(spec: Json, inventory: Json) -> None:
    mutated = copy.deepcopy(spec)
    schemas_of(mutated)["RestoreParametersResult"]["properties"]["power_on"]["type"] = "string"
    problems = compare(mutated, inventory)
    assert kinds_at(problems, "stale-exception", "power_on is a boolean in the response"), problems


def test_an_exception_does_not_cover_a_different_difference(spec: Json, inventory: Json) -> None:
    # The response power_on exception allows boolean; an integer is still a type problem.
    mutated = copy.deepcopy(spec)
    schemas_of(mutated)["RestoreParametersResult"]["properties"]["power_on"]["type"] = "integer"
    problems = compare(mutated, inventory)
    assert kinds_at(problems, "type", "response restore.parameters.power_on"), problems


def test_a_response_field_made_optional_is_reported(spec: Json, inventory: Json) -> None:
    mutated = copy.deepcopy(spec)
    schemas_of(mutated)["Restore"]["required"].remove("status")
    problems = compare(mutated, inventory)
    assert kinds_at(problems, "stale-exception", "Response fields the service always sends are required"), (
        problems
    )


@pytest.mark.parametrize(
    ("mutate", "decision"),
    [
        pytest.param(
            lambda spec: schemas_of(spec)["RestoreStatus"].pop("x-extensible-enum"),
            "Status values are an open list",
            id="status-list-dropped",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["RestoreStatus"].update(enum=["in_progress", "success", "fail"]),
            "Status values are an open list",
            id="status-list-closed",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["VolumeMapping"].update(additionalProperties=True),
            "Requests reject unknown fields; responses may carry more",
            id="request-object-opened",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["RestoredTargets"].update(additionalProperties=False),
            "Requests reject unknown fields; responses may carry more",
            id="response-object-closed",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["RestoreTargets"]["properties"]["volumes"].pop("nullable"),
            "Optional request fields accept null",
            id="optional-field-not-nullable",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["RestoreTargets"]["properties"]["server_id"].pop("pattern"),
            "ID formats are enforced by pattern and length",
            id="pattern-dropped",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["ProviderId"].pop("pattern"),
            "provider_id accepts only its fixed value",
            id="provider-pattern-dropped",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["RestoreRequest"]["properties"]["restore_target"].update(
                format="uri"
            ),
            "restore_target is an open string",
            id="restore-target-narrowed",
        ),
        pytest.param(
            lambda spec: schemas_of(spec)["Restore"]["properties"]["resources_reason"].update(
                additionalProperties={"type": "integer"}
            ),
            "resources_status and resources_reason are string maps",
            id="map-values-changed",
        ),
    ],
)
def test_a_broken_decision_is_reported(spec: Json, inventory: Json, mutate: Any, decision: str) -> None:
    mutated = copy.deepcopy(spec)
    mutate(mutated)
    problems = compare(mutated, inventory)
    assert [problem for problem in problems if problem.kind == "check" and problem.subject == decision], (
        problems
    )


def test_a_field_missing_from_the_inventory_is_reported(spec: Json, inventory: Json) -> None:
    trimmed = copy.deepcopy(inventory)
    for table in trimmed["tables"]:
        table["fields"] = [entry for entry in table["fields"] if entry["name"] != "resource_type"]
    problems = compare(spec, trimmed)
    assert kinds_at(problems, "extra", "response restore.parameters.targets.resource_type"), problems
