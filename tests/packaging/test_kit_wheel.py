"""The kit as another team installs it: a wheel whose four commands work without the checkout.

The wheel is built from a copy of the files setup.py reads (so no build/ lands in the checkout)
offline with the pinned setuptools, installed into a new virtualenv with its dependencies
constrained to requirements.lock, and run from an unrelated directory.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.wheels import build_wheel, new_venv_with
from tools.harness.seeds import DEMO_PROJECT, DEMO_TOKEN
from tools.harness.stub_process import HEALTH_PATH, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("csbs-stub", "csbs-contract", "csbs-breaking", "csbs-lint")
# What setup.py reads; the copy leaves out tests, the client, caches and reports on purpose.
BUILD_INPUTS = ("setup.py", "pyproject.toml", "README.md", "server", "tools", "openapi", "generated")
NOT_BUILD_INPUTS = shutil.ignore_patterns("__pycache__", "*.pyc", "csbs-restore-client", "templates")
ABSOLUTE_CHECKOUT_IMPORT = re.compile(r"^\s*(from|import)\s+(server|tools)\b", re.MULTILINE)

pytestmark = pytest.mark.slow


def contract() -> dict[str, object]:
    loaded = yaml.safe_load((REPO_ROOT / "openapi" / "csbs-restore.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def run(command: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("kit-source")
    for name in BUILD_INPUTS:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=NOT_BUILD_INPUTS)
        else:
            shutil.copy2(origin, source / name)
    return build_wheel(source, tmp_path_factory.mktemp("kit-wheels"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtualenv holding the wheel and its declared dependencies."""
    return new_venv_with(tmp_path_factory.mktemp("kit-venv") / "venv", str(wheel)).parent


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with nothing of the kit in it."""
    return tmp_path_factory.mktemp("another-team")


@pytest.fixture(scope="module")
def stub_url(installed: Path, elsewhere: Path) -> Iterator[str]:
    port = free_port()
    log = (elsewhere / "stub.log").open("wb")
    command = [str(installed / "csbs-stub"), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen([*command, "--data-dir", "state"], cwd=elsewhere, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (elsewhere / "stub.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "csbs-stub did not answer its health check in 60 s"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base_url + HEALTH_PATH, timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_wheel_installs_one_distinct_package_and_nothing_of_the_checkouts_extras(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        sources = {name: archive.read(name).decode() for name in names if name.endswith(".py")}
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {"csbs_kit", "csbs_restore_contract_kit-1.2.0.dist-info"}
    unwanted_parts = ("tests/", "__pycache__", ".pyc", "reports/", ".sqlite3", "bench/", "soak.py")
    for unwanted in unwanted_parts:
        assert not [name for name in names if unwanted in name], unwanted
    assert "csbs_kit/openapi/csbs-restore.yaml" in names
    assert "csbs_kit/openapi/stub-control.yaml" in names
    assert "csbs_kit/server/seeds/default.yaml" in names
    # Every import of the checkout's top-level names points at the installed package.
    left = {name: ABSOLUTE_CHECKOUT_IMPORT.findall(text) for name, text in sources.items()}
    assert not {name: found for name, found in left.items() if found}
    for command in COMMANDS:
        assert re.search(rf"^{command} = csbs_kit\.", entry_points, re.MULTILINE), command


def test_every_installed_module_imports(installed: Path, elsewhere: Path) -> None:
    script = (
        "import importlib, pkgutil, csbs_kit\n"
        "names = [m.name for m in pkgutil.walk_packages(csbs_kit.__path__, 'csbs_kit.')]\n"
        "[importlib.import_module(n) for n in names if not n.endswith('__main__')]\n"
        "print(len(names))\n"
    )
    done = run([str(installed / "python"), "-c", script], elsewhere)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 50


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_prints_the_kits_and_the_contracts_version(
    installed: Path, elsewhere: Path, command: str
) -> None:
    info = contract()["info"]
    assert isinstance(info, dict)
    done = run([str(installed / command), "--version"], elsewhere)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{command} 1.2.0 (contract {info['version']})"


def test_the_installed_stub_answers_the_documents_example_and_refuses_a_bad_body(stub_url: str) -> None:
    examples = contract()["components"]["examples"]  # type: ignore[index]
    example = examples["DocumentRequest"]["value"]
    url = f"{stub_url}/v1/{DEMO_PROJECT}/restores"
    headers = {"X-Auth-Token": DEMO_TOKEN}
    created = httpx.post(url, json=example, headers=headers, timeout=10)
    assert created.status_code == 200, created.text
    assert created.json()["restore"]["checkpoint_id"] == example["restore"]["checkpoint_id"]
    refused = httpx.post(url, json={"restore": {"checkpoint_id": 7}}, headers=headers, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "CSBS.9001"


def test_the_installed_stub_keeps_its_state_where_it_was_started(stub_url: str, elsewhere: Path) -> None:
    assert stub_url
    assert (elsewhere / "state" / "stub.sqlite3").is_file()


def test_contract_help_and_breaking_on_two_files_run_from_anywhere(installed: Path, elsewhere: Path) -> None:
    helped = run([str(installed / "csbs-contract"), "--help"], elsewhere)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: csbs-contract")

    old = contract()
    new = json.loads(json.dumps(old))
    del new["paths"]["/v1/{project_id}/restores"]["post"]  # type: ignore[index]
    (elsewhere / "old.yaml").write_text(yaml.safe_dump(old), encoding="utf-8")
    (elsewhere / "new.yaml").write_text(yaml.safe_dump(new), encoding="utf-8")
    compared = run(
        [str(installed / "csbs-breaking"), "--old", "old.yaml", "--new", "new.yaml", "--fail-on", "ERR"],
        elsewhere,
    )
    assert compared.returncode == 1, compared.stderr
    assert "api-removed-without-deprecation" in compared.stdout

    linted = run([str(installed / "csbs-lint"), "old.yaml"], elsewhere)
    assert linted.returncode == 0, linted.stdout + linted.stderr
