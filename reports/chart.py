"""The chart of task results by unit (matplotlib, Agg backend, PNG, deterministic).

Drawn at its printed width (the DOCX places it 150 mm wide) so its type is the size on paper:
11 pt serif like the document. Laid out by hand from the measured size of its texts: the unit
names on the left, under the bars the tick labels, the axis label and the legend, each in its
own band, and nothing outside the figure.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.textpath import text_to_path
from matplotlib.ticker import FuncFormatter, MaxNLocator

from reports.snapshot import UnitCounts
from tracking.status import CATEGORY_LABELS, OFFICIAL_CATEGORIES

COLOURS = ("#2e7d32", "#f9a825", "#1565c0", "#c62828", "#757575")
# The document's face is Times New Roman; Liberation Serif has its metrics and the Vietnamese
# letters (Debian fonts-liberation), DejaVu Serif ships with matplotlib.
FONT_FAMILIES = ("Liberation Serif", "Times New Roman", "DejaVu Serif")
FONT_SIZE = 11
WIDTH_MM = 150
WIDTH_IN = WIDTH_MM / 25.4
DPI = 150
# At most this many bars (a province has 130 lead units; the annex's table, Biểu 01, has every
# unit), and fewer when long names take two lines: the chart and its caption stay on one page
# of A4 (257 mm of text height) at MAX_HEIGHT_IN.
MAX_BARS = 20
MAX_HEIGHT_IN = 9.0
# The layout, in inches: the margin round the figure, a bar's thickness, the room between a
# row's lines of name and its neighbours, the gap between the axis label and the legend.
MARGIN_IN, BAR_IN, ROW_GAP_IN, LEGEND_GAP_IN = 0.05, 0.18, 0.1, 0.12
# A name wider than this takes two lines, then is cut with "…". The room a page leaves for
# bars is MAX_HEIGHT_IN less what lies above and below them (about 1.6 inches at 11 pt).
NAMES_IN, NAME_LINES = 0.45 * WIDTH_IN, 2
OUTSIDE_BARS_IN = 1.6
LINE_SPACING = 1.1
# The least room between two tick labels.
TICK_GAP_IN = 0.25
TOTAL_PAD_PT = 3


@functools.cache
def font_families() -> tuple[str, ...]:
    """FONT_FAMILIES that are installed, in order (naming one that is not logs a warning at
    every text)."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return tuple(name for name in FONT_FAMILIES if name in installed)


def _font() -> FontProperties:
    return FontProperties(family=list(font_families()), size=FONT_SIZE)


@functools.lru_cache(maxsize=4096)
def _width_in(text: str) -> float:
    """The text's width at FONT_SIZE, without drawing it."""
    width = text_to_path.get_text_width_height_descent(text, _font(), ismath=False)[0]
    return float(width) / 72


def _number(value: int) -> str:
    """12.269: Vietnamese thousands."""
    return f"{value:,}".replace(",", ".")


def _wrap(text: str, *, width_in: float, lines: int) -> str:
    """The text in at most `lines` lines no wider than width_in, the last one cut with "…".

    A line's width is taken as its words' and spaces' widths added (measuring each candidate
    line took a second for a province's names); the kerning lost is well under the margin."""
    if _width_in(text) <= width_in:
        return text
    space = _width_in("a a") - _width_in("aa")
    result: list[list[str]] = [[]]
    used = 0.0
    for word in text.split():
        width = _width_in(word)
        if result[-1] and used + space + width > width_in:
            result.append([])
            used = 0.0
        used += (space if result[-1] else 0) + width
        result[-1].append(word)
    kept = [" ".join(words) for words in result[:lines]]
    if len(result) > lines:
        kept[-1] += "…"
    while _width_in(kept[-1]) > width_in and len(kept[-1]) > 1:
        kept[-1] = kept[-1][:-2].rstrip() + "…"
    return "\n".join(kept)


def _pitch(names: list[str]) -> float:
    """A row's height in inches: the most lines a name has, or a bar, and the gap."""
    lines = max(name.count("\n") + 1 for name in names)
    return max(lines * FONT_SIZE * LINE_SPACING / 72, BAR_IN) + ROW_GAP_IN


@dataclass(frozen=True)
class _Bars:
    """What the chart draws: rows top to bottom, each category's segment in every row."""

    names: list[str]
    segments: list[tuple[str, str, list[int]]]
    title: str
    legend: bool

    @property
    def totals(self) -> list[int]:
        return [
            sum(values[row] for _, _, values in self.segments) for row in range(len(self.names))
        ]


def _by_unit(by_unit: list[UnitCounts]) -> _Bars:
    """Stacked bars, one per unit in tree order: all units, or as many of those with the most
    tasks as MAX_BARS and the page's height allow."""
    ranked = sorted(range(len(by_unit)), key=lambda index: -by_unit[index].total)
    shown = min(len(by_unit), MAX_BARS)
    while True:
        rows = [by_unit[index] for index in sorted(ranked[:shown])]
        names = [_wrap(row.short_name, width_in=NAMES_IN, lines=NAME_LINES) for row in rows]
        fits = int((MAX_HEIGHT_IN - OUTSIDE_BARS_IN) / _pitch(names))
        if shown <= fits:
            break
        shown = fits
    segments = [
        (CATEGORY_LABELS[category], colour, [row.of(category) for row in rows])
        for category, colour in zip(OFFICIAL_CATEGORIES, COLOURS, strict=True)
    ]
    title = f"{shown}/{len(by_unit)} đơn vị có nhiều nhiệm vụ nhất" if shown < len(by_unit) else ""
    return _Bars(names, segments, title, legend=True)


def _by_category(unit: UnitCounts) -> _Bars:
    """One unit: a bar per category (one stacked bar would only repeat the report's totals),
    the categories named on the axis, the unit in the title."""
    count = len(OFFICIAL_CATEGORIES)
    segments = [
        (
            CATEGORY_LABELS[category],
            colour,
            [unit.of(category) if row == index else 0 for row in range(count)],
        )
        for index, (category, colour) in enumerate(zip(OFFICIAL_CATEGORIES, COLOURS, strict=True))
    ]
    names = [
        _wrap(CATEGORY_LABELS[category], width_in=NAMES_IN, lines=NAME_LINES)
        for category in OFFICIAL_CATEGORIES
    ]
    return _Bars(names, segments, unit.short_name, legend=False)


def _legend(figure: Figure, axes: Axes, font: FontProperties, columns: int) -> Legend:
    handles, labels = axes.get_legend_handles_labels()
    return figure.legend(
        handles,
        labels,
        loc="lower center",
        # In inches from the figure's bottom left, so it stays put when the height is set.
        bbox_to_anchor=(WIDTH_IN / 2, MARGIN_IN),
        bbox_transform=figure.dpi_scale_trans,
        ncols=columns,
        frameon=False,
        prop=font,
        borderaxespad=0,
        borderpad=0,
        handlelength=1.5,
        columnspacing=1.5,
    )


def completion_by_unit_figure(by_unit: list[UnitCounts]) -> Figure:
    """Horizontal stacked bars: tasks per official category for each lead unit, the total at
    each bar's end, the legend under them; past the bars a page holds, the units with the most
    tasks (the title says so). One unit: its tasks by category."""
    if not by_unit:
        raise ValueError("by_unit is empty: there is no chart without units")
    font = _font()
    bars = _by_category(by_unit[0]) if len(by_unit) == 1 else _by_unit(by_unit)
    names, pitch = bars.names, _pitch(bars.names)
    count = len(names)
    bars_in = count * pitch

    figure = Figure(figsize=(WIDTH_IN, bars_in + 4), dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    # Provisional: the bars' final height, room round them to measure what lies outside.
    axes = figure.add_axes((0.5, 2 / (bars_in + 4), 0.4, bars_in / (bars_in + 4)))
    positions = [count - 1 - row for row in range(count)]
    start = [0] * count
    containers = []
    for label, colour, values in bars.segments:
        containers.append(
            axes.barh(
                positions, values, left=start, height=BAR_IN / pitch, color=colour, label=label
            )
        )
        start = [a + b for a, b in zip(start, values, strict=True)]
    # The last segment ends where the bar does, even when it is empty.
    totals = axes.bar_label(
        containers[-1],
        labels=[_number(total) for total in bars.totals],
        padding=TOTAL_PAD_PT,
        fontproperties=font,
    )
    axes.set_ylim(-0.5, count - 0.5)
    axes.set_yticks(positions, labels=names)
    axes.tick_params(labelfontfamily=list(font_families()), labelsize=FONT_SIZE, left=False)
    for tick in axes.get_yticklabels():
        tick.set_linespacing(LINE_SPACING)
    axes.set_xlabel("Số nhiệm vụ", fontproperties=font)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _number(round(value))))
    axes.xaxis.grid(True, color="#d0d0d0", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)

    # matplotlib's Agg backend has no type hints.
    renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
    legend_in = 0.0
    if bars.legend:
        legend = _legend(figure, axes, font, columns=2)
        if legend.get_window_extent(renderer).width / DPI > WIDTH_IN - 2 * MARGIN_IN:
            legend.remove()
            legend = _legend(figure, axes, font, columns=1)
        legend_in = legend.get_window_extent(renderer).height / DPI + LEGEND_GAP_IN

    # The names and what lies under the axes set the margins; the widest total and tick label
    # the scale's end, the number of ticks and the right margin.
    inner, outer = axes.get_window_extent(renderer), axes.get_tightbbox(renderer)
    assert outer is not None  # the axes are visible
    left_in = MARGIN_IN + (inner.x0 - outer.x0) / DPI
    bottom_in = legend_in + MARGIN_IN + (inner.y0 - outer.y0) / DPI
    largest = max(max(bars.totals), 1)
    tick_in = _width_in(_number(2 * largest))
    right_in = MARGIN_IN + tick_in / 2
    axes_in = WIDTH_IN - left_in - right_in
    # Each total, its pad and its label as drawn (a little wider than the unhinted outline)
    # fit before the axes' end.
    ends = [
        max(total, 1)
        * axes_in
        / (axes_in - TOTAL_PAD_PT / 72 - text.get_window_extent(renderer).width / DPI)
        for total, text in zip(bars.totals, totals, strict=True)
    ]
    axes.set_xlim(0, max(ends))
    ticks = max(int(axes_in / (tick_in + TICK_GAP_IN)), 1)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=ticks, integer=True))

    top_in = MARGIN_IN
    if bars.title:
        # Centred over the bars, so no wider than they are.
        axes.set_title(
            _wrap(bars.title, width_in=axes_in, lines=3),
            fontproperties=font,
            linespacing=LINE_SPACING,
        )
        outer = axes.get_tightbbox(renderer)
        assert outer is not None
        top_in += max(outer.y1 - inner.y1, 0) / DPI

    height = top_in + bars_in + bottom_in
    figure.set_size_inches(WIDTH_IN, height)
    axes.set_position(
        (left_in / WIDTH_IN, bottom_in / height, axes_in / WIDTH_IN, bars_in / height)
    )
    return figure


def completion_by_unit_png(by_unit: list[UnitCounts]) -> bytes:
    """completion_by_unit_figure as PNG; the same rows give the same bytes."""
    buffer = io.BytesIO()
    completion_by_unit_figure(by_unit).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
