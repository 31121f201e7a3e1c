"""tools/harness/progress.py: the plain and the rich reporter, and which one a run gets."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tools.harness.progress import (
    Advanced,
    Counted,
    Noted,
    PhaseStarted,
    PlainReporter,
    ProgressBus,
    ProgressState,
    RichReporter,
    RunFinished,
    RunStarted,
    clock_text,
    reporter_for,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_reporter_prints_one_line_per_interval_with_the_counts_so_far() -> None:
    clock = FakeClock()
    out = io.StringIO()
    reporter = PlainReporter(out, interval=5.0, clock=clock)
    reporter.handle(RunStarted("soak", total=100.0))
    reporter.handle(PhaseStarted("traffic"))
    for second in range(1, 13):
        clock.now += 1
        reporter.handle(Counted(requests=second * 10, errors=second // 4))
        reporter.handle(Advanced(done=float(second)))
        reporter.tick()
    lines = out.getvalue().splitlines()
    # The phase change, then one line at 5 s and one at 10 s: not one per tick.
    assert len(lines) == 3, lines
    assert lines[0] == "[soak] 0:00:00 elapsed, -:--:-- left, 0 requests, 0 errors, phase: traffic"
    assert lines[1] == "[soak] 0:00:05 elapsed, ~0:01:35 left, 50 requests, 1 errors, phase: traffic"
    assert lines[2] == "[soak] 0:00:10 elapsed, ~0:01:30 left, 100 requests, 2 errors, phase: traffic"


def test_plain_reporter_writes_notes_at_once_and_a_last_line_at_the_end() -> None:
    clock = FakeClock()
    out = io.StringIO()
    reporter = PlainReporter(out, interval=60.0, clock=clock)
    reporter.handle(RunStarted("bench"))
    clock.now += 2
    reporter.handle(Noted("round 1  creates  stub-2w  2768.3 req/s [x]"))
    reporter.handle(Counted(requests=27723, errors=0))
    reporter.tick()  # under the interval: no line
    reporter.handle(RunFinished())
    reporter.tick()  # finished: no more lines
    lines = out.getvalue().splitlines()
    assert lines == [
        "round 1  creates  stub-2w  2768.3 req/s [x]",
        "[bench] 0:00:02 elapsed, ~0:00:00 left, 27,723 requests, 0 errors, phase: -",
    ]


def test_remaining_time_follows_the_pace_and_is_unknown_without_a_total() -> None:
    state = ProgressState()
    state.apply(RunStarted("x", total=10), now=0.0)
    assert state.remaining(0.0) is None
    # The time before the first point (starting a server) does not count: the pace is measured
    # from the first point on, 0.1 per second here.
    state.apply(Advanced(done=2), now=30.0)
    assert state.remaining(30.0) is None
    state.apply(Advanced(done=2.1), now=31.0)
    assert state.remaining(31.0) is None  # a pace over one second only: no estimate yet
    state.apply(Advanced(done=3), now=40.0)
    assert state.remaining(40.0) == pytest.approx(70.0)
    state.apply(Advanced(done=3, total=4), now=40.0)
    assert state.remaining(40.0) == pytest.approx(10.0)
    # The clock runs down between two points.
    assert state.remaining(45.0) == pytest.approx(5.0)
    assert state.remaining(60.0) == 0.0
    assert ProgressState(done=3).remaining(5.0) is None
    assert clock_text(3725) == "1:02:05" and clock_text(None) == "-:--:--"


def test_rich_reporter_renders_phase_requests_and_errors_into_the_console() -> None:
    clock = FakeClock()
    console = Console(record=True, force_terminal=True, width=200, file=io.StringIO())
    reporter = RichReporter(console, clock=clock)
    reporter.handle(RunStarted("fuzz-long", total=1000))
    reporter.handle(Advanced(done=0))
    reporter.handle(PhaseStarted("fuzzing"))
    clock.now += 65
    reporter.handle(Counted(requests=4321, errors=7))
    reporter.handle(Advanced(done=500))
    reporter.handle(Noted("✅  Coverage (in 4.29s) [not markup]"))
    reporter.close()
    text = console.export_text()
    assert "✅  Coverage (in 4.29s) [not markup]" in text
    final = [line for line in text.splitlines() if "fuzz-long" in line][-1]
    expected = ("4,321 requests", "7 errors", "phase: fuzzing", "0:01:05 elapsed", "~0:01:05 left", "50%")
    for part in expected:
        assert part in final, final


@pytest.mark.parametrize(
    ("terminal", "environ", "expected"),
    [
        (True, {}, RichReporter),
        (True, {"CI": "true"}, PlainReporter),
        (True, {"CI": "1"}, PlainReporter),
        (True, {"CI": "false"}, RichReporter),
        (False, {}, PlainReporter),
        (False, {"CI": "true"}, PlainReporter),
    ],
)
def test_the_reporter_is_chosen_by_terminal_and_ci(
    terminal: bool, environ: dict[str, str], expected: type
) -> None:
    stream = Terminal() if terminal else io.StringIO()
    reporter = reporter_for(stream, environ=environ)
    assert type(reporter) is expected
    reporter.close()


def test_the_plain_interval_comes_from_the_environment_unless_given() -> None:
    reporter = reporter_for(io.StringIO(), environ={"CSBS_PROGRESS_INTERVAL": "2.5"})
    assert isinstance(reporter, PlainReporter) and reporter.interval == 2.5
    reporter = reporter_for(io.StringIO(), environ={"CSBS_PROGRESS_INTERVAL": "2.5"}, interval=9)
    assert isinstance(reporter, PlainReporter) and reporter.interval == 9


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []
        self.ticks = 0
        self.closed = False

    def handle(self, event: object) -> None:
        self.events.append(event)

    def tick(self) -> None:
        self.ticks += 1

    def close(self) -> None:
        self.closed = True


def test_the_bus_hands_every_event_to_every_reporter_and_closes_them() -> None:
    first, second = Recorder(), Recorder()
    bus = ProgressBus([first, second], tick_seconds=3600)
    bus.open()
    bus.publish(PhaseStarted("a"))
    bus.publish(Counted(1, 0))
    bus.close()
    assert first.events == second.events == [PhaseStarted("a"), Counted(1, 0)]
    assert first.closed and second.closed
