"""Shared paths and a CLI runner for the tools.breaking tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.breaking.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RULE_FIXTURES = FIXTURES / "rules"
REALISTIC = FIXTURES / "realistic"
GOLDEN = FIXTURES / "golden"
CONTRACT = REPO / "openapi" / "csbs-restore.yaml"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(args: Sequence[str], capsys: pytest.CaptureFixture[str]) -> Run:
    capsys.readouterr()  # drop anything printed before
    code = main(list(args))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)
