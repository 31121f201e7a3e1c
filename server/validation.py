"""Request validators plugged into connexion through its `validator_map`.

They keep connexion's checks (Draft 4 + OpenAPI `nullable`) and change two things:
- errors name the offending field in the form clients use
  (`restore.parameters.targets.volumes[0].backup_id`) with a short reason, never a schema dump;
- the JSON body parsed by `server.middleware.BodyGuard` (which already rejected non-UTF-8 bytes,
  malformed JSON and wrong content types) is reused, and each schema's validator is built once.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Iterable
from typing import Any, ClassVar

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    VALIDATOR_MAP,
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError
from jsonschema.exceptions import best_match
from starlette.types import Scope

PARSED_JSON_SCOPE_KEY = "csbs.json"
"""Scope key under which BodyGuard leaves the parsed request body."""

MAX_ERRORS_CONSIDERED = 100
"""How many validation errors of one body are weighed to pick the one to report."""
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_MISSING = object()


class InvalidField(BadRequestProblem):
    """A request field failed validation; `field` names it the way a client would write it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(detail=f"{field} {reason}")
        self.field = field
        self.reason = reason


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


def describe(error: ValidationError, root: str = "") -> InvalidField:
    """Turn a jsonschema error into (field, reason) without echoing huge values or schemas."""
    path = list(error.absolute_path)
    keyword = error.validator
    expected: Any = error.validator_value
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        missing = next((name for name in expected if name not in instance), expected[0])
        return InvalidField(field_path([*path, missing], root), "is required")
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(name) for name in instance if name not in known)
        name = extra[0] if extra else "?"
        return InvalidField(field_path([*path, name], root), "is not an allowed field")
    field = field_path(path, root)
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return InvalidField(field, f"must be of type {wanted}")
    if keyword == "pattern":
        if expected == UUID_PATTERN:
            return InvalidField(field, "is not a valid UUID")
        return InvalidField(field, f"does not match the pattern {expected}")
    if keyword == "format":
        return InvalidField(field, f"is not a valid {expected}")
    if keyword == "enum":
        return InvalidField(field, "must be one of: " + ", ".join(str(v) for v in expected))
    if keyword == "minLength":
        return InvalidField(field, f"must be at least {expected} characters long")
    if keyword == "maxLength":
        return InvalidField(field, f"must be at most {expected} characters long")
    if keyword == "minItems":
        return InvalidField(field, f"must have at least {expected} items")
    if keyword == "maxItems":
        return InvalidField(field, f"must have at most {expected} items")
    if keyword == "minimum":
        return InvalidField(field, f"must be at least {expected}")
    if keyword == "maximum":
        return InvalidField(field, f"must be at most {expected}")
    if keyword == "nullable" or (keyword == "type" and instance is None):
        return InvalidField(field, "must not be null")
    return InvalidField(field, f"is invalid ({keyword}; got {_short(instance)})")


class StubJSONBodyValidator(JSONRequestBodyValidator):
    """JSON body validation with field-naming errors and one compiled validator per schema."""

    _validators: ClassVar[dict[int, tuple[dict[str, Any], Draft4Validator]]] = {}

    @property
    def _validator(self) -> Draft4Validator:
        key = id(self._schema)
        cached = self._validators.get(key)
        # The schema object is kept in the cache entry so its id cannot be reused by another.
        if cached is None or cached[0] is not self._schema:
            validator = Draft4RequestValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)
            cached = (self._schema, validator)
            self._validators[key] = cached
        return cached[1]

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        parsed = scope.get(PARSED_JSON_SCOPE_KEY, _MISSING)
        if parsed is not _MISSING:
            return parsed
        # Without BodyGuard in front (not the case in the stub): never let bad bytes become a 500.
        try:
            return await super()._parse(stream, scope)
        except (UnicodeDecodeError, RecursionError) as exc:
            raise InvalidField("body", "is not valid UTF-8 JSON") from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            if self._nullable:
                return None
            raise InvalidField("body", "is required")
        # Errors are generated lazily; looking at the first few keeps a 100,000-item array from
        # costing seconds of CPU (one error per item) while naming the same field for real bodies.
        error = best_match(itertools.islice(self._validator.iter_errors(body), MAX_ERRORS_CONSIDERED))
        if error is not None:
            raise describe(error)
        return None


class StubParameterValidator(ParameterValidator):
    """connexion's parameter checks with short messages naming the parameter."""

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        name = str(param.get("name", param_name or "?"))
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            schema = param.get("schema", param)
            error = best_match(
                Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).iter_errors(value)
            )
            if error is None:
                return None
            problem = describe(error, root=name)
            return f"{parameter_type} parameter {problem.field} {problem.reason}"
        if param.get("required"):
            return f"{parameter_type} parameter {name} is required"
        return None


def validator_map() -> dict[str, Any]:
    """connexion's VALIDATOR_MAP with the stub's JSON body and parameter validators."""
    body: MediaTypeDict = MediaTypeDict(
        {
            "*/*json": StubJSONBodyValidator,
            "application/x-www-form-urlencoded": FormDataValidator,
            "multipart/form-data": MultiPartFormDataValidator,
        }
    )
    return {"parameter": StubParameterValidator, "body": body, "response": VALIDATOR_MAP["response"]}
