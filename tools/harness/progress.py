"""What a long run is doing while it runs: typed events from the run, thin reporters that show them.

`make soak`, `make bench` and `make fuzz-long` publish events (`RunStarted`, `PhaseStarted`,
`Advanced`, `Counted`, `Noted`, `RunFinished`) to a `Publisher` and print nothing themselves. A
`ProgressBus` hands every event to its reporters and ticks them from a background thread, so
time-driven output (elapsed time, a line every few seconds) goes on while the run is busy:

- `RichReporter`, on a terminal: one live line drawn by rich (phase, bar, elapsed, remaining,
  requests and errors so far), with `Noted` lines printed above it;
- `PlainReporter`, in CI or when the output is a pipe or a file: one plain line every few seconds
  (`--progress-interval`, `CSBS_PROGRESS_INTERVAL`, default 5 s) and at every phase change.

`reporter_for` picks one: rich when the stream is a terminal and `CI` is not set.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn
from rich.text import Text

DEFAULT_INTERVAL_S = 5.0
INTERVAL_ENV = "CSBS_PROGRESS_INTERVAL"
TICK_S = 0.5
"""How often the bus ticks its reporters: often enough for a live display's clock, and the
resolution of the plain reporter's interval."""

MIN_PACE_S = 2.0
"""No remaining time from a pace measured over less: a short first step (a phase of a few
requests) would give an estimate off by minutes."""

Clock = Callable[[], float]


@dataclass(frozen=True)
class RunStarted:
    title: str
    total: float | None = None
    """Units of work the run will do (seconds, steps, requests: whatever `Advanced` counts);
    None when not known, and then no remaining time is shown."""


@dataclass(frozen=True)
class PhaseStarted:
    name: str


@dataclass(frozen=True)
class Advanced:
    done: float
    """Units of work done so far (of `RunStarted.total`)."""
    total: float | None = None
    """A better estimate of the total, when the run learned one."""


@dataclass(frozen=True)
class Counted:
    requests: int
    errors: int
    """Totals so far, not increments: several sources may report, the latest numbers win."""


@dataclass(frozen=True)
class Noted:
    text: str
    """A line for the log: a measured row, another process's output."""


@dataclass(frozen=True)
class RunFinished:
    pass


Event = RunStarted | PhaseStarted | Advanced | Counted | Noted | RunFinished


class Publisher(Protocol):
    def publish(self, event: Event) -> None: ...


class Reporter(Protocol):
    def handle(self, event: Event) -> None: ...

    def tick(self) -> None:
        """Called every `TICK_S` by the bus, events or not."""

    def close(self) -> None: ...


class Silent:
    """A publisher that drops every event (library use, tests that do not look)."""

    def publish(self, event: Event) -> None:
        pass


@dataclass
class ProgressState:
    """What the reporters show, folded from the events."""

    title: str = ""
    phase: str = ""
    requests: int = 0
    errors: int = 0
    done: float = 0.0
    total: float | None = None
    started_at: float | None = None
    finished: bool = False
    first_advance: tuple[float, float] | None = None
    """(time, done) of the first `Advanced`: the pace is measured from there, so the time a run
    spends before its work begins (starting a server) does not skew the estimate."""
    last_advance_at: float | None = None

    def apply(self, event: Event, now: float) -> None:
        if isinstance(event, RunStarted):
            self.title, self.total, self.started_at = event.title, event.total, now
        elif isinstance(event, PhaseStarted):
            self.phase = event.name
        elif isinstance(event, Advanced):
            self.done = event.done
            if event.total is not None:
                self.total = event.total
            if self.first_advance is None:
                self.first_advance = (now, event.done)
            self.last_advance_at = now
        elif isinstance(event, Counted):
            self.requests, self.errors = event.requests, event.errors
        elif isinstance(event, RunFinished):
            self.finished = True

    def elapsed(self, now: float) -> float:
        return 0.0 if self.started_at is None else max(0.0, now - self.started_at)

    def remaining(self, now: float) -> float | None:
        """Seconds left at the pace since the first `Advanced`, counting down between two of
        them; None without a total or before the pace is known (two points `MIN_PACE_S` apart)."""
        if self.finished:
            return 0.0
        if not self.total or self.first_advance is None or self.last_advance_at is None:
            return None
        first_at, first_done = self.first_advance
        if self.done <= first_done or self.last_advance_at - first_at < MIN_PACE_S:
            return None
        pace = (self.done - first_done) / (self.last_advance_at - first_at)
        return max(0.0, (self.total - self.done) / pace - (now - self.last_advance_at))


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def status_line(state: ProgressState, now: float) -> str:
    remaining = state.remaining(now)
    return (
        f"[{state.title}] {clock_text(state.elapsed(now))} elapsed,"
        f" {'' if remaining is None else '~'}{clock_text(remaining)} left,"
        f" {state.requests:,} requests, {state.errors:,} errors, phase: {state.phase or '-'}"
    )


class PlainReporter:
    """A plain line at each phase change, then every `interval` seconds, and at the end."""

    def __init__(self, stream: TextIO, interval: float = DEFAULT_INTERVAL_S, clock: Clock = time.monotonic):
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.state = ProgressState()
        self.last_line_at: float | None = None

    def _line(self, now: float) -> None:
        self.stream.write(status_line(self.state, now) + "\n")
        self.stream.flush()
        self.last_line_at = now

    def handle(self, event: Event) -> None:
        now = self.clock()
        self.state.apply(event, now)
        if isinstance(event, Noted):
            self.stream.write(event.text + "\n")
            self.stream.flush()
        elif isinstance(event, (PhaseStarted, RunFinished)):
            self._line(now)

    def tick(self) -> None:
        now = self.clock()
        started_at = self.state.started_at
        if started_at is None or self.state.finished:
            return
        if now - (started_at if self.last_line_at is None else self.last_line_at) >= self.interval:
            self._line(now)

    def close(self) -> None:
        pass


class RichReporter:
    """A live rich progress line; `Noted` lines print above it."""

    def __init__(self, console: Console, clock: Clock = time.monotonic):
        self.console = console
        self.clock = clock
        self.state = ProgressState()
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            TextColumn("{task.fields[elapsed]} elapsed"),
            TextColumn("{task.fields[remaining]} left"),
            TextColumn("{task.fields[requests]} requests"),
            TextColumn("{task.fields[errors]} errors"),
            TextColumn("phase: {task.fields[phase]}"),
            console=console,
            # Other code may print while the display is live; rich puts those lines above it.
            redirect_stdout=True,
            redirect_stderr=True,
        )
        self.task: TaskID | None = None

    def _refresh(self) -> None:
        if self.task is None:
            return
        now = self.clock()
        state = self.state
        remaining = state.remaining(now)
        self.progress.update(
            self.task,
            description=state.title,
            # rich draws a pulsing bar for an unknown total.
            total=state.total,
            completed=state.done if state.total is None else min(state.done, state.total),
            elapsed=clock_text(state.elapsed(now)),
            remaining=("" if remaining is None else "~") + clock_text(remaining),
            requests=f"{state.requests:,}",
            errors=f"{state.errors:,}",
            phase=state.phase or "-",
        )

    def handle(self, event: Event) -> None:
        self.state.apply(event, self.clock())
        if isinstance(event, RunStarted) and self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(
                event.title, total=event.total, elapsed="", remaining="", requests="0", errors="0", phase="-"
            )
        if isinstance(event, Noted):
            # Not markup: another process's output may hold square brackets.
            self.progress.console.print(Text(event.text), highlight=False)
        self._refresh()
        if isinstance(event, RunFinished):
            self.close()

    def tick(self) -> None:
        self._refresh()

    def close(self) -> None:
        self._refresh()
        self.progress.stop()


def is_ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def reporter_for(
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    interval: float | None = None,
    clock: Clock = time.monotonic,
) -> Reporter:
    """The live display on a terminal, plain lines in CI (`CI` set) or into a pipe or a file."""
    stream = sys.stdout if stream is None else stream
    environ = os.environ if environ is None else environ
    if interval is None:
        interval = float(environ.get(INTERVAL_ENV) or DEFAULT_INTERVAL_S)
    if stream.isatty() and not is_ci(environ):
        return RichReporter(Console(file=stream), clock=clock)
    return PlainReporter(stream, interval=interval, clock=clock)


class ProgressBus:
    """Hands each event to every reporter, and ticks them from a daemon thread while open."""

    def __init__(self, reporters: Sequence[Reporter], tick_seconds: float = TICK_S):
        self.reporters = list(reporters)
        self.tick_seconds = tick_seconds
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._ticks, name="progress-ticks", daemon=True)

    def publish(self, event: Event) -> None:
        with self.lock:
            for reporter in self.reporters:
                reporter.handle(event)

    def _ticks(self) -> None:
        while not self.stopped.wait(self.tick_seconds):
            with self.lock:
                for reporter in self.reporters:
                    reporter.tick()

    def open(self) -> ProgressBus:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        with self.lock:
            for reporter in self.reporters:
                reporter.close()


@contextmanager
def progress_bus(
    stream: TextIO | None = None, interval: float | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[ProgressBus]:
    """A bus with the reporter `reporter_for` picks, ticking until the block ends."""
    bus = ProgressBus([reporter_for(stream, environ=environ, interval=interval)]).open()
    try:
        yield bus
    finally:
        bus.close()
