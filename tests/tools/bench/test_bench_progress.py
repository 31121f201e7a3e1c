"""What `make bench` publishes while it measures (tools/bench/compare.py, BenchProgress)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools.bench import compare
from tools.bench.compare import BenchProgress, _measure_server
from tools.bench.loads import example_load
from tools.bench.servers import ceiling_kind
from tools.bench.wrk import WrkResult
from tools.harness.progress import Advanced, Counted, Event, Noted, PhaseStarted, RunStarted


class Recording:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


def _result(requests: int, non_2xx: int = 0, socket_errors: int = 0) -> WrkResult:
    return WrkResult(
        requests=requests,
        duration_s=1.0,
        requests_per_s=float(requests),
        non_2xx=non_2xx,
        socket_errors=socket_errors,
        p50_ms=1.0,
        p90_ms=2.0,
        p99_ms=3.0,
        max_ms=4.0,
        mean_ms=1.0,
    )


def test_the_run_starts_with_its_number_of_measured_runs() -> None:
    recording = Recording()
    BenchProgress(recording, rounds=2).started(steps=12)
    assert recording.events == [RunStarted("bench", total=12), Advanced(done=0)]


def test_measuring_a_server_publishes_its_steps_counts_and_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ceiling starts for real (it answers the probe); wrk is replaced by fixed results, so
    # what is checked is what gets published, not what gets measured.
    results = iter([_result(300, socket_errors=1), _result(1000, non_2xx=2)])
    monkeypatch.setattr(compare, "run_wrk", lambda *args, **kwargs: next(results))
    script = tmp_path / "example.lua"
    script.write_text(example_load().script, encoding="utf-8")
    arguments = argparse.Namespace(
        backups=10, rounds=2, warmup=0.0, duration=1.0, connections=1, wrk_threads=1
    )
    recording = Recording()
    progress = BenchProgress(recording, rounds=2)
    progress.requests, progress.errors, progress.steps_done = 5000, 4, 3  # earlier runs
    (measurement,) = _measure_server(
        ceiling_kind(1), [(example_load(), script)], arguments, 2, "wrk", tmp_path, progress
    )
    assert measurement.server == "ceiling-1w"
    phases = [event.name for event in recording.events if isinstance(event, PhaseStarted)]
    assert phases == [
        "round 2/2: starting ceiling-1w",
        "round 2/2: ceiling-1w, example warm-up",
        "round 2/2: ceiling-1w, example measured",
    ]
    tail = recording.events[len(phases) :]
    assert tail[:2] == [Counted(requests=6300, errors=7), Advanced(done=4)]
    (row,) = tail[2:]
    assert isinstance(row, Noted) and "round 2" in row.text and "ceiling-1w" in row.text
