"""`python -m server` (and so `make serve`) starts the configuration docs/performance.md measures."""

from __future__ import annotations

import os

from server.cli import build_parser, default_workers


def test_workers_default_to_one_per_cpu_and_one_in_memory() -> None:
    assert build_parser().parse_args([]).workers is None
    assert default_workers(in_memory=False) == max(1, os.cpu_count() or 1)
    assert default_workers(in_memory=True) == 1
    assert build_parser().parse_args(["--workers", "3"]).workers == 3
