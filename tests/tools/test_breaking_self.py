"""Every document this kit has, compared with itself, reports nothing and does not crash.

The documents: the contract, the stub's control API, and both sides of every fixture pair
(hundreds of small documents that between them use every construct the rules look at). Each
is compared with itself as loaded, and with its JSON rendering (same content, other syntax).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from breaking_helpers import CONTRACT, FIXTURES, REPO, run_cli

from tools.breaking import compare, load_file, parse_spec

DOCUMENTS = sorted(
    {
        CONTRACT,
        *(
            path
            for path in (REPO / "openapi").glob("*.yaml")
            if path.read_text(encoding="utf-8").startswith("openapi:")
        ),
        *FIXTURES.glob("**/before.yaml"),
        *FIXTURES.glob("**/after.yaml"),
    }
    - {REPO / "openapi" / "breaking-ignore.yaml"}
)


def test_there_are_many_documents() -> None:
    assert len(DOCUMENTS) > 500


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_document_compared_with_itself_reports_nothing(path: Path) -> None:
    spec = load_file(path)
    assert compare(spec, load_file(path)) == []
    as_json = parse_spec(
        json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str), "json", "x.json"
    )
    assert compare(spec, as_json) == []
    assert compare(as_json, spec) == []


def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dangling = tmp_path / "dangling.yaml"
    dangling.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n"
        "        '200':\n          description: ok\n          content:\n            application/json:\n"
        "              schema: {$ref: '#/components/schemas/Nope'}\n",
        encoding="utf-8",
    )
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        dangling.read_text(encoding="utf-8").replace("#/components/schemas/Nope", "./nope.yaml")
    )
    for bad in (dangling, missing):
        run = run_cli(["--old", str(bad), "--new", str(bad), "--no-ignore"], capsys)
        assert run.code == 2 and run.out == ""
        assert len(run.err.strip().splitlines()) == 1 and run.err.startswith("breaking: error: ")
