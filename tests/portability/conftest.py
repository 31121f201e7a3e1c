"""Fixtures of the portability suite.

`document_files`: the suite's JSON files (`documents.py`), written once per session.
`node_tools`: the pinned TypeScript generators and compiler, installed by `npm ci` from
`tests/portability/node/package-lock.json` into `tests/portability/node/node_modules/` (not
committed). The install runs once and is skipped while node_modules holds what the lockfile
says (a stamp with the lockfile's hash, written after a successful `npm ci`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.portability.documents import write_documents

NODE_DIR = Path(__file__).resolve().with_name("node")
NODE_MODULES = NODE_DIR / "node_modules"
LOCKFILE = NODE_DIR / "package-lock.json"
STAMP = NODE_MODULES / ".installed-lock.sha256"
INSTALL_LOCK = NODE_DIR / ".install.lock"
NPM_CI_TIMEOUT_S = 600
MINIMUM_NODE = (20, 19)
NETWORK_ERRORS = re.compile(r"ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network")


@dataclass(frozen=True)
class NodeTools:
    """Paths of the installed tools; `env` is the environment to run them in."""

    node: Path
    bin: Path
    env: dict[str, str]

    def tool(self, name: str) -> Path:
        return self.bin / name

    def version(self, package: str) -> str:
        manifest = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
        version: str = manifest["version"]
        return version


def node_env() -> dict[str, str]:
    """No colours, no update checks, no telemetry prompts: plain output to compare."""
    env = dict(os.environ)
    env.update(
        {
            "NO_COLOR": "1",
            "FORCE_COLOR": "0",
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
        }
    )
    return env


def lock_digest() -> str:
    digest = hashlib.sha256()
    for path in (NODE_DIR / "package.json", LOCKFILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _node_version(node: str) -> tuple[int, ...]:
    answer = subprocess.run([node, "--version"], capture_output=True, text=True, check=True, timeout=30)
    return tuple(int(part) for part in answer.stdout.strip().lstrip("v").split(".")[:2])


def _npm_ci(npm: str, env: dict[str, str]) -> None:
    command = [npm, "ci", "--no-audit", "--no-fund", "--fetch-retries=1", "--fetch-timeout=60000"]
    try:
        answer = subprocess.run(
            command,
            cwd=NODE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"`npm ci` in {NODE_DIR} did not finish in {NPM_CI_TIMEOUT_S} s: the npm registry is not "
            "reachable. "
            "tests/portability installs openapi-typescript, @hey-api/openapi-ts and typescript from "
            "package-lock.json; run it where the npm registry can be reached (CI can).",
            pytrace=False,
        )
    if answer.returncode == 0:
        return
    output = (answer.stdout + answer.stderr).strip()
    tail = "\n".join(output.splitlines()[-20:])
    if NETWORK_ERRORS.search(output):
        pytest.fail(
            f"`npm ci` could not reach the npm registry (exit {answer.returncode}). tests/portability "
            "installs openapi-typescript, @hey-api/openapi-ts and typescript from "
            f"{LOCKFILE.relative_to(NODE_DIR.parents[2])}; run it where the npm registry can be reached "
            f"(CI can).\n{tail}",
            pytrace=False,
        )
    pytest.fail(f"`npm ci` failed (exit {answer.returncode}) in {NODE_DIR}:\n{tail}", pytrace=False)


@pytest.fixture(scope="session")
def node_tools() -> Iterator[NodeTools]:
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "tests/portability needs Node.js and npm on PATH (Node "
            f"{'.'.join(map(str, MINIMUM_NODE))} or later) to run the TypeScript generators.",
            pytrace=False,
        )
    if _node_version(node) < MINIMUM_NODE:
        pytest.fail(
            f"tests/portability needs Node.js {'.'.join(map(str, MINIMUM_NODE))} or later; {node} is "
            f"{'.'.join(map(str, _node_version(node)))}.",
            pytrace=False,
        )
    env = node_env()
    with INSTALL_LOCK.open("w") as lock:
        # Two test runs in one checkout must not install into the same folder at once.
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = lock_digest()
        if not (STAMP.is_file() and STAMP.read_text(encoding="utf-8").strip() == wanted):
            _npm_ci(npm, env)
            STAMP.write_text(wanted + "\n", encoding="utf-8")
    yield NodeTools(node=Path(node), bin=NODE_MODULES / ".bin", env=env)


@pytest.fixture(scope="session")
def document_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The suite's JSON files by name (see `documents.FILES`)."""
    return write_documents(tmp_path_factory.mktemp("documents"))
