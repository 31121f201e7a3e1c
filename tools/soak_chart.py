"""The chart of a soak run: requests/s and errors per second over time, a line at every kill -9.

    python -m tools.soak_chart reports/soak/soak-<stamp>.json   # writes soak-<stamp>.svg beside it

`make soak` draws it after every run; this re-draws it from any report that has a timeline.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from tools.harness.charts import redraw_command, render_svg, write_beside
from tools.soak import SoakReport

KILL_COLOUR = "#c0392b"
MIN_SPAN_S = 0.5


def rates(timeline: Sequence[Mapping[str, float]], key: str) -> tuple[list[float], list[float]]:
    """Per-second rates of one running total: (end of each interval, rate over it)."""
    times: list[float] = []
    values: list[float] = []
    for before, after in itertools.pairwise(timeline):
        span = after["t_s"] - before["t_s"]
        # The last point follows the one before by however long the clients took to stop: a
        # rate over a few milliseconds would be noise drawn as a spike.
        if span >= MIN_SPAN_S:
            times.append(after["t_s"])
            values.append((after[key] - before[key]) / span)
    return times, values


def soak_chart_svg(report: Mapping[str, Any]) -> str:
    timeline: list[Mapping[str, float]] = report.get("timeline") or []
    if len(timeline) < 2:
        raise ValueError("the report has no timeline (a soak run before charts, or one that never ran)")
    kills: list[float] = report.get("kills_at_s") or []

    def draw(figure: Figure) -> None:
        served_axes, error_axes = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
        times, served = rates(timeline, "served")
        served_axes.plot(times, served, color="#2471a3", linewidth=1.2, label="requests/s answered")
        served_axes.set_ylabel("requests/s")
        served_axes.set_ylim(bottom=0)
        times, unanswered = rates(timeline, "unanswered")
        error_axes.plot(times, unanswered, color="#7f8c8d", linewidth=1.0, label="no answer/s (stub down)")
        times, violations = rates(timeline, "violations")
        error_axes.plot(times, violations, color=KILL_COLOUR, linewidth=1.2, label="errors/s (violations)")
        error_axes.set_ylabel("per second")
        error_axes.set_xlabel("seconds since traffic began")
        error_axes.set_ylim(bottom=0)
        for number, at in enumerate(kills, start=1):
            for axes in (served_axes, error_axes):
                line = axes.axvline(at, color=KILL_COLOUR, linestyle="--", linewidth=0.9)
                line.set_gid(f"kill-{number}-{'served' if axes is served_axes else 'errors'}")
            served_axes.annotate(
                f"kill -9 #{number}",
                xy=(at, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                rotation=90,
                va="top",
                color=KILL_COLOUR,
            )
        served_axes.legend(loc="lower left")
        error_axes.legend(loc="upper left")
        verdict = "PASS" if _passed(report) else "FAIL"
        served_axes.set_title(
            f"soak: {report.get('minutes', 0):g} min, {report.get('workers')} workers,"
            f" {report.get('clients')} clients, {len(kills)} kills, {report.get('requests_served', 0):,}"
            f" requests answered, {sum((report.get('violations') or {}).values())} violations: {verdict}"
        )

    return render_svg(draw, (10, 5.5))


def _passed(report: Mapping[str, Any]) -> bool:
    known = {field.name for field in dataclasses.fields(SoakReport)}
    return SoakReport(**{key: value for key, value in report.items() if key in known}).ok


def write_soak_chart(report_path: Path) -> Path:
    """Draw the chart of the report at `report_path` beside it, as `<same name>.svg`."""
    return write_beside(report_path, soak_chart_svg)


def main(argv: Sequence[str] | None = None) -> int:
    return redraw_command(
        argv,
        prog="python -m tools.soak_chart",
        description=__doc__.split("\n\n")[0],
        kind="soak",
        write=write_soak_chart,
    )


if __name__ == "__main__":
    sys.exit(main())
