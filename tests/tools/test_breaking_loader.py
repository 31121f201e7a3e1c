"""Loading and resolving: $ref chains, allOf merging, errors for unsupported input, line numbers."""

from __future__ import annotations

import pytest

from tools.breaking.loader import SpecError, deref, normalize, parse_spec

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
      allOf: [{$ref: '#/components/schemas/SelfAllOf'}]
    External: {$ref: 'other.yaml#/components/schemas/X'}
    Dangling: {$ref: '#/components/schemas/Nope'}
"""


def _spec() -> dict[str, object]:
    return parse_spec(SPEC, "t", "t.yaml").document


def test_ref_chain_is_followed() -> None:
    node, pointer, refs = deref(_spec(), {"$ref": "#/components/schemas/Alias"}, "/x")
    assert pointer == "/components/schemas/Base"
    assert refs == ("#/components/schemas/Alias", "#/components/schemas/Base")
    assert isinstance(node, dict) and node["type"] == "object"


def test_allof_merges_properties_required_and_the_stricter_bounds() -> None:
    document = _spec()
    merged = normalize(document, {"$ref": "#/components/schemas/Narrower"}, "")
    assert merged.required == {"a", "b"}
    assert set(merged.properties) == {"a", "b"}
    assert merged.additional is False
    a = normalize(document, *merged.properties["a"])
    b = normalize(document, *merged.properties["b"])
    assert a.keywords["maxLength"] == 5  # min of 10 and 5
    assert b.keywords["minimum"] == 3  # max of 1 and 3
    assert b.type == "integer"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Loop", "$ref cycle"),
        ("SelfAllOf", "allOf includes itself"),
        ("External", "only local $refs"),
        ("Dangling", "does not exist"),
    ],
)
def test_unsupported_or_broken_refs_are_clear_errors(name: str, message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("$", r"\$")):
        normalize(_spec(), {"$ref": f"#/components/schemas/{name}"}, "")


def test_line_of_a_pointer() -> None:
    spec = parse_spec(SPEC, "t", "t.yaml")
    assert spec.line_of("/components/schemas/Base/properties/a") == 11
    assert spec.line_of("/components/schemas/Narrower/allOf/1/required") == 16
    assert spec.line_of("/components/schemas/Nope") is None
