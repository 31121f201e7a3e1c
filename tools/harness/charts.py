"""Charts of the long runs as SVG: matplotlib (the `bench` extra), drawn the same way every time.

The same report gives the same bytes: the SVG ids come from a fixed salt (`svg.hashsalt`), no date
is written (`metadata={"Date": None}`), and text stays text (`svg.fonttype: none`) rather than
glyph paths, so a chart can be diffed, searched and checked by tests. Figures are drawn on the
Agg canvas without pyplot: no GUI backend and no global figure state.
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

HASH_SALT = "csbs-restore-contract-kit"
STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": HASH_SALT,
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def render_svg(draw: Callable[[Figure], None], size: tuple[float, float]) -> str:
    """The SVG text of a figure of `size` inches that `draw` fills."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(figure)
        draw(figure)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def write_beside(report_path: Path, to_svg: Callable[[dict[str, Any]], str], out: Path | None = None) -> Path:
    """Draw the chart of the JSON report at `report_path`, by default beside it as `<same name>.svg`."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    target = out or report_path.with_suffix(".svg")
    target.write_text(to_svg(report), encoding="utf-8")
    return target


def redraw_command(
    argv: Sequence[str] | None, *, prog: str, description: str, kind: str, write: Callable[[Path], Path]
) -> int:
    """`python -m ... REPORT...`: re-draw the chart beside each report, printing where it went."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("report", type=Path, nargs="+", help=f"a {kind} report (JSON)")
    for path in parser.parse_args(argv).report:
        print(write(path))
    return 0
