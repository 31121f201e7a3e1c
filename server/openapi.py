"""One model of an OpenAPI 3.0 document, shared by the stub and every tool of the kit.

A parsed document (`load_document`: YAML parsed once per process) and `Document`, which resolves
local `$ref`s by JSON pointer, iterates operations, parameters, bodies, responses, headers and
schemas where they physically sit, and tells which schemas a request or a response can carry.
Every node comes as `Located(pointer, node)`, so callers can say where something is.
Hand-written: no maintained library gives this small, pointer-aware view of a 3.0 document
(openapi-core and jsonschema-path resolve references but do not report where a node sits).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

import yaml

HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_REF_HOPS: Final = 32
DATA_KEYWORDS: Final = frozenset({"example", "default", "enum", "x-extensible-enum"})

Json = Any  # a node of a parsed YAML/JSON document

# libyaml's loader is about ten times faster than the pure-Python one; PyYAML wheels ship it.
YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_parsed: dict[tuple[str, int, int], dict[str, Json]] = {}
_parsed_lock = threading.Lock()


def parse_yaml(text: str) -> Json:
    """A YAML (or JSON) text parsed with the safe loader; raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=YamlLoader)


def load_document(path: Path) -> dict[str, Json]:
    """A fresh copy of the parsed YAML/JSON file; the parse is reused while the file is unchanged."""
    status = path.stat()
    key = (str(path.resolve()), status.st_mtime_ns, status.st_size)
    with _parsed_lock:
        parsed = _parsed.get(key)
        if parsed is None:
            loaded = parse_yaml(path.read_text(encoding="utf-8"))
            if not isinstance(loaded, dict):
                raise ValueError(f"{path} is not an OpenAPI document")
            parsed = _parsed[key] = loaded
    return copy.deepcopy(parsed)


@dataclass(frozen=True)
class Located:
    """A node of the document and the JSON pointer where it physically sits."""

    pointer: str
    node: Json


def escape_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def child(pointer: str, *tokens: object) -> str:
    """A JSON pointer (or a `file#pointer` location) with tokens appended."""
    return pointer + "".join("/" + escape_token(token) for token in tokens)


def split_pointer(pointer: str) -> list[str]:
    """The unescaped tokens of a JSON pointer (`""` and `"/"` name the root)."""
    if pointer in ("", "/"):
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]


class PointerError(LookupError):
    """A JSON pointer names nothing in the document."""


def resolve_pointer(node: Json, pointer: str) -> Json:
    """The node a JSON pointer names inside `node`; raises `PointerError` when there is none."""
    for token in split_pointer(pointer):
        if isinstance(node, Mapping):
            found = get(node, token)
            if found is None and token not in node:
                raise PointerError(pointer)
            node = found
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PointerError(pointer)
    return node


def mapping_items(node: Json) -> Iterator[tuple[str, Json]]:
    """Items of a mapping with string keys (YAML may produce int keys, e.g. unquoted 200)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield str(key), value


def get(node: Json, key: str) -> Json:
    if not isinstance(node, Mapping):
        return None
    if key in node:
        return node[key]
    # Unquoted YAML keys such as 200 load as ints.
    for raw_key, value in node.items():
        if str(raw_key) == key:
            return value
    return None


class Document:
    """A parsed OpenAPI document with local `$ref` resolution."""

    def __init__(self, root: Mapping[str, Json]) -> None:
        self.root = root

    def lookup(self, ref: str) -> Located | None:
        """The node a local reference points at, or None when it is external or dangling."""
        if not ref.startswith("#"):
            return None
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            return None
        try:
            node = resolve_pointer(self.root, fragment)
        except PointerError:
            return None
        return None if node is None and fragment else Located(fragment, node)

    def follow(self, located: Located) -> Located | None:
        """Follow a chain of `$ref`s to the node it ends at; None when it breaks or loops."""
        current = located
        for _ in range(MAX_REF_HOPS):
            ref = get(current.node, "$ref")
            if not isinstance(ref, str):
                return current
            target = self.lookup(ref)
            if target is None:
                return None
            current = target
        return None

    # --- where things physically sit -------------------------------------------------------

    def operations(self) -> Iterator[tuple[str, str, Located]]:
        """(path, method, operation) for every operation under /paths."""
        for path, item in mapping_items(get(self.root, "paths")):
            for method in HTTP_METHODS:
                operation = get(item, method)
                if isinstance(operation, Mapping):
                    yield path, method, Located(child("/paths", path, method), operation)

    def parameters(self) -> Iterator[Located]:
        """Every parameter object written out (not a `$ref`), in paths and components."""
        for path, item in mapping_items(get(self.root, "paths")):
            yield from _listed(child("/paths", path, "parameters"), get(item, "parameters"))
        for _, _, operation in self.operations():
            yield from _listed(child(operation.pointer, "parameters"), get(operation.node, "parameters"))
        for name, parameter in mapping_items(get(get(self.root, "components"), "parameters")):
            if isinstance(parameter, Mapping) and "$ref" not in parameter:
                yield Located(child("/components/parameters", name), parameter)

    def request_bodies(self) -> Iterator[Located]:
        for _, _, operation in self.operations():
            body = get(operation.node, "requestBody")
            if isinstance(body, Mapping) and "$ref" not in body:
                yield Located(child(operation.pointer, "requestBody"), body)
        for name, body in mapping_items(get(get(self.root, "components"), "requestBodies")):
            if isinstance(body, Mapping) and "$ref" not in body:
                yield Located(child("/components/requestBodies", name), body)

    def responses(self) -> Iterator[Located]:
        for _, _, operation in self.operations():
            for status, response in mapping_items(get(operation.node, "responses")):
                if isinstance(response, Mapping) and "$ref" not in response:
                    yield Located(child(operation.pointer, "responses", status), response)
        for name, response in mapping_items(get(get(self.root, "components"), "responses")):
            if isinstance(response, Mapping) and "$ref" not in response:
                yield Located(child("/components/responses", name), response)

    def headers(self) -> Iterator[Located]:
        for response in self.responses():
            for name, header in mapping_items(get(response.node, "headers")):
                if isinstance(header, Mapping) and "$ref" not in header:
                    yield Located(child(response.pointer, "headers", name), header)
        for name, header in mapping_items(get(get(self.root, "components"), "headers")):
            if isinstance(header, Mapping) and "$ref" not in header:
                yield Located(child("/components/headers", name), header)

    def example_holders(self) -> Iterator[tuple[Located, str]]:
        """Objects that carry `schema` + `example(s)`: (holder, "request" | "response")."""
        for parameter in self.parameters():
            yield parameter, "request"
            yield from _media_types(parameter, "request")
        for body in self.request_bodies():
            yield from _media_types(body, "request")
        for response in self.responses():
            yield from _media_types(response, "response")
        for header in self.headers():
            yield header, "response"
            yield from _media_types(header, "response")

    def schema_roots(self) -> Iterator[Located]:
        """Every schema written at a schema position: components/schemas and holders' `schema`."""
        for name, schema in mapping_items(get(get(self.root, "components"), "schemas")):
            yield Located(child("/components/schemas", name), schema)
        for holder, _ in self.example_holders():
            schema = get(holder.node, "schema")
            if schema is not None:
                yield Located(child(holder.pointer, "schema"), schema)

    def schemas(self) -> Iterator[Located]:
        """Every schema object physically in the document, nested ones included (no `$ref` follow)."""
        for root in self.schema_roots():
            yield from subschemas(root)

    # --- what requests and responses can carry ---------------------------------------------

    def side_roots(self, side: str) -> Iterator[Located]:
        """The schemas at which requests ("request") or responses ("response") start."""
        for holder, direction in self.example_holders():
            schema = get(holder.node, "schema")
            if direction == side and schema is not None:
                yield Located(child(holder.pointer, "schema"), schema)
        # Parameters and bodies referenced from components are listed above only when they are
        # written out there; follow the operations' own $refs too.
        for _, _, operation in self.operations():
            holders: list[Located] = []
            if side == "request":
                parameters = get(operation.node, "parameters")
                for index, parameter in enumerate(parameters if isinstance(parameters, list) else []):
                    holders.append(Located(child(operation.pointer, "parameters", index), parameter))
                body = get(operation.node, "requestBody")
                if body is not None:
                    holders.append(Located(child(operation.pointer, "requestBody"), body))
            else:
                for status, response in mapping_items(get(operation.node, "responses")):
                    holders.append(Located(child(operation.pointer, "responses", status), response))
            for holder in holders:
                resolved = self.follow(holder)
                if resolved is None or not isinstance(resolved.node, Mapping):
                    continue
                if "schema" in resolved.node:
                    yield Located(child(resolved.pointer, "schema"), resolved.node["schema"])
                for media_type, media in mapping_items(get(resolved.node, "content")):
                    if isinstance(media, Mapping) and "schema" in media:
                        yield Located(
                            child(resolved.pointer, "content", media_type, "schema"), media["schema"]
                        )
                for name, header in mapping_items(get(resolved.node, "headers")):
                    target = self.follow(Located(child(resolved.pointer, "headers", name), header))
                    if target is not None and isinstance(target.node, Mapping) and "schema" in target.node:
                        yield Located(child(target.pointer, "schema"), target.node["schema"])

    def reachable_schemas(self, side: str) -> dict[str, Located]:
        """Every schema a request or a response can carry, by the pointer where it sits, with
        `$ref`s followed (each schema once, so recursive schemas end)."""
        found: dict[str, Located] = {}
        pending = list(self.side_roots(side))
        while pending:
            located = self.follow(pending.pop())
            if located is None or not isinstance(located.node, Mapping) or located.pointer in found:
                continue
            found[located.pointer] = located
            pending.extend(direct_subschemas(located))
        return found


def _listed(pointer: str, items: Json) -> Iterator[Located]:
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, Mapping) and "$ref" not in item:
                yield Located(child(pointer, index), item)


def _media_types(holder: Located, direction: str) -> Iterator[tuple[Located, str]]:
    for media_type, media in mapping_items(get(holder.node, "content")):
        if isinstance(media, Mapping):
            yield Located(child(holder.pointer, "content", media_type), media), direction


def direct_subschemas(schema: Located) -> Iterator[Located]:
    """Schemas nested one level inside `schema` (none inside a `$ref`, whose siblings are ignored)."""
    if not isinstance(schema.node, Mapping) or "$ref" in schema.node:
        return
    for name, value in mapping_items(get(schema.node, "properties")):
        if isinstance(value, Mapping):
            yield Located(child(schema.pointer, "properties", name), value)
    for keyword in ("items", "additionalProperties", "not"):
        value = get(schema.node, keyword)
        if isinstance(value, Mapping):
            yield Located(child(schema.pointer, keyword), value)
    for keyword in ("allOf", "anyOf", "oneOf"):
        members = get(schema.node, keyword)
        if isinstance(members, list):
            for index, member in enumerate(members):
                if isinstance(member, Mapping):
                    yield Located(child(schema.pointer, keyword, index), member)


def subschemas(schema: Located) -> Iterator[Located]:
    """The schema and every schema nested in it, without following `$ref`."""
    if not isinstance(schema.node, Mapping):
        return
    yield schema
    for nested in direct_subschemas(schema):
        yield from subschemas(nested)


class RefCycle(ValueError):
    """A schema refers to itself; it cannot be written out in full."""


def inlined(document: Document, node: Json, *, _seen: tuple[str, ...] = ()) -> Json:
    """A deep copy of `node` with every local `$ref` replaced by what it points at."""
    if isinstance(node, list):
        return [inlined(document, item, _seen=_seen) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in _seen:
            raise RefCycle(f"{ref} refers to itself")
        target = document.lookup(ref)
        if target is None:
            raise ValueError(f"cannot resolve {ref!r}")
        return inlined(document, target.node, _seen=(*_seen, ref))
    # Examples, defaults and enums are data: a "$ref" key inside them is not a reference.
    return {
        key: value if key in DATA_KEYWORDS else inlined(document, value, _seen=_seen)
        for key, value in node.items()
    }
