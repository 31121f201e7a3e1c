"""The command line: --base with a real git repository, exit codes, ignore file, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from breaking_helpers import CONTRACT, REALISTIC, REPO, RULE_FIXTURES, Run, run_cli

SPEC = "openapi/csbs-restore.yaml"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the realistic diff's "before" contract."""
    (tmp_path / "openapi").mkdir()
    shutil.copyfile(REALISTIC / "before.yaml", tmp_path / SPEC)
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", SPEC)
    _git(tmp_path, "commit", "--quiet", "-m", "contract")
    return tmp_path


def test_base_compares_the_ref_with_the_working_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--base", "HEAD", "--repo", str(repo)], capsys).out.endswith("no changes\n")
    shutil.copyfile(REALISTIC / "after.yaml", repo / SPEC)  # edited, not committed
    run = run_cli(["--base", "HEAD", "--repo", str(repo), "--format", "json"], capsys)
    changes = json.loads(run.out)
    assert run.code == 0
    assert sorted(change["level"] for change in changes) == [1, 1, 1, 2, 2, 3]
    text = run_cli(["--base", "HEAD", "--repo", str(repo)], capsys).out
    assert text.startswith(f"HEAD:{SPEC} -> {SPEC} (working tree): 6 changes")


def test_base_head_parent_after_a_commit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(REALISTIC / "after.yaml", repo / SPEC)
    _git(repo, "commit", "--quiet", "-am", "change the contract")
    run = run_cli(["--base", "HEAD~1", "--repo", str(repo), "--fail-on", "ERR"], capsys)
    assert run.code == 1
    assert "request-property-became-required" in run.out
    # The repository's own ignore file applies by default.
    shutil.copyfile(REALISTIC / "ignore.yaml", repo / "openapi" / "breaking-ignore.yaml")
    run = run_cli(["--base", "HEAD~1", "--repo", str(repo)], capsys)
    assert "; 1 ignored" in run.out.splitlines()[0]


def test_unknown_ref_and_missing_spec_are_clear_errors(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(["--base", "origin/no-such-branch", "--repo", str(repo)], capsys)
    assert run.code == 2 and "unknown git ref 'origin/no-such-branch'" in run.err and run.out == ""
    run = run_cli(["--base", "HEAD", "--repo", str(repo), "--spec", "openapi/other.yaml"], capsys)
    assert run.code == 2 and "openapi/other.yaml does not exist at HEAD" in run.err


@pytest.mark.parametrize(
    ("fixture", "fail_on", "code"),
    [
        ("request-property-became-required", "ERR", 1),  # an ERR change fails at ERR
        ("request-property-became-required", "INFO", 1),  # ... and at every lower threshold
        ("request-property-pattern-changed", "ERR", 0),  # a WARN change passes at ERR
        ("request-property-pattern-changed", "WARN", 1),
        ("new-optional-request-property", "WARN", 0),  # an INFO change passes at WARN
        ("new-optional-request-property", "info", 1),  # the level is case-insensitive
        ("allof-refactor-no-change", "INFO", 0),  # no change never fails
        ("request-property-became-required", None, 0),  # without --fail-on nothing fails
    ],
)
def test_fail_on_sets_the_exit_status(
    fixture: str, fail_on: str | None, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = RULE_FIXTURES / fixture
    args = ["--old", str(folder / "before.yaml"), "--new", str(folder / "after.yaml"), "--no-ignore"]
    if fail_on is not None:
        args += ["--fail-on", fail_on]
    assert run_cli(args, capsys).code == code


def _realistic(tmp_path: Path, ignore_text: str, capsys: pytest.CaptureFixture[str], *extra: str) -> Run:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(ignore_text, encoding="utf-8")
    args = [
        "--old",
        str(REALISTIC / "before.yaml"),
        "--new",
        str(REALISTIC / "after.yaml"),
        "--ignore",
        str(ignore),
    ]
    return run_cli([*args, *extra], capsys)


def test_ignored_error_is_listed_but_not_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accepted = """ignore:
  - id: request-property-became-required
    operation: post /v1/{project_id}/restores
    reason: every known client already sends power_on
"""
    run = _realistic(tmp_path, accepted, capsys, "--fail-on", "ERR", "--format", "json")
    assert run.code == 0
    changes = json.loads(run.out)  # like oasdiff's, the JSON leaves accepted changes out
    assert [change for change in changes if change["level"] == 3] == []
    text = _realistic(tmp_path, accepted, capsys).out
    assert "ignored request-property-became-required" in text
    assert "reason: every known client already sends power_on" in text


def test_ignore_entry_with_a_location_matches_only_that_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = """ignore:
  - id: request-property-became-required
    operation: POST /v1/{project_id}/restores
    location: request body restore.something_else
    reason: not this one
"""
    run = _realistic(tmp_path, entry, capsys, "--fail-on", "ERR")
    assert run.code == 1
    assert "ignore entry request-property-became-required" in run.err and "matched no change" in run.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ignore: [", "not valid YAML"),
        ("ignore: {}", "'ignore' must be a list"),
        ("rules: []", "one key, 'ignore'"),
        (
            "ignore:\n  - id: no-such-rule\n    operation: GET /x\n    reason: r\n",
            "unknown rule id 'no-such-rule'",
        ),
        ("ignore:\n  - id: endpoint-added\n    operation: GET /x\n", "'reason' is required"),
        (
            "ignore:\n  - id: endpoint-added\n    operation: GET /x\n    reason: '  '\n",
            "'reason' is required",
        ),
        ("ignore:\n  - id: endpoint-added\n    operation: /x\n    reason: r\n", "METHOD and path"),
        (
            "ignore:\n  - id: endpoint-added\n    operation: GET /x\n    reason: r\n    why: r\n",
            "unknown field(s) why",
        ),
        ("ignore:\n  - just a string\n", "must be a mapping"),
    ],
)
def test_bad_ignore_file_is_a_clear_error(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _realistic(tmp_path, text, capsys)
    assert run.code == 2
    assert message in run.err and "Traceback" not in run.err
    assert run.out == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: [", "not valid YAML or JSON"),
        ("just: a mapping\n", "not an OpenAPI document"),
        ("- a list\n", "not an OpenAPI document"),
        ("openapi: 3.0.3\npaths: []\n", "'paths' must be a mapping"),
    ],
)
def test_bad_spec_is_a_clear_error(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    for args in (["--old", str(bad), "--new", str(CONTRACT)], ["--old", str(CONTRACT), "--new", str(bad)]):
        run = run_cli([*args, "--no-ignore"], capsys)
        assert run.code == 2 and message in run.err and "Traceback" not in run.err


def test_missing_file_and_missing_old_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(["--old", str(tmp_path / "nope.yaml"), "--new", str(CONTRACT)], capsys)
    assert run.code == 2 and "cannot read" in run.err
    with pytest.raises(SystemExit) as raised:
        run_cli(["--new", str(CONTRACT)], capsys)
    assert raised.value.code == 2
    assert "give --base REF" in capsys.readouterr().err


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cli(["--list-rules"], capsys)
    lines = run.out.splitlines()
    assert run.code == 0
    assert any(line.startswith("ERR ") and " request-property-became-required " in line for line in lines)
    assert any(line.startswith("WARN") and " response-property-enum-value-added " in line for line in lines)


def test_runs_as_a_module() -> None:
    """`python -m tools.breaking` (what the Makefile calls) works in a fresh interpreter."""
    folder = RULE_FIXTURES / "endpoint-deprecated"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.breaking",
            "--old",
            str(folder / "before.yaml"),
            "--new",
            str(folder / "after.yaml"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "endpoint-deprecated" in result.stdout


def test_malformed_but_parsable_spec_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list or string where OpenAPI wants a mapping ends in a message, not a traceback."""
    before = RULE_FIXTURES / "endpoint-deprecated" / "before.yaml"
    document = yaml.safe_load(before.read_text(encoding="utf-8"))
    document["paths"]["/v1/{project_id}/things"]["post"]["responses"] = "not a mapping"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    run = run_cli(["--old", str(before), "--new", str(bad), "--no-ignore"], capsys)
    assert run.code == 2 and "not a well-formed OpenAPI 3.0 document" in run.err
    assert "Traceback" not in run.err and run.out == ""
