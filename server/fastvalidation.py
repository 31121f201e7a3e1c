"""Compiled body validators: jsonschema-rs decides "valid" fast, connexion's own path words every error.

Plugged in through connexion's public `validator_map`. For each schema the request-body,
response-body and parameter validators compile, once, a jsonschema-rs Draft 4 validator of a
translated schema:

- a body the compiled validator accepts is accepted at once;
- any other body (or one the compiled validator cannot take, e.g. a lone surrogate or a huge
  integer) goes through the original validator class unchanged, so it is accepted or rejected,
  with exactly the same error body, as without this module.

That is only right if "compiled accepts" implies "connexion accepts". `translate` therefore
compiles a schema only when every keyword in it is one whose meaning the two implementations
share, and returns None (original path for every body) otherwise:

- OpenAPI `nullable` (connexion's body validators let null pass `type` and `enum`) becomes
  `"null"` added to `type` and `null` added to `enum`, nothing else; for parameters connexion
  handles a null value before validating and its plain Draft 4 validator ignores `nullable`, so
  there it is dropped;
- `writeOnly` in a response schema (connexion rejects any value there) becomes a schema that
  rejects everything;
- `format` is ignored by the compiled validator, so a schema may use only formats connexion's
  Draft 4 format checker does not check either (such as `uuid`);
- `pattern` must be a plain regex (literals, character classes with explicit ranges, anchors,
  groups, alternation, quantifiers): for those, ECMA 262 (jsonschema-rs) accepts a subset of what
  Python's `re.search` accepts (Python's `$` also matches before a final newline);
- `enum` values must be strings, and `integer`, numeric bounds and `uniqueItems` are left to
  connexion (bool/int/float equality and big integers differ between the two).

`tests/server/test_fastvalidation.py` holds the fast path to the original over thousands of
generated bodies, and fails when the connexion internals used here change (`_schema`, `_validate`
and the shape of `wrap_receive`/`wrap_send`); connexion is pinned to 3.3.0 for that reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import jsonschema_rs
from jsonschema import Draft4Validator

from server.fastpath import MemoisedMediaTypeDict

CONNEXION_VERSION = "3.3.0"
"""The connexion release whose validator internals this module was checked against."""

JSON_MEDIA_RANGE = "*/*json"

SchemaKind = Literal["request", "response", "parameter"]
"""Which connexion validator a schema belongs to; the three read `nullable`/`writeOnly` differently."""

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("not",)
_SCHEMA_OR_BOOL = ("additionalProperties",)
_PLAIN_KEYWORDS = frozenset(
    {
        "type",
        "required",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "enum",
        "pattern",
        "format",
        "items",
        "nullable",
        # Annotations: neither implementation validates with them.
        "title",
        "description",
        "example",
        "examples",
        "default",
        "deprecated",
        "externalDocs",
        "xml",
        "readOnly",
        "discriminator",
    }
)
_SUPPORTED_TYPES = frozenset({"string", "boolean", "object", "array", "null", "number"})
_PLAIN_PATTERN = re.compile(r"(?:[A-Za-z0-9 _:,\-^$|()\[\]{}?*+.]|\\[.\-\\/\[\]{}()*+?^$|])*")
"""Regex text made only of constructs both dialects read the same way (no \\d, \\w, \\s, \\b, (?...))."""
_REJECT_ALL: dict[str, Any] = {"not": {}}


class Unsupported(ValueError):
    """The schema uses something whose meaning could differ between jsonschema-rs and connexion."""


def _python_checked_formats() -> frozenset[str]:
    checker = Draft4Validator.FORMAT_CHECKER
    return frozenset(checker.checkers)


def _translate_node(node: Any, *, kind: SchemaKind, checked_formats: frozenset[str]) -> Any:
    if not isinstance(node, Mapping):
        raise Unsupported(f"a schema must be an object, not {type(node).__name__}")
    if kind == "response" and ("writeOnly" in node or "x-writeOnly" in node):
        # connexion's response validator rejects any value of a write-only property.
        return dict(_REJECT_ALL)
    translated: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-"):
            if key == "x-nullable":
                raise Unsupported("x-nullable (Swagger 2) is not translated")
            continue
        if key in _SCHEMA_MAPS:
            if not isinstance(value, Mapping):
                raise Unsupported(f"{key} must be an object")
            if key == "patternProperties":
                for name in value:
                    _check_pattern(name)
            translated[key] = {
                name: _translate_node(sub, kind=kind, checked_formats=checked_formats)
                for name, sub in value.items()
            }
        elif key in _SCHEMA_LISTS:
            if not isinstance(value, list):
                raise Unsupported(f"{key} must be a list")
            translated[key] = [
                _translate_node(sub, kind=kind, checked_formats=checked_formats) for sub in value
            ]
        elif key in _SCHEMA_ONE:
            translated[key] = _translate_node(value, kind=kind, checked_formats=checked_formats)
        elif key in _SCHEMA_OR_BOOL:
            translated[key] = (
                value
                if isinstance(value, bool)
                else _translate_node(value, kind=kind, checked_formats=checked_formats)
            )
        elif key == "items":
            if isinstance(value, list):
                raise Unsupported("tuple-form items is not translated")
            translated[key] = _translate_node(value, kind=kind, checked_formats=checked_formats)
        elif key in _PLAIN_KEYWORDS:
            translated[key] = value
        else:
            raise Unsupported(f"keyword {key!r} is not translated")
    _check_plain_keywords(translated, checked_formats)
    if translated.pop("nullable", False) and kind != "parameter":
        _add_null(translated)
    return translated


def _check_pattern(pattern: Any) -> None:
    if not isinstance(pattern, str) or _PLAIN_PATTERN.fullmatch(pattern) is None or "(?" in pattern:
        raise Unsupported(f"pattern {pattern!r} is not a plain regex")
    re.compile(pattern)


def _check_plain_keywords(node: dict[str, Any], checked_formats: frozenset[str]) -> None:
    types = node.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not all(isinstance(name, str) and name in _SUPPORTED_TYPES for name in names):
            raise Unsupported(f"type {types!r} is not translated")
    if "pattern" in node:
        _check_pattern(node["pattern"])
    if "format" in node and node["format"] in checked_formats:
        raise Unsupported(f"format {node['format']!r} is checked by connexion, not by the compiled validator")
    if "enum" in node:
        values = node["enum"]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise Unsupported("enum values must all be strings")
    for key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        if key in node and (not isinstance(node[key], int) or isinstance(node[key], bool)):
            raise Unsupported(f"{key} must be an integer")
    if "required" in node and not (
        isinstance(node["required"], list) and all(isinstance(name, str) for name in node["required"])
    ):
        raise Unsupported("required must be a list of names")


def _add_null(node: dict[str, Any]) -> None:
    """What connexion's `allow_nullable` does: null passes `type` and `enum`, nothing more."""
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = types if "null" in types else [*types, "null"]
    if "enum" in node:
        node["enum"] = [*node["enum"], None]


def translate(schema: Mapping[str, Any], *, kind: SchemaKind) -> dict[str, Any]:
    """The Draft 4 schema jsonschema-rs must check to accept exactly what connexion accepts.

    `schema` is what connexion passes its body validators: the operation's schema with every
    `$ref` resolved and the spec's `components` attached at the root (dropped here: with no `$ref`
    left nothing points into them). Raises `Unsupported` when no such translation is known.
    """
    root = {key: value for key, value in schema.items() if key != "components"}
    if "$ref" in repr(root):
        raise Unsupported("unresolved $ref")
    translated = _translate_node(root, kind=kind, checked_formats=_python_checked_formats())
    assert isinstance(translated, dict)
    return translated


def compile_schema(schema: Mapping[str, Any], *, kind: SchemaKind) -> jsonschema_rs.Draft4Validator | None:
    """A compiled validator for `schema`, or None when its meaning could differ from connexion's."""
    try:
        translated = translate(schema, kind=kind)
    except (Unsupported, re.error):
        return None
    return jsonschema_rs.Draft4Validator(translated, validate_formats=False)


class CompiledSchemas:
    """One compiled validator per schema object (connexion hands the same dict on every request).

    The cache keeps the schema itself beside its validator, so a schema's id is never reused by
    another dict while the entry lives.
    """

    def __init__(self, *, kind: SchemaKind) -> None:
        self._kind: SchemaKind = kind
        self._entries: dict[int, tuple[Mapping[str, Any], jsonschema_rs.Draft4Validator | None]] = {}

    def validator_for(self, schema: Mapping[str, Any]) -> jsonschema_rs.Draft4Validator | None:
        entry = self._entries.get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = (schema, compile_schema(schema, kind=self._kind))
            self._entries[id(schema)] = entry
        return entry[1]

    def accepts(self, schema: Mapping[str, Any], body: Any) -> bool:
        """True only when the compiled validator exists and accepts `body`."""
        validator = self.validator_for(schema)
        return validator is not None and accepts(validator, body)


def accepts(validator: jsonschema_rs.Draft4Validator, value: Any) -> bool:
    """Whether `validator` accepts `value`; False for a value jsonschema-rs cannot represent
    (lone surrogate, huge integer, ...), which the original validator then decides."""
    try:
        return bool(validator.is_valid(value))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return False


REQUEST_SCHEMAS = CompiledSchemas(kind="request")
RESPONSE_SCHEMAS = CompiledSchemas(kind="response")
PARAMETER_SCHEMAS = CompiledSchemas(kind="parameter")


def with_compiled_validation(base: type[Any], *, response: bool) -> type[Any]:
    """A subclass of the connexion body validator `base` that accepts via the compiled validator
    first and otherwise calls `base._validate` (connexion's `_schema` and `_validate` internals)."""
    schemas = RESPONSE_SCHEMAS if response else REQUEST_SCHEMAS

    def _validate(self: Any, body: Any) -> Any:
        if body is not None and schemas.accepts(self._schema, body):
            return None
        return base._validate(self, body)

    namespace: dict[str, Any] = {
        "_validate": _validate,
        "__doc__": f"{base.__name__} with a compiled jsonschema-rs fast path (server.fastvalidation).",
        "__module__": __name__,
        "compiled_schemas": schemas,
    }
    return type(f"Compiled{base.__name__}", (base,), namespace)


def with_compiled_parameter_validation(base: type[Any]) -> type[Any]:
    """A subclass of the connexion parameter validator `base` whose `validate_parameter` accepts
    a (coerced) value the compiled validator accepts and otherwise asks `base`. Without a value,
    `base` decides too (required, nullable)."""

    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> Any:
        if value is not None and PARAMETER_SCHEMAS.accepts(param.get("schema", param), value):
            return None
        return base.validate_parameter(parameter_type, value, param, param_name)

    namespace: dict[str, Any] = {
        "validate_parameter": staticmethod(validate_parameter),
        "__doc__": f"{base.__name__} with a compiled jsonschema-rs fast path (server.fastvalidation).",
        "__module__": __name__,
        "compiled_schemas": PARAMETER_SCHEMAS,
    }
    return type(f"Compiled{base.__name__}", (base,), namespace)


class _CompiledClassCache:
    """The same compiled subclass for the same base, so repeated app builds share one cache."""

    classes: ClassVar[dict[tuple[type[Any], SchemaKind], type[Any]]] = {}

    @classmethod
    def get(cls, base: type[Any], *, kind: SchemaKind) -> type[Any]:
        key = (base, kind)
        if key not in cls.classes:
            if kind == "parameter":
                cls.classes[key] = with_compiled_parameter_validation(base)
            else:
                cls.classes[key] = with_compiled_validation(base, response=kind == "response")
        return cls.classes[key]


def compiled_validator_map(validator_map: Mapping[str, Any]) -> dict[str, Any]:
    """`validator_map` with its parameter, JSON request-body and JSON response validators given
    the fast path. Every other entry (forms, text) is kept as it is.
    """
    result = dict(validator_map)
    result["parameter"] = _CompiledClassCache.get(validator_map["parameter"], kind="parameter")
    kinds: tuple[tuple[str, SchemaKind], ...] = (("body", "request"), ("response", "response"))
    for entry, kind in kinds:
        by_media: Mapping[str, Any] = validator_map[entry]
        replaced = MemoisedMediaTypeDict(dict(by_media.items()))
        replaced[JSON_MEDIA_RANGE] = _CompiledClassCache.get(by_media[JSON_MEDIA_RANGE], kind=kind)
        result[entry] = replaced
    return result
