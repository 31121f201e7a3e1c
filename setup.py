"""How the wheel is laid out: the checkout's folders under one installed package, `csbs_kit`.

The checkout keeps its top-level folders (`server/`, `tools/`, `openapi/`, `generated/`), whose
code imports itself as `server.*` and `tools.*`. Those names are too generic to install: they
would collide with other projects in one environment. The build therefore copies what the
commands need into `csbs_kit/` and points the absolute imports of those two packages at their
installed names (`from server.x import y` -> `from csbs_kit.server.x import y`), the way
vendoring tools relocate a package. Nothing else in a file changes; `server/kit.py` finds the
contract beside the stub's package in both layouts.

pyproject.toml maps the folders into the package (setuptools' `package-dir`); that moves files
but leaves their imports pointing at `server`, so the last step is ours: a `build_py` command,
setuptools' documented extension point, that drops what SHIPPED does not list and relocates the
imports of what it does.
"""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PACKAGE = "csbs_kit"
HERE = Path(__file__).resolve().parent

# What the wheel holds, as globs relative to the checkout; everything else (tests, the bench,
# the soak, the client generator, caches, reports) stays in the checkout.
SHIPPED = (
    "server/**/*.py",
    "server/seeds/*.yaml",
    "tools/__init__.py",
    "tools/spec_lint.py",
    "tools/strict_profile.py",
    "tools/contract/*.py",
    "tools/breaking/*.py",
    "tools/harness/__init__.py",
    "tools/harness/progress.py",
    "tools/harness/seeds.py",
    "tools/harness/stub_process.py",
    "openapi/csbs-restore.yaml",
    "openapi/stub-control.yaml",
    "openapi/breaking-ignore.yaml",
    "generated/csbs-restore.strict.yaml",
)
RELOCATED = ("server", "tools")
ABSOLUTE_IMPORT = re.compile(rf"^(\s*)(from|import)(\s+)({'|'.join(RELOCATED)})(?=[.\s])", re.MULTILINE)

PACKAGE_INIT = '''"""CSBS create-restore contract kit, installed.

`csbs_kit.server` is the stub (`csbs-stub`), `csbs_kit.tools` the provider check (`csbs-contract`),
the breaking-change report (`csbs-breaking`) and the house lint (`csbs-lint`); the contract ships
in `csbs_kit/openapi/`.
"""
'''


def relocate_imports(source: str) -> str:
    """`from server.x import y` -> `from csbs_kit.server.x import y` (and `import tools.z`)."""
    return ABSOLUTE_IMPORT.sub(rf"\1\2\3{PACKAGE}.\4", source)


def shipped_files() -> list[Path]:
    found: set[Path] = set()
    for pattern in SHIPPED:
        matches = [path for path in HERE.glob(pattern) if "__pycache__" not in path.parts]
        if not matches:
            raise SystemExit(f"setup.py: nothing matches {pattern!r}; update SHIPPED")
        found.update(matches)
    return sorted(found)


class BuildKitPackage(build_py):
    """Builds the packages pyproject.toml maps under `csbs_kit`, then keeps only SHIPPED files and
    relocates their imports."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / PACKAGE
        keep = {path.relative_to(HERE) for path in shipped_files()}
        for built in sorted(target.rglob("*")):
            relative = built.relative_to(target)
            if built.is_dir() or relative == Path("__init__.py"):
                continue
            if relative not in keep:
                built.unlink()
            elif built.suffix == ".py":
                built.write_text(relocate_imports(built.read_text(encoding="utf-8")), encoding="utf-8")
        (target / "__init__.py").write_text(PACKAGE_INIT, encoding="utf-8")


setup(cmdclass={"build_py": BuildKitPackage})
