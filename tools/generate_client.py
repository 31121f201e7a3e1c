"""Generate the Python client from the contract, or check that the committed client is current.

    python -m tools.generate_client            regenerate generated/csbs-restore-client/
    python -m tools.generate_client --check    regenerate into a temporary folder and exit 1 with a
                                               unified diff when the committed client differs

The generator (openapi-python-client) and the formatter its post-hooks call (ruff) must be the
versions pinned in requirements.lock; both run from the virtualenv of the running interpreter,
whose bin/ is put first on PATH. Output is byte-identical on every run and machine: ruff runs
without a cache, hash randomisation is off, and nothing in the output names the folder it was
generated in.

Exit status: 0 when done / up to date, 1 when the committed client differs from the spec,
2 when the generator cannot run or fails (its own messages are shown).
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT / "openapi" / "csbs-restore.yaml"
DEFAULT_CONFIG = REPO_ROOT / "generated" / "config.yaml"
DEFAULT_TEMPLATES = REPO_ROOT / "generated" / "templates"
DEFAULT_OUT = REPO_ROOT / "generated" / "csbs-restore-client"
LOCK_FILE = REPO_ROOT / "requirements.lock"

# Package metadata of the generated project: a pyproject.toml built by poetry-core, so
# `pip wheel` and `python -m build` work without Poetry itself.
META_TYPE = "poetry"

# Files Python itself leaves next to imported modules; never part of the generated client.
RUNTIME_ARTEFACTS = frozenset({"__pycache__"})
# Caches that must never land in the output (they would break byte-identical output).
FORBIDDEN_IN_OUTPUT = frozenset({".ruff_cache", ".mypy_cache", ".pytest_cache", "__pycache__"})


class GenerationError(Exception):
    """The generator could not run or reported an error; the message says why."""


@dataclass(frozen=True)
class Sources:
    """Everything the generated client is made from."""

    spec: Path
    config: Path
    templates: Path


def pinned_version(package: str, lock_file: Path = LOCK_FILE) -> str:
    """Return the exact version of `package` pinned in requirements.lock."""
    wanted = package.lower().replace("_", "-")
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and name.lower().replace("_", "-") == wanted:
            return version
    raise GenerationError(f"{package} is not pinned in {lock_file}")


def venv_bin() -> Path:
    """The bin/ folder of the running interpreter's virtualenv (not resolved: venv pythons are links)."""
    return Path(sys.executable).parent


def generator_env() -> dict[str, str]:
    """Environment for the generator: pinned tools first on PATH, no caches, fixed hash seed."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(venv_bin()), env.get("PATH", "")])
    env["RUFF_NO_CACHE"] = "true"
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_tool_versions() -> None:
    """Fail unless the installed generator and ruff are exactly the pinned versions."""
    wanted_generator = pinned_version("openapi-python-client")
    try:
        installed_generator = metadata.version("openapi-python-client")
    except metadata.PackageNotFoundError as err:
        raise GenerationError(
            f"openapi-python-client is not installed for {sys.executable}; run `make venv`"
        ) from err
    if installed_generator != wanted_generator:
        raise GenerationError(
            f"openapi-python-client {installed_generator} is installed but requirements.lock pins "
            f"{wanted_generator}; run `make venv`"
        )
    ruff = venv_bin() / "ruff"
    if not ruff.exists():
        raise GenerationError(f"ruff is missing from {venv_bin()}; run `make venv`")
    answer = subprocess.run([str(ruff), "--version"], capture_output=True, text=True, check=False)
    installed_ruff = answer.stdout.strip().removeprefix("ruff ").strip()
    wanted_ruff = pinned_version("ruff")
    if installed_ruff != wanted_ruff:
        raise GenerationError(
            f"ruff {installed_ruff or '(unknown)'} is installed but requirements.lock pins {wanted_ruff}; "
            "run `make venv`"
        )


def run_generator(sources: Sources, out_dir: Path) -> None:
    """Generate the client project into `out_dir`, which must not exist yet."""
    for what, path in (("spec", sources.spec), ("config", sources.config)):
        if not path.is_file():
            raise GenerationError(f"the {what} file {path} does not exist")
    if not sources.templates.is_dir():
        raise GenerationError(f"the custom template folder {sources.templates} does not exist")
    check_tool_versions()
    command = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(sources.spec.resolve()),
        "--config",
        str(sources.config.resolve()),
        "--custom-template-path",
        str(sources.templates.resolve()),
        "--meta",
        META_TYPE,
        "--fail-on-warning",
        "--output-path",
        str(out_dir),
    ]
    answer = subprocess.run(
        command, cwd=out_dir.parent, env=generator_env(), capture_output=True, text=True, check=False
    )
    if answer.returncode != 0:
        raise GenerationError(
            f"openapi-python-client failed (exit {answer.returncode}):\n{answer.stdout}{answer.stderr}"
        )
    leftovers = sorted(
        str(path.relative_to(out_dir)) for path in out_dir.rglob("*") if path.name in FORBIDDEN_IN_OUTPUT
    )
    if leftovers:
        raise GenerationError(f"the generator left caches in its output: {', '.join(leftovers)}")


def generate(sources: Sources, out: Path) -> None:
    """Regenerate the client at `out`, replacing what is there only once generation succeeded."""
    out.parent.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        fresh = workspace / out.name
        run_generator(sources, fresh)
        if out.exists():
            out.rename(workspace / "previous")
        fresh.rename(out)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def client_files(root: Path) -> dict[str, bytes]:
    """Every file under `root` by its POSIX path relative to `root`, without Python's bytecode."""
    files: dict[str, bytes] = {}
    if not root.is_dir():
        return files
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in RUNTIME_ARTEFACTS for part in relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_file():
            files[relative.as_posix()] = path.read_bytes()
    return files


def _lines(content: bytes | None) -> list[str]:
    if content is None:
        return []
    lines = content.decode("utf-8", errors="replace").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


@dataclass(frozen=True)
class TreeDiff:
    """How the committed client differs from the regenerated one."""

    changed: list[str]  # paths relative to the client folder, sorted
    lines: list[str]  # unified diff of all of them


def diff_trees(committed: Path, regenerated: Path, label: str) -> TreeDiff:
    """Compare the committed client with the regenerated one, file by file, byte by byte.

    `label` is how the committed folder is named in the diff headers.
    """
    old = client_files(committed)
    new = client_files(regenerated)
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    lines: list[str] = []
    for name in changed:
        before, after = old.get(name), new.get(name)
        fromfile = f"{label}/{name} (committed)" if before is not None else "/dev/null (not committed)"
        tofile = f"{label}/{name} (from the spec)" if after is not None else "/dev/null (no longer generated)"
        lines.extend(difflib.unified_diff(_lines(before), _lines(after), fromfile, tofile))
    return TreeDiff(changed=changed, lines=lines)


def display_path(path: Path) -> str:
    """`path` relative to the current folder when it is inside it, else absolute."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def check(sources: Sources, out: Path) -> TreeDiff:
    """Regenerate into a temporary folder and compare it with `out`."""
    with tempfile.TemporaryDirectory(prefix="csbs-client-check-") as workspace:
        fresh = Path(workspace) / out.name
        run_generator(sources, fresh)
        return diff_trees(out, fresh, display_path(out))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.generate_client",
        description="Regenerate the Python client from the contract, or check it is up to date.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and fail with a diff when --out differs",
    )
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="OpenAPI document to generate from")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder of the generated client project"
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="openapi-python-client config")
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES, help="custom template folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sources = Sources(spec=args.spec, config=args.config, templates=args.templates)
    out: Path = args.out
    try:
        if not args.check:
            generate(sources, out)
            print(f"generated {display_path(out)} from {display_path(sources.spec)}")
            return 0
        diff = check(sources, out)
    except GenerationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not diff.changed:
        print(f"{display_path(out)} is up to date with {display_path(sources.spec)}")
        return 0
    sys.stdout.writelines(diff.lines)
    sys.stdout.flush()
    print(
        f"\n{display_path(out)} differs from what {display_path(sources.spec)} generates "
        f"({len(diff.changed)} file(s)):",
        file=sys.stderr,
    )
    for name in diff.changed:
        print(f"  {name}", file=sys.stderr)
    print("Run `make generate` and commit generated/ together with the spec change.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
