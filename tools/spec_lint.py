"""House lint rules for the kit's OpenAPI 3.0 documents.

    python -m tools.spec_lint SPEC [SPEC...] [--error-schema NAME]

openapi-spec-validator (run first by `make lint`) proves a document is valid OpenAPI; these rules
hold it to the kit's own conventions. No maintained linter we keep pinned encodes them, so they are
hand-written here; schema checking of examples is delegated to openapi-schema-validator's OAS 3.0
validators (jsonschema Draft 4 semantics plus `nullable`, with its format checker).

Every violation is one line on stdout, ``FILE: #JSON-POINTER: RULE-ID: message``, where the pointer
locates the offending node in the file (``#`` is the document root). Exit status: 0 when clean,
1 when any violation was found, 2 on bad usage.

Rules (the ids are stable; tests and reviewers refer to them):

``operation-metadata``
    Every operation has a non-empty ``operationId``, ``summary``, ``description`` and ``tags``.
``property-description``
    Every property of every schema has a description. A property that is a ``$ref`` takes the
    description of the component it points to (OpenAPI 3.0 ignores siblings of ``$ref``), so that
    component must have one.
``example-valid``
    Every example validates against the schema it illustrates: ``example`` and ``examples`` of
    parameters, headers and media types (request and response; a ``$ref`` to
    ``#/components/examples`` is checked against every schema it is used with) and ``example`` of
    every schema. Requests are checked with the write-side validator, responses with the read
    side. Examples given only as ``externalValue`` are not fetched.
``error-response-schema``
    Every 4xx/5xx response of an operation has exactly one media type, ``application/json``,
    whose schema is ``$ref: '#/components/schemas/<error schema>'`` (``ErrorResponse`` unless
    ``--error-schema`` says otherwise).
``unused-component``
    Every component (schemas, responses, parameters, examples, request bodies, headers, security
    schemes, links, callbacks) is reachable from the paths or the security requirements.
``inline-object-schema``
    No object schema is written inline under ``paths``; objects live in ``components/schemas``
    so that they have a name (generated clients name their classes after it).
``unresolved-ref``
    Every ``$ref`` is local (``#/...``) and points at an existing node. The other rules follow
    references, so they need this.
``request-object-closed``
    Every object schema reachable from a request (body or parameter) says what it does with
    unknown fields: ``additionalProperties: false`` (or a schema for a map, or ``true`` for a
    deliberately free-form object). Requests are strict, so a typo in a field name is an error
    rather than a silent no-op.
``response-object-open``
    No object schema reachable from a response has ``additionalProperties: false``: responses are
    extensible, and clients generated from a closed object reject a field the service adds later
    (pydantic ``extra='forbid'``, Java models). The strict profile closes them for checks.
``response-open-value-list``
    No schema reachable from a response has a closed ``enum``: a value list the service may grow
    is ``x-extensible-enum`` (a string with its known values), so clients keep an unknown value
    as a string instead of raising.
``extensible-enum-form``
    ``x-extensible-enum`` is a non-empty list of distinct strings on a ``type: string`` schema,
    without ``enum`` beside it.
``request-response-shared-schema``
    No object or value-list schema is reachable from both a request and a response: the two sides
    follow opposite rules, so each needs its own schema.

A document whose ``info`` has ``x-response-style: closed`` (the stub-control API, whose only
clients are tests that want exact answers) keeps closed responses: ``response-object-open``,
``response-open-value-list`` and ``request-response-shared-schema`` do not apply to it.

Response examples are checked against the document's strict profile (``tools/strict_profile.py``):
an example may not show a field or a value the description does not document.
``spec-load``
    The file can be read and is a YAML/JSON mapping.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote

import yaml
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30Validator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry
from referencing.jsonschema import DRAFT4

from server.kit import add_version_option, program_name
from server.openapi import (
    Document,
    Json,
    Located,
    child,
    direct_subschemas,
    get,
    mapping_items,
)
from tools.strict_profile import StrictProfileError, strict_profile

RULE_OPERATION_METADATA: Final = "operation-metadata"
RULE_PROPERTY_DESCRIPTION: Final = "property-description"
RULE_EXAMPLE_VALID: Final = "example-valid"
RULE_ERROR_RESPONSE_SCHEMA: Final = "error-response-schema"
RULE_UNUSED_COMPONENT: Final = "unused-component"
RULE_INLINE_OBJECT_SCHEMA: Final = "inline-object-schema"
RULE_UNRESOLVED_REF: Final = "unresolved-ref"
RULE_SPEC_LOAD: Final = "spec-load"
RULE_REQUEST_OBJECT_CLOSED: Final = "request-object-closed"
RULE_RESPONSE_OBJECT_OPEN: Final = "response-object-open"
RULE_RESPONSE_OPEN_VALUE_LIST: Final = "response-open-value-list"
RULE_EXTENSIBLE_ENUM_FORM: Final = "extensible-enum-form"
RULE_SHARED_SCHEMA: Final = "request-response-shared-schema"
EXTENSIBLE_ENUM: Final = "x-extensible-enum"
RESPONSE_STYLE: Final = "x-response-style"

DEFAULT_ERROR_SCHEMA: Final = "ErrorResponse"
ERROR_MEDIA_TYPE: Final = "application/json"

COMPONENT_SECTIONS: Final = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
)
ERROR_STATUS: Final = re.compile(r"^[45](\d\d|XX)$")
# Keywords whose values are JSON data, not OpenAPI structure: a "$ref" key inside them is data.
DATA_KEYWORDS: Final = frozenset({"example", "default", "enum"})
# Base URI under which the document is registered so that schemas can be addressed by pointer.
DOCUMENT_URI: Final = "urn:csbs-kit:openapi-document"


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule at one place of a document."""

    pointer: str  # JSON pointer ("" is the root)
    rule: str
    message: str

    def render(self, file: str) -> str:
        return f"{file}: #{self.pointer}: {self.rule}: {self.message}"


def non_empty_text(value: Json) -> bool:
    return isinstance(value, str) and bool(value.strip())


# --- rules ---------------------------------------------------------------------------------


def check_operation_metadata(document: Document) -> Iterator[Violation]:
    for path, method, operation in document.operations():
        for field in ("operationId", "summary", "description"):
            if not non_empty_text(get(operation.node, field)):
                yield Violation(
                    operation.pointer,
                    RULE_OPERATION_METADATA,
                    f"{method.upper()} {path} has no {field}; add a non-empty `{field}`",
                )
        tags = get(operation.node, "tags")
        if not (isinstance(tags, list) and tags and all(non_empty_text(tag) for tag in tags)):
            yield Violation(
                operation.pointer,
                RULE_OPERATION_METADATA,
                f"{method.upper()} {path} has no tags; add `tags` with at least one tag name",
            )


def check_property_descriptions(document: Document) -> Iterator[Violation]:
    for schema in document.schemas():
        for name, prop in mapping_items(get(schema.node, "properties")):
            pointer = child(schema.pointer, "properties", name)
            ref = get(prop, "$ref")
            if isinstance(ref, str):
                target = document.follow(Located(pointer, prop))
                if target is None:
                    continue  # reported by unresolved-ref
                if not non_empty_text(get(target.node, "description")):
                    yield Violation(
                        pointer,
                        RULE_PROPERTY_DESCRIPTION,
                        f"property `{name}` refers to #{target.pointer}, which has no description; "
                        "describe that component (a description beside $ref is ignored in OpenAPI 3.0)",
                    )
            elif not non_empty_text(get(prop, "description")):
                yield Violation(
                    pointer, RULE_PROPERTY_DESCRIPTION, f"property `{name}` has no description; add one"
                )


class ExampleChecker:
    """Validates example values against schemas addressed by their pointer in the document.

    Response examples are held to the document's strict profile (same pointers, responses
    closed), so an example cannot show a field or a value the description does not document.
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.registry: Registry[Json] = Registry().with_resource(
            DOCUMENT_URI, DRAFT4.create_resource(document.root)
        )
        try:
            strict: Json = strict_profile(document.root)
        except StrictProfileError:
            strict = document.root  # reported by request-response-shared-schema
        self.strict_registry: Registry[Json] = Registry().with_resource(
            DOCUMENT_URI, DRAFT4.create_resource(strict)
        )

    def errors(self, value: Json, schema_pointer: str, direction: str | None) -> list[tuple[str, str]]:
        """(instance pointer, message) for every way `value` fails the schema at `schema_pointer`."""
        validator_class = {"request": OAS30WriteValidator, "response": OAS30ReadValidator}.get(
            direction or "", OAS30Validator
        )
        reference = {"$ref": DOCUMENT_URI + "#" + quote(schema_pointer, safe="/~")}
        registry = self.strict_registry if direction == "response" else self.registry
        validator = validator_class(reference, registry=registry, format_checker=oas30_format_checker)
        found: list[tuple[str, str]] = []
        try:
            for error in validator.iter_errors(value):
                found.append((child("", *error.absolute_path), str(error.message)))
        except Exception as problem:  # an unusable schema (bad regex, broken ref) must not crash lint
            found.append(("", f"the schema could not be applied: {problem}"))
        return found


def check_examples(document: Document) -> Iterator[Violation]:
    checker = ExampleChecker(document)
    seen: set[Violation] = set()

    def judge(
        value: Json, value_pointer: str, schema_pointer: str, direction: str | None
    ) -> Iterator[Violation]:
        for instance_pointer, message in checker.errors(value, schema_pointer, direction):
            violation = Violation(
                value_pointer + instance_pointer,
                RULE_EXAMPLE_VALID,
                f"example does not match the schema at #{schema_pointer}: {message}",
            )
            if violation not in seen:
                seen.add(violation)
                yield violation

    for holder, direction in document.example_holders():
        if get(holder.node, "schema") is None:
            continue
        schema_pointer = child(holder.pointer, "schema")
        if isinstance(holder.node, Mapping) and "example" in holder.node:
            yield from judge(
                holder.node["example"], child(holder.pointer, "example"), schema_pointer, direction
            )
        for name, example in mapping_items(get(holder.node, "examples")):
            target = document.follow(Located(child(holder.pointer, "examples", name), example))
            if target is None or not isinstance(target.node, Mapping) or "value" not in target.node:
                continue  # dangling refs are unresolved-ref's; externalValue is not fetched
            yield from judge(target.node["value"], child(target.pointer, "value"), schema_pointer, direction)

    for schema in document.schemas():
        if isinstance(schema.node, Mapping) and "example" in schema.node and "$ref" not in schema.node:
            yield from judge(schema.node["example"], child(schema.pointer, "example"), schema.pointer, None)


def check_error_responses(document: Document, error_schema: str) -> Iterator[Violation]:
    expected_ref = f"#/components/schemas/{error_schema}"
    seen: set[Violation] = set()
    any_error_response = False
    for path, method, operation in document.operations():
        for status, response in mapping_items(get(operation.node, "responses")):
            if not ERROR_STATUS.match(status):
                continue
            any_error_response = True
            where = f"{method.upper()} {path} {status}"
            resolved = document.follow(Located(child(operation.pointer, "responses", status), response))
            if resolved is None:
                continue  # reported by unresolved-ref
            for problem in _error_response_problems(resolved, expected_ref):
                violation = Violation(resolved.pointer, RULE_ERROR_RESPONSE_SCHEMA, f"{where}: {problem}")
                if violation not in seen:
                    seen.add(violation)
                    yield violation
    if any_error_response and document.lookup(expected_ref) is None:
        yield Violation(
            "/components/schemas",
            RULE_ERROR_RESPONSE_SCHEMA,
            f"the shared error schema {error_schema} is not defined; add it to components/schemas",
        )


def _error_response_problems(response: Located, expected_ref: str) -> Iterator[str]:
    content = get(response.node, "content")
    media_types = sorted(key for key, _ in mapping_items(content))
    if media_types != [ERROR_MEDIA_TYPE]:
        shown = ", ".join(media_types) if media_types else "none"
        yield f"media types are [{shown}]; declare exactly one, {ERROR_MEDIA_TYPE}"
    schema = get(get(content, ERROR_MEDIA_TYPE), "schema")
    if ERROR_MEDIA_TYPE in media_types and not (
        isinstance(schema, Mapping) and schema.get("$ref") == expected_ref
    ):
        yield f"the {ERROR_MEDIA_TYPE} schema must be $ref: '{expected_ref}'"


# Roles of a node while scanning for references (see iter_refs).
PLAIN: Final = "plain"
PROPERTIES_MAP: Final = "properties-map"  # keys are property names, values are schemas
EXAMPLES_MAP: Final = "examples-map"  # values are Example objects (or $refs to them)
EXAMPLE_OBJECT: Final = "example-object"  # its `value` is literal data


def _role_of_child(role: str, key: str) -> str:
    if role == PROPERTIES_MAP:
        return PLAIN
    if role == EXAMPLES_MAP:
        return EXAMPLE_OBJECT
    if key == "properties":
        return PROPERTIES_MAP
    if key == "examples":
        return EXAMPLES_MAP
    return PLAIN


def iter_refs(node: Json, pointer: str, role: str = PLAIN) -> Iterator[tuple[str, str]]:
    """(pointer of the $ref, its value) for every reference in `node`, skipping literal data.

    Example values, defaults and enums are data: a "$ref" key inside them is not a reference.
    """
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_refs(item, child(pointer, index), PLAIN)
        return
    if not isinstance(node, Mapping):
        return
    for key, value in mapping_items(node):
        if key == "$ref" and role in (PLAIN, EXAMPLE_OBJECT) and isinstance(value, str):
            yield pointer, value
        elif (role == EXAMPLE_OBJECT and key == "value") or (role == PLAIN and key in DATA_KEYWORDS):
            continue
        elif role == PLAIN and key == "discriminator":
            for name, target in mapping_items(get(value, "mapping")):
                if isinstance(target, str):
                    # A mapping value is a $ref or a bare schema name.
                    as_ref = (
                        target
                        if "/" in target or target.startswith("#")
                        else f"#/components/schemas/{target}"
                    )
                    yield child(pointer, key, "mapping", name), as_ref
        else:
            yield from iter_refs(value, child(pointer, key), _role_of_child(role, key))


def _component_role(section: str) -> str:
    return EXAMPLE_OBJECT if section == "examples" else PLAIN


def check_refs(document: Document) -> Iterator[Violation]:
    for pointer, ref in iter_refs(document.root, ""):
        if not ref.startswith("#"):
            yield Violation(
                pointer,
                RULE_UNRESOLVED_REF,
                f"external reference {ref!r}; only local refs (#/...) are supported",
            )
        elif document.lookup(ref) is None:
            yield Violation(pointer, RULE_UNRESOLVED_REF, f"{ref!r} points at nothing in this document")


def _component_of(ref: str) -> tuple[str, str] | None:
    if not ref.startswith("#/components/"):
        return None
    tokens = unquote(ref[len("#/components/") :]).split("/")
    if len(tokens) < 2:
        return None
    return tokens[0], tokens[1].replace("~1", "/").replace("~0", "~")


def _security_schemes_named(requirements: Json) -> Iterator[str]:
    if isinstance(requirements, list):
        for requirement in requirements:
            for name, _ in mapping_items(requirement):
                yield name


def check_unused_components(document: Document) -> Iterator[Violation]:
    components = get(document.root, "components")
    used: set[tuple[str, str]] = set()
    for name in _security_schemes_named(get(document.root, "security")):
        used.add(("securitySchemes", name))
    for _, _, operation in document.operations():
        for name in _security_schemes_named(get(operation.node, "security")):
            used.add(("securitySchemes", name))
    # Reachability: start from everything outside components, then follow refs into components.
    pending: list[tuple[Located, str]] = [
        (Located(child("", key), value), PLAIN)
        for key, value in mapping_items(document.root)
        if key != "components"
    ]
    while pending:
        located, role = pending.pop()
        for _, ref in iter_refs(located.node, located.pointer, role):
            component = _component_of(ref)
            if component is None or component in used:
                continue
            used.add(component)
            section, name = component
            target = get(get(components, section), name)
            if target is not None:
                pending.append(
                    (Located(child("/components", section, name), target), _component_role(section))
                )
    for section in COMPONENT_SECTIONS:
        for name, _ in mapping_items(get(components, section)):
            if (section, name) not in used:
                how = (
                    "named by no security requirement" if section == "securitySchemes" else "never referenced"
                )
                yield Violation(
                    child("/components", section, name),
                    RULE_UNUSED_COMPONENT,
                    f"{section}/{name} is {how}; use it or delete it",
                )


def is_object_schema(schema: Json) -> bool:
    if not isinstance(schema, Mapping) or "$ref" in schema:
        return False
    return schema.get("type") == "object" or "properties" in schema or "additionalProperties" in schema


def check_inline_objects(document: Document) -> Iterator[Violation]:
    for root in document.schema_roots():
        if root.pointer.startswith("/paths/"):
            yield from _outermost_inline_objects(root)


def _outermost_inline_objects(schema: Located) -> Iterator[Violation]:
    if is_object_schema(schema.node):
        # Report the outermost object only: nested objects move to components with it.
        yield Violation(
            schema.pointer,
            RULE_INLINE_OBJECT_SCHEMA,
            "object schema written inline under paths; move it to components/schemas and $ref it",
        )
        return
    for nested in direct_subschemas(schema):
        yield from _outermost_inline_objects(nested)


def _closes_objects(schema: Json) -> bool:
    """An object schema that is not a map (a map's `additionalProperties` is a schema)."""
    return is_object_schema(schema) and not isinstance(get(schema, "additionalProperties"), Mapping)


def check_compatibility(document: Document) -> Iterator[Violation]:
    """Requests strict, responses extensible (see the module docstring for the rules)."""
    requests = document.reachable_schemas("request")
    responses = document.reachable_schemas("response")
    closed_responses = get(get(document.root, "info"), RESPONSE_STYLE) == "closed"
    for pointer, schema in requests.items():
        # An explicit `additionalProperties: true` is a deliberately free-form object.
        if _closes_objects(schema.node) and "additionalProperties" not in schema.node:
            yield Violation(
                pointer,
                RULE_REQUEST_OBJECT_CLOSED,
                "request object does not reject unknown fields; add `additionalProperties: false`",
            )
    for schema in document.schemas():
        values = get(schema.node, EXTENSIBLE_ENUM)
        if values is None:
            continue
        well_formed = (
            isinstance(values, list)
            and values
            and all(isinstance(value, str) for value in values)
            and len(set(values)) == len(values)
        )
        if not well_formed or get(schema.node, "type") != "string" or "enum" in schema.node:
            yield Violation(
                schema.pointer,
                RULE_EXTENSIBLE_ENUM_FORM,
                f"`{EXTENSIBLE_ENUM}` must be a non-empty list of distinct strings on a `type: string` "
                "schema without `enum`",
            )
    if closed_responses:
        return
    for pointer, schema in responses.items():
        if _closes_objects(schema.node) and get(schema.node, "additionalProperties") is False:
            yield Violation(
                pointer,
                RULE_RESPONSE_OBJECT_OPEN,
                "response object rejects unknown fields; drop `additionalProperties: false` so clients "
                "keep working when the service adds one (the strict profile closes it for checks)",
            )
        if "enum" in schema.node:
            yield Violation(
                pointer,
                RULE_RESPONSE_OPEN_VALUE_LIST,
                f"closed `enum` in a response; list the known values as `{EXTENSIBLE_ENUM}` so an "
                "unknown value does not break clients",
            )
    for pointer in sorted(set(requests) & set(responses)):
        node = requests[pointer].node
        if is_object_schema(node) or "enum" in node or EXTENSIBLE_ENUM in node:
            yield Violation(
                pointer,
                RULE_SHARED_SCHEMA,
                "schema used by a request and a response; requests are closed and responses open, "
                "so give each side its own schema",
            )


def lint_document(root: Json, error_schema: str = DEFAULT_ERROR_SCHEMA) -> list[Violation]:
    """Every violation of the house rules in a parsed document, sorted by place."""
    if not isinstance(root, Mapping):
        return [Violation("", RULE_SPEC_LOAD, "the document is not a mapping; expected an OpenAPI object")]
    document = Document(root)
    violations: set[Violation] = set()
    violations.update(check_refs(document))
    violations.update(check_operation_metadata(document))
    violations.update(check_property_descriptions(document))
    violations.update(check_examples(document))
    violations.update(check_error_responses(document, error_schema))
    violations.update(check_unused_components(document))
    violations.update(check_inline_objects(document))
    violations.update(check_compatibility(document))
    return sorted(violations)


def load(path: Path) -> tuple[Json, Violation | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        return None, Violation("", RULE_SPEC_LOAD, f"cannot read the file: {problem}")
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as problem:
        detail = " ".join(str(problem).split())
        if isinstance(problem, yaml.MarkedYAMLError) and problem.problem_mark is not None:
            mark = problem.problem_mark
            detail = f"{problem.problem} at line {mark.line + 1}, column {mark.column + 1}"
        return None, Violation("", RULE_SPEC_LOAD, f"not valid YAML/JSON: {detail}")


def lint_file(path: Path, error_schema: str = DEFAULT_ERROR_SCHEMA) -> list[Violation]:
    root, problem = load(path)
    if problem is not None:
        return [problem]
    return lint_document(root, error_schema)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=program_name("python -m tools.spec_lint"),
        description="Check OpenAPI documents against the kit's house rules.",
    )
    add_version_option(parser, "csbs-lint")
    parser.add_argument("specs", nargs="+", type=Path, metavar="SPEC", help="OpenAPI 3.0 YAML or JSON file")
    parser.add_argument(
        "--error-schema",
        default=DEFAULT_ERROR_SCHEMA,
        help=f"component schema every 4xx/5xx response must use (default: {DEFAULT_ERROR_SCHEMA})",
    )
    arguments = parser.parse_args(argv)
    total = 0
    for spec in arguments.specs:
        for violation in lint_file(spec, arguments.error_schema):
            print(violation.render(str(spec)))
            total += 1
    print(
        f"spec_lint: {len(arguments.specs)} file(s), {total} violation(s)",
        file=sys.stderr,
    )
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
