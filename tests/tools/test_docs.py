"""`make docs`: an offline HTML reference and a single-file JSON bundle equal to the YAML contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from breaking_helpers import CONTRACT, REPO
from openapi_spec_validator import validate

from tools.docs import main

ASSET_ATTRIBUTES = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")}


class _Assets(HTMLParser):
    """Collects what the page loads: script sources, stylesheets and icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if (tag, name) in ASSET_ATTRIBUTES and value is not None:
                self.urls.append(value)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "build"
    assert main(["--spec", str(CONTRACT), "--out", str(out)]) == 0
    return out


def test_html_loads_only_local_assets_that_exist(built: Path) -> None:
    page = (built / "index.html").read_text(encoding="utf-8")
    parser = _Assets()
    parser.feed(page)
    assert len(parser.urls) >= 4  # stylesheet, icons, Swagger UI, the spec script
    for url in parser.urls:
        assert not re.match(r"^([a-z]+:)?//", url, re.IGNORECASE), f"remote asset {url}"
        assert (built / url).is_file(), f"missing asset {url}"
    assert "http://" not in page and "https://" not in page


def test_css_pulls_nothing_from_the_network(built: Path) -> None:
    css = (built / "swagger-ui" / "swagger-ui.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    assert all(url.startswith("data:") for url in urls)
    assert "@import" not in css


def test_json_bundle_is_valid_openapi_equal_to_the_yaml(built: Path) -> None:
    bundled = json.loads((built / "csbs-restore.json").read_text(encoding="utf-8"))
    validate(bundled)
    assert bundled == yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    refs = re.findall(r'"\$ref":\s*"([^"]*)"', json.dumps(bundled))
    assert refs and all(ref.startswith("#/") for ref in refs)


def test_page_script_carries_the_same_document(built: Path) -> None:
    script = (built / "spec.js").read_text(encoding="utf-8")
    prefix = "window.CONTRACT_SPEC = "
    assert script.startswith(prefix) and script.rstrip().endswith(";")
    embedded = json.loads(script[len(prefix) :].rstrip().rstrip(";"))
    assert embedded == json.loads((built / "csbs-restore.json").read_text(encoding="utf-8"))
    assert "CONTRACT_SPEC" in (built / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: 3.0.3\npaths:\n  /x: {$ref: 'other.yaml#/paths/x'}\n", "points outside the file"),
        (
            "openapi: 3.0.3\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n",
            "does not resolve",
        ),
        (
            "openapi: 3.0.3\npaths:\n  /x:\n    get:\n      responses:\n        200: {description: ok}\n",
            "not a string",
        ),
        ("openapi: 3.0.3\ninfo: {title: t, version: 2024-01-01}\n", "has no JSON form"),
        ("openapi: [", "cannot read"),
        ("title: not openapi\n", "not an OpenAPI document"),
    ],
)
def test_unbundlable_spec_is_a_clear_error(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    assert main(["--spec", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.docs", "--out", str(tmp_path / "build")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "build" / "index.html").is_file()
