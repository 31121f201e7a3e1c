"""An OpenAPI document split over one or more files: load it, follow `$ref`s, find source lines.

This module adds, to the kit's document model (`server/openapi.py`: JSON pointers, YAML
parsing, operations), documents split over files; it knows nothing of what its callers do with
the document (it imports nothing else from this package):

    document = load_document("openapi/api.yaml", FileReader())
    node, location, refs = document.deref(document.root, document.root_location)
    for operation in document.operations(): ...
    document.line_of(location)

Every node is named by a `location`, the string `"<file>#<JSON pointer>"`, where `<file>` is the
file's path relative to the root file's folder (the root file is `document.root_file`). A `$ref`
is resolved relative to the file it appears in, as `redocly bundle` and every OpenAPI tool
resolve them: `'#/components/schemas/Pet'` stays in the same file, `'./schemas/pet.yaml'` is
another file's root, `'common.yaml#/Pet'` a node inside another file. Every file a document
refers to is read when the document is loaded, so a missing file is reported at once.

A `$ref` that points at itself through other `$ref`s only (`A: {$ref: B}`, `B: {$ref: A}`) names
no schema and is an error; a schema that refers to itself through its structure (a tree whose
`children` items are the tree) is valid, and callers walk it as a graph of locations.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from server import openapi
from server.openapi import HTTP_METHODS as METHODS
from server.openapi import child, split_pointer

GIT_TIMEOUT_SECONDS = 60

Reader = Callable[[str], str]  # file path (as given to load_document, then joined) -> its text


class SpecError(Exception):
    """Bad input: a document that cannot be read, parsed or resolved. The message is for people."""


def split_location(location: str) -> tuple[str, str]:
    file, _, pointer = location.partition("#")
    return file, pointer


def resolve_pointer(node: Any, pointer: str) -> Any:
    try:
        return openapi.resolve_pointer(node, pointer)
    except openapi.PointerError:
        raise SpecError(f"$ref target #{pointer} does not exist") from None


def parse_text(text: str, label: str) -> Any:
    try:
        return openapi.parse_yaml(text)
    except yaml.YAMLError as error:
        raise SpecError(f"{label}: not valid YAML or JSON: {error}") from error


@dataclass
class SourceFile:
    """One file of the document: its parsed content and its text (for line numbers)."""

    name: str  # relative to the root file's folder, POSIX separators
    data: Any
    text: str
    _nodes: yaml.Node | bool | None = field(default=False, repr=False)  # False: not composed yet

    def _root_node(self) -> yaml.Node | None:
        if self._nodes is False:
            try:
                self._nodes = yaml.compose(self.text, Loader=openapi.YamlLoader)
            except yaml.YAMLError:
                self._nodes = None
        return self._nodes if isinstance(self._nodes, yaml.Node) else None

    def position_of(self, pointer: str) -> tuple[int, int] | None:
        """1-based line and column of the key or item a JSON pointer names, or None."""
        node = self._root_node()
        found: tuple[int, int] | None = None
        for token in split_pointer(pointer):
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if str(key_node.value) == token:
                        found = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                        node = value_node
                        break
                else:
                    return None
            elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
                node = node.value[int(token)]
                found = (node.start_mark.line + 1, node.start_mark.column + 1)
            else:
                return None
        return found


@dataclass(frozen=True)
class Operation:
    path: str  # the path template, as written ("/v1/{project_id}/restores")
    method: str  # lower case
    path_item: dict[str, Any]  # the Path Item (after following its $ref)
    operation: dict[str, Any]
    path_item_location: str
    location: str


@dataclass
class Document:
    root_file: str
    files: dict[str, SourceFile]

    @property
    def root(self) -> dict[str, Any]:
        data = self.files[self.root_file].data
        assert isinstance(data, dict)
        return data

    @property
    def root_location(self) -> str:
        return f"{self.root_file}#"

    def location(self, *tokens: str | int) -> str:
        """The location of a node of the root file, from its pointer tokens."""
        return child(self.root_location, *tokens)

    def get(self, location: str) -> Any:
        file, pointer = split_location(location)
        if file not in self.files:
            raise SpecError(f"{file}: not part of the document")
        return resolve_pointer(self.files[file].data, pointer)

    def target_of(self, ref: str, location: str) -> str:
        """The location a `$ref` found at `location` points to."""
        file, _ = split_location(location)
        ref_file, _, ref_pointer = ref.partition("#")
        if ref_file:
            file = _join(file, ref_file)
        return f"{file}#{ref_pointer}"

    def deref(self, node: Any, location: str) -> tuple[Any, str, tuple[str, ...]]:
        """Follow a chain of `$ref`s; returns the target, its location and the locations followed."""
        followed: list[str] = []
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str):
                raise SpecError(f"{_shown(location)}: $ref must be a string, found {ref!r}")
            target = self.target_of(ref, location)
            if target in followed:
                raise SpecError(f"{_shown(location)}: $ref cycle through {ref} names no schema")
            followed.append(target)
            try:
                node = self.get(target)
            except SpecError as error:
                raise SpecError(f"{_shown(location)}: $ref {ref!r}: {error}") from error
            location = target
        return node, location, tuple(followed)

    def position_of(self, location: str) -> tuple[str, int, int] | None:
        """File (relative to the root file's folder), line and column of a location, or None."""
        file, pointer = split_location(location)
        source = self.files.get(file)
        position = source.position_of(pointer) if source is not None else None
        return None if position is None else (file, *position)

    def line_of(self, location: str) -> int | None:
        position = self.position_of(location)
        return None if position is None else position[1]

    def operations(self) -> Iterator[Operation]:
        paths = self.root.get("paths") or {}
        for path, raw in paths.items():
            item, item_location, _ = self.deref(raw, self.location("paths", str(path)))
            if not isinstance(item, dict):
                continue
            for method in METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    yield Operation(
                        str(path), method, item, operation, item_location, child(item_location, method)
                    )


def _join(current_file: str, ref_file: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(current_file), ref_file))


def _shown(location: str) -> str:
    file, pointer = split_location(location)
    return f"{file}#{pointer}"


def _refs_in(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def load_document(path: str, reader: Reader, label: str | None = None) -> Document:
    """Read the file at `path` and every file its `$ref`s reach (through `reader`)."""
    label = label or path
    root_file = posixpath.basename(path.replace("\\", "/")) or path
    folder = posixpath.dirname(path.replace("\\", "/"))
    files: dict[str, SourceFile] = {}
    pending = [root_file]
    while pending:
        name = pending.pop()
        if name in files:
            continue
        full = posixpath.normpath(posixpath.join(folder, name)) if folder else name
        try:
            text = reader(full)
        except SpecError as error:
            if name == root_file:
                raise
            raise SpecError(f"{label}: a $ref names {name}, which cannot be read: {error}") from error
        shown = label if name == root_file else f"{label}: {name}"
        data = parse_text(text, shown)
        files[name] = SourceFile(name, data, text)
        for ref in _refs_in(data):
            ref_file = ref.partition("#")[0]
            if not ref_file:
                continue
            if "://" in ref_file or ref_file.startswith("//"):
                raise SpecError(f"{shown}: remote $ref {ref!r} is not supported; bundle the document first")
            pending.append(_join(name, ref_file))
    return Document(root_file, files)


class FileReader:
    """Reads files from disk."""

    def __call__(self, path: str) -> str:
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SpecError(f"cannot read {path}: {error}") from error


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError as error:
        raise SpecError("git is not installed; use a file instead of a git ref") from error
    except subprocess.TimeoutExpired as error:
        raise SpecError(f"git {' '.join(args)} took longer than {GIT_TIMEOUT_SECONDS}s") from error


@dataclass
class GitReader:
    """Reads files as committed at a git ref; paths are relative to the repository's top."""

    repo: Path
    ref: str

    def __call__(self, path: str) -> str:
        shown = git(self.repo, "show", f"{self.ref}:./{path}")
        if shown.returncode != 0:
            message = shown.stderr.decode("utf-8", "replace").strip()
            raise SpecError(f"{path} does not exist at {self.ref}: {message}")
        try:
            return shown.stdout.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SpecError(f"{self.ref}:{path} is not UTF-8 text") from error


@dataclass
class TextReader:
    """Serves the root file from a string, and any other file through `fallback`."""

    path: str
    text: str
    fallback: Reader | None = None

    def __call__(self, path: str) -> str:
        if path == self.path:
            return self.text
        if self.fallback is None:
            raise SpecError(f"cannot read {path}: the document was given as text")
        return self.fallback(path)
