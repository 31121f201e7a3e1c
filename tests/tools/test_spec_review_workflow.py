"""The pull-request workflow calls only make targets that exist and that these tests cover."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from breaking_helpers import REPO

from tools.breaking.cli import _parser

WORKFLOW = REPO / ".github" / "workflows" / "spec-review.yml"
MAKEFILE = REPO / "Makefile"
# Targets the workflow may call, and the test files that cover what they run.
COVERED = {
    "lint": "tests/spec/test_spec_lint.py",
    "check-generated": "tests/client/test_client_drift.py",
    "breaking": "tests/tools/test_breaking_*.py",
    "changelog": "tests/tools/test_breaking_formats.py",
    "docs": "tests/tools/test_docs.py",
}


def _workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _steps() -> list[dict[str, Any]]:
    jobs = _workflow()["jobs"]
    return [step for job in jobs.values() for step in job["steps"]]


def _make_calls() -> list[list[str]]:
    """Every `make ...` command in a run step, split into words (up to a shell redirection)."""
    calls = []
    for step in _steps():
        for line in str(step.get("run", "")).splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "make":
                calls.append(words[1 : words.index(">>")] if ">>" in words else words[1:])
    return calls


def _targets(call: list[str]) -> list[str]:
    return [word for word in call if not word.startswith("-") and "=" not in word]


def _makefile_targets() -> set[str]:
    text = MAKEFILE.read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][A-Za-z0-9_-]*):", text, re.MULTILINE))


def test_runs_on_pull_requests_that_touch_the_contract() -> None:
    triggers = _workflow().get("on", _workflow().get(True))  # YAML 1.1 reads a bare `on` as True
    assert "openapi/**" in triggers["pull_request"]["paths"]


def test_checks_out_full_history_and_sets_up_python_311() -> None:
    steps = _steps()
    checkout = next(step for step in steps if str(step.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    python = next(step for step in steps if str(step.get("uses", "")).startswith("actions/setup-python@"))
    assert str(python["with"]["python-version"]) == "3.11"


def test_every_make_target_exists_and_is_covered() -> None:
    calls = _make_calls()
    called = {target for call in calls for target in _targets(call)}
    assert called == {"lint", "check-generated", "breaking", "changelog", "docs"}
    assert called <= _makefile_targets(), "the workflow calls targets the Makefile lacks"
    assert called <= set(COVERED), "the workflow calls a target no test covers"
    for target in called:
        assert list(REPO.glob(COVERED[target])), f"no test file {COVERED[target]} covers make {target}"


def test_report_goes_to_the_job_summary_against_the_base_branch() -> None:
    assert _workflow()["jobs"]["spec-review"]["env"]["BASE_REF"] == "${{ github.base_ref }}"
    runs = [str(step.get("run", "")) for step in _steps()]
    report = next(run for run in runs if "FORMAT=markdown" in run)
    assert report.startswith("make --silent breaking")  # --silent: no make echo in the summary
    assert 'BASE="origin/$BASE_REF"' in report and report.endswith('>> "$GITHUB_STEP_SUMMARY"')
    gate = next(run for run in runs if "FORMAT=githubactions" in run)
    assert "FAIL_ON=ERR" in gate


def test_docs_are_uploaded() -> None:
    upload = next(
        step for step in _steps() if str(step.get("uses", "")).startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"].rstrip("/") == "build"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_passes_the_workflow_variables_to_a_valid_command_line() -> None:
    """Dry-run each breaking/changelog call as the workflow writes it; our parser must accept it."""
    for call in _make_calls():
        if not {"breaking", "changelog"} & set(_targets(call)):
            continue
        variables = [word.replace("$BASE_REF", "main") for word in call if "=" in word]
        dry = subprocess.run(
            ["make", "-n", "--silent", *_targets(call), *variables],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        command = next(line for line in dry.stdout.splitlines() if "-m tools.breaking" in line)
        args = shlex.split(command.split("-m tools.breaking", 1)[1])
        parsed = _parser().parse_args(args)
        assert parsed.base == "origin/main"
        expected_format = dict(word.split("=", 1) for word in variables).get("FORMAT", "changelog")
        assert parsed.format == expected_format
        if "FAIL_ON=ERR" in call:
            assert parsed.fail_on == "ERR"


def test_json_report_lands_in_the_uploaded_artifact() -> None:
    runs = [str(step.get("run", "")) for step in _steps()]
    report = next(run for run in runs if "FORMAT=json" in run)
    assert report.startswith("make --silent breaking") and report.endswith(">> build/breaking-changes.json")
    names = [str(step.get("name", "")) for step in _steps()]
    json_step = next(
        index for index, step in enumerate(_steps()) if "FORMAT=json" in str(step.get("run", ""))
    )
    assert json_step < names.index("Upload the docs")
