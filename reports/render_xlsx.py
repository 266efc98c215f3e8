"""The numbers annex (biểu mẫu số liệu) as XLSX: figures by unit, by plan section, by issuer,
indicators, the overdue list and the extended tasks. Deterministic for a given snapshot."""

from __future__ import annotations

import io
import zipfile
from copy import copy
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from reports.archive import normalise_zip
from reports.snapshot import Counts, ReportSnapshot, TaskLine
from tracking.status import CATEGORY_LABELS, OFFICIAL_CATEGORIES

BOLD = Font(name="Times New Roman", bold=True)
PLAIN = Font(name="Times New Roman")
COUNT_HEADERS = [CATEGORY_LABELS[c] for c in OFFICIAL_CATEGORIES]
# Text a spreadsheet reads as a formula, at once (openpyxl writes "=…" as one) or when the
# cell is edited or the sheet saved as CSV ("+", "-", "@", tab, CR): a task titled
# =HYPERLINK(…) must stay text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _keep_as_text(cell: Cell) -> None:
    """A string cell stays a string: shared-string type and Excel's quote prefix (the
    apostrophe a user would type), so editing the cell does not turn it into a formula."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True


def _counts(row: Counts) -> list[Any]:
    return [row.total, *[row.of(c) for c in OFFICIAL_CATEGORIES], row.completion_rate]


def _number_format(cell: Cell, headers: list[str]) -> str | None:
    if isinstance(cell.value, float) and headers[cell.column - 1].startswith("Tỷ lệ"):
        return "0.0%"
    if isinstance(cell.value, date):
        return "DD/MM/YYYY"
    return None


def _style_data_cells(sheet: Worksheet, headers: list[str]) -> None:
    """The data rows in the plain font, rates and dates formatted. openpyxl hashes the Font
    each time one is set (most of the time a province's annex took), so a cell that starts
    from the same style and gets the same number format takes a copy of the first one's."""
    styled: dict[tuple[tuple[int, ...] | None, str | None], StyleArray] = {}
    for row_cells in sheet.iter_rows(min_row=4):
        for cell in row_cells:
            number_format = _number_format(cell, headers)
            key = (None if cell._style is None else tuple(cell._style), number_format)
            done = styled.get(key)
            if done is not None:
                cell._style = copy(done)
                continue
            cell.font = PLAIN
            if number_format is not None:
                cell.number_format = number_format
            styled[key] = copy(cell._style)


def _sheet(
    workbook: Workbook, title: str, caption: str, headers: list[str], rows: list[list[Any]]
) -> Worksheet:
    sheet = workbook.create_sheet(title)
    sheet.append([caption])
    sheet["A1"].font = Font(name="Times New Roman", bold=True, size=13)
    sheet.append([])
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in rows:
        sheet.append(row)
    for row_cells in sheet.iter_rows():
        for cell in row_cells:
            _keep_as_text(cell)
    _style_data_cells(sheet, headers)
    for index, header in enumerate(headers, start=1):
        width = 12 if len(header) < 12 else min(len(header), 60)
        if header in ("Nhiệm vụ", "Đơn vị", "Nội dung", "Chỉ tiêu"):
            width = 60
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    return sheet


# The task sheets (Biểu 04, 05): caption, which tasks, and after STT, task and lead unit, the
# three columns each shows (header → TaskLine field).
TASK_SHEETS = {
    "Quá hạn": (
        "Biểu 04. Nhiệm vụ quá hạn",
        "overdue",
        {
            "Ngày giao": "assigned_on",
            "Hạn xử lý": "due_on",
            "Số ngày làm việc quá hạn": "working_days_overdue",
        },
    ),
    "Gia hạn": (
        "Biểu 05. Nhiệm vụ được gia hạn",
        "extended",
        {
            "Hạn ban đầu": "original_due_on",
            "Hạn sau gia hạn": "due_on",
            "Số lần gia hạn": "extensions",
        },
    ),
}


def render_xlsx(snapshot: ReportSnapshot) -> bytes:
    """The annex of a report snapshot (one read with `from_stored` holds no character XML
    cannot hold, so the download never fails on one)."""
    figures = snapshot.figures
    as_of = snapshot.report.figures_as_of
    suffix = f"{snapshot.header.number_line} – số liệu đến ngày {as_of:%d/%m/%Y}"
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    count_headers = ["Tổng số", *COUNT_HEADERS, "Tỷ lệ hoàn thành"]
    _sheet(
        workbook,
        "Theo đơn vị",
        f"Biểu 01. Kết quả thực hiện nhiệm vụ theo đơn vị chủ trì ({suffix})",
        ["Mã", "Đơn vị", *count_headers],
        [[r.code, r.name, *_counts(r)] for r in figures.by_unit],
    )
    _sheet(
        workbook,
        "Theo nội dung",
        f"Biểu 02. Kết quả theo kế hoạch và nội dung ({suffix})",
        ["Mục", "Nội dung", *count_headers],
        [
            [r.ordinal, r.section_title or r.plan_title or "(không thuộc kế hoạch)", *_counts(r)]
            for r in figures.by_section
        ],
    )
    _sheet(
        workbook,
        "Theo cơ quan giao",
        f"Biểu 03. Kết quả theo cơ quan giao nhiệm vụ ({suffix})",
        ["Cơ quan giao", *count_headers],
        [[r.name, *_counts(r)] for r in figures.by_issuer],
    )
    for title, (caption, which, columns) in TASK_SHEETS.items():
        tasks: list[TaskLine] = getattr(figures, which)
        _sheet(
            workbook,
            title,
            f"{caption} ({suffix})",
            ["STT", "Nhiệm vụ", "Đơn vị chủ trì", *columns],
            [
                [i, t.title, t.lead_unit, *[getattr(t, field) for field in columns.values()]]
                for i, t in enumerate(tasks, start=1)
            ],
        )
    _sheet(
        workbook,
        "Chỉ tiêu",
        f"Biểu 06. Chỉ tiêu ({suffix})",
        ["Mã", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu kế hoạch", "Kết quả", "Số đơn vị báo cáo"],
        [
            [i.code, i.name, i.unit_of_measure, i.target, i.value, i.units_reporting]
            for i in snapshot.indicators
        ],
    )
    day = snapshot.report.document_date
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC).replace(tzinfo=None)
    workbook.properties.creator = snapshot.unit.name
    workbook.properties.title = snapshot.header.summary[:250]
    workbook.properties.created = workbook.properties.modified = stamp
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook stamps "modified" with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return normalise_zip(buffer.getvalue())
