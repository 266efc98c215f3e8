"""The chart of results by unit: what it shows, and that its texts neither overlap nor leave
the figure, measured from the drawn figure's own artists; its type on paper; its PNG."""

from __future__ import annotations

import functools
import io
import itertools

import numpy
import pytest
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

from reports.chart import (
    DPI,
    MAX_BARS,
    MAX_HEIGHT_IN,
    WIDTH_MM,
    completion_by_unit_figure,
    completion_by_unit_png,
)
from reports.snapshot import UnitCounts
from tracking.status import CATEGORY_LABELS, OFFICIAL_CATEGORIES, Category

LONG_NAMES = [
    "Ủy ban nhân dân đặc khu Lý Sơn",
    "Sở Khoa học và Công nghệ",
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Sở Nông nghiệp và Môi trường",
    # Wider than the names' column: two lines, the rest cut.
    "Ban Quản lý các khu công nghiệp và khu kinh tế Dung Quất tỉnh Quảng Ngãi (cơ quan thường "
    "trực của Ban chỉ đạo)",
]


def unit(index: int, name: str, counts: tuple[int, int, int, int, int]) -> UnitCounts:
    """A lead unit with these tasks per official category (and none paused or cancelled)."""
    by_category = {category.value: 0 for category in Category}
    for category, count in zip(OFFICIAL_CATEGORIES, counts, strict=True):
        by_category[category.value] = count
    return UnitCounts(
        counts=by_category,
        total=sum(counts),
        completed=counts[0] + counts[1],
        due=0,
        due_soon=0,
        completion_rate=None,
        on_time_rate=None,
        unit_id=index,
        code=f"DV{index:03}",
        name=name,
        short_name=name,
    )


CASES: dict[str, list[UnitCounts]] = {
    "1 unit": [unit(1, LONG_NAMES[0], (12, 3, 7, 2, 5))],
    "1 unit, a long name": [unit(1, LONG_NAMES[4], (0, 0, 31, 0, 0))],
    "2 units": [unit(1, "Sở Tài chính", (12, 3, 7, 2, 5)), unit(2, "Sở Y tế", (1, 0, 4, 9, 0))],
    "5 long names": [
        unit(index, name, (3 * index, index, 10 - index, index % 3, 2))
        for index, name in enumerate(LONG_NAMES)
    ],
    "20 units": [
        unit(index, f"Sở số {index} tỉnh Quảng Ngãi", (index, index % 4, 20 - index, 1, 1))
        for index in range(20)
    ],
    "130 units": [
        unit(index, f"Ủy ban nhân dân xã {index} tỉnh Quảng Ngãi", (index, 2, 9, 1, 1))
        for index in range(130)
    ],
    "130 two-line names": [
        unit(index, f"{LONG_NAMES[4]} {index}", (index % 11, 0, 3, 1, 0)) for index in range(130)
    ],
    "a category empty": [
        unit(index, name, (index, 0, 4, 2, 1)) for index, name in enumerate(LONG_NAMES[:3])
    ],
    "a unit without tasks": [
        unit(1, "Sở Tài chính", (0, 0, 0, 0, 0)),
        unit(2, "Sở Y tế", (1234, 8, 4, 9, 0)),
    ],
    "tens of thousands": [
        unit(index, name, (9000 * index, 1500, 7001, 333, 12))
        for index, name in enumerate(LONG_NAMES[:4])
    ],
    "no unit with tasks": [
        unit(1, "Sở Tài chính", (0, 0, 0, 0, 0)),
        unit(2, "Sở Y tế", (0, 0, 0, 0, 0)),
    ],
}


@functools.cache
def drawn(case: str) -> tuple[Figure, Axes, FigureCanvasAgg]:
    """The case's figure, drawn once for the tests that only read it."""
    figure = completion_by_unit_figure(CASES[case])
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    (axes,) = figure.axes
    return figure, axes, canvas


def labels(axes: Axes) -> list[Text]:
    """The tick labels drawn (those of ticks inside the axes' limits), the axis label, the
    title and the totals at the bars' ends."""
    low, high = axes.get_xlim()
    ticks = [
        label
        for label in axes.get_xticklabels()
        if label.get_text() and low - 1e-9 <= label.get_position()[0] <= high + 1e-9
    ]
    texts = [*ticks, *axes.get_yticklabels(), axes.xaxis.label, *axes.texts]
    if axes.title.get_text():
        texts.append(axes.title)
    return texts


def all_texts(figure: Figure, axes: Axes) -> list[Text]:
    return labels(axes) + [text for legend in figure.legends for text in legend.get_texts()]


def rectangles(axes: Axes) -> list[Rectangle]:
    return [patch for patch in axes.patches if isinstance(patch, Rectangle)]


def extent(artist: Text, canvas: FigureCanvasAgg) -> Bbox:
    return artist.get_window_extent(canvas.get_renderer())


@pytest.mark.parametrize("case", CASES)
def test_texts_neither_overlap_nor_leave_the_figure(case: str) -> None:
    figure, axes, canvas = drawn(case)
    boxes = [(text.get_text(), extent(text, canvas)) for text in labels(axes)]
    for legend in figure.legends:
        # The legend as one box against the rest, its entries against one another.
        legend_box = legend.get_window_extent(canvas.get_renderer())
        boxes.append(("legend", legend_box))
        # Right under the axis label: no band left empty between them.
        assert axes.xaxis.label.get_window_extent().y0 - legend_box.y1 <= 0.3 * DPI
        entries = [(text.get_text(), extent(text, canvas)) for text in legend.get_texts()]
        for (first, a), (second, b) in itertools.combinations(entries, 2):
            assert not a.overlaps(b), (first, second)
    for (first, a), (second, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (first, second)
    whole = figure.bbox
    for name, box in boxes:
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1, name
        assert whole.y0 <= box.y0 and box.y1 <= whole.y1, name
    # The totals lie inside the axes, so the scale's end leaves them room.
    for total in axes.texts:
        assert extent(total, canvas).x1 <= axes.get_window_extent().x1 + 1e-6


@pytest.mark.parametrize("case", CASES)
def test_type_is_11_pt_serif_on_paper_with_every_vietnamese_letter(
    case: str,
) -> None:
    figure, axes, _ = drawn(case)
    # The DOCX places the picture 150 mm wide: the scale from the figure to the paper.
    scale = WIDTH_MM / (figure.get_figwidth() * 25.4)
    for text in all_texts(figure, axes):
        assert 11 <= text.get_fontproperties().get_size_in_points() * scale <= 12, text.get_text()
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert path.endswith("LiberationSerif-Regular.ttf"), (text.get_text(), path)
        charmap = FT2Font(path).get_charmap()
        missing = {char for char in text.get_text() if char != "\n" and ord(char) not in charmap}
        assert not missing, text.get_text()


@pytest.mark.parametrize("case", CASES)
def test_no_blank_band_round_the_chart(case: str) -> None:
    grey = numpy.asarray(Image.open(io.BytesIO(completion_by_unit_png(CASES[case]))).convert("L"))
    band = round(0.12 * DPI)  # the margin (0.05 in) and the legend's or ticks' own spacing
    assert (grey[-band:] < 200).any(), "blank band at the bottom"
    assert (grey[:band] < 200).any(), "blank band at the top"
    assert grey.shape[0] <= MAX_HEIGHT_IN * DPI + 1


def test_bars_show_each_units_categories_and_total() -> None:
    figure, axes, _ = drawn("a unit without tasks")
    assert [label.get_text() for label in axes.get_yticklabels()] == ["Sở Tài chính", "Sở Y tế"]
    assert [text.get_text() for text in axes.texts] == ["0", "1.255"]
    widths = [patch.get_width() for patch in rectangles(axes)]
    # Five segments a unit: each category's count, the first unit's bar at the top.
    assert widths == [0, 1234, 0, 8, 0, 4, 0, 9, 0, 0]
    (legend,) = figure.legends
    assert [text.get_text() for text in legend.get_texts()] == [
        CATEGORY_LABELS[category] for category in OFFICIAL_CATEGORIES
    ]
    assert axes.xaxis.label.get_text() == "Số nhiệm vụ"
    assert not axes.title.get_text()
    assert all(float(tick).is_integer() for tick in axes.get_xticks())


def test_one_unit_shows_its_tasks_by_category() -> None:
    figure, axes, _ = drawn("1 unit")
    assert axes.title.get_text() == LONG_NAMES[0]
    assert [label.get_text() for label in axes.get_yticklabels()] == [
        CATEGORY_LABELS[category] for category in OFFICIAL_CATEGORIES
    ]
    assert [text.get_text() for text in axes.texts] == ["12", "3", "7", "2", "5"]
    # A bar per category in its colour, no legend repeating the names on the axis.
    drawn_bars = [patch for patch in rectangles(axes) if patch.get_width()]
    assert [patch.get_width() for patch in drawn_bars] == [12, 3, 7, 2, 5]
    assert len({patch.get_facecolor() for patch in drawn_bars}) == 5
    assert not figure.legends


def test_many_units_show_those_with_most_tasks_in_tree_order() -> None:
    _, axes, _ = drawn("130 units")
    names = [label.get_text() for label in axes.get_yticklabels()]
    assert len(names) == MAX_BARS
    assert axes.title.get_text() == f"{MAX_BARS}/130 đơn vị có nhiều nhiệm vụ nhất"
    # Unit i has i + 13 tasks: the last twenty, top to bottom in their order.
    assert names == [f"Ủy ban nhân dân xã {index} tỉnh Quảng Ngãi" for index in range(110, 130)]


def test_two_line_names_show_fewer_bars_to_stay_on_a_page() -> None:
    _, axes, _ = drawn("130 two-line names")
    names = [label.get_text() for label in axes.get_yticklabels()]
    assert all(name.count("\n") == 1 and name.endswith("…") for name in names)
    assert len(names) < MAX_BARS
    assert axes.title.get_text() == f"{len(names)}/130 đơn vị có nhiều nhiệm vụ nhất"


def test_a_wide_name_takes_two_lines_then_is_cut() -> None:
    _, axes, _ = drawn("5 long names")
    names = [label.get_text() for label in axes.get_yticklabels()]
    assert names[:4] == LONG_NAMES[:4]
    first, second = names[4].split("\n")
    assert first.startswith("Ban Quản lý các khu công nghiệp")
    assert second.endswith("…")
    assert LONG_NAMES[4].startswith(f"{first} {second[:-1]}")


def test_png_is_the_same_for_the_same_rows_and_names_no_software() -> None:
    rows = CASES["5 long names"]
    png = completion_by_unit_png(rows)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert completion_by_unit_png(list(rows)) == png
    assert b"Software" not in png and b"matplotlib" not in png
    assert completion_by_unit_png(CASES["2 units"]) != png


def test_no_units_is_an_error() -> None:
    with pytest.raises(ValueError, match="by_unit"):
        completion_by_unit_figure([])
