"""Every schema check of the stub, its wording, and the one cache of compiled validators.

A `CompiledSchema` decides with two validators of the same schema:
- jsonschema-rs (compiled, fast) answers "valid" for the bodies it accepts;
- otherwise the reference validator decides and words the error: openapi-schema-validator's
  OAS 3.0 validators (jsonschema Draft 4 plus `nullable`, `readOnly`/`writeOnly`) for bodies,
  jsonschema's Draft 4 for parameters, with jsonschema's Draft 4 format checker.

That is only right if "compiled accepts" implies "reference accepts". `translate` therefore
compiles a schema only when every keyword in it is one whose meaning the two share, and returns
None (reference only) otherwise:
- `nullable` becomes `"null"` added to `type` and `null` added to `enum`; for parameters a null
  value is handled before validation, so there it is dropped;
- `writeOnly` in a response and `readOnly` in a request become a schema that rejects everything;
- `format` is ignored by the compiled validator, so a schema may use only formats the reference
  does not check either (such as `uuid`);
- `pattern` must be a plain regex (literals, classes with explicit ranges, anchors, groups,
  alternation, quantifiers): for those, ECMA 262 (jsonschema-rs) accepts a subset of what
  Python's `re.search` accepts (Python's `$` also matches before a final newline);
- `enum` values must be strings; `integer`, numeric bounds and `uniqueItems` stay with the
  reference (bool/int/float equality and big integers differ between the two).

The pipeline (`server/pipeline.py`) and connexion's validators (`server/connexion_app.py`) both
call this module, so a request gets the same verdict and the same words on either path.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import jsonschema_rs
from jsonschema import Draft4Validator, ValidationError
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

from . import errors
from .errors import StubError

SchemaKind = Literal["request", "response", "parameter"]
"""Which side a schema is checked for; the three read `nullable`/`readOnly`/`writeOnly` differently."""

MAX_ERRORS_CONSIDERED = 100
"""How many validation errors of one value are weighed to pick the one to report."""
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
FORMAT_CHECKER = Draft4Validator.FORMAT_CHECKER


class InvalidField(ValueError):
    """A request field failed validation; `field` names it the way a client would write it.
    `error(path)` is the 400 answer, in the contract's or the stub-control API's codes."""

    def __init__(self, field: str, reason: str, *, message: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.message = message or f"{field} {reason}"
        super().__init__(self.message)

    def error(self, path: str) -> StubError:
        return errors.bad_request(path, f"{self.message}.")


class InvalidAnswer(Exception):
    """The stub's own answer does not match the contract's strict profile: a bug of the stub."""


# --- wording --------------------------------------------------------------------------------------


def field_path(parts: Iterable[Any], root: str = "") -> str:
    text = root
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else str(part)
    return text or "body"


def _short(value: Any, limit: int = 60) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def describe(error: ValidationError, root: str = "") -> tuple[str, str]:
    """(field, reason) of a validation error, without echoing huge values or schemas."""
    path = list(error.absolute_path)
    keyword = error.validator
    expected: Any = error.validator_value
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        missing = next((name for name in expected if name not in instance), expected[0])
        return field_path([*path, missing], root), "is required"
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(name) for name in instance if name not in known)
        return field_path([*path, extra[0] if extra else "?"], root), "is not an allowed field"
    field = field_path(path, root)
    reasons: dict[str, str] = {
        "format": f"is not a valid {expected}",
        "minLength": f"must be at least {expected} characters long",
        "maxLength": f"must be at most {expected} characters long",
        "minItems": f"must have at least {expected} items",
        "maxItems": f"must have at most {expected} items",
        "minimum": f"must be at least {expected}",
        "maximum": f"must be at most {expected}",
    }
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return field, f"must be of type {wanted}"
    if keyword == "pattern":
        return (
            field,
            "is not a valid UUID" if expected == UUID_PATTERN else f"does not match the pattern {expected}",
        )
    if keyword == "enum":
        return field, "must be one of: " + ", ".join(str(v) for v in expected)
    if keyword in reasons:
        return field, reasons[str(keyword)]
    if keyword == "nullable":
        return field, "must not be null"
    return field, f"is invalid ({keyword}; got {_short(instance)})"


def extra_query_parameters(names: Iterable[str]) -> InvalidField:
    listed = ", ".join(sorted(names))
    return InvalidField("query", "", message=f"Extra query parameter(s) {listed} not in spec")


def missing_parameter(location: str, name: str) -> InvalidField:
    return InvalidField(name, "is required", message=f"{location} parameter {name} is required")


# --- compiling ------------------------------------------------------------------------------------

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
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
        "discriminator",
        "readOnly",
        "writeOnly",
    }
)
_SUPPORTED_TYPES = frozenset({"string", "boolean", "object", "array", "null", "number"})
_PLAIN_PATTERN = re.compile(r"(?:[A-Za-z0-9 _:,\-^$|()\[\]{}?*+.]|\\[.\-\\/\[\]{}()*+?^$|])*")
"""Regex text made only of constructs both dialects read the same way (no \\d, \\w, \\s, \\b, (?...))."""
_REJECT_ALL: dict[str, Any] = {"not": {}}


class Unsupported(ValueError):
    """The schema uses something whose meaning could differ between the two validators."""


def _translate_node(node: Any, kind: SchemaKind) -> Any:
    if not isinstance(node, Mapping):
        raise Unsupported(f"a schema must be an object, not {type(node).__name__}")
    if (kind == "response" and node.get("writeOnly")) or (kind == "request" and node.get("readOnly")):
        return dict(_REJECT_ALL)  # the reference rejects any value of such a property
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
            translated[key] = {name: _translate_node(sub, kind) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            if not isinstance(value, list):
                raise Unsupported(f"{key} must be a list")
            translated[key] = [_translate_node(sub, kind) for sub in value]
        elif key == "not":
            translated[key] = _translate_node(value, kind)
        elif key == "additionalProperties":
            translated[key] = value if isinstance(value, bool) else _translate_node(value, kind)
        elif key == "items":
            if isinstance(value, list):
                raise Unsupported("tuple-form items is not translated")
            translated[key] = _translate_node(value, kind)
        elif key in _PLAIN_KEYWORDS:
            if key not in ("readOnly", "writeOnly"):
                translated[key] = value
        else:
            raise Unsupported(f"keyword {key!r} is not translated")
    _check_plain_keywords(translated)
    if translated.pop("nullable", False) and kind != "parameter":
        _add_null(translated)
    return translated


def _check_pattern(pattern: Any) -> None:
    if not isinstance(pattern, str) or _PLAIN_PATTERN.fullmatch(pattern) is None or "(?" in pattern:
        raise Unsupported(f"pattern {pattern!r} is not a plain regex")
    re.compile(pattern)


def _check_plain_keywords(node: dict[str, Any]) -> None:
    types = node.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not all(isinstance(name, str) and name in _SUPPORTED_TYPES for name in names):
            raise Unsupported(f"type {types!r} is not translated")
    if "pattern" in node:
        _check_pattern(node["pattern"])
    if "format" in node and node["format"] in FORMAT_CHECKER.checkers:
        raise Unsupported(
            f"format {node['format']!r} is checked by the reference, not by the compiled validator"
        )
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
    """What OpenAPI 3.0's `nullable` means: null passes `type` and `enum`, nothing more."""
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        node["type"] = types if "null" in types else [*types, "null"]
    if "enum" in node:
        node["enum"] = [*node["enum"], None]


def translate(schema: Mapping[str, Any], *, kind: SchemaKind) -> dict[str, Any]:
    """The Draft 4 schema jsonschema-rs must check to accept exactly what the reference accepts.

    `schema` has every `$ref` resolved; a `components` key at its root (connexion attaches one)
    is dropped, since nothing points into it. Raises `Unsupported` when no translation is known.
    """
    root = {key: value for key, value in schema.items() if key != "components"}
    if "$ref" in repr(root):
        raise Unsupported("unresolved $ref")
    translated = _translate_node(root, kind)
    assert isinstance(translated, dict)
    return translated


def compile_fast(schema: Mapping[str, Any], *, kind: SchemaKind) -> jsonschema_rs.Draft4Validator | None:
    """A compiled validator for `schema`, or None when its meaning could differ from the reference."""
    try:
        translated = translate(schema, kind=kind)
    except (Unsupported, re.error):
        return None
    return jsonschema_rs.Draft4Validator(translated, validate_formats=False)


def _fast_accepts(validator: jsonschema_rs.Draft4Validator, value: Any) -> bool:
    """False also for a value jsonschema-rs cannot represent (lone surrogate, huge integer, ...),
    which the reference then decides."""
    try:
        return bool(validator.is_valid(value))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return False


class CompiledSchema:
    """One schema, checked fast when the compiled validator accepts, by the reference otherwise."""

    def __init__(self, schema: Mapping[str, Any], *, kind: SchemaKind) -> None:
        self.schema = schema
        self.kind: SchemaKind = kind
        self.fast = compile_fast(schema, kind=kind)
        reference: Any = {"request": OAS30WriteValidator, "response": OAS30ReadValidator}.get(
            kind, Draft4Validator
        )
        self.reference = reference(dict(schema), format_checker=FORMAT_CHECKER)

    def first_error(self, value: Any) -> ValidationError | None:
        if self.fast is not None and _fast_accepts(self.fast, value):
            return None
        # Errors are generated lazily; weighing the first few keeps a 100,000-item array from
        # costing seconds of CPU (one error per item) while naming the same field for real bodies.
        found = best_match(itertools.islice(self.reference.iter_errors(value), MAX_ERRORS_CONSIDERED))
        return found

    def accepts(self, value: Any) -> bool:
        return self.first_error(value) is None

    def check_body(self, value: Any) -> None:
        """Raise `InvalidField` naming the first wrong field of a request body."""
        error = self.first_error(value)
        if error is not None:
            raise InvalidField(*describe(error))

    def check_parameter(self, location: str, name: str, value: Any) -> None:
        error = self.first_error(value)
        if error is not None:
            field, reason = describe(error, root=name)
            raise InvalidField(field, reason, message=f"{location} parameter {field} {reason}")

    def check_answer(self, value: Any) -> None:
        """Raise `InvalidAnswer` when the stub's own answer breaks the schema."""
        error = self.first_error(value)
        if error is not None:
            field, reason = describe(error)
            raise InvalidAnswer(f"{field} {reason}")


class SchemaCache:
    """One compiled schema per schema object, for callers that are handed the same dict on every
    request (connexion's validators). The dict is kept beside its entry, so its id is never
    reused by another dict while the entry lives."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, str], tuple[Mapping[str, Any], CompiledSchema]] = {}

    def get(self, schema: Mapping[str, Any], *, kind: SchemaKind) -> CompiledSchema:
        key = (id(schema), kind)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not schema:
            entry = (schema, CompiledSchema(schema, kind=kind))
            self._entries[key] = entry
        return entry[1]


SCHEMAS = SchemaCache()
