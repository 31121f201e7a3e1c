"""The chart of a `make bench` report: requests/s and p99 per server, load and worker count.

    python -m tools.bench.chart docs/performance-data/bench-<stamp>.json   # writes bench-<stamp>.svg

One row per load and worker count (the stub and the ceiling with that many workers, the PostgreSQL
stub and the proxy with the default workers, Prism in every row as the reference); on the left
grouped bars of requests/s, one bar per round, on the right p99 on a log scale. Each bar carries
its ratio to Prism and, for the stub, to the ceiling of the same round, as the report computed
them: ratios are only ever taken within one round (tools/bench/compare.py).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tools.harness.charts import redraw_command, render_svg, write_beside

ROUND_COLOURS = ("#2471a3", "#85c1e9", "#1e8449", "#82e0aa", "#b9770e", "#f8c471")
ROW_HEIGHT_IN = 3.4
WORKERS_SUFFIX = re.compile(r"-(\d+)w$")


def workers_of(server: str, all_workers: int) -> int | None:
    """The worker count a server's row is for; None for Prism, which belongs to every row."""
    match = WORKERS_SUFFIX.search(server)
    if match:
        return int(match.group(1))
    if server == "prism":
        return None
    return all_workers  # stub-pg and the proxy run the default workers


def ratio_label(row: Mapping[str, Any] | None, metric: str) -> str:
    """What a bar is annotated with: its ratios to Prism (and the ceiling) of the same round."""
    if row is None or row["server"] == "prism":
        return ""
    if metric == "rps":
        parts = [
            f"{row[key]:.2f}x {name}"
            for key, name in (("rps_vs_prism", "Prism"), ("rps_vs_ceiling", "ceiling"))
            if row.get(key) is not None
        ]
    else:
        parts = [f"{row['p99_vs_prism']:.2f}x Prism"] if row.get("p99_vs_prism") is not None else []
    return ", ".join(parts)


def chart_rows(report: Mapping[str, Any]) -> list[tuple[str, int, list[str]]]:
    """(load, workers, servers in report order) for every row of the chart."""
    all_workers = int(report["config"]["all_workers"])
    servers = list(report.get("servers") or {})
    measured = {(m["load"], m["server"]) for m in report["measurements"]}
    for m in report["measurements"]:
        if m["server"] not in servers:
            servers.append(m["server"])
    loads = list(report.get("loads") or dict.fromkeys(m["load"] for m in report["measurements"]))
    counts = sorted({w for s in servers if (w := workers_of(s, all_workers)) is not None}, reverse=True)
    rows = []
    for load in loads:
        for count in counts:
            members = [
                s for s in servers if (load, s) in measured and workers_of(s, all_workers) in (count, None)
            ]
            if any(workers_of(s, all_workers) == count for s in members):
                rows.append((load, count, members))
    return rows


def _bars(
    axes: Axes,
    servers: list[str],
    rounds: list[int],
    values: Mapping[tuple[int, str], float],
    labels: Mapping[tuple[int, str], str],
) -> None:
    width = 0.8 / len(rounds)
    for index, round_number in enumerate(rounds):
        offsets = [x - 0.4 + width * (index + 0.5) for x in range(len(servers))]
        heights = [values.get((round_number, server), 0.0) for server in servers]
        bars = axes.bar(
            offsets,
            heights,
            width=width * 0.92,
            color=ROUND_COLOURS[index % len(ROUND_COLOURS)],
            label=f"round {round_number}",
        )
        for bar, server in zip(bars, servers, strict=True):
            label = labels.get((round_number, server), "")
            if label:
                axes.annotate(
                    label,
                    xy=(bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 3),
                    textcoords="offset points",
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=6.5,
                )
    axes.set_xticks(range(len(servers)), servers, rotation=20, ha="right")


def bench_chart_svg(report: Mapping[str, Any]) -> str:
    rows = chart_rows(report)
    if not rows:
        raise ValueError("the report holds no measurements")
    rounds = sorted({int(m["round"]) for m in report["measurements"]})
    ratio_rows = {(r["round"], r["load"], r["server"]): r for r in report.get("ratios") or []}

    def draw(figure: Figure) -> None:
        grid = figure.subplots(len(rows), 2, squeeze=False)
        for (load, workers, servers), (rps_axes, p99_axes) in zip(rows, grid, strict=True):
            rps: dict[tuple[int, str], float] = {}
            p99: dict[tuple[int, str], float] = {}
            for m in report["measurements"]:
                if m["load"] == load and m["server"] in servers:
                    rps[(m["round"], m["server"])] = m["requests_per_s"]
                    p99[(m["round"], m["server"])] = m["p99_ms"]
            rps_labels = {key: ratio_label(ratio_rows.get((key[0], load, key[1])), "rps") for key in rps}
            p99_labels = {key: ratio_label(ratio_rows.get((key[0], load, key[1])), "p99") for key in p99}
            _bars(rps_axes, servers, rounds, rps, rps_labels)
            rps_axes.set_title(f"{load}, {workers} worker{'s' if workers != 1 else ''}: requests/s")
            rps_axes.set_ylabel("requests/s (higher is better)")
            # Room above the tallest bar for its rotated label.
            rps_axes.set_ylim(0, max(rps.values(), default=1.0) * 1.7)
            _bars(p99_axes, servers, rounds, p99, p99_labels)
            p99_axes.set_yscale("log")
            p99_axes.set_title(f"{load}, {workers} worker{'s' if workers != 1 else ''}: p99 latency")
            p99_axes.set_ylabel("p99, ms, log scale (lower is better)")
            low = min(p99.values(), default=1.0)
            high = max(p99.values(), default=1.0)
            p99_axes.set_ylim(low / 2, high * 30)
        grid[0][0].legend(loc="upper right", fontsize=7)
        config = report.get("config") or {}
        figure.suptitle(
            f"make bench, {report.get('generated_at', '')}: {len(rounds)} rounds,"
            f" {config.get('duration_s', '?')} s measured per run, wrk {config.get('connections', '?')}"
            f" connections, {(report.get('machine') or {}).get('cpus', '?')} CPUs"
        )

    return render_svg(draw, (12, ROW_HEIGHT_IN * len(rows) + 0.6))


def write_bench_chart(report_path: Path, out: Path | None = None) -> Path:
    """Draw the chart of the report at `report_path`, by default beside it as `<same name>.svg`."""
    return write_beside(report_path, bench_chart_svg, out)


def main(argv: Sequence[str] | None = None) -> int:
    return redraw_command(
        argv,
        prog="python -m tools.bench.chart",
        description=__doc__.split("\n\n")[0],
        kind="bench",
        write=write_bench_chart,
    )


if __name__ == "__main__":
    sys.exit(main())
