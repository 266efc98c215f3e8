"""The chart of task results by unit (matplotlib, Agg backend, PNG, deterministic)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MaxNLocator

from reports.snapshot import UnitCounts
from tracking.status import CATEGORY_LABELS, OFFICIAL_CATEGORIES

COLOURS = ("#2e7d32", "#f9a825", "#1565c0", "#c62828", "#757575")
# As many bars as one A4 page holds at the chart's scale. A province has 130 lead units: one
# bar each made a picture 60 inches tall (the document shows its first page), drawn in about
# two seconds, and past about 960 units matplotlib refuses the size (2^16 pixels). The annex's
# table (Biểu 01) has every unit.
MAX_BARS = 20
# The layout, in inches: the figure's width (150 mm in the document), each bar's row, the room
# above the bars (the title), below them (ticks, axis label and the legend's three rows), and
# between the longest unit name and the axis; the right margin as a fraction of the width.
WIDTH_IN, BAR_IN, TOP_IN, BOTTOM_IN, NAMES_GAP_IN = 6.3, 0.3, 0.4, 1.15, 0.2
RIGHT_MARGIN = 0.03
DPI = 150
FONT_FAMILY, FONT_SIZE = "DejaVu Sans", 9


def _shown(by_unit: list[UnitCounts]) -> list[UnitCounts]:
    """The units the chart shows, in tree order: all, or the MAX_BARS with the most tasks."""
    if len(by_unit) <= MAX_BARS:
        return by_unit
    largest = sorted(range(len(by_unit)), key=lambda index: -by_unit[index].total)[:MAX_BARS]
    return [by_unit[index] for index in sorted(largest)]


def completion_by_unit_png(by_unit: list[UnitCounts]) -> bytes:
    """Horizontal stacked bars: tasks per official category for each lead unit (at most
    MAX_BARS, the chart's title then says which), the legend under them.

    Laid out by hand, in inches, from the width of the longest name: tight_layout drew the
    figure once more to measure it (a fifth of the chart's time), and the legend it placed
    under the axes at a fraction of their height left a gap growing with the bars."""
    shown = _shown(by_unit)
    names = [row.short_name for row in shown][::-1]
    rows = shown[::-1]
    height = TOP_IN + BAR_IN * max(len(rows), 1) + BOTTOM_IN
    with plt.rc_context({"font.family": FONT_FAMILY, "font.size": FONT_SIZE}):
        figure = plt.figure(figsize=(WIDTH_IN, height), dpi=DPI)
        font = FontProperties(family=FONT_FAMILY, size=FONT_SIZE)
        names_pt = max(
            (
                text_to_path.get_text_width_height_descent(name, font, ismath=False)[0]
                for name in names
            ),
            default=0,
        )
        # A name longer than half the width is cut at the figure's edge, the bars keep half.
        left = min((names_pt / 72 + NAMES_GAP_IN) / WIDTH_IN, 0.5)
        axes = figure.add_axes(
            (left, BOTTOM_IN / height, 1 - RIGHT_MARGIN - left, 1 - (TOP_IN + BOTTOM_IN) / height)
        )
        start = [0] * len(rows)
        for category, colour in zip(OFFICIAL_CATEGORIES, COLOURS, strict=True):
            values = [row.of(category) for row in rows]
            axes.barh(names, values, left=start, color=colour, label=CATEGORY_LABELS[category])
            start = [a + b for a, b in zip(start, values, strict=True)]
        axes.set_xlabel("Số nhiệm vụ")
        if len(shown) < len(by_unit):
            axes.set_title(f"{len(shown)}/{len(by_unit)} đơn vị có nhiều nhiệm vụ nhất")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        handles, _ = axes.get_legend_handles_labels()
        figure.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=8)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(figure)
    return buffer.getvalue()
