"""Building a wheel offline and installing it into a new virtualenv, for the wheel tests of the
generated client (tests/client) and of the kit itself (tests/packaging)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PIP_TIMEOUT_S = 600


def build_wheel(source: Path, wheel_dir: Path) -> Path:
    """Build the project at `source` into `wheel_dir` offline, with the build backend pinned in
    requirements.lock (no build isolation); return the wheel's path."""
    built = subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
            "--no-build-isolation", "--no-deps", "--no-index", "--wheel-dir", str(wheel_dir), str(source),
        ],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheel_dir.glob("*.whl")
    return wheel


def new_venv_with(venv: Path, *requirements: str, find_links: Path | None = None) -> Path:
    """A new virtualenv at `venv` holding `requirements` and their dependencies, constrained to
    requirements.lock; returns its python."""
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    links = ["--find-links", str(find_links)] if find_links is not None else []
    installed = subprocess.run(
        [
            str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
            "--constraint", str(REPO_ROOT / "requirements.lock"), *links, *requirements,
        ],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python
