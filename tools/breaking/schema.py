"""A typed view of one schema: `$ref`s followed and `allOf` branches merged into one.

Schemas are not resolved up front: the comparer builds this view of each schema as it walks,
which keeps recursive schemas finite (the walk stops at a pair of locations it is already
comparing) and lets every node keep the location it came from (for the right source line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.openapi import child

from .document import Document, SpecError

Sub = tuple[Any, str]  # a raw (possibly $ref) subschema and its location

_STRUCTURAL = frozenset(
    {"$ref", "allOf", "oneOf", "anyOf", "not", "properties", "required", "items", "additionalProperties"}
)
_SMALLEST_WINS = frozenset({"maximum", "maxLength", "maxItems", "maxProperties"})
_LARGEST_WINS = frozenset({"minimum", "minLength", "minItems", "minProperties"})
_TRUE_WINS = frozenset({"uniqueItems", "readOnly", "writeOnly", "deprecated", "exclusiveMaximum"})
ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "externalDocs", "xml", "deprecated", "x-stability-level"}
)


@dataclass
class Schema:
    """A schema with its `$ref`s followed and its `allOf` branches merged into one."""

    keywords: dict[str, Any]  # everything except the structural keywords above
    location: str
    refs: tuple[str, ...] = ()
    properties: dict[str, Sub] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Sub | None = None
    additional: bool | Sub = True  # additionalProperties: True when absent
    one_of: list[Sub] = field(default_factory=list)
    any_of: list[Sub] = field(default_factory=list)
    all_of: list[Sub] = field(default_factory=list)  # the branches as written (merged into the rest)
    not_: Sub | None = None

    @property
    def type(self) -> str | None:
        value = self.keywords.get("type")
        return value if isinstance(value, str) else None

    @property
    def is_object(self) -> bool:
        return self.type == "object" or bool(self.properties) or self.additional is not True

    def flag(self, keyword: str) -> bool:
        return self.keywords.get(keyword) is True

    @property
    def name(self) -> str:
        """The component the schema was reached through, else its location."""
        return self.refs[-1].rpartition("/")[2] if self.refs else self.location


def normalize(document: Document, node: Any, location: str, active: frozenset[str] = frozenset()) -> Schema:
    """Follow `$ref`s and merge `allOf` (intersection semantics: the stricter bound wins).

    An `allOf` branch that includes the schema being merged (directly or through other
    branches) adds nothing to it and is skipped: `A = allOf[A, B]` means `A = B`.
    """
    node, location, refs = document.deref(node, location)
    if isinstance(node, bool):
        node = {} if node else {"not": {}}
    if not isinstance(node, dict):
        raise SpecError(f"{location}: a schema must be a mapping, found {type(node).__name__}")
    active = active.union(refs, {location})
    schema = Schema(
        keywords={key: value for key, value in node.items() if key not in _STRUCTURAL},
        location=location,
        refs=refs,
        required={name for name in node.get("required") or [] if isinstance(name, str)},
    )
    for name, sub in (node.get("properties") or {}).items():
        schema.properties[str(name)] = (sub, child(location, "properties", str(name)))
    if "items" in node:
        schema.items = (node["items"], child(location, "items"))
    additional = node.get("additionalProperties", True)
    if isinstance(additional, dict):
        schema.additional = (additional, child(location, "additionalProperties"))
    else:
        schema.additional = bool(additional)
    for keyword, target in (("oneOf", schema.one_of), ("anyOf", schema.any_of), ("allOf", schema.all_of)):
        for index, branch in enumerate(node.get(keyword) or []):
            target.append((branch, child(location, keyword, index)))
    if "not" in node:
        schema.not_ = (node["not"], child(location, "not"))
    for branch, branch_location in schema.all_of:
        included = document.target_of(branch["$ref"], branch_location) if _is_ref(branch) else branch_location
        if included in active:
            continue  # the branch includes the schema being merged: it adds nothing
        _merge(schema, normalize(document, branch, branch_location, active))
    return schema


def _is_ref(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("$ref"), str)


def _both(first: Sub, second: Sub) -> Sub:
    return ({"allOf": [first[0], second[0]]}, first[1])


def _merge(target: Schema, branch: Schema) -> None:
    for key, value in branch.keywords.items():
        if key not in target.keywords:
            target.keywords[key] = value
        elif key in _SMALLEST_WINS and isinstance(value, int | float):
            target.keywords[key] = min(target.keywords[key], value)
        elif key in _LARGEST_WINS and isinstance(value, int | float):
            target.keywords[key] = max(target.keywords[key], value)
        elif key in _TRUE_WINS or key == "exclusiveMinimum":
            target.keywords[key] = target.keywords[key] is True or value is True
        elif key == "enum" and isinstance(value, list):
            target.keywords[key] = [item for item in target.keywords[key] if item in value]
        # Anything else: the first branch to say it wins (conflicts make the schema unsatisfiable).
    for name, sub in branch.properties.items():
        target.properties[name] = _both(target.properties[name], sub) if name in target.properties else sub
    target.required |= branch.required
    if branch.items is not None:
        target.items = branch.items if target.items is None else _both(target.items, branch.items)
    if target.additional is False or branch.additional is False:
        target.additional = False
    elif target.additional is True:
        target.additional = branch.additional
    target.one_of = target.one_of or branch.one_of
    target.any_of = target.any_of or branch.any_of
    target.not_ = target.not_ or branch.not_


def is_annotation_only(document: Document, sub: Sub) -> bool:
    """A subschema that constrains nothing (a description, a title, an example)."""
    node, _, _ = document.deref(*sub)
    return isinstance(node, dict) and all(key in ANNOTATIONS or key.startswith("x-") for key in node)


def branch_key(document: Document, sub: Sub, index: int) -> str:
    """How a `oneOf`/`anyOf`/`allOf` branch is matched between two documents: the component
    it refers to, else its title, else its position among the branches."""
    node = sub[0]
    if _is_ref(node):
        return "ref:" + (str(node["$ref"]).rpartition("/")[2] or str(node["$ref"]))
    if isinstance(node, dict) and isinstance(node.get("title"), str):
        return "title:" + str(node["title"])
    return f"#{index}"


def branch_label(key: str) -> str:
    return key.partition(":")[2] if ":" in key else key
