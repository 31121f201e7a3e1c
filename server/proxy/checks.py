"""Both directions of an exchange held to the contract, as the proxy sees them.

Requests are checked against the published contract (`openapi/csbs-restore.yaml`) with the
stub's own rules and words (`server/bodies.py`, `server/schemas.py`): the path and method, the
security header, parameters, Content-Type, JSON syntax and the body schema. Answers are checked
against the published contract too (documented status, media type, body schema, required
headers): that is what clients are promised, and it lets a response carry fields it does not
list. An answer that passes is then held to the strict profile
(`generated/csbs-restore.strict.yaml`), and whatever it carries beyond the contract, a field or
a value, is reported as kind `undocumented`, as `make contract --strict` does.

Every finding names its place with a JSON pointer into the exchange: `/method`, `/path` (an
undocumented path), `/path/<parameter>`, `/query/<name>`, `/headers/<lower-case name>`,
`/status`, `/body` followed by the pointer into the JSON body (`/body/restore/status`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import ValidationError

from .. import bodies, errors
from ..contract import Operation, Router
from ..errors import StubError
from ..openapi import Document, Json, child, inlined, mapping_items
from ..schemas import CompiledSchema, InvalidField, describe, extra_query_parameters, field_path
from .violations import Found

MAX_FINDINGS = 10
"""How many schema errors of one body are reported (the first ones, in document order)."""
UNDOCUMENTED_KEYWORDS = frozenset({"additionalProperties", "enum"})
"""What the strict profile adds to the published contract: closed objects and closed value lists."""


@dataclass(frozen=True)
class RequestFinding:
    found: Found
    refusal: StubError
    """What `--proxy-strict` answers instead of forwarding (the stub's answer to the same request)."""


@dataclass(frozen=True)
class RequestVerdict:
    operation: Operation | None
    findings: list[RequestFinding] = field(default_factory=list)


@dataclass(frozen=True)
class HeaderRule:
    name: str
    required: bool
    schema: CompiledSchema


def _error_members(error: ValidationError) -> list[tuple[list[Any], str]]:
    """(path inside the value, message) of each offending member a validation error names."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(name) for name in instance if name not in known)
        return [([*path, name], describe(error)[1]) for name in extra] or [(path, describe(error)[1])]
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in error.validator_value if name not in instance]
        return [([*path, name], "is required") for name in missing[:1]]
    return [(path, describe(error)[1])]


def schema_findings(schema: CompiledSchema, value: Any, *, kind: Any, prefix: str) -> list[Found]:
    """Every error of `value` against `schema` (at most MAX_FINDINGS), each at its pointer."""
    if schema.accepts(value):
        return []
    found: list[Found] = []
    for error in itertools.islice(schema.reference.iter_errors(value), MAX_FINDINGS):
        for path, reason in _error_members(error):
            found.append(Found(kind, child(prefix, *path), f"{field_path(path)} {reason}"))
    return found[:MAX_FINDINGS]


def undocumented_findings(schema: CompiledSchema, value: Any) -> list[Found]:
    """What an answer carries beyond the contract: the strict profile's closed objects and lists."""
    if schema.accepts(value):
        return []
    found: list[Found] = []
    for error in itertools.islice(schema.reference.iter_errors(value), MAX_FINDINGS):
        if error.validator not in UNDOCUMENTED_KEYWORDS:
            continue
        for path, _ in _error_members(error):
            name = field_path(path)
            if error.validator == "enum":
                message = f"{name} has the value {error.instance!r}, which the contract does not list yet"
            else:
                message = f"{name} is not documented; tolerant clients ignore it"
            found.append(Found("undocumented", child("/body", *path), message))
    return found[:MAX_FINDINGS]


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


class ContractChecks:
    """The published contract and its strict profile, compiled once."""

    def __init__(self, published: Mapping[str, Json], strict: Mapping[str, Json]) -> None:
        ids = frozenset(
            str(located.node.get("operationId"))
            for _, _, located in Document(published).operations()
            if located.node.get("operationId")
        )
        self.router = Router([("", published)], compiled=ids)
        self.strict_router = Router([("", strict)], compiled=ids)
        self.headers: dict[tuple[str, int], tuple[HeaderRule, ...]] = {}
        self.media_types: dict[tuple[str, int], frozenset[str]] = {}
        document = Document(published)
        for _, _, located in document.operations():
            operation_id = str(located.node.get("operationId"))
            for status, raw in mapping_items(located.node.get("responses")):
                if not status.isdigit():
                    continue
                response = inlined(document, raw)
                self.media_types[(operation_id, int(status))] = frozenset(
                    str(name).lower() for name in (response.get("content") or {})
                )
                self.headers[(operation_id, int(status))] = tuple(
                    HeaderRule(
                        name=name,
                        required=bool(header.get("required")),
                        schema=CompiledSchema(header.get("schema", {}), kind="parameter"),
                    )
                    for name, header in mapping_items(response.get("headers"))
                )

    # --- requests ------------------------------------------------------------------------------

    def check_request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> RequestVerdict:
        matched = self.router.match(method, path)
        if matched is None:
            allowed = self.router.allowed_methods(path)
            if allowed is None:
                refusal = errors.from_http_status(path, method, 404, "", {})
                return RequestVerdict(
                    None,
                    [
                        RequestFinding(
                            Found("request", "/path", f"no documented operation has the path {path}"), refusal
                        )
                    ],
                )
            refusal = errors.from_http_status(path, method, 405, "", {"Allow": allowed})
            message = f"{method} is not documented for this path (documented: {allowed})"
            return RequestVerdict(None, [RequestFinding(Found("request", "/method", message), refusal)])
        operation, path_params = matched
        findings: list[RequestFinding] = []
        content_types = [v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"]
        if operation.token_header is not None:
            tokens = [v for k, v in headers if k.lower() == operation.token_header]
            name = operation.token_header.decode("latin-1")
            if len(tokens) != 1:
                reason = (
                    "is required (the operation's security scheme)"
                    if not tokens
                    else "is sent more than once"
                )
                findings.append(
                    RequestFinding(
                        Found("request", child("/headers", name), f"header {name} {reason}"),
                        errors.unauthorized(),
                    )
                )
        schema_checks: list[RequestFinding] = []
        if operation.body is not None:
            decoded, schema_checks = self._body_findings(operation.body, path, content_types, body)
            findings.extend(decoded)
        query_names = {parameter.name for parameter in operation.parameters if parameter.location == "query"}
        extra = sorted({name for name, _ in query if name not in query_names})
        if extra:
            refusal = extra_query_parameters(extra).error(path)
            findings.extend(
                RequestFinding(
                    Found("request", child("/query", name), f"query parameter {name} is not documented"),
                    refusal,
                )
                for name in extra
            )
        query_values = dict(query)
        for parameter in operation.parameters:
            if parameter.location == "path":
                value: str | None = path_params.get(parameter.name)
            elif parameter.location == "query":
                value = query_values.get(parameter.name)
            elif parameter.location == "header":
                value = next(
                    (
                        v.decode("latin-1")
                        for k, v in headers
                        if k.lower() == parameter.name.lower().encode("latin-1")
                    ),
                    None,
                )
            else:
                continue
            pointer = child(
                f"/{'headers' if parameter.location == 'header' else parameter.location}", parameter.name
            )
            if value is None:
                if parameter.required:
                    message = f"{parameter.location} parameter {parameter.name} is required"
                    findings.append(
                        RequestFinding(
                            Found("request", pointer, message), errors.invalid_parameter(message + ".")
                        )
                    )
                continue
            try:
                parameter.schema.check_parameter(parameter.location, parameter.name, value)
            except InvalidField as invalid:
                findings.append(
                    RequestFinding(Found("request", pointer, invalid.message), invalid.error(path))
                )
        # The stub's order: security, Content-Type and JSON, parameters, then the body's schema.
        return RequestVerdict(operation, findings + schema_checks)

    def _body_findings(
        self, schema: CompiledSchema, path: str, content_types: list[str], body: bytes
    ) -> tuple[list[RequestFinding], list[RequestFinding]]:
        """(Content-Type and JSON syntax findings, schema findings) of a request body."""
        try:
            bodies.checked_content_type(content_types, path)
        except StubError as error:
            return [RequestFinding(Found("request", "/headers/content-type", error.error_msg), error)], []
        try:
            value = bodies.decode_json(body, path)
        except StubError as error:
            return [RequestFinding(Found("request", "/body", error.error_msg), error)], []
        return [], [
            RequestFinding(found, errors.invalid_parameter(f"{found.message}."))
            for found in schema_findings(schema, value, kind="request", prefix="/body")
        ]

    # --- answers -------------------------------------------------------------------------------

    def check_response(
        self, operation: Operation, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes | None
    ) -> list[Found]:
        """Findings of an answer; `body` None: the answer's encoding could not be read, so its
        body is not checked."""
        if status not in operation.responses:
            documented = ", ".join(str(code) for code in sorted(operation.responses))
            return [
                Found(
                    "response",
                    "/status",
                    f"status {status} is not documented for {operation.operation_id}"
                    f" (documented: {documented})",
                )
            ]
        key = (operation.operation_id, status)
        found: list[Found] = []
        by_name: dict[str, list[str]] = {}
        for name, value in headers:
            by_name.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        for rule in self.headers.get(key, ()):
            values = by_name.get(rule.name.lower())
            pointer = child("/headers", rule.name.lower())
            if not values:
                if rule.required:
                    found.append(
                        Found("response", pointer, f"header {rule.name} is required for status {status}")
                    )
                continue
            try:
                rule.schema.check_parameter("header", rule.name, values[0])
            except InvalidField as invalid:
                found.append(Found("response", pointer, invalid.message))
        media_types = self.media_types.get(key, frozenset())
        content_type = by_name.get("content-type", [])
        if media_types:
            shown = ", ".join(sorted(media_types))
            if not content_type:
                found.append(
                    Found(
                        "response",
                        "/headers/content-type",
                        f"the Content-Type header is missing; status {status} documents {shown}",
                    )
                )
            elif len(content_type) > 1 or _media_type(content_type[0]) not in media_types:
                found.append(
                    Found(
                        "response",
                        "/headers/content-type",
                        f"Content-Type {errors.shorten(', '.join(content_type), 80)!r} is not documented"
                        f" for status {status} ({shown})",
                    )
                )
        schema = operation.responses.get(status)
        if schema is None or body is None:
            return found
        if not body.strip():
            return [
                *found,
                Found("response", "/body", f"the body is empty; status {status} documents a JSON body"),
            ]
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as problem:
            return [
                *found,
                Found(
                    "response", "/body", f"the body is not valid JSON: {errors.shorten(str(problem), 120)}"
                ),
            ]
        broken = schema_findings(schema, value, kind="response", prefix="/body")
        if broken:
            return found + broken
        strict = self.strict_router.operation(operation.operation_id).responses.get(status)
        if strict is not None:
            found += undocumented_findings(strict, value)
        return found
