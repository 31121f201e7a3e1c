"""`make generate` / `make check-generated`: reproducible output, and a readable diff on spec drift.

The drift tests copy the spec to a temporary folder, change it, and run the check against the
committed client, exactly as `make check-generated` would after an edit without regeneration.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from client_spec import CLIENT_DIR, CONFIG_PATH, CREATE_RESTORE_PATH, REPO_ROOT, SPEC_PATH

from tools import generate_client
from tools.generate_client import GenerationError, Sources, diff_trees

DEFAULT_SOURCES = Sources(spec=SPEC_PATH, config=CONFIG_PATH, templates=generate_client.DEFAULT_TEMPLATES)


def mutated_spec(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the contract in `tmp_path` with `change` applied to its parsed form."""
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    change(spec)
    path = tmp_path / "csbs-restore.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_check(spec: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = generate_client.main(["--check", "--spec", str(spec), "--out", str(CLIENT_DIR)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_committed_client_is_what_the_spec_generates() -> None:
    diff = generate_client.check(DEFAULT_SOURCES, CLIENT_DIR)
    assert diff.changed == [], "".join(diff.lines)


def test_the_unchanged_spec_copied_elsewhere_still_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Where the spec lives must not leak into the output.
    copy = tmp_path / "elsewhere" / "spec.yaml"
    copy.parent.mkdir()
    shutil.copyfile(SPEC_PATH, copy)
    status, out, err = run_check(copy, capsys)
    assert status == 0, out + err
    assert "is up to date" in out


def test_a_changed_description_fails_with_a_diff_of_that_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def reword(spec: dict[str, Any]) -> None:
        spec["components"]["schemas"]["ErrorResponse"]["properties"]["error_msg"]["description"] = (
            "Text of the error for people."
        )

    status, out, err = run_check(mutated_spec(tmp_path, reword), capsys)
    assert status == 1
    assert "--- generated/csbs-restore-client/csbs_restore_client/models/error_response.py (committed)" in out
    removed = [line for line in out.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert any("Human-readable description of the error" in line for line in removed)
    assert any("Text of the error for people." in line for line in added)
    assert "1 file(s)" in err and "csbs_restore_client/models/error_response.py" in err
    assert "make generate" in err


def test_a_version_bump_shows_in_the_package_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_version = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["info"]["version"]

    def bump(spec: dict[str, Any]) -> None:
        spec["info"]["version"] = "97.3.1"

    status, out, err = run_check(mutated_spec(tmp_path, bump), capsys)
    assert status == 1
    assert f'-version = "{old_version}"' in out.splitlines()
    assert '+version = "97.3.1"' in out.splitlines()
    assert '+__version__ = "97.3.1"' in out.splitlines()
    for name in ("pyproject.toml", "README.md", "csbs_restore_client/__init__.py"):
        assert f"  {name}" in err.splitlines()


def test_a_new_field_and_a_new_schema_show_as_changed_and_new_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def extend(spec: dict[str, Any]) -> None:
        restore = spec["components"]["schemas"]["Restore"]
        restore["properties"]["created_at"] = {"type": "string", "format": "date-time"}
        spec["components"]["schemas"]["RestoreSummary"] = {
            "type": "object",
            "properties": {"id": {"type": "string"}},
        }

    status, out, err = run_check(mutated_spec(tmp_path, extend), capsys)
    assert status == 1
    assert "--- /dev/null (not committed)" in out
    assert (
        "+++ generated/csbs-restore-client/csbs_restore_client/models/restore_summary.py (from the spec)"
        in out
    )
    assert any(line.startswith("+") and "created_at" in line for line in out.splitlines())
    assert "  csbs_restore_client/models/restore.py" in err.splitlines()


def test_make_check_generated_entry_point_fails_on_drift(tmp_path: Path) -> None:
    def retitle(spec: dict[str, Any]) -> None:
        spec["paths"][CREATE_RESTORE_PATH]["post"]["summary"] = "Start a restore"

    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.generate_client",
            "--check",
            "--spec",
            str(mutated_spec(tmp_path, retitle)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert '-    """Create a restore (创建恢复)' in answer.stdout.splitlines()
    assert '+    """Start a restore' in answer.stdout.splitlines()
    assert "csbs_restore_client/api/restores/create_restore.py" in answer.stderr


def test_generation_is_byte_identical_wherever_it_runs(tmp_path: Path) -> None:
    first = tmp_path / "a" / "csbs-restore-client"
    second = tmp_path / "b" / "deeper" / "folder" / "csbs-restore-client"
    generate_client.generate(DEFAULT_SOURCES, first)
    generate_client.generate(DEFAULT_SOURCES, second)
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    assert not diff_trees(CLIENT_DIR, first, "committed").changed


def test_generate_replaces_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "csbs-restore-client"
    (out / "csbs_restore_client" / "models").mkdir(parents=True)
    stale = out / "csbs_restore_client" / "models" / "removed_model.py"
    stale.write_text("class RemovedModel: ...\n", encoding="utf-8")
    assert generate_client.main(["--out", str(out)]) == 0
    assert not stale.exists()
    assert (out / "csbs_restore_client" / "py.typed").is_file()
    assert not [path for path in tmp_path.iterdir() if path.name != out.name], "workspace left behind"


def test_a_generator_warning_fails_and_keeps_the_client(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_broken_operation(spec: dict[str, Any]) -> None:
        # Path parameter not declared: the generator skips the operation with a warning.
        spec["paths"][CREATE_RESTORE_PATH]["get"] = {
            "operationId": "listRestores",
            "responses": {"200": {"description": "OK"}},
        }

    out = tmp_path / "csbs-restore-client"
    out.mkdir()
    kept = out / "kept.txt"
    kept.write_text("still here\n", encoding="utf-8")
    spec = mutated_spec(tmp_path, add_broken_operation)
    status = generate_client.main(["--spec", str(spec), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert "openapi-python-client failed" in err and "Path parameters do not match" in err
    assert kept.read_text(encoding="utf-8") == "still here\n"


def test_a_missing_spec_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = generate_client.main(["--check", "--spec", str(tmp_path / "nope.yaml")])
    assert status == 2
    assert "nope.yaml does not exist" in capsys.readouterr().err


def test_diff_trees_reports_added_removed_changed_and_ignores_bytecode(tmp_path: Path) -> None:
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    for root in (committed, fresh):
        (root / "pkg" / "__pycache__").mkdir(parents=True)
        (root / "pkg" / "same.py").write_text("x = 1\n", encoding="utf-8")
    (committed / "pkg" / "__pycache__" / "same.cpython-311.pyc").write_bytes(b"\x00bytecode")
    (committed / "pkg" / "changed.py").write_text("x = 1\n", encoding="utf-8")
    (fresh / "pkg" / "changed.py").write_text("x = 2", encoding="utf-8")
    (committed / "pkg" / "removed.py").write_text("gone = True\n", encoding="utf-8")
    (fresh / "pkg" / "added.py").write_text("new = True\n", encoding="utf-8")

    diff = diff_trees(committed, fresh, "client")

    assert diff.changed == ["pkg/added.py", "pkg/changed.py", "pkg/removed.py"]
    text = "".join(diff.lines)
    assert "--- /dev/null (not committed)\n+++ client/pkg/added.py (from the spec)\n" in text
    assert "--- client/pkg/removed.py (committed)\n+++ /dev/null (no longer generated)\n" in text
    assert "-x = 1\n+x = 2\n\\ No newline at end of file\n" in text
    assert diff_trees(committed, committed, "client").changed == []


def test_pinned_versions_come_from_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("openapi-python-client==1.2.3\nruamel.yaml==0.1\n", encoding="utf-8")
    assert generate_client.pinned_version("openapi_python_client", lock) == "1.2.3"
    with pytest.raises(GenerationError, match="ruff is not pinned"):
        generate_client.pinned_version("ruff", lock)
    # The running venv has exactly the pinned generator and formatter.
    generate_client.check_tool_versions()
