"""The operations the stub serves, read once from its OpenAPI documents into typed objects.

`Router` knows every documented path and method of the contract (its strict profile) and of
the stub-control API: which operation a request is for, with its path parameters; which
methods a path allows (the `Allow` header of a 405); which operations take a JSON body. Each
contract `Operation` carries its parameters, body and response schemas already compiled
(`server/schemas.py`), so the pipeline looks nothing up per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .openapi import HTTP_METHODS, Document, Json, inlined
from .schemas import CompiledSchema

JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: CompiledSchema


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    template: str  # with the API's base path
    pattern: re.Pattern[str]
    parameters: tuple[Parameter, ...]
    body: CompiledSchema | None
    """The JSON request body's schema, or None when the operation takes no JSON body."""
    responses: Mapping[int, CompiledSchema | None]
    """Documented status -> schema of its JSON body (None: no JSON body)."""
    token_header: bytes | None
    """The API-key header its security scheme names, in lower case; None without security."""

    @property
    def takes_json(self) -> bool:
        return self.body is not None

    def path_parameters(self, path: str) -> dict[str, str] | None:
        match = self.pattern.fullmatch(path)
        return None if match is None else match.groupdict()


def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{([^/{}]+)\}", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts)
    )
    return re.compile(regex)


def _token_header(document: Document, operation: Mapping[str, Json]) -> bytes | None:
    security = operation.get("security", document.root.get("security"))
    if not security:
        return None
    schemes = document.root.get("components", {}).get("securitySchemes", {})
    for requirement in security:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                return str(scheme["name"]).lower().encode("latin-1")
    return None


def _compile(document: Document, node: Json, kind: Any) -> CompiledSchema:
    return CompiledSchema(inlined(document, node), kind=kind)


def build_operation(document: Document, base_path: str, template: str, method: str) -> Operation:
    item = document.root["paths"][template]
    operation = item[method]
    parameters: list[Parameter] = []
    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
        resolved = inlined(document, raw)
        parameters.append(
            Parameter(
                name=resolved["name"],
                location=resolved["in"],
                required=bool(resolved.get("required")),
                schema=CompiledSchema(resolved.get("schema", {}), kind="parameter"),
            )
        )
    body = None
    request_body = inlined(document, operation["requestBody"]) if "requestBody" in operation else None
    if request_body is not None and JSON_MEDIA_TYPE in request_body.get("content", {}):
        body = CompiledSchema(request_body["content"][JSON_MEDIA_TYPE].get("schema", {}), kind="request")
    responses: dict[int, CompiledSchema | None] = {}
    for status, response in operation.get("responses", {}).items():
        if not str(status).isdigit():
            continue
        media = inlined(document, response).get("content", {}).get(JSON_MEDIA_TYPE)
        responses[int(status)] = (
            None if media is None else CompiledSchema(media.get("schema", {}), kind="response")
        )
    return Operation(
        operation_id=str(operation.get("operationId", f"{method} {template}")),
        method=method.upper(),
        template=base_path + template,
        pattern=_path_pattern(base_path + template),
        parameters=tuple(parameters),
        body=body,
        responses=responses,
        token_header=_token_header(document, operation),
    )


@dataclass(frozen=True)
class _PathEntry:
    pattern: re.Pattern[str]
    allowed: str
    json_methods: frozenset[str]


class Router:
    """Matches requests to documented operations. Only the operations named in `compiled` are
    built in full (schemas compiled); the others are known by path and method only."""

    def __init__(self, apis: list[tuple[str, Mapping[str, Json]]], compiled: frozenset[str]) -> None:
        self._paths: list[_PathEntry] = []
        self._operations: dict[str, list[Operation]] = {}
        for base_path, root in apis:
            document = Document(root)
            for template, item in root.get("paths", {}).items():
                methods = {m.upper() for m in item if m in HTTP_METHODS}
                if "GET" in methods:
                    methods.add("HEAD")  # Starlette serves HEAD wherever GET is served
                json_methods = frozenset(
                    m.upper()
                    for m in item
                    if m in HTTP_METHODS
                    and JSON_MEDIA_TYPE
                    in (inlined(document, item[m].get("requestBody", {})).get("content") or {})
                )
                self._paths.append(
                    _PathEntry(_path_pattern(base_path + template), ", ".join(sorted(methods)), json_methods)
                )
                for method in item:
                    if method in HTTP_METHODS and item[method].get("operationId") in compiled:
                        operation = build_operation(document, base_path, template, method)
                        self._operations.setdefault(operation.method, []).append(operation)

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The compiled operation a request is for, with its path parameters, or None."""
        for operation in self._operations.get(method, ()):
            parameters = operation.path_parameters(path)
            if parameters is not None:
                return operation, parameters
        return None

    def operation(self, operation_id: str) -> Operation:
        for operations in self._operations.values():
            for operation in operations:
                if operation.operation_id == operation_id:
                    return operation
        raise KeyError(operation_id)

    def allowed_methods(self, path: str) -> str | None:
        """The `Allow` value of a documented path (all methods of that path), or None."""
        for entry in self._paths:
            if entry.pattern.fullmatch(path):
                return entry.allowed
        return None

    def takes_json(self, method: str, path: str) -> bool:
        """Whether the documented operation at (method, path) has a JSON request body."""
        return any(method in entry.json_methods for entry in self._paths if entry.pattern.fullmatch(path))
