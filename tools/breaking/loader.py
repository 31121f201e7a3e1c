"""Load the two documents to compare: from files or a git ref, split over files or not.

The document model itself (files, `$ref`s, locations, source lines) is `document.py`; this
module adds what a report needs: a label for the header and the file annotations point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.openapi import child, split_pointer

from .document import (
    Document,
    FileReader,
    GitReader,
    SpecError,
    TextReader,
    git,
    load_document,
    resolve_pointer,
    split_location,
)

__all__ = [
    "Spec",
    "SpecError",
    "child",
    "load_file",
    "load_git",
    "parse_spec",
    "resolve_pointer",
    "split_location",
    "split_pointer",
]


@dataclass
class Spec:
    doc: Document
    label: str  # where the spec came from, for report headers ("HEAD~1:openapi/x.yaml")
    path: str  # the root file as the user named it, for annotations

    @property
    def document(self) -> dict[str, object]:
        return self.doc.root

    def file_of(self, location: str) -> str:
        """The path of the file holding a location, as the user would name it."""
        file, _ = split_location(location)
        if file == self.doc.root_file:
            return self.path
        folder = Path(self.path).parent
        return (folder / file).as_posix() if str(folder) != "." else file

    def line_of(self, location: str) -> int | None:
        return self.doc.line_of(location)


def _checked(doc: Document, label: str) -> Document:
    root = doc.files[doc.root_file].data
    if not isinstance(root, dict) or "openapi" not in root:
        raise SpecError(f"{label}: not an OpenAPI document (no top-level 'openapi' key)")
    paths = root.get("paths")
    if paths is None:
        root["paths"] = {}
    elif not isinstance(paths, dict):
        raise SpecError(f"{label}: 'paths' must be a mapping")
    return doc


def parse_spec(text: str, label: str, path: str) -> Spec:
    """A spec from text; relative `$ref`s are read from disk next to `path`."""
    doc = load_document(path, TextReader(path, text, FileReader()), label)
    return Spec(_checked(doc, label), label, path)


def load_file(path: str | Path) -> Spec:
    path = str(path)
    return Spec(_checked(load_document(path, FileReader()), path), path, path)


def load_git(ref: str, spec_path: str, repo: str | Path = ".") -> Spec:
    """The spec as committed at `ref`; `spec_path` is relative to `repo`'s top directory."""
    repo = Path(repo)
    verify = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if verify.returncode != 0:
        raise SpecError(
            f"unknown git ref {ref!r} in {repo.resolve()} "
            "(for a remote branch, fetch it first, e.g. `git fetch origin main`; "
            "in CI check out with fetch-depth 0)"
        )
    label = f"{ref}:{spec_path}"
    return Spec(_checked(load_document(spec_path, GitReader(repo, ref), label), label), label, spec_path)
