"""tools/soak_chart.py: the chart of a soak run marks every kill and is the same on every draw."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tools.soak_chart import main, rates, soak_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def fixture_report(kills: list[float]) -> dict[str, Any]:
    timeline = []
    sent = served = 0
    for second in range(13):
        down = any(at <= second < at + 2 for at in kills)
        sent += 40
        served += 0 if down else 40
        point = {"t_s": float(second), "sent": sent, "served": served, "unanswered": sent - served}
        timeline.append({**point, "violations": 0})
    return {
        "minutes": 0.2,
        "workers": 2,
        "clients": 4,
        "requests_sent": sent,
        "requests_served": served,
        "creates_acknowledged": 10,
        "kills_survived": len(kills),
        "violations": {},
        "timeline": timeline,
        "kills_at_s": kills,
    }


def texts(svg: str) -> list[str]:
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")]


def ids(svg: str) -> set[str]:
    return {element.get("id", "") for element in ET.fromstring(svg).iter()}


def test_every_kill_is_a_line_on_both_plots_and_a_label() -> None:
    kills = [2.5, 6.0, 9.5]
    svg = soak_chart_svg(fixture_report(kills))
    for number in (1, 2, 3):
        assert {f"kill-{number}-served", f"kill-{number}-errors"} <= ids(svg)
        assert f"kill -9 #{number}" in texts(svg)
    assert "kill-4-served" not in ids(svg)
    assert any("3 kills" in text and "PASS" in text for text in texts(svg))


def test_rates_are_per_second_and_skip_the_stub_stop_sliver() -> None:
    timeline = [
        {"t_s": 0.0, "served": 0.0},
        {"t_s": 2.0, "served": 100.0},
        {"t_s": 3.0, "served": 100.0},
        {"t_s": 3.01, "served": 120.0},  # the clients' last answers after the last full second
    ]
    assert rates(timeline, "served") == ([2.0, 3.0], [50.0, 0.0])


def test_the_same_report_gives_the_same_bytes() -> None:
    report = fixture_report([4.0])
    assert soak_chart_svg(report) == soak_chart_svg(report)


def test_a_report_without_a_timeline_is_refused() -> None:
    with pytest.raises(ValueError, match="timeline"):
        soak_chart_svg({"kills_at_s": [1.0]})


def test_the_command_draws_the_chart_beside_the_report(tmp_path: Path) -> None:
    report_path = tmp_path / "soak-20261203T000000Z.json"
    report_path.write_text(json.dumps(fixture_report([3.0])), encoding="utf-8")
    assert main([str(report_path)]) == 0
    assert "kill -9 #1" in texts((tmp_path / "soak-20261203T000000Z.svg").read_text(encoding="utf-8"))
