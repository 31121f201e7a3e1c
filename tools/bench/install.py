"""Install the benchmark's two outside tools when they are missing: wrk (Debian) and Prism (npm).

Prism is installed at the exact version locked in `tools/bench/prism/package-lock.json` into the
project-local, gitignored `.bench/` folder with `npm ci`, so every machine measures the same Prism.
Install scripts are skipped: Prism needs none, and its dependency tree carries a telemetry hook.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PRISM_MANIFEST_DIR = Path(__file__).resolve().parent / "prism"
BENCH_DIR = REPO_ROOT / ".bench"
PRISM_BIN = BENCH_DIR / "node_modules" / ".bin" / "prism"
INSTALL_TIMEOUT_S = 600


class InstallError(RuntimeError):
    """A tool could not be installed; the message says what to do."""


def _run(command: list[str], cwd: Path | None = None) -> None:
    try:
        completed = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{' '.join(command)} failed: {exc}") from exc
    if completed.returncode != 0:
        raise InstallError(
            f"{' '.join(command)} exited {completed.returncode}:\n{completed.stderr.strip()[-2000:]}"
        )


def ensure_wrk() -> str:
    """Path of wrk; installs the Debian package first when it is not on PATH."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise InstallError("wrk is not installed and apt-get is not available: install wrk yourself")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    print("installing wrk (apt-get install -y wrk) ...", flush=True)
    _run([*prefix, "apt-get", "update", "-qq"])
    _run([*prefix, "apt-get", "install", "-y", "-qq", "wrk"])
    found = shutil.which("wrk")
    if not found:
        raise InstallError("apt-get installed wrk but it is not on PATH")
    return found


def locked_prism_version() -> str:
    manifest = json.loads((PRISM_MANIFEST_DIR / "package.json").read_text(encoding="utf-8"))
    version = manifest["dependencies"]["@stoplight/prism-cli"]
    assert isinstance(version, str)
    return version


def installed_prism_version() -> str | None:
    package = BENCH_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if not PRISM_BIN.exists() or not package.exists():
        return None
    version = json.loads(package.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


def ensure_prism() -> Path:
    """Path of the Prism CLI at the locked version; runs `npm ci` into `.bench/` when needed."""
    wanted = locked_prism_version()
    if installed_prism_version() == wanted:
        return PRISM_BIN
    if shutil.which("npm") is None:
        raise InstallError("npm is not installed: install Node.js 20 (it brings npm) to benchmark Prism")
    print(f"installing @stoplight/prism-cli {wanted} into {BENCH_DIR} (npm ci) ...", flush=True)
    BENCH_DIR.mkdir(exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PRISM_MANIFEST_DIR / name, BENCH_DIR / name)
    _run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=BENCH_DIR)
    if installed_prism_version() != wanted:
        raise InstallError(f"npm ci did not install prism-cli {wanted} into {BENCH_DIR}")
    return PRISM_BIN
