"""tools/contract/live.py and cli_hooks.py: what `make contract` and `make fuzz-long` show while `st` runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.contract.cli_hooks import Channel
from tools.contract.live import EVENTS_FD_ENV, LiveRun
from tools.harness.progress import Advanced, Counted, Event, PhaseStarted

REPO = Path(__file__).resolve().parents[3]


class Recording:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


def test_lines_from_st_become_phases_and_counts_of_requests_and_errors() -> None:
    recording = Recording()
    live = LiveRun(recording)
    for message in ({"phase": "fuzzing"}, {"status": 200}, {"status": 503}, {"error": "ConnectionError"}):
        live.feed(json.dumps(message).encode() + b"\n")
    live.feed(b"not json\n")
    live.feed(b'{"something": "else"}\n')
    assert recording.events == [
        PhaseStarted("fuzzing"),
        Counted(requests=1, errors=0),
        Advanced(done=1),
        Counted(requests=2, errors=1),
        Advanced(done=2),
        Counted(requests=2, errors=2),
        Advanced(done=2),
    ]


def test_the_channel_writes_lines_to_the_inherited_descriptor_and_nothing_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as lines:
        monkeypatch.setenv(EVENTS_FD_ENV, str(write_end))
        Channel().send({"status": 201})
        monkeypatch.delenv(EVENTS_FD_ENV)
        Channel().send({"status": 500})  # run by hand: no descriptor, nothing written
        os.close(write_end)
        assert [json.loads(line) for line in lines] == [{"status": 201}]


@pytest.mark.slow
def test_a_contract_run_shows_its_phase_and_counts_before_st_ends(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.contract",
            "--max-examples",
            "40",
            "--report-dir",
            str(tmp_path),
            "--progress-interval",
            "1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "CI": "true"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    fuzzing = next(
        i for i, line in enumerate(lines) if line.startswith("[contract]") and "phase: fuzzing" in line
    )
    # The line for the fuzzing phase comes before st's block for it: shown while it ran.
    fuzzing_done = next(i for i, line in enumerate(lines) if "Fuzzing (in" in line)
    assert fuzzing < fuzzing_done
    # It counts the requests of the phases before it (examples and coverage send more than 100).
    requests = int(lines[fuzzing].split(" requests")[0].rsplit(" ", 1)[1].replace(",", ""))
    assert requests > 100, lines[fuzzing]
    last = [line for line in lines if line.startswith("[contract]")][-1]
    assert " 0 errors" in last
    assert any(line.startswith("Schemathesis v") for line in lines)  # st's own output, relayed
    assert "Contract check of the stub" in completed.stdout.split(last, 1)[1]
