"""tools/bench/chart.py: the chart of a bench report names every server and marks its ratios."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tools.bench.chart import bench_chart_svg, chart_rows, main
from tools.bench.compare import Measurement, ratios
from tools.bench.wrk import WrkResult

REPO = Path(__file__).resolve().parents[3]
SVG = "{http://www.w3.org/2000/svg}"


def _measurement(server: str, rps: float, p99: float, round_number: int = 1) -> Measurement:
    result = WrkResult(
        requests=int(rps * 10),
        duration_s=10.0,
        requests_per_s=rps,
        non_2xx=0,
        socket_errors=0,
        p50_ms=1.0,
        p90_ms=2.0,
        p99_ms=p99,
        max_ms=p99 * 2,
        mean_ms=1.0,
    )
    return Measurement(round_number, server, "creates", result, result, 0.0, server_cpu_s=1.0)


def fixture_report() -> dict[str, Any]:
    measurements = [
        _measurement("stub-2w", 2100, 9),
        _measurement("stub-1w", 1400, 30),
        _measurement("prism", 1000, 20),
        _measurement("ceiling-2w", 8400, 5),
        _measurement("ceiling-1w", 5000, 4),
    ]
    servers = {m.server: f"the {m.server}" for m in measurements}
    return {
        "generated_at": "2026-12-03T00:00:00+00:00",
        "machine": {"cpus": 2},
        "config": {"all_workers": 2, "duration_s": 10.0, "connections": 32},
        "servers": servers,
        "loads": {"creates": "real creates"},
        "measurements": [m.as_dict() for m in measurements],
        "ratios": ratios(measurements, 2),
    }


def texts(svg: str) -> list[str]:
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_chart_names_every_server_and_carries_the_ratios_to_prism_and_the_ceiling() -> None:
    shown = texts(bench_chart_svg(fixture_report()))
    for server in ("stub-2w", "stub-1w", "prism", "ceiling-2w", "ceiling-1w"):
        assert server in shown
    # req/s: 2100 / 1000 Prism, 2100 / 8400 ceiling; p99: 9 / 20 ms.
    assert "2.10x Prism, 0.25x ceiling" in shown
    assert "1.40x Prism, 0.28x ceiling" in shown
    assert "0.45x Prism" in shown and "1.50x Prism" in shown
    assert "8.40x Prism" in shown  # the ceiling against Prism; no ratio of Prism to itself
    assert not any(re.fullmatch(r"1\.00x Prism.*", text) for text in shown)
    assert "creates, 2 workers: requests/s" in shown and "creates, 1 worker: p99 latency" in shown


def test_rows_are_per_load_and_worker_count_with_prism_in_each() -> None:
    assert chart_rows(fixture_report()) == [
        ("creates", 2, ["stub-2w", "prism", "ceiling-2w"]),
        ("creates", 1, ["stub-1w", "prism", "ceiling-1w"]),
    ]


def test_the_same_report_gives_the_same_bytes() -> None:
    assert bench_chart_svg(fixture_report()) == bench_chart_svg(fixture_report())


def test_the_command_draws_the_chart_beside_the_report(tmp_path: Path) -> None:
    report = tmp_path / "bench-20261203T000000Z.json"
    report.write_text(json.dumps(fixture_report()), encoding="utf-8")
    assert main([str(report)]) == 0
    assert "2.10x Prism, 0.25x ceiling" in texts((tmp_path / "bench-20261203T000000Z.svg").read_text())


def test_performance_md_shows_the_chart_of_the_report_it_quotes() -> None:
    page = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    quoted = re.search(r"\(`docs/performance-data/(bench-\d{8}T\d{6}Z)\.json`\)", page)
    assert quoted, "the summary names the report it quotes"
    stem = quoted.group(1)
    assert f"](performance-data/{stem}.svg)" in page
    report = json.loads((REPO / "docs" / "performance-data" / f"{stem}.json").read_text(encoding="utf-8"))
    chart = (REPO / "docs" / "performance-data" / f"{stem}.svg").read_text(encoding="utf-8")
    # Drawn from that report by `python -m tools.bench.chart`, not edited by hand.
    assert chart == bench_chart_svg(report)
