"""Compare two OpenAPI 3.0 documents operation by operation and classify every change.

Operations are matched by method and path template with parameter names blanked, so a
renamed path parameter is a rename, not a removed and an added endpoint. Request schemas
(body and parameters) and response schemas are walked with the same code but opposite
rules (see `rules.py`). `oneOf`/`anyOf`/`not`, security and descriptions are not compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from .loader import Schema, Spec, Sub, deref, join_pointer, normalize
from .rules import BOUNDS, BOUNDS_WITH_ZERO_DEFAULT, Change, rule

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = "application/json"
MAX_SCHEMA_DEPTH = 64  # a spec this deep is broken; stop rather than recurse forever
_TEMPLATE_PARAMETER = re.compile(r"\{([^}/]+)\}")


class _Emit(Protocol):
    """Reports a schema change: rule id suffix, message, and the keyword whose line to point at."""

    def __call__(self, suffix: str, message: str, keyword: str | None = None) -> None: ...


def compare(old: Spec, new: Spec) -> list[Change]:
    """Every change from `old` to `new`, in spec order, worst first within each operation."""
    differ = _Differ(old, new)
    differ.run()
    return differ.changes


def _path_key(path: str) -> str:
    return _TEMPLATE_PARAMETER.sub("{}", path)


def _dotted(path: tuple[str, ...]) -> str:
    text = ""
    for part in path:
        text += part if part == "[]" else (f".{part}" if text else part)
    return text


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class _Where:
    """Where a schema sits (request body, a parameter or a response) and how to name its parts."""

    request: bool
    subject: str  # rule id prefix: request-property, request-parameter or response-property
    location: str  # "request body", "path parameter project_id", "response 200"
    root_phrase: str  # "the request body"
    part_phrase: str  # "request property" → "request property `a.b`"
    part_suffix: str = ""  # " of the 200 response" → "property `a.b` of the 200 response"

    def location_of(self, path: tuple[str, ...]) -> str:
        return f"{self.location} {_dotted(path)}" if path else self.location

    def phrase_of(self, path: tuple[str, ...]) -> str:
        return f"{self.part_phrase} `{_dotted(path)}`{self.part_suffix}" if path else self.root_phrase


class _Differ:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self._operation = ""
        self._operation_id: str | None = None
        self._operation_pointer = ""

    # -- reporting ------------------------------------------------------------------------
    def emit(self, rule_id: str, location: str, message: str, pointer: str | None = None) -> None:
        line = None
        for candidate in (pointer, self._operation_pointer, "/paths"):
            if candidate is not None:
                line = self.new.line_of(candidate)
                if line is not None:
                    break
        self.changes.append(
            Change(
                rule_id=rule_id,
                level=rule(rule_id).level,
                operation=self._operation,
                operation_id=self._operation_id,
                location=location,
                message=message,
                pointer=pointer,
                line=line,
            )
        )

    def _enter(self, method: str, path: str, operation: dict[str, Any], pointer: str) -> None:
        self._operation = f"{method.upper()} {path}"
        operation_id = operation.get("operationId")
        self._operation_id = operation_id if isinstance(operation_id, str) else None
        self._operation_pointer = pointer

    # -- paths and operations ---------------------------------------------------------------
    def run(self) -> None:
        old_paths = {_path_key(path): path for path in self.old.document["paths"]}
        new_paths = {_path_key(path): path for path in self.new.document["paths"]}
        for key, old_path in old_paths.items():
            start = len(self.changes)
            old_item = self._path_item(self.old, old_path)
            if key not in new_paths:
                for method, operation in self._operations(old_item):
                    self._enter(method, old_path, operation, "/paths")
                    deprecated = operation.get("deprecated") is True
                    rule_id = f"api-path-removed-{'with' if deprecated else 'without'}-deprecation"
                    self.emit(
                        rule_id, "", f"removed the path `{old_path}` and its {method.upper()} operation"
                    )
            else:
                self._compare_path_item(old_path, new_paths[key], old_item)
            self._sort_from(start)
        for key, new_path in new_paths.items():
            if key not in old_paths:
                for method, operation in self._operations(self._path_item(self.new, new_path)):
                    self._enter(method, new_path, operation, join_pointer("", "paths", new_path, method))
                    self.emit("endpoint-added", "", f"added the operation {method.upper()} `{new_path}`")

    @staticmethod
    def _path_item(spec: Spec, path: str) -> dict[str, Any]:
        item, _, _ = deref(spec.document, spec.document["paths"][path], join_pointer("", "paths", path))
        return item if isinstance(item, dict) else {}

    @staticmethod
    def _operations(item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return [(method, item[method]) for method in METHODS if isinstance(item.get(method), dict)]

    def _sort_from(self, start: int) -> None:
        """Worst first within the operations just compared; stable, so spec order otherwise."""
        self.changes[start:] = sorted(self.changes[start:], key=lambda change: -change.level)

    def _compare_path_item(self, old_path: str, new_path: str, old_item: dict[str, Any]) -> None:
        new_item = self._path_item(self.new, new_path)
        old_operations = dict(self._operations(old_item))
        new_operations = dict(self._operations(new_item))
        for method in METHODS:
            old_op, new_op = old_operations.get(method), new_operations.get(method)
            if old_op is not None and new_op is None:
                self._enter(method, old_path, old_op, join_pointer("", "paths", new_path))
                deprecated = old_op.get("deprecated") is True
                rule_id = f"api-removed-{'with' if deprecated else 'without'}-deprecation"
                self.emit(rule_id, "", f"removed the operation {method.upper()} `{old_path}`")
            elif old_op is None and new_op is not None:
                self._enter(method, new_path, new_op, join_pointer("", "paths", new_path, method))
                self.emit("endpoint-added", "", f"added the operation {method.upper()} `{new_path}`")
            elif old_op is not None and new_op is not None:
                self._enter(method, new_path, new_op, join_pointer("", "paths", new_path, method))
                self._compare_operation(old_path, new_path, method, (old_item, old_op), (new_item, new_op))

    def _compare_operation(
        self,
        old_path: str,
        new_path: str,
        method: str,
        old: tuple[dict[str, Any], dict[str, Any]],
        new: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        (old_item, old_op), (new_item, new_op) = old, new
        pointer = self._operation_pointer
        old_deprecated, new_deprecated = old_op.get("deprecated") is True, new_op.get("deprecated") is True
        if new_deprecated and not old_deprecated:
            self.emit(
                "endpoint-deprecated", "", "the operation was deprecated", join_pointer(pointer, "deprecated")
            )
        elif old_deprecated and not new_deprecated:
            self.emit("endpoint-reactivated", "", "the operation is no longer deprecated", pointer)

        old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
        if old_id and old_id != new_id:
            what = f"changed from `{old_id}` to `{new_id}`" if new_id else f"`{old_id}` was removed"
            self.emit(
                "api-operation-id-removed",
                "operationId",
                f"operationId {what}; generated clients rename the function for this operation",
                join_pointer(pointer, "operationId"),
            )
        elif new_id and not old_id:
            self.emit("api-operation-id-added", "operationId", f"operationId `{new_id}` was added")

        renamed: dict[str, str] = {}
        old_names = _TEMPLATE_PARAMETER.findall(old_path)
        for old_name, new_name in zip(old_names, _TEMPLATE_PARAMETER.findall(new_path), strict=True):
            if old_name != new_name:
                renamed[old_name] = new_name
                self.emit(
                    "request-path-parameter-renamed",
                    f"path parameter {new_name}",
                    f"path parameter `{old_name}` was renamed to `{new_name}`; the URL is unchanged "
                    "but generated clients rename the argument",
                    join_pointer("", "paths", new_path),
                )

        old_pointer = join_pointer("", "paths", old_path, method)
        old_params = {
            (where, renamed.get(name, name) if where == "path" else name): value
            for (where, name), value in self._parameters(self.old, old_item, old_op, old_path, method).items()
        }
        new_params = self._parameters(self.new, new_item, new_op, new_path, method)
        self._compare_parameters(old_params, new_params)
        self._compare_request_body(old_op, new_op, old_pointer, pointer)
        self._compare_responses(old_op, new_op, old_pointer, pointer)

    # -- parameters -------------------------------------------------------------------------
    def _parameters(
        self, spec: Spec, item: dict[str, Any], operation: dict[str, Any], path: str, method: str
    ) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for owner, pointer in (
            (item, join_pointer("", "paths", path)),
            (operation, join_pointer("", "paths", path, method)),
        ):
            for index, raw in enumerate(owner.get("parameters") or []):
                parameter, target, _ = deref(spec.document, raw, join_pointer(pointer, "parameters", index))
                if isinstance(parameter, dict) and "name" in parameter and "in" in parameter:
                    found[(str(parameter["in"]), str(parameter["name"]))] = (parameter, target)
        return found

    def _compare_parameters(
        self,
        old_params: dict[tuple[str, str], tuple[dict[str, Any], str]],
        new_params: dict[tuple[str, str], tuple[dict[str, Any], str]],
    ) -> None:
        for key in old_params:
            if key not in new_params:
                where, name = key
                self.emit(
                    "request-parameter-removed",
                    f"{where} parameter {name}",
                    f"removed the {where} parameter `{name}`",
                )
        for key, (parameter, pointer) in new_params.items():
            where, name = key
            location = f"{where} parameter {name}"
            required = parameter.get("required") is True or where == "path"
            if key not in old_params:
                rule_id = "new-required-request-parameter" if required else "new-optional-request-parameter"
                kind = "required" if required else "optional"
                self.emit(rule_id, location, f"added the {kind} {where} parameter `{name}`", pointer)
                continue
            old_parameter, old_pointer = old_params[key]
            was_required = old_parameter.get("required") is True or where == "path"
            if required and not was_required:
                self.emit(
                    "request-parameter-became-required",
                    location,
                    f"the {where} parameter `{name}` became required",
                    join_pointer(pointer, "required"),
                )
            elif was_required and not required:
                self.emit(
                    "request-parameter-became-optional",
                    location,
                    f"the {where} parameter `{name}` became optional",
                    pointer,
                )
            if "schema" in old_parameter and "schema" in parameter:
                here = _Where(
                    True,
                    "request-parameter",
                    location,
                    f"the {where} parameter `{name}`",
                    "item",
                    f" of the {where} parameter `{name}`",
                )
                self._compare_schema(
                    (old_parameter["schema"], join_pointer(old_pointer, "schema")),
                    (parameter["schema"], join_pointer(pointer, "schema")),
                    here,
                    (),
                    frozenset(),
                )

    # -- request body -----------------------------------------------------------------------
    def _compare_request_body(
        self, old_op: dict[str, Any], new_op: dict[str, Any], old_pointer: str, pointer: str
    ) -> None:
        old_body, old_body_pointer = None, join_pointer(old_pointer, "requestBody")
        if "requestBody" in old_op:
            old_body, old_body_pointer, _ = deref(self.old.document, old_op["requestBody"], old_body_pointer)
        new_body, new_body_pointer = None, join_pointer(pointer, "requestBody")
        if "requestBody" in new_op:
            new_body, new_body_pointer, _ = deref(self.new.document, new_op["requestBody"], new_body_pointer)
        if isinstance(new_body, dict) and not isinstance(old_body, dict):
            required = new_body.get("required") is True
            rule_id = "request-body-added-required" if required else "request-body-added-optional"
            kind = "a required" if required else "an optional"
            self.emit(rule_id, "request body", f"added {kind} request body", new_body_pointer)
            return
        if isinstance(old_body, dict) and not isinstance(new_body, dict):
            self.emit("request-body-removed", "request body", "removed the request body")
            return
        if not isinstance(old_body, dict) or not isinstance(new_body, dict):
            return
        was_required, required = old_body.get("required") is True, new_body.get("required") is True
        if required and not was_required:
            self.emit(
                "request-body-became-required",
                "request body",
                "the request body became required",
                new_body_pointer,
            )
        elif was_required and not required:
            self.emit(
                "request-body-became-optional",
                "request body",
                "the request body became optional",
                new_body_pointer,
            )
        old_content = old_body.get("content") or {}
        new_content = new_body.get("content") or {}
        content_pointer = join_pointer(new_body_pointer, "content")
        for media_type in old_content:
            if media_type not in new_content:
                self.emit(
                    "request-body-media-type-removed",
                    f"request body {media_type}",
                    f"removed the media type `{media_type}` from the request body",
                    content_pointer,
                )
        for media_type, media in new_content.items():
            media_pointer = join_pointer(content_pointer, media_type)
            if media_type not in old_content:
                self.emit(
                    "request-body-media-type-added",
                    f"request body {media_type}",
                    f"added the media type `{media_type}` to the request body",
                    media_pointer,
                )
                continue
            old_media = old_content[media_type]
            if (
                isinstance(old_media, dict)
                and isinstance(media, dict)
                and "schema" in old_media
                and "schema" in media
            ):
                suffix = "" if media_type == JSON else f" ({media_type})"
                here = _Where(
                    True,
                    "request-property",
                    f"request body{suffix}",
                    f"the request body{suffix}",
                    "request property",
                )
                self._compare_schema(
                    (old_media["schema"], join_pointer(old_body_pointer, "content", media_type, "schema")),
                    (media["schema"], join_pointer(media_pointer, "schema")),
                    here,
                    (),
                    frozenset(),
                )

    # -- responses --------------------------------------------------------------------------
    def _compare_responses(
        self, old_op: dict[str, Any], new_op: dict[str, Any], old_pointer: str, pointer: str
    ) -> None:
        old_responses = {str(status): value for status, value in (old_op.get("responses") or {}).items()}
        new_responses = {str(status): value for status, value in (new_op.get("responses") or {}).items()}
        responses_pointer = join_pointer(pointer, "responses")
        for status in old_responses:
            if status not in new_responses:
                success = status.startswith("2")
                rule_id = (
                    "response-success-status-removed" if success else "response-non-success-status-removed"
                )
                self.emit(rule_id, f"response {status}", f"removed the {status} response", responses_pointer)
        for status, raw in new_responses.items():
            status_pointer = join_pointer(responses_pointer, status)
            if status not in old_responses:
                success = status.startswith("2")
                rule_id = "response-success-status-added" if success else "response-non-success-status-added"
                self.emit(rule_id, f"response {status}", f"added the {status} response", status_pointer)
                continue
            old_response, old_response_pointer, _ = deref(
                self.old.document, old_responses[status], join_pointer(old_pointer, "responses", status)
            )
            response, response_pointer, _ = deref(self.new.document, raw, status_pointer)
            if isinstance(old_response, dict) and isinstance(response, dict):
                self._compare_response(
                    status, (old_response, old_response_pointer), (response, response_pointer)
                )

    def _compare_response(
        self, status: str, old: tuple[dict[str, Any], str], new: tuple[dict[str, Any], str]
    ) -> None:
        (old_response, old_pointer), (response, pointer) = old, new
        old_headers = {
            str(name).lower(): (str(name), value)
            for name, value in (old_response.get("headers") or {}).items()
        }
        new_headers = {
            str(name).lower(): (str(name), value) for name, value in (response.get("headers") or {}).items()
        }
        for key, (name, raw) in old_headers.items():
            if key not in new_headers:
                header = deref(self.old.document, raw, "")[0]
                required = isinstance(header, dict) and header.get("required") is True
                rule_id = (
                    "required-response-header-removed" if required else "optional-response-header-removed"
                )
                kind = "required" if required else "optional"
                self.emit(
                    rule_id,
                    f"response {status} header {name}",
                    f"removed the {kind} header `{name}` from the {status} response",
                    join_pointer(pointer, "headers"),
                )
        for key, (name, _) in new_headers.items():
            if key not in old_headers:
                self.emit(
                    "response-header-added",
                    f"response {status} header {name}",
                    f"added the header `{name}` to the {status} response",
                    join_pointer(pointer, "headers", name),
                )
        old_content = old_response.get("content") or {}
        new_content = response.get("content") or {}
        for media_type in old_content:
            if media_type not in new_content:
                self.emit(
                    "response-media-type-removed",
                    f"response {status} {media_type}",
                    f"removed the media type `{media_type}` from the {status} response",
                    join_pointer(pointer, "content"),
                )
        for media_type, media in new_content.items():
            media_pointer = join_pointer(pointer, "content", media_type)
            if media_type not in old_content:
                self.emit(
                    "response-media-type-added",
                    f"response {status} {media_type}",
                    f"added the media type `{media_type}` to the {status} response",
                    media_pointer,
                )
                continue
            old_media = old_content[media_type]
            if (
                isinstance(old_media, dict)
                and isinstance(media, dict)
                and "schema" in old_media
                and "schema" in media
            ):
                suffix = "" if media_type == JSON else f" ({media_type})"
                here = _Where(
                    False,
                    "response-property",
                    f"response {status}{suffix}",
                    f"the {status} response body{suffix}",
                    "property",
                    f" of the {status} response{suffix}",
                )
                self._compare_schema(
                    (old_media["schema"], join_pointer(old_pointer, "content", media_type, "schema")),
                    (media["schema"], join_pointer(media_pointer, "schema")),
                    here,
                    (),
                    frozenset(),
                )

    # -- schemas ----------------------------------------------------------------------------
    def _compare_schema(
        self,
        old_sub: Sub,
        new_sub: Sub,
        where: _Where,
        path: tuple[str, ...],
        seen: frozenset[tuple[str, str]],
    ) -> None:
        old = normalize(self.old.document, *old_sub)
        new = normalize(self.new.document, *new_sub)
        pair = (old.pointer, new.pointer)
        if pair in seen or len(path) > MAX_SCHEMA_DEPTH:
            return  # a recursive schema: this pair is already being compared further up
        seen = seen | {pair}
        location, phrase = where.location_of(path), where.phrase_of(path)

        def emit(suffix: str, message: str, keyword: str | None = None) -> None:
            pointer = (
                join_pointer(new.pointer, keyword) if keyword and keyword in new.keywords else new.pointer
            )
            self.emit(f"{where.subject}-{suffix}", location, message, pointer)

        was_nullable, nullable = old.keywords.get("nullable") is True, new.keywords.get("nullable") is True
        if nullable and not was_nullable:
            emit("became-nullable", f"{phrase} became nullable", "nullable")
        elif was_nullable and not nullable:
            emit("became-not-nullable", f"{phrase} is no longer nullable")

        if not self._compare_type(old, new, where, phrase, emit):
            return  # unrelated types: constraint and property changes would only be noise
        self._compare_enum(old, new, phrase, emit)
        self._compare_pattern(old, new, phrase, emit)
        self._compare_bounds(old, new, where, phrase, emit)
        if old.is_object or new.is_object:
            self._compare_properties(old, new, where, path, seen)
        if old.items is not None and new.items is not None:
            self._compare_schema(old.items, new.items, where, (*path, "[]"), seen)

    @staticmethod
    def _compare_type(old: Schema, new: Schema, where: _Where, phrase: str, emit: _Emit) -> bool:
        """Report a type or format change; False when the types are unrelated."""
        old_type, new_type = old.type, new.type
        if old_type != new_type:
            widened = new_type is None or (old_type, new_type) == ("integer", "number")
            narrowed = old_type is None or (old_type, new_type) == ("number", "integer")
            if widened:
                suffix = "type-generalized"
            elif narrowed and not where.request:
                suffix = "type-specialized"
            else:
                suffix = "type-changed"
            emit(
                suffix,
                f"the type of {phrase} changed from `{old_type or 'any'}` to `{new_type or 'any'}`",
                "type",
            )
            return widened or narrowed
        old_format, new_format = old.keywords.get("format"), new.keywords.get("format")
        if old_format != new_format:
            if new_format is None:
                suffix = "type-generalized"
            elif old_format is None and not where.request:
                suffix = "type-specialized"
            else:
                suffix = "type-changed"
            emit(
                suffix,
                f"the format of {phrase} changed from `{old_format or 'none'}` to `{new_format or 'none'}`",
                "format",
            )
        return True

    @staticmethod
    def _compare_enum(old: Schema, new: Schema, phrase: str, emit: _Emit) -> None:
        old_enum, new_enum = old.keywords.get("enum"), new.keywords.get("enum")
        if not isinstance(old_enum, list) and isinstance(new_enum, list):
            values = ", ".join(_show(value) for value in new_enum)
            emit("became-enum", f"{phrase} was restricted to the values {values}", "enum")
        elif isinstance(old_enum, list) and not isinstance(new_enum, list):
            emit("became-not-enum", f"{phrase} is no longer restricted to a list of values")
        elif isinstance(old_enum, list) and isinstance(new_enum, list):
            for value in old_enum:
                if value not in new_enum:
                    emit(
                        "enum-value-removed",
                        f"removed the value {_show(value)} from the enum of {phrase}",
                        "enum",
                    )
            for value in new_enum:
                if value not in old_enum:
                    emit(
                        "enum-value-added", f"added the value {_show(value)} to the enum of {phrase}", "enum"
                    )

    @staticmethod
    def _compare_pattern(old: Schema, new: Schema, phrase: str, emit: _Emit) -> None:
        old_pattern, new_pattern = old.keywords.get("pattern"), new.keywords.get("pattern")
        if old_pattern == new_pattern:
            return
        if old_pattern is None:
            emit("pattern-added", f"added the pattern `{new_pattern}` to {phrase}", "pattern")
        elif new_pattern is None:
            emit("pattern-removed", f"removed the pattern `{old_pattern}` from {phrase}")
        else:
            emit(
                "pattern-changed",
                f"the pattern of {phrase} changed from `{old_pattern}` to `{new_pattern}`",
                "pattern",
            )

    @staticmethod
    def _compare_bounds(old: Schema, new: Schema, where: _Where, phrase: str, emit: _Emit) -> None:
        for keyword, name, upper in BOUNDS:
            exclusive = {"maximum": "exclusiveMaximum", "minimum": "exclusiveMinimum"}.get(keyword)
            old_value, new_value = old.keywords.get(keyword), new.keywords.get(keyword)
            if keyword in BOUNDS_WITH_ZERO_DEFAULT:
                old_value, new_value = old_value or 0, new_value or 0
            old_exclusive = bool(exclusive and old.keywords.get(exclusive) is True)
            new_exclusive = bool(exclusive and new.keywords.get(exclusive) is True)
            if (old_value, old_exclusive) == (new_value, new_exclusive):
                continue
            if old_value is None and new_value is None:
                continue  # only the exclusive flag changed, without a bound: it means nothing
            tighter_word, looser_word = ("decreased", "increased") if upper else ("increased", "decreased")
            shown_old = f"{old_value}{' (exclusive)' if old_exclusive else ''}"
            shown_new = f"{new_value}{' (exclusive)' if new_exclusive else ''}"
            if old_value is None:
                suffix = f"{name}-set" if where.request else f"{name}-{tighter_word}"
                emit(suffix, f"{keyword} of {phrase} was set to {shown_new}", keyword)
                continue
            if new_value is None:
                suffix = f"{name}-unset" if not where.request else f"{name}-{looser_word}"
                emit(suffix, f"{keyword} {shown_old} of {phrase} was removed")
                continue
            if new_value == old_value:
                tighter = new_exclusive and not old_exclusive
            else:
                tighter = new_value < old_value if upper else new_value > old_value
            word = tighter_word if tighter else looser_word
            emit(f"{name}-{word}", f"{keyword} of {phrase} {word} from {shown_old} to {shown_new}", keyword)

    def _compare_properties(
        self, old: Schema, new: Schema, where: _Where, path: tuple[str, ...], seen: frozenset[tuple[str, str]]
    ) -> None:
        # Read-only properties are never sent and write-only ones never received: skip them.
        hidden = "readOnly" if where.request else "writeOnly"

        def is_hidden(spec: Spec, sub: Sub) -> bool:
            return normalize(spec.document, *sub).keywords.get(hidden) is True

        for name, sub in old.properties.items():
            if name in new.properties or is_hidden(self.old, sub):
                continue
            part = (*path, name)
            if where.request and new.additional is False:
                self.emit(
                    "request-property-removed-and-rejected",
                    where.location_of(part),
                    f"removed the {where.phrase_of(part)}; the object rejects unknown fields, "
                    "so clients that still send it get an error",
                    new.pointer,
                )
            elif where.request:
                self.emit(
                    "request-property-removed",
                    where.location_of(part),
                    f"removed the {where.phrase_of(part)}",
                    new.pointer,
                )
            else:
                required = name in old.required
                kind = "required" if required else "optional"
                self.emit(
                    f"response-{kind}-property-removed",
                    where.location_of(part),
                    f"removed the {kind} {where.phrase_of(part)}",
                    new.pointer,
                )
        for name, sub in new.properties.items():
            part = (*path, name)
            location, phrase = where.location_of(part), where.phrase_of(part)
            required, was_required = name in new.required, name in old.required
            if name not in old.properties:
                if is_hidden(self.new, sub):
                    continue
                kind = "required" if required else "optional"
                rule_id = (
                    f"new-{kind}-request-property" if where.request else f"response-{kind}-property-added"
                )
                self.emit(rule_id, location, f"added the {kind} {phrase}", sub[1])
                continue
            if is_hidden(self.old, old.properties[name]) and is_hidden(self.new, sub):
                continue
            if where.request and required and not was_required:
                self.emit("request-property-became-required", location, f"{phrase} became required", sub[1])
            elif where.request and was_required and not required:
                self.emit("request-property-became-optional", location, f"{phrase} became optional", sub[1])
            elif not where.request and was_required and not required:
                self.emit(
                    "response-property-became-optional", location, f"{phrase} is no longer required", sub[1]
                )
            elif not where.request and required and not was_required:
                self.emit("response-property-became-required", location, f"{phrase} became required", sub[1])
            self._compare_schema(old.properties[name], sub, where, part, seen)

        location, phrase = where.location_of(path), where.phrase_of(path)
        if where.request and old.additional is not False and new.additional is False:
            self.emit(
                "request-body-additional-properties-disallowed",
                location,
                f"{phrase} no longer accepts unknown fields (additionalProperties: false)",
                join_pointer(new.pointer, "additionalProperties"),
            )
        elif where.request and old.additional is False and new.additional is not False:
            self.emit(
                "request-body-additional-properties-allowed",
                location,
                f"{phrase} now accepts unknown fields",
                new.pointer,
            )
        if isinstance(old.additional, tuple) and isinstance(new.additional, tuple):
            self._compare_schema(old.additional, new.additional, where, (*path, "*"), seen)
