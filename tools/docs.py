"""Offline HTML reference of the contract and a bundled single-file JSON of it.

    python -m tools.docs --out build [--spec openapi/csbs-restore.yaml]

writes into OUT:
  csbs-restore.json   the contract as one JSON document; every $ref is local ("#/...")
  index.html          Swagger UI on that document, opened straight from disk (file://)
  spec.js             the same document as a script, so the page needs no fetch (browsers
                      block fetch from file:// pages)
  swagger-ui/         Swagger UI's CSS, JS and icons, copied from the swagger-ui-bundle
                      package (pinned through connexion[swagger-ui]): no CDN, works offline

Exit status 0 on success, 2 when the spec cannot be bundled (unreadable, external or broken
$ref, or a YAML value JSON cannot hold).
"""

from __future__ import annotations

import argparse
import html
import importlib.resources
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from server.openapi import PointerError, child, resolve_pointer

DEFAULT_SPEC = "openapi/csbs-restore.yaml"
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")
ASSET_DIR = "swagger-ui"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{assets}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{assets}/favicon-16x16.png" sizes="16x16">
  <style>body {{ margin: 0; }}</style>
</head>
<body>
  <noscript>This page needs JavaScript; the contract itself is
    <a href="{json_name}">{json_name}</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="spec.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      spec: window.CONTRACT_SPEC,
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      supportedSubmitMethods: [],
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    }});
  </script>
</body>
</html>
"""


class DocsError(Exception):
    """The spec cannot be bundled; the message says where and why."""


def _check_bundle(node: Any, document: dict[str, Any], pointer: str = "") -> None:
    """Every value must be JSON, every mapping key a string, every $ref local and resolvable."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise DocsError(f"#{pointer}: key {key!r} is not a string (quote it in the YAML)")
            if key == "$ref" and isinstance(value, str):
                _check_ref(value, document, pointer)
            _check_bundle(value, document, child(pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _check_bundle(value, document, f"{pointer}/{index}")
    elif node is not None and not isinstance(node, str | int | float | bool):
        raise DocsError(
            f"#{pointer}: {type(node).__name__} value {node!r} has no JSON form (quote it in the YAML)"
        )


def _check_ref(ref: str, document: dict[str, Any], pointer: str) -> None:
    if not ref.startswith("#/"):
        raise DocsError(f"#{pointer}: $ref {ref!r} points outside the file; the contract must be one file")
    try:
        resolve_pointer(document, unquote(ref[1:]))
    except PointerError:
        raise DocsError(f"#{pointer}: $ref {ref!r} does not resolve") from None


def _swagger_ui_dist() -> Path:
    """The swagger-ui-bundle package's dist folder (named after the Swagger UI version it holds)."""
    vendor = Path(str(importlib.resources.files("swagger_ui_bundle") / "vendor"))
    folders = sorted(vendor.glob("swagger-ui-*"))
    if not folders:
        raise DocsError(f"no Swagger UI dist folder in {vendor}; reinstall requirements.lock")
    return folders[-1]


def bundle(spec_path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise DocsError(f"cannot read {spec_path}: {error}") from error
    if not isinstance(document, dict) or "openapi" not in document:
        raise DocsError(f"{spec_path}: not an OpenAPI document")
    _check_bundle(document, document)
    return document


def build(spec_path: Path, out: Path) -> list[Path]:
    """Write the bundle, the page and its assets into `out`; returns the files written."""
    document = bundle(spec_path)
    json_name = spec_path.with_suffix(".json").name
    out.mkdir(parents=True, exist_ok=True)
    (out / ASSET_DIR).mkdir(exist_ok=True)
    written = [out / json_name, out / "spec.js", out / "index.html"]
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    (out / json_name).write_text(text, encoding="utf-8")
    (out / "spec.js").write_text(f"window.CONTRACT_SPEC = {text.rstrip()};\n", encoding="utf-8")
    title = f"{document.get('info', {}).get('title', 'API')} {document.get('info', {}).get('version', '')}"
    page = PAGE.format(title=html.escape(title.strip()), assets=ASSET_DIR, json_name=html.escape(json_name))
    (out / "index.html").write_text(page, encoding="utf-8")
    source = _swagger_ui_dist()
    for name in ASSETS:
        shutil.copyfile(source / name, out / ASSET_DIR / name)
        written.append(out / ASSET_DIR / name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=DEFAULT_SPEC, help=f"the contract (default {DEFAULT_SPEC})")
    parser.add_argument("--out", default="build", help="output folder (default build)")
    args = parser.parse_args(argv)
    try:
        written = build(Path(args.spec), Path(args.out))
    except DocsError as error:
        print(f"docs: error: {error}", file=sys.stderr)
        return 2
    print(f"docs: wrote {len(written)} files into {args.out}/ (open {Path(args.out) / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
