"""The numbers annex (biểu mẫu số liệu) as XLSX, laid out for printing: figures by unit, by
plan section, by issuer, the overdue and the extended tasks, the indicators and every task of
the report. Deterministic for a given snapshot.

Each sheet has title rows merged across its table, a bold wrapped header row repeated on every
printed page, thin borders, a frozen header and an AutoFilter, and prints on A4 landscape one
page wide with "Trang x/y" in the footer. Counts are numbers formatted '#,##0': Excel and
LibreOffice draw the thousands separator of the reader's locale (12.269 in Vietnamese). The
totals rows hold values, not SUM formulas: openpyxl cannot store a formula's result, and
readers that do not recalculate (previews, mail clients, pandas) would show them empty.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from reports.archive import normalise_zip
from reports.snapshot import Counts, ReportSnapshot, TaskLine
from tracking.status import CATEGORY_LABELS, OFFICIAL_CATEGORIES, Category

FONT = "Times New Roman"
# Text a spreadsheet reads as a formula, at once (openpyxl writes "=…" as one) or when the
# cell is edited or the sheet saved as CSV ("+", "-", "@", tab, CR): a task titled
# =HYPERLINK(…) must stay text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_ROW = 5  # under the unit, the table's title and the line naming the report
TITLE_ROWS = (1, 2, 3)
# Column widths in Excel's units (about one digit of the default font each): enough for the
# longest text, up to a cap past which the text wraps; a header wraps on up to three lines.
PADDING = 1
MIN_WIDTH = 6
HEADER_LINES = 3
# Row heights in points: Excel and LibreOffice do not grow a row for wrapped text the file
# gives without a height, so each row gets the height of its tallest cell.
POINTS_PER_LINE = 14.5
ROW_MARGIN = 3
CHARACTERS_PER_UNIT = 1.15
CAPITALS_AT_MOST = 1.25  # a capital's width in units
INCH_PER_MM = 1 / 25.4


class Kind(StrEnum):
    """What a column holds: its cells' named style and how its width is found."""

    TEXT = "Ô chữ"
    CENTRED = "Ô chữ giữa"
    COUNT = "Ô số"
    DECIMAL = "Ô số thập phân"
    RATE = "Ô tỷ lệ"
    DATE = "Ô ngày"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    cap: int = 40  # widest the column gets before its text wraps
    least: int = 0  # narrowest, for a text column of an empty or terse table


@dataclass(frozen=True)
class Table:
    sheet: str
    caption: str  # "Biểu 01. …"
    columns: list[Column]
    rows: list[list[Any]]
    # The "Tổng cộng" row of a count table: the figures under its last columns, the label
    # merged across the columns before them.
    totals: list[Any] | None = None
    empty: str = "Không có số liệu."


THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP_LEFT = Alignment(wrap_text=True, vertical="top", horizontal="left")
WRAP_CENTRE = Alignment(wrap_text=True, vertical="center", horizontal="center")
TOP_RIGHT = Alignment(vertical="top", horizontal="right")
TOP_CENTRE = Alignment(wrap_text=True, vertical="top", horizontal="center")
NUMBER_FORMATS = {
    Kind.COUNT: "#,##0",
    Kind.DECIMAL: "#,##0.0#",
    Kind.RATE: "0.0%",
    Kind.DATE: "DD/MM/YYYY",
}
TITLE = "Tiêu đề biểu"
SUBTITLE = "Dòng dẫn biểu"
UNIT = "Tên cơ quan"
HEADER = "Tiêu đề cột"
EMPTY = "Dòng không có số liệu"
TOTAL = "Tổng cộng – "  # + the kind: the totals row is bold


def _named_styles() -> list[NamedStyle]:
    """The workbook's cell styles, named so that a cell takes one by name (cheap for tens of
    thousands of cells) and a clerk finds them in the style list."""

    def style(name: str, *, bold: bool = False, italic: bool = False, size: float = 11,
              alignment: Alignment, border: Border | None = BOX,
              number_format: str = "General") -> NamedStyle:  # fmt: skip
        return NamedStyle(
            name=name,
            font=Font(name=FONT, bold=bold, italic=italic, size=size),
            alignment=alignment,
            border=border or Border(),
            number_format=number_format,
        )

    cells = {
        Kind.TEXT: WRAP_LEFT,
        Kind.CENTRED: TOP_CENTRE,
        Kind.COUNT: TOP_RIGHT,
        Kind.DECIMAL: TOP_RIGHT,
        Kind.RATE: TOP_RIGHT,
        Kind.DATE: TOP_CENTRE,
    }
    styles = [
        style(UNIT, bold=True, alignment=WRAP_CENTRE, border=None),
        style(TITLE, bold=True, size=13, alignment=WRAP_CENTRE, border=None),
        style(SUBTITLE, italic=True, alignment=WRAP_CENTRE, border=None),
        style(HEADER, bold=True, alignment=WRAP_CENTRE),
        style(EMPTY, italic=True, alignment=WRAP_CENTRE),
    ]
    for kind, alignment in cells.items():
        number_format = NUMBER_FORMATS.get(kind, "General")
        styles.append(style(kind.value, alignment=alignment, number_format=number_format))
        styles.append(
            style(TOTAL + kind.value, bold=True, alignment=alignment, number_format=number_format)
        )
    return styles


def _display(value: Any, kind: Kind) -> str:
    """The text a cell shows, for its column's width."""
    if value is None:
        return ""
    if kind == Kind.RATE:
        return "100,0%"
    if kind == Kind.DATE:
        return "00/00/0000"
    if isinstance(value, float) and kind == Kind.DECIMAL:
        return f"{value:,.2f}" if value != int(value) else f"{int(value):,}"
    if isinstance(value, int | float) and kind == Kind.COUNT:
        return f"{value:,}"
    return str(value)


def _text_width(text: str) -> float:
    """A text's width in column units: capitals are wider than the digit the unit measures."""
    return len(text) + (CAPITALS_AT_MOST - 1) * sum(1 for c in text if c.isupper())


def _width(column: Column, cells: Sequence[str]) -> int:
    longest = max(map(len, cells), default=0)
    if 0 < longest < column.cap:  # capitals count only where they may widen the column
        near = longest / CAPITALS_AT_MOST
        longest = math.ceil(max(_text_width(text) for text in cells if len(text) >= near))
    if column.kind == Kind.DATE:  # an empty table's dates too: its header fits above them
        longest = len(_display(date.min, Kind.DATE))
    content = max(MIN_WIDTH, column.least, min(column.cap, longest)) + PADDING
    # The header may take up to three lines, and no more than the estimate gives it.
    header = max(MIN_WIDTH, *(len(word) + PADDING for word in column.header.split()))
    while _lines(column.header, header / CHARACTERS_PER_UNIT) > HEADER_LINES:
        header += 1
    return max(content, header)


def _lines(text: str, width: float) -> int:
    """Lines a text takes wrapped in a column `width` units wide: words laid greedily, a
    character taken as a little less than one unit (most letters of Times New Roman are
    narrower than the digits the unit is measured in)."""
    room = max((width - PADDING) * CHARACTERS_PER_UNIT, 1)
    if len(text) <= room and "\n" not in text:
        return 1
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used: float = 0
        for word in paragraph.split():
            size = len(word)
            if used and used + 1 + size > room:
                lines += 1
                used = 0
            used += size + 1 if used else size
            while used > room:  # a word longer than the line breaks inside it
                lines += 1
                used -= room
    return lines


def _height(lines: int) -> float:
    return POINTS_PER_LINE * lines + ROW_MARGIN


def _header_footer_text(text: str) -> str:
    """Text for a header or footer: "&" starts a code there, and Excel takes 255 characters."""
    return text.replace("&", "&&")[:200]


def _print_setup(sheet: Worksheet, *, header: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(
        left=15 * INCH_PER_MM,
        right=15 * INCH_PER_MM,
        top=20 * INCH_PER_MM,
        bottom=20 * INCH_PER_MM,
        header=8 * INCH_PER_MM,
        footer=8 * INCH_PER_MM,
    )
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    for part, text in ((sheet.oddHeader.center, header), (sheet.oddFooter.center, "Trang &P/&N")):
        part.text = text
        part.font = f"{FONT},Italic"
        part.size = 9


def _keep_as_text(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _write(
    workbook: Workbook,
    table: Table,
    *,
    styles: dict[str, StyleArray],
    unit: str,
    subtitle: str,
    running: str,
) -> None:
    """One table on its own sheet: title rows, header, rows, totals, widths, print setup.
    A data cell takes a copy of its named style's array: setting the style by name looks the
    name up in a list, most of the time a province's annex took."""
    sheet = workbook.create_sheet(table.sheet)
    columns = table.columns
    count = len(columns)
    last = get_column_letter(count)
    for row, (text, style) in zip(
        TITLE_ROWS, ((unit, UNIT), (table.caption, TITLE), (subtitle, SUBTITLE)), strict=True
    ):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.style = style
        sheet.merge_cells(f"A{row}:{last}{row}")
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=HEADER_ROW, column=index, value=column.header).style = HEADER

    kinds = [column.kind for column in columns]
    shown: list[list[str]] = [[] for _ in columns]
    row_number = HEADER_ROW
    for row_number, values in enumerate(table.rows, start=HEADER_ROW + 1):
        for index, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            cell = sheet.cell(row=row_number, column=index + 1, value=value)
            if kind == Kind.DECIMAL and isinstance(value, float) and value.is_integer():
                kind = Kind.COUNT  # a whole number shows without decimals: 87, not 87,0
            cell._style = copy(styles[kind.value])
            if _keep_as_text(value):
                cell.data_type = "s"
                cell.quotePrefix = True  # the apostrophe a user would type
            shown[index].append(_display(value, columns[index].kind))
    if table.rows:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{row_number}"
    else:
        row_number += 1
        sheet.cell(row=row_number, column=1, value=table.empty)
        for index in range(1, count + 1):
            sheet.cell(row=row_number, column=index).style = EMPTY
        sheet.merge_cells(f"A{row_number}:{last}{row_number}")
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW}"
    if table.totals is not None:
        row_number += 1
        labels = count - len(table.totals)
        values = ["Tổng cộng", *[None] * (labels - 1), *table.totals]
        for index, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            cell = sheet.cell(row=row_number, column=index + 1, value=value)
            cell.style = TOTAL + (Kind.CENTRED if index < labels else kind)
            shown[index].append("" if index < labels else _display(value, columns[index].kind))
        if labels > 1:
            sheet.merge_cells(f"A{row_number}:{get_column_letter(labels)}{row_number}")
    widths = [_width(column, cells) for column, cells in zip(columns, shown, strict=True)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    heights = sheet.row_dimensions
    heights[HEADER_ROW].height = _height(
        # Bold text is wider: a header's character is taken as a whole unit.
        max(_lines(c.header, w / CHARACTERS_PER_UNIT) for c, w in zip(columns, widths, strict=True))
    )
    # Only text wraps: numbers and dates fit their columns on one line.
    wrapping = [
        (shown[index], widths[index])
        for index, kind in enumerate(kinds)
        if kind in (Kind.TEXT, Kind.CENTRED)
    ]
    first = HEADER_ROW + 1
    for offset in range(len(shown[0])):
        lines = max((_lines(cells[offset], width) for cells, width in wrapping), default=1)
        if lines > 1:
            heights[first + offset].height = _height(lines)
    table_width = sum(widths)
    for row, text, scale in ((1, unit, 1.0), (2, table.caption, 1.2), (3, subtitle, 1.0)):
        heights[row].height = _height(_lines(text, table_width / scale)) * scale
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    _print_setup(sheet, header=_header_footer_text(f"{running} – {table.caption}"))


COUNT_COLUMNS = [
    Column("Tổng số", Kind.COUNT),
    *[Column(CATEGORY_LABELS[c], Kind.COUNT) for c in OFFICIAL_CATEGORIES],
    Column("Tỷ lệ hoàn thành", Kind.RATE),
]
DONE = (Category.DONE_ON_TIME, Category.DONE_LATE)


def _counts(row: Counts) -> list[Any]:
    return [row.total, *[row.of(c) for c in OFFICIAL_CATEGORIES], row.completion_rate]


def _totals(rows: Sequence[Counts]) -> list[Any]:
    """The "Tổng cộng" row: the sum of each count column, and the completion rate of the sums
    (completed over tasks whose deadline has come, as tracking.queries counts it)."""
    by_category = {c: sum(r.of(c) for r in rows) for c in OFFICIAL_CATEGORIES}
    completed = sum(by_category[c] for c in DONE)
    due = completed + by_category[Category.OVERDUE]
    return [
        sum(r.total for r in rows),
        *by_category.values(),
        completed / due if due else None,
    ]


def _task_table(
    sheet: str,
    caption: str,
    tasks: list[TaskLine],
    extra: list[tuple[Column, Callable[[TaskLine], Any]]],
    empty: str,
) -> Table:
    """A list of tasks: STT, the task, its lead unit, then the `extra` columns."""
    return Table(
        sheet=sheet,
        caption=caption,
        columns=[
            Column("STT", Kind.CENTRED),
            Column("Nhiệm vụ", Kind.TEXT, cap=45, least=30),
            Column("Đơn vị chủ trì", Kind.TEXT, cap=30, least=16),
            *[column for column, _ in extra],
        ],
        rows=[
            [number, task.title, task.lead_unit, *[value(task) for _, value in extra]]
            for number, task in enumerate(tasks, start=1)
        ],
        empty=empty,
    )


def _extended_due(task: TaskLine) -> date | None:
    return task.due_on if task.was_extended else None


def _tables(snapshot: ReportSnapshot) -> list[Table]:
    figures = snapshot.figures
    days_late = Column("Số ngày làm việc quá hạn", Kind.COUNT, cap=12)
    return [
        Table(
            "Theo đơn vị",
            "Biểu 01. Kết quả thực hiện nhiệm vụ theo đơn vị chủ trì",
            [
                Column("Mã", Kind.CENTRED, cap=20),
                Column("Đơn vị", Kind.TEXT, least=16),
                *COUNT_COLUMNS,
            ],
            [[r.code, r.name, *_counts(r)] for r in figures.by_unit],
            _totals(figures.by_unit),
        ),
        Table(
            "Theo nội dung",
            "Biểu 02. Kết quả theo kế hoạch và nội dung",
            [
                Column("Mục", Kind.CENTRED),
                Column("Nội dung", Kind.TEXT, cap=50, least=30),
                *COUNT_COLUMNS,
            ],
            [
                [
                    r.ordinal,
                    r.section_title or r.plan_title or "(không thuộc kế hoạch)",
                    *_counts(r),
                ]
                for r in figures.by_section
            ],
            _totals(figures.by_section),
        ),
        Table(
            "Theo cơ quan giao",
            "Biểu 03. Kết quả theo cơ quan giao nhiệm vụ",
            [Column("Cơ quan giao", Kind.TEXT, least=16), *COUNT_COLUMNS],
            [[r.name, *_counts(r)] for r in figures.by_issuer],
            _totals(figures.by_issuer),
        ),
        _task_table(
            "Quá hạn",
            "Biểu 04. Nhiệm vụ quá hạn",
            figures.overdue,
            [
                (Column("Ngày giao", Kind.DATE), lambda t: t.assigned_on),
                (Column("Hạn xử lý", Kind.DATE), lambda t: t.due_on),
                (days_late, lambda t: t.working_days_overdue),
            ],
            "Không có nhiệm vụ quá hạn.",
        ),
        _task_table(
            "Gia hạn",
            "Biểu 05. Nhiệm vụ được gia hạn",
            figures.extended,
            [
                (Column("Hạn ban đầu", Kind.DATE), lambda t: t.original_due_on),
                (Column("Hạn sau gia hạn", Kind.DATE), lambda t: t.due_on),
                (Column("Số lần gia hạn", Kind.COUNT, cap=10), lambda t: t.extensions),
            ],
            "Không có nhiệm vụ được gia hạn.",
        ),
        Table(
            "Chỉ tiêu",
            "Biểu 06. Chỉ tiêu",
            [
                Column("Mã", Kind.CENTRED, cap=20),
                Column("Chỉ tiêu", Kind.TEXT, cap=55, least=30),
                Column("Đơn vị tính", Kind.CENTRED, cap=14),
                Column("Chỉ tiêu kế hoạch", Kind.DECIMAL),
                Column("Kết quả", Kind.DECIMAL),
                Column("Số đơn vị báo cáo", Kind.COUNT),
            ],
            [
                [i.code, i.name, i.unit_of_measure, i.target, i.value, i.units_reporting]
                for i in snapshot.indicators
            ],
            empty="Kế hoạch không có chỉ tiêu.",
        ),
        _task_table(
            "Tất cả nhiệm vụ",
            "Biểu 07. Danh sách nhiệm vụ",
            figures.tasks,
            [
                (Column("Ngày giao", Kind.DATE), lambda t: t.assigned_on),
                (Column("Hạn ban đầu", Kind.DATE), lambda t: t.original_due_on),
                (Column("Hạn sau gia hạn", Kind.DATE), _extended_due),
                (Column("Ngày hoàn thành", Kind.DATE), lambda t: t.completed_on),
                (Column("Tình trạng", Kind.TEXT, cap=20), lambda t: CATEGORY_LABELS[t.category]),
                (days_late, lambda t: t.working_days_overdue),
            ],
            "Không có nhiệm vụ.",
        ),
    ]


def render_xlsx(snapshot: ReportSnapshot) -> bytes:
    """The annex of a report snapshot (one read with `from_stored` holds no character XML
    cannot hold, so the download never fails on one). Biểu 07 lists figures.tasks: a snapshot
    read without them (`for_writers`) gives that sheet no rows."""
    report = snapshot.report
    as_of = f"số liệu đến ngày {report.figures_as_of:%d/%m/%Y}"
    if report.symbol:
        reference = f"Báo cáo số {report.symbol} ngày {report.document_date:%d/%m/%Y}"
        running = f"Báo cáo số {report.symbol}"
    else:
        reference, running = "dự thảo báo cáo", "Dự thảo báo cáo"
    subtitle = f"(Kèm theo {reference} của {snapshot.unit.name}; {as_of})"
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    styles = {}
    for style in _named_styles():
        workbook.add_named_style(style)
        styles[style.name] = style.as_tuple()
    for table in _tables(snapshot):
        _write(
            workbook,
            table,
            styles=styles,
            unit=snapshot.header.issuing_body,
            subtitle=subtitle,
            running=running,
        )
    day = report.document_date
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC).replace(tzinfo=None)
    workbook.properties.creator = snapshot.unit.name
    workbook.properties.title = snapshot.header.summary[:250]
    workbook.properties.created = workbook.properties.modified = stamp
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook stamps "modified" with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return normalise_zip(buffer.getvalue())
