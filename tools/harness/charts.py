"""Charts of the long runs as SVG: matplotlib (the `bench` extra), drawn the same way every time.

The same report gives the same bytes: the SVG ids come from a fixed salt (`svg.hashsalt`), no date
is written (`metadata={"Date": None}`), and text stays text (`svg.fonttype: none`) rather than
glyph paths, so a chart can be diffed, searched and checked by tests. Figures are drawn on the
Agg canvas without pyplot: no GUI backend and no global figure state.
"""

from __future__ import annotations

import io
from collections.abc import Callable
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
