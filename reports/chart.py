"""The chart of task results by unit (matplotlib, Agg backend, PNG, deterministic)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from reports.snapshot import UnitCounts
from tracking.status import CATEGORY_LABELS, OFFICIAL_CATEGORIES

COLOURS = ("#2e7d32", "#f9a825", "#1565c0", "#c62828", "#757575")
# As many bars as one A4 page holds at the chart's scale. A province has 130 lead units: one
# bar each made a picture 60 inches tall (the document shows its first page), drawn in about
# two seconds, and past about 960 units matplotlib refuses the size (2^16 pixels). The annex's
# table (Biểu 01) has every unit.
MAX_BARS = 20


def _shown(by_unit: list[UnitCounts]) -> list[UnitCounts]:
    """The units the chart shows, in tree order: all, or the MAX_BARS with the most tasks."""
    if len(by_unit) <= MAX_BARS:
        return by_unit
    largest = sorted(range(len(by_unit)), key=lambda index: -by_unit[index].total)[:MAX_BARS]
    return [by_unit[index] for index in sorted(largest)]


def completion_by_unit_png(by_unit: list[UnitCounts]) -> bytes:
    """Horizontal stacked bars: tasks per official category for each lead unit (at most
    MAX_BARS, the chart's title then says which)."""
    shown = _shown(by_unit)
    names = [row.short_name for row in shown][::-1]
    rows = shown[::-1]
    height = 1.2 + 0.45 * max(len(rows), 1)
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "nhiemvu"}):
        figure, axes = plt.subplots(figsize=(6.3, height), dpi=150)
        left = [0] * len(rows)
        for category, colour in zip(OFFICIAL_CATEGORIES, COLOURS, strict=True):
            values = [row.of(category) for row in rows]
            axes.barh(names, values, left=left, color=colour, label=CATEGORY_LABELS[category])
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_xlabel("Số nhiệm vụ")
        if len(shown) < len(by_unit):
            axes.set_title(f"{len(shown)}/{len(by_unit)} đơn vị có nhiều nhiệm vụ nhất")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2, frameon=False, fontsize=8
        )
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(figure)
    return buffer.getvalue()
