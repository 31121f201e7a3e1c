"""The document model: $ref chains (local and across files), allOf merging, cycles, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.breaking import compare, load_file
from tools.breaking.document import FileReader, SpecError, load_document
from tools.breaking.loader import parse_spec
from tools.breaking.schema import normalize

SPEC = """openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Alias: {$ref: '#/components/schemas/Base'}
    Base:
      type: object
      required: [a]
      properties:
        a: {type: string, maxLength: 10}
    Narrower:
      allOf:
        - $ref: '#/components/schemas/Alias'
        - type: object
          required: [b]
          additionalProperties: false
          properties:
            a: {type: string, maxLength: 5}
            b: {type: integer, minimum: 1}
        - properties:
            b: {minimum: 3}
    Loop: {$ref: '#/components/schemas/Loop'}
    SelfAllOf:
      allOf: [{$ref: '#/components/schemas/SelfAllOf'}, {type: string}]
    Dangling: {$ref: '#/components/schemas/Nope'}
"""


def _spec() -> object:
    return parse_spec(SPEC, "t", "t.yaml").doc


def test_ref_chain_is_followed() -> None:
    doc = parse_spec(SPEC, "t", "t.yaml").doc
    node, location, refs = doc.deref({"$ref": "#/components/schemas/Alias"}, "t.yaml#/x")
    assert location == "t.yaml#/components/schemas/Base"
    assert refs == ("t.yaml#/components/schemas/Alias", "t.yaml#/components/schemas/Base")
    assert isinstance(node, dict) and node["type"] == "object"


def test_allof_merges_properties_required_and_the_stricter_bounds() -> None:
    doc = parse_spec(SPEC, "t", "t.yaml").doc
    merged = normalize(doc, {"$ref": "#/components/schemas/Narrower"}, "t.yaml#")
    assert merged.required == {"a", "b"}
    assert set(merged.properties) == {"a", "b"}
    assert merged.additional is False
    a = normalize(doc, *merged.properties["a"])
    b = normalize(doc, *merged.properties["b"])
    assert a.keywords["maxLength"] == 5  # min of 10 and 5
    assert b.keywords["minimum"] == 3  # max of 1 and 3
    assert b.type == "integer"


def test_an_allof_that_includes_itself_adds_nothing() -> None:
    doc = parse_spec(SPEC, "t", "t.yaml").doc
    assert normalize(doc, {"$ref": "#/components/schemas/SelfAllOf"}, "t.yaml#").type == "string"


@pytest.mark.parametrize(("name", "message"), [("Loop", "names no schema"), ("Dangling", "does not exist")])
def test_broken_refs_are_clear_errors(name: str, message: str) -> None:
    doc = parse_spec(SPEC, "t", "t.yaml").doc
    with pytest.raises(SpecError, match=message):
        normalize(doc, {"$ref": f"#/components/schemas/{name}"}, "t.yaml#")


def test_line_of_a_location() -> None:
    doc = parse_spec(SPEC, "t", "t.yaml").doc
    assert doc.line_of("t.yaml#/components/schemas/Base/properties/a") == 11
    assert doc.line_of("t.yaml#/components/schemas/Narrower/allOf/1/required") == 16
    assert doc.line_of("t.yaml#/components/schemas/Nope") is None


SPLIT_ROOT = """openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /pets:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: './schemas/pet.yaml'}
"""
PET = """type: object
properties:
  name: {type: string, maxLength: %d}
  owner: {$ref: 'common.yaml#/Owner'}
"""
COMMON = """Owner:
  type: object
  properties:
    pets:
      type: array
      items: {$ref: 'pet.yaml'}
"""


def _split(folder: Path, max_length: int) -> Path:
    (folder / "schemas").mkdir(parents=True)
    (folder / "api.yaml").write_text(SPLIT_ROOT, encoding="utf-8")
    (folder / "schemas" / "pet.yaml").write_text(PET % max_length, encoding="utf-8")
    (folder / "schemas" / "common.yaml").write_text(COMMON, encoding="utf-8")
    return folder / "api.yaml"


def test_split_documents_with_a_cycle_across_files_are_compared(tmp_path: Path) -> None:
    old, new = _split(tmp_path / "old", 10), _split(tmp_path / "new", 20)
    document = load_document(str(old), FileReader())
    assert set(document.files) == {"api.yaml", "schemas/pet.yaml", "schemas/common.yaml"}
    assert compare(load_file(old), load_file(old)) == []
    changes = compare(load_file(old), load_file(new))
    assert [(c.rule_id, c.location) for c in changes] == [
        ("response-property-max-length-increased", "response 200 name")
    ]
    assert changes[0].revision_source is not None
    assert changes[0].revision_source.file.endswith("new/schemas/pet.yaml")
    assert changes[0].revision_source.line == 3


def test_a_missing_referenced_file_is_a_clear_error(tmp_path: Path) -> None:
    spec = _split(tmp_path, 10)
    (tmp_path / "schemas" / "common.yaml").unlink()
    with pytest.raises(SpecError, match=r"common\.yaml"):
        load_file(spec)
