"""What kit this is and where its files are, the same way in a checkout and in the installed wheel.

In a checkout the stub is the top-level package `server`, beside `openapi/` and `generated/`. The
wheel (setup.py) installs the same folders under one package, `csbs_kit`: `csbs_kit/server`,
`csbs_kit/tools`, `csbs_kit/openapi`, `csbs_kit/generated`. Either way the contract files lie
beside the stub's package, so one lookup finds them in both.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

KIT_VERSION = "1.2.0"
"""The kit's version (pyproject.toml reads it from here: one place to change it)."""
DISTRIBUTION = "csbs-restore-contract-kit"

# files() of a package on the file system is a pathlib.Path; the kit is not meant to run from a
# zip archive, so the contract can be handed to libraries that want paths (connexion, jsonschema).
KIT_ROOT = Path(str(files(__package__ or "server"))).parent
"""The checkout, or the installed `csbs_kit` package folder."""
CONTRACT_SPEC = KIT_ROOT / "openapi" / "csbs-restore.yaml"
CONTROL_SPEC = KIT_ROOT / "openapi" / "stub-control.yaml"
BREAKING_IGNORE = KIT_ROOT / "openapi" / "breaking-ignore.yaml"
STRICT_SPEC = KIT_ROOT / "generated" / "csbs-restore.strict.yaml"
"""The contract's strict profile (tools/strict_profile.py): the stub answers nothing it does not list."""

STUB_MODULE = __package__ or "server"
"""What `python -m` runs to start the stub: `server` in a checkout, `csbs_kit.server` installed."""
INSTALLED = STUB_MODULE != "server"
LAUNCH_DIR: Path | None = None if INSTALLED else KIT_ROOT
"""Where `python -m STUB_MODULE` (and the contract's hooks module) must run from: the checkout's
root, whose packages are not installed; None once installed (anywhere will do)."""


def contract_version() -> str:
    """The contract's `info.version`, read from the shipped document."""
    from .openapi import parse_yaml  # only `--version` needs the parser

    document = parse_yaml(CONTRACT_SPEC.read_text(encoding="utf-8"))
    info = document.get("info") if isinstance(document, dict) else None
    return str(info.get("version", "unknown")) if isinstance(info, dict) else "unknown"


def version_text(command: str) -> str:
    """What every command prints for `--version`."""
    return f"{command} {KIT_VERSION} (contract {contract_version()})"


def program_name(module_form: str) -> str:
    """How a command names itself in usage lines: its installed name, or `python -m ...` in a checkout."""
    invoked = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return invoked if invoked.startswith("csbs-") else module_form


class _VersionAction(argparse.Action):
    """`--version`, read only when asked (the contract is parsed for its `info.version`)."""

    def __init__(self, option_strings: list[str], dest: str, command: str = "", **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)
        self.command = command

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(version_text(self.command))
        parser.exit()


def add_version_option(parser: argparse.ArgumentParser, command: str) -> None:
    """Give a command `--version`: the kit's version and the contract's."""
    parser.add_argument(
        "--version", action=_VersionAction, command=command, help="print the kit's and the contract's version"
    )
