"""The generated client builds a reproducible wheel that installs into a fresh virtualenv and imports.

The wheel is built offline with the kit's pinned poetry-core (no build isolation); the fresh
virtualenv installs it with its runtime dependencies constrained to requirements.lock.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from client_spec import CLIENT_DIR, contract, example_value

from tests.wheels import build_wheel, new_venv_with


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy so nothing (build/, bytecode) lands next to the committed client.
    source = tmp_path_factory.mktemp("client-source") / CLIENT_DIR.name
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return build_wheel(source, tmp_path_factory.mktemp("wheels"))


def test_the_wheel_holds_the_whole_typed_package(wheel: Path) -> None:
    version = contract()["info"]["version"]
    assert wheel.name == f"csbs_restore_client-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = Parser().parsestr(
            archive.read(f"csbs_restore_client-{version}.dist-info/METADATA").decode()
        )
    package = CLIENT_DIR / "csbs_restore_client"
    expected = {
        path.relative_to(CLIENT_DIR).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected <= names
    assert "csbs_restore_client/py.typed" in names
    assert metadata["Name"] == "csbs-restore-client"
    assert metadata["Version"] == version
    requirements = " ".join(metadata.get_all("Requires-Dist") or [])
    assert "httpx" in requirements and "attrs" in requirements


def test_the_wheel_is_byte_identical_when_rebuilt(wheel: Path, tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / CLIENT_DIR.name
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    again = build_wheel(source, tmp_path / "wheels")
    assert again.read_bytes() == wheel.read_bytes()


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_virtualenv_and_works(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = new_venv_with(venv, "csbs-restore-client", find_links=wheel.parent)

    # Run outside the repository so only the installed copy can be imported.
    probe = textwrap.dedent(
        """
        import importlib.metadata, json, pathlib, sys
        import csbs_restore_client
        from csbs_restore_client.api.restores import create_restore
        from csbs_restore_client.models import CreateRestoreRequest, ErrorResponse
        example = json.loads(sys.argv[1])
        package = pathlib.Path(csbs_restore_client.__file__).parent
        print(json.dumps({
            "file": csbs_restore_client.__file__,
            "version": csbs_restore_client.__version__,
            "dist_version": importlib.metadata.version("csbs-restore-client"),
            "py_typed": (package / "py.typed").is_file(),
            "round_trip": CreateRestoreRequest.from_dict(example).to_dict() == example,
            "has_sync": callable(create_restore.sync) and callable(create_restore.asyncio),
            "error_model": ErrorResponse.from_dict({"error_code": "CSBS.9001", "error_msg": "x"}).error_code,
        }))
        """
    )
    answer = subprocess.run(
        [str(python), "-I", "-c", probe, json.dumps(example_value("DocumentRequest"))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    report = json.loads(answer.stdout)
    version = contract()["info"]["version"]
    assert Path(report["file"]).is_relative_to(venv)
    assert report["version"] == report["dist_version"] == version
    assert report["py_typed"] is True
    assert report["round_trip"] is True
    assert report["has_sync"] is True
    assert report["error_model"] == "CSBS.9001"
