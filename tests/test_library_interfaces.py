"""The stub and the tools use connexion, Starlette and uvicorn only through their documented
interfaces, so a release of either that keeps its documented behaviour keeps the kit working.

The test reads the code (its syntax tree, not its text) of `server/` and `tools/` and fails on:
- an import of a module of those packages that their documentation does not describe;
- a name starting with an underscore read from those packages (a module, class or object of
  theirs); the `_parse`/`_validate` hooks of connexion's abstract validators, made to be
  overridden, may be defined;
- an attribute of one of their classes or objects replaced, and a class built with `type()`;
- library source pinned by hash (`inspect.getsource`), anywhere in the repository's code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECKED = ("server", "tools")
LIBRARIES = ("connexion", "starlette", "uvicorn")
# The modules each library documents (connexion.readthedocs.io, starlette.io, uvicorn.org).
DOCUMENTED_MODULES = frozenset(
    {
        "connexion",
        "connexion.context",
        "connexion.datastructures",
        "connexion.exceptions",
        "connexion.lifecycle",
        "connexion.middleware",
        "connexion.options",
        "connexion.resolver",
        "connexion.security",
        "connexion.validators",
        "starlette",
        "starlette.applications",
        "starlette.datastructures",
        "starlette.exceptions",
        "starlette.middleware",
        "starlette.requests",
        "starlette.responses",
        "starlette.routing",
        "starlette.types",
        "uvicorn",
    }
)
OVERRIDABLE_HOOKS = frozenset({"_parse", "_validate"})


@dataclass(frozen=True)
class Use:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


def _library(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in LIBRARIES


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Reader(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.library_names: set[str] = set()
        self.own_private: set[str] = set()
        self.found: list[Use] = []

    def note(self, node: ast.AST, what: str) -> None:
        self.found.append(Use(self.file, getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _library(alias.name):
                if alias.name not in DOCUMENTED_MODULES:
                    self.note(node, f"imports undocumented module {alias.name}")
                self.library_names.add((alias.asname or alias.name).split(".")[0])
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if _library(node.module):
            if node.module not in DOCUMENTED_MODULES:
                self.note(node, f"imports from undocumented module {node.module}")
            for alias in node.names:
                if alias.name.startswith("_"):
                    self.note(node, f"imports private name {node.module}.{alias.name}")
                self.library_names.add(alias.asname or alias.name)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        private = node.attr.startswith("_") and not node.attr.startswith("__")
        root = _root_name(node)
        if private and root in self.library_names:
            self.note(node, f"reads private name {node.attr} of {root}")
        elif (
            private
            and root in ("self", "cls")
            and isinstance(node.ctx, ast.Load)
            and node.attr not in self.own_private
        ):
            self.note(node, f"reads inherited private attribute {node.attr}")
        if isinstance(node.ctx, ast.Store) and root in self.library_names:
            self.note(node, f"replaces attribute {node.attr} of {root}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name) and function.id == "setattr" and node.args:
            target = _root_name(node.args[0]) if isinstance(node.args[0], ast.expr) else None
            if target in self.library_names:
                self.note(node, f"replaces an attribute of {target} with setattr")
        if isinstance(function, ast.Name) and function.id == "type" and len(node.args) == 3:
            self.note(node, "builds a class with type()")
        if isinstance(function, ast.Attribute) and function.attr == "getsource":
            self.note(node, "reads source code (inspect.getsource)")
        self.generic_visit(node)


def _own_private_names(tree: ast.Module) -> set[str]:
    """Underscore names this module defines itself (attributes it assigns, methods it defines)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.py"))


def uses_of(path: Path) -> list[Use]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    reader = _Reader(str(path.relative_to(REPO)) if path.is_relative_to(REPO) else path.name)
    reader.own_private = _own_private_names(tree)
    reader.visit(tree)
    if not reader.library_names:
        # Private reads of self only matter where a library class may be the base.
        reader.found = [use for use in reader.found if "inherited private" not in use.what]
    return reader.found


def test_server_and_tools_use_only_documented_library_interfaces() -> None:
    found = [use for path in _python_files(*CHECKED) for use in uses_of(path)]
    assert not found, "\n".join(map(str, found))


def test_no_library_source_is_pinned_anywhere() -> None:
    found = [
        use
        for path in _python_files("server", "tools", "tests")
        for use in uses_of(path)
        if "source" in use.what
    ]
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from connexion.middleware.abstract import ROUTING_CONTEXT", "undocumented module"),
        ("from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol", "undocumented module"),
        ("import connexion\nconnexion.AsyncApp._middleware_app", "private name"),
        (
            "from connexion.operations import OpenAPIOperation\nOpenAPIOperation.body_definition = None",
            "replaces",
        ),
        (
            "from connexion.security import ApiKeySecurityHandler\nsetattr(ApiKeySecurityHandler, 'x', 1)",
            "setattr",
        ),
        (
            "import connexion\nclass A(connexion.AsyncApp):\n    def f(self):\n        return self._x",
            "inherited",
        ),
        ("import connexion\nX = type('X', (connexion.AsyncApp,), {})", "type()"),
        ("import inspect\ninspect.getsource(len)", "source"),
    ],
)
def test_each_kind_of_use_is_caught(tmp_path: Path, code: str, expected: str) -> None:
    path = tmp_path / "probe.py"
    path.write_text(code + "\n", encoding="utf-8")
    found = uses_of(path)
    assert any(expected in use.what for use in found), found


def test_the_documented_hooks_may_be_defined(tmp_path: Path) -> None:
    code = (
        "from connexion.validators import AbstractRequestBodyValidator\n"
        "class V(AbstractRequestBodyValidator):\n"
        "    async def _parse(self, stream, scope):\n        return None\n"
        "    def _validate(self, body):\n        return self._validate_more(body)\n"
        "    def _validate_more(self, body):\n        return None\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(code, encoding="utf-8")
    assert uses_of(path) == []
