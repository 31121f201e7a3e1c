"""A realistic multi-change diff of the contract renders as expected in every format.

The diff is fixtures/realistic/before.yaml (a snapshot of the contract) to after.yaml (an
optional `description`, `power_on` made required, a new restore status, a shorter
`restore_target` and a 409 answer), with fixtures/realistic/ignore.yaml accepting the new
status. Expected outputs are the golden files under fixtures/golden/. After an intended change
to the output, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/tools/test_breaking_formats.py
"""

from __future__ import annotations

import json
import os

import pytest
from breaking_helpers import GOLDEN, REALISTIC, run_cli

from tools.breaking import Change, Level, Report
from tools.breaking.render import FORMATS, render_githubactions, render_markdown
from tools.breaking.rules import Source

SUFFIXES = {
    "text": "txt",
    "json": "json",
    "markdown": "md",
    "githubactions": "githubactions.txt",
    "changelog": "changelog.md",
}
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _render(fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(REALISTIC)  # relative paths keep the labels in the output stable
    run = run_cli(
        ["--old", "before.yaml", "--new", "after.yaml", "--ignore", "ignore.yaml", "--format", fmt], capsys
    )
    assert run.code == 0 and run.err == ""
    return run.out


def test_every_format_has_a_golden_file() -> None:
    assert set(SUFFIXES) == set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_realistic_diff_matches_golden(
    fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    output = _render(fmt, capsys, monkeypatch)
    golden = GOLDEN / f"realistic.{SUFFIXES[fmt]}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")


def test_realistic_diff_content(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """What the golden files must say, stated independently of them."""
    changes = json.loads(_render("json", capsys, monkeypatch))  # oasdiff's shape: accepted ones left out
    found = {(change["id"], change["level"], change["location"]) for change in changes}
    assert found == {
        ("request-property-became-required", 3, "request body restore.parameters.power_on"),
        ("request-property-max-length-decreased", 2, "request body restore.restore_target"),
        ("new-optional-request-property", 1, "request body restore.description"),
        ("response-optional-property-added", 1, "response 200 restore.description"),
        ("response-non-success-status-added", 1, "response 409"),
    }
    for change in changes:
        assert (change["operation"], change["path"]) == ("POST", "/v1/{project_id}/restores")
        assert change["operationId"] == "createRestore" and change["section"] == "paths"
        assert change["revisionSource"]["file"] == "after.yaml" and change["revisionSource"]["line"] > 0
        assert set(change) <= {
            "id",
            "text",
            "level",
            "operation",
            "operationId",
            "path",
            "section",
            "baseSource",
            "revisionSource",
            "fingerprint",
            "location",
        }


def test_annotations_point_at_the_changed_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    output = _render("githubactions", capsys, monkeypatch)
    after = (REALISTIC / "after.yaml").read_text(encoding="utf-8").splitlines()
    commands = [line for line in output.splitlines() if line.startswith("::")]
    assert len(commands) == 5  # the ignored change gets no annotation
    for command in commands:
        properties = dict(
            item.split("=", 1) for item in command.split(" ", 1)[1].split("::", 1)[0].split(",")
        )
        assert properties["file"] == "after.yaml"
        line = after[int(properties["line"]) - 1]
        title = properties["title"]
        if title == "request-property-became-required":
            assert line.strip() == "power_on:"  # the property, under RestoreParameters
        if title == "request-property-max-length-decreased":
            assert line.strip() == "maxLength: 128"
    assert commands[0].startswith("::error ")


def test_changelog_groups_by_operation_and_level(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    changelog = _render("changelog", capsys, monkeypatch)
    headings = [line for line in changelog.splitlines() if line.startswith("#")]
    assert headings == [
        "# Contract changelog",
        "## POST /v1/{project_id}/restores (createRestore)",
        "### Breaking changes",
        "### Changes that may break clients",
        "### Other changes",
        "### Accepted changes",
    ]


def _change(message: str, level: Level = Level.ERR) -> Change:
    return Change(
        rule_id="request-property-became-required",
        level=level,
        operation="POST /v1/{project_id}/restores",
        operation_id="createRestore",
        location="request body a",
        message=message,
        method="POST",
        path="/v1/{project_id}/restores",
        revision_source=Source("dir,1/spec:x.yaml", 7, 3),
    )


def test_annotation_text_is_escaped() -> None:
    report = Report([_change("50% of\nclients")], base="a", revision="b", file="dir,1/spec:x.yaml")
    command = render_githubactions(report).splitlines()[0]
    assert command == (
        "::error file=dir%2C1/spec%3Ax.yaml,line=7,title=request-property-became-required"
        "::POST /v1/{project_id}/restores: 50%25 of%0Aclients"
    )


def test_markdown_escapes_table_cells_and_says_when_nothing_changed() -> None:
    table = render_markdown(Report([_change("a | b")], base="a", revision="b", file="x"))
    assert "a \\| b" in table
    empty = render_markdown(Report([], base="a", revision="b", file="x"))
    assert "did not change" in empty and "|" not in empty.split("\n\n")[1]
