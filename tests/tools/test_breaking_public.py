"""Public OpenAPI 3.0 documents, compared with themselves and with a mutated copy.

fixtures/public/ holds real documents written by others (SOURCES.md says where each comes
from): constructs, styles and sizes that the kit's own contract and fixture pairs do not have
(callbacks, links, form and XML bodies, hundreds of components). Each one, compared with
itself, must report nothing and exit 0 even with `--fail-on INFO`. So that this cannot pass
by reporting nothing at all, each is also compared with copies changed here in one known way
(a required query parameter added, a required request property added, a success response
removed), and each copy must report exactly that change.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from breaking_helpers import FIXTURES, run_cli
from openapi_spec_validator import validate

from tools.breaking import compare, load_file, parse_spec

PUBLIC = FIXTURES / "public"
DOCUMENTS = sorted(path for path in PUBLIC.iterdir() if path.suffix in (".yaml", ".json"))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
NEW_NAME = "x_added_by_test"

Expected = tuple[str, str, str, str]  # rule id, level, operation, location
Mutation = Callable[[dict[str, Any]], Expected | None]


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    document: dict[str, Any] = (
        json.loads(text) if path.suffix == ".json" else yaml.load(text, yaml.CSafeLoader)
    )
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s (every public fixture is a single file)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = str(node["$ref"])
        assert ref.startswith("#/"), ref
        node = document
        for token in ref[2:].split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def add_required_query_parameter(document: dict[str, Any]) -> Expected | None:
    path, method, operation = next(_operations(document))
    operation.setdefault("parameters", []).append(
        {"name": NEW_NAME, "in": "query", "required": True, "schema": {"type": "string"}}
    )
    return (
        "new-required-request-parameter",
        "ERR",
        f"{method.upper()} {path}",
        f"query parameter {NEW_NAME}",
    )


def add_required_request_property(document: dict[str, Any]) -> Expected | None:
    """The first request body with an object schema gets a new required property.

    The schema is first copied inline into that one media type, so that no other operation
    (nor a response that uses the same component) changes with it.
    """
    for path, method, operation in _operations(document):
        body = _resolve(document, operation.get("requestBody"))
        if not isinstance(body, dict):
            continue
        for media_type, media in body.get("content", {}).items():
            schema = _resolve(document, media.get("schema"))
            if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
                continue
            body = operation["requestBody"] = copy.deepcopy(body)
            schema = body["content"][media_type]["schema"] = copy.deepcopy(schema)
            schema["properties"][NEW_NAME] = {"type": "string"}
            schema["required"] = [*schema.get("required", []), NEW_NAME]
            # A body other than JSON names its media type, e.g. `request body (text/xml) name`.
            shown = "" if media_type == "application/json" else f" ({media_type})"
            return (
                "new-required-request-property",
                "ERR",
                f"{method.upper()} {path}",
                f"request body{shown} {NEW_NAME}",
            )
    return None


def remove_success_response(document: dict[str, Any]) -> Expected | None:
    """The first operation with a 2xx response and another one loses that 2xx response."""
    for path, method, operation in _operations(document):
        statuses = [str(status) for status in operation.get("responses", {})]
        success = [status for status in statuses if status.startswith("2")]
        if success and len(statuses) > 1:
            responses = operation["responses"]
            del responses[next(key for key in responses if str(key) == success[0])]
            return (
                "response-success-status-removed",
                "ERR",
                f"{method.upper()} {path}",
                f"response {success[0]}",
            )
    return None


MUTATIONS: dict[str, Mutation] = {
    "required-query-parameter": add_required_query_parameter,
    "required-request-property": add_required_request_property,
    "success-response-removed": remove_success_response,
}


def test_there_are_public_documents_of_each_syntax() -> None:
    assert len(DOCUMENTS) >= 4
    assert {path.suffix for path in DOCUMENTS} == {".yaml", ".json"}
    listed = (PUBLIC / "SOURCES.md").read_text(encoding="utf-8")
    for path in DOCUMENTS:
        assert f"`{path.name}`" in listed, f"{path.name} has no source in SOURCES.md"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_public_document_is_valid_openapi_3_0(path: Path) -> None:
    document = _read(path)
    assert str(document["openapi"]).startswith("3.0.")
    validate(document)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_public_document_compared_with_itself_reports_nothing(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--old", str(path), "--new", str(path), "--no-ignore", "--fail-on", "INFO"]
    run = run_cli([*args, "--format", "json"], capsys)
    assert (run.code, json.loads(run.out), run.err) == (0, [], "")
    # The same content in the other syntax is no change either, in both directions.
    spec = load_file(path)
    other = "yaml" if path.suffix == ".json" else "json"
    text = json.dumps(_read(path)) if other == "json" else yaml.dump(_read(path), Dumper=yaml.CSafeDumper)
    rendered = parse_spec(text, other, f"x.{other}")
    assert compare(spec, rendered) == []
    assert compare(rendered, spec) == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_public_document_mutated_reports_exactly_the_mutation(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = _read(path)
    spec = load_file(path)
    applied = []
    for name, mutate in MUTATIONS.items():
        document = copy.deepcopy(original)
        expected = mutate(document)
        if expected is None:
            continue  # nothing in this document to apply it to
        applied.append(name)
        validate(document)  # still a valid document: only the one change
        mutated = tmp_path / f"{name}.json"
        mutated.write_text(json.dumps(document), encoding="utf-8")
        got = [(c.rule_id, c.level.name, c.operation, c.location) for c in compare(spec, load_file(mutated))]
        assert got == [expected], name
    assert "required-query-parameter" in applied  # applies to every document
    # And through the command line: the mutation fails the check.
    args = ["--old", str(path), "--new", str(tmp_path / "required-query-parameter.json"), "--no-ignore"]
    run = run_cli([*args, "--fail-on", "ERR", "--format", "json"], capsys)
    assert run.code == 1
    assert [change["id"] for change in json.loads(run.out)] == ["new-required-request-parameter"]


def test_mutations_cover_bodies_and_responses() -> None:
    """Every mutation applies to at least one public document, so each one is exercised."""
    for name, mutate in MUTATIONS.items():
        assert any(mutate(copy.deepcopy(_read(path))) is not None for path in DOCUMENTS), name
