"""Load a spec from a file or a git ref, follow local `$ref`s, and flatten `allOf`.

Schemas are not resolved up front: the comparer normalises each schema as it walks, which
keeps recursive schemas finite and lets every node keep the JSON pointer it came from (for
annotations on the right line). Only local references (`#/...`) are supported: the contract
is one file, and `tools.docs` bundles it as one file.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

GIT_TIMEOUT_SECONDS = 60
# libyaml's loader is ~10x faster than the pure-Python one; PyYAML wheels ship it.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecError(Exception):
    """Bad input: a spec that cannot be read, parsed or resolved. The message is for people."""


@dataclass
class Spec:
    document: dict[str, Any]
    label: str  # where the spec came from, for report headers ("HEAD~1:openapi/x.yaml")
    text: str  # the source text, for line numbers
    path: str  # the file the spec lives in, for annotations

    @cached_property
    def _root_node(self) -> yaml.Node | None:
        try:
            return yaml.compose(self.text, Loader=_Loader)
        except yaml.YAMLError:
            return None

    def line_of(self, pointer: str) -> int | None:
        """1-based line of the key or item a JSON pointer names, or None when it is not in the text."""
        node = self._root_node
        line: int | None = None
        for token in split_pointer(pointer):
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if str(key_node.value) == token:
                        line, node = key_node.start_mark.line + 1, value_node
                        break
                else:
                    return None
            elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
                node = node.value[int(token)]
                line = node.start_mark.line + 1
            else:
                return None
        return line


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def split_pointer(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]


def join_pointer(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape_token(str(token)) for token in tokens)


def parse_spec(text: str, label: str, path: str) -> Spec:
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise SpecError(f"{label}: not valid YAML or JSON: {error}") from error
    if not isinstance(document, dict) or "openapi" not in document:
        raise SpecError(f"{label}: not an OpenAPI document (no top-level 'openapi' key)")
    paths = document.get("paths")
    if paths is None:
        paths = {}
    if not isinstance(paths, dict):
        raise SpecError(f"{label}: 'paths' must be a mapping")
    document["paths"] = paths
    return Spec(document=document, label=label, text=text, path=path)


def load_file(path: str | Path) -> Spec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"cannot read {path}: {error}") from error
    return parse_spec(text, label=str(path), path=str(path))


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as error:
        raise SpecError("git is not installed; use --old FILE instead of --base") from error
    except subprocess.TimeoutExpired as error:
        raise SpecError(f"git {' '.join(args)} took longer than {GIT_TIMEOUT_SECONDS}s") from error


def load_git(ref: str, spec_path: str, repo: str | Path = ".") -> Spec:
    """The spec as committed at `ref`; `spec_path` is relative to `repo`'s top directory."""
    repo = Path(repo)
    verify = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if verify.returncode != 0:
        raise SpecError(
            f"unknown git ref {ref!r} in {repo.resolve()} "
            "(for a remote branch, fetch it first, e.g. `git fetch origin main`; "
            "in CI check out with fetch-depth 0)"
        )
    shown = _git(repo, "show", f"{ref}:./{spec_path}")
    if shown.returncode != 0:
        message = shown.stderr.decode("utf-8", "replace").strip()
        raise SpecError(f"{spec_path} does not exist at {ref}: {message}")
    try:
        text = shown.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(f"{ref}:{spec_path} is not UTF-8 text") from error
    return parse_spec(text, label=f"{ref}:{spec_path}", path=spec_path)


def resolve_pointer(document: Any, pointer: str) -> Any:
    node = document
    for token in split_pointer(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise SpecError(f"$ref target #{pointer} does not exist")
    return node


def deref(document: dict[str, Any], node: Any, pointer: str) -> tuple[Any, str, tuple[str, ...]]:
    """Follow a chain of `$ref`s; returns the target, its pointer and the refs followed."""
    refs: list[str] = []
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SpecError(f"#{pointer}: only local $refs ('#/...') are supported, found {ref!r}")
        if ref in refs:
            raise SpecError(f"#{pointer}: $ref cycle through {ref}")
        refs.append(ref)
        pointer = ref[1:]
        node = resolve_pointer(document, pointer)
    return node, pointer, tuple(refs)


Sub = tuple[Any, str]  # a raw (possibly $ref) subschema and its pointer

_STRUCTURAL = frozenset({"$ref", "allOf", "properties", "required", "items", "additionalProperties"})
_SMALLEST_WINS = frozenset({"maximum", "maxLength", "maxItems"})
_LARGEST_WINS = frozenset({"minimum", "minLength", "minItems"})


@dataclass
class Schema:
    """A schema with its `$ref`s followed and its `allOf` branches merged into one."""

    keywords: dict[str, Any]  # everything except the structural keywords below
    pointer: str
    refs: tuple[str, ...] = ()
    properties: dict[str, Sub] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Sub | None = None
    additional: bool | Sub = True  # additionalProperties: True when absent

    @property
    def type(self) -> str | None:
        value = self.keywords.get("type")
        return value if isinstance(value, str) else None

    @property
    def is_object(self) -> bool:
        return self.type == "object" or bool(self.properties) or self.additional is not True


def normalize(
    document: dict[str, Any], node: Any, pointer: str, active: frozenset[str] = frozenset()
) -> Schema:
    """Follow `$ref`s and merge `allOf` (intersection semantics: the stricter bound wins)."""
    node, pointer, refs = deref(document, node, pointer)
    if not isinstance(node, dict):
        raise SpecError(f"#{pointer}: a schema must be a mapping, found {type(node).__name__}")
    if active.intersection(refs):
        raise SpecError(f"#{pointer}: allOf includes itself")
    active = active.union(refs)
    schema = Schema(
        keywords={key: value for key, value in node.items() if key not in _STRUCTURAL},
        pointer=pointer,
        refs=refs,
        required={name for name in node.get("required") or [] if isinstance(name, str)},
    )
    for name, sub in (node.get("properties") or {}).items():
        schema.properties[str(name)] = (sub, join_pointer(pointer, "properties", str(name)))
    if "items" in node:
        schema.items = (node["items"], join_pointer(pointer, "items"))
    additional = node.get("additionalProperties", True)
    if isinstance(additional, dict):
        schema.additional = (additional, join_pointer(pointer, "additionalProperties"))
    else:
        schema.additional = bool(additional)
    for index, branch in enumerate(node.get("allOf") or []):
        _merge(schema, normalize(document, branch, join_pointer(pointer, "allOf", index), active))
    return schema


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
