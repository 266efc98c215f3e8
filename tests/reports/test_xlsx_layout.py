"""The XLSX annex laid out for printing (issue 14): widths from the content, wrapped text,
borders, filters, frozen headers, thousands separators, totals, the list of every task, and
every sheet on A4 landscape one page wide. Read back with openpyxl."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from reports import service
from reports.render_xlsx import render_xlsx
from reports.snapshot import ReportSnapshot
from tests.world import issued_seed_report
from tracking.status import CATEGORY_LABELS, Category

DATA = Path(__file__).parent / "data"
HEADER_ROW = 5
SHEETS = [
    "Theo đơn vị",
    "Theo nội dung",
    "Theo cơ quan giao",
    "Quá hạn",
    "Gia hạn",
    "Chỉ tiêu",
    "Tất cả nhiệm vụ",
]
COUNT_SHEETS = SHEETS[:3]
MM = 1 / 25.4


def _stored() -> dict[str, Any]:
    """555/BC-UBND's stored snapshot (tests/reports/data), as the report row keeps it."""
    stored: dict[str, Any] = json.loads(
        (DATA / "snapshot_555_format1.json").read_text(encoding="utf-8")
    )
    return stored


def _open(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


@pytest.fixture
def seed_annex(session: Session) -> tuple[Workbook, ReportSnapshot]:
    """The seed report's annex as the service gives it, with the snapshot it was made from."""
    report = issued_seed_report(session)
    assert report.snapshot is not None
    content = service.render(session=session, report_id=report.id or 0, fmt="xlsx").content
    return _open(content), ReportSnapshot.from_stored(report.snapshot)


def _table(sheet: Worksheet) -> list[tuple[Cell, ...]]:
    """The header row and every row under it."""
    return [tuple(row) for row in sheet.iter_rows(min_row=HEADER_ROW)]


def _data_rows(sheet: Worksheet) -> list[tuple[Cell, ...]]:
    """The rows under the header, without the totals row nor the one merged row that says
    the table is empty."""
    rows = _table(sheet)[1:]
    if rows and rows[-1][0].value == "Tổng cộng":
        rows = rows[:-1]
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    last = get_column_letter(sheet.max_column)
    return [row for row in rows if f"A{row[0].row}:{last}{row[0].row}" not in merged]


def test_every_sheet_prints_on_a4_landscape_one_page_wide(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, _ = seed_annex
    assert workbook.sheetnames == SHEETS
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, int(setup.paperSize or 0)) == ("landscape", 9), sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr is not None
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
        assert sheet.print_options.horizontalCentered
        margins = sheet.page_margins
        assert (margins.left, margins.right) == (pytest.approx(15 * MM), pytest.approx(15 * MM))
        assert sheet.oddFooter.center.text == "Trang &P/&N"
        caption = str(sheet["A2"].value)
        assert sheet.oddHeader.center.text == f"Báo cáo số 555/BC-UBND – {caption}"


def test_title_rows_name_the_unit_the_table_and_the_report_across_the_table(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, _ = seed_annex
    captions = []
    for sheet in workbook.worksheets:
        last = get_column_letter(sheet.max_column)
        merged = {str(cells) for cells in sheet.merged_cells.ranges}
        assert {f"A1:{last}1", f"A2:{last}2", f"A3:{last}3"} <= merged, sheet.title
        assert sheet["A1"].value == "ỦY BAN NHÂN DÂN HUYỆN LÝ SƠN"
        assert sheet["A2"].font.b and sheet["A2"].alignment.horizontal == "center"
        captions.append(str(sheet["A2"].value).split(".")[0])
        assert sheet["A3"].value == (
            "(Kèm theo Báo cáo số 555/BC-UBND ngày 02/11/2021 của Ủy ban nhân dân huyện Lý Sơn;"
            " số liệu đến ngày 02/11/2021)"
        )
    assert captions == [f"Biểu {n:02d}" for n in range(1, 8)]


def test_headers_are_bold_wrapped_centred_boxed_frozen_and_filtered(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, _ = seed_annex
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == f"A{HEADER_ROW + 1}", sheet.title
        header = _table(sheet)[0]
        for cell in header:
            assert cell.font.b and cell.alignment.wrap_text, (sheet.title, cell.coordinate)
            assert cell.alignment.horizontal == "center"
        # An empty table's filter sits on its header alone.
        last_data = HEADER_ROW + len(_data_rows(sheet))
        last = get_column_letter(sheet.max_column)
        assert sheet.auto_filter.ref == f"A{HEADER_ROW}:{last}{last_data}", sheet.title
        for row in _table(sheet):
            for cell in row:
                sides = (cell.border.top, cell.border.bottom)
                assert [side.style for side in sides] == ["thin", "thin"], cell.coordinate
                if cell.column in (1, sheet.max_column):  # the table's outline
                    outer = cell.border.left if cell.column == 1 else cell.border.right
                    assert outer.style == "thin", cell.coordinate


def test_an_empty_table_says_so_in_one_merged_row(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, snapshot = seed_annex
    assert not snapshot.figures.overdue
    sheet = workbook["Quá hạn"]
    assert sheet["A6"].value == "Không có nhiệm vụ quá hạn."
    assert "A6:F6" in {str(cells) for cells in sheet.merged_cells.ranges}
    assert sheet.max_row == 6


def test_columns_are_as_wide_as_their_text_and_longer_text_wraps(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    """The issue's 'Ủy ban nhân dân tỉnh Quảng Ngãi' fits its column; a task's title longer
    than its column wraps in a row tall enough for its lines."""
    workbook, _ = seed_annex
    issuers = workbook["Theo cơ quan giao"]
    assert issuers["A6"].value == "Ủy ban nhân dân tỉnh Quảng Ngãi"
    assert issuers.column_dimensions["A"].width >= len("Ủy ban nhân dân tỉnh Quảng Ngãi")
    wrapped = 0
    for sheet in workbook.worksheets:
        for row in _data_rows(sheet):
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                width = sheet.column_dimensions[cell.column_letter].width
                if len(cell.value) > width:  # text longer than its column wraps, its row taller
                    wrapped += 1
                    assert cell.alignment.wrap_text, (sheet.title, cell.coordinate)
                    height = sheet.row_dimensions[cell.row].height
                    lines = -(-len(cell.value) // int(width * 1.3))
                    assert height is not None and height >= 14 * lines, cell.coordinate
    assert wrapped  # the seed's task titles are longer than their column
    tasks = workbook["Tất cả nhiệm vụ"]
    for row in _data_rows(tasks):  # "Ủy ban nhân dân huyện Lý Sơn" on one line
        assert tasks.column_dimensions["C"].width >= len(str(row[2].value))


def test_counts_rates_and_dates_are_numbers_formatted_for_reading(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, _ = seed_annex
    units = workbook["Theo đơn vị"]
    total, rate = units["C6"], units["I6"]
    assert (total.value, total.number_format, total.data_type) == (5, "#,##0", "n")
    assert (rate.value, rate.number_format) == (pytest.approx(1.0), "0.0%")
    indicators = {row[0].value: row for row in _data_rows(workbook["Chỉ tiêu"])}
    received = indicators["HS_TIEP_NHAN"][4]  # 12269: the number without separator
    assert (received.value, received.number_format) == (12269, "#,##0")
    signed = indicators["VB_KY_SO"][4]
    assert (signed.value, signed.number_format) == (pytest.approx(99.5), "#,##0.0#")
    tasks = _data_rows(workbook["Tất cả nhiệm vụ"])
    assigned = tasks[0][3]
    assert isinstance(assigned.value, datetime) and assigned.number_format == "DD/MM/YYYY"


def test_each_count_table_ends_with_its_totals(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, snapshot = seed_annex
    for title in COUNT_SHEETS:
        sheet = workbook[title]
        rows = _data_rows(sheet)
        totals = _table(sheet)[-1]
        assert totals[0].value == "Tổng cộng" and totals[0].font.b, title
        first = next(i for i, cell in enumerate(totals) if isinstance(cell.value, int))
        for index in range(first, len(totals) - 1):
            assert totals[index].value == sum(row[index].value for row in rows), (title, index)
            assert totals[index].font.b and totals[index].number_format == "#,##0"
        # Tổng số, đúng hạn, quá hạn, trong hạn, đang quá hạn, không hạn, tỷ lệ
        _, on_time, late, _, overdue, _, rate = (cell.value for cell in totals[first:])
        assert rate == pytest.approx((on_time + late) / (on_time + late + overdue))
        assert totals[first].value == snapshot.figures.totals.total


def test_the_task_list_has_one_row_per_task_of_the_report(
    seed_annex: tuple[Workbook, ReportSnapshot],
) -> None:
    workbook, snapshot = seed_annex
    tasks = snapshot.figures.tasks
    sheet = workbook["Tất cả nhiệm vụ"]
    headers = [cell.value for cell in _table(sheet)[0]]
    assert headers == [
        "STT",
        "Nhiệm vụ",
        "Đơn vị chủ trì",
        "Ngày giao",
        "Hạn ban đầu",
        "Hạn sau gia hạn",
        "Ngày hoàn thành",
        "Tình trạng",
        "Số ngày làm việc quá hạn",
    ]
    rows = [[cell.value for cell in row] for row in _data_rows(sheet)]
    assert len(rows) == len(tasks) > 0
    for number, (row, task) in enumerate(zip(rows, tasks, strict=True), start=1):
        assert row[:3] == [number, task.title, task.lead_unit]
        assert row[3].date() == task.assigned_on
        assert row[7] == CATEGORY_LABELS[Category(task.category)]
        extended = row[5]
        assert (extended is not None) == task.was_extended
        if extended is not None:
            assert extended.date() == task.due_on


def _many_units(count: int) -> ReportSnapshot:
    """555's snapshot with `count` units of large counts: a province's Biểu 01."""
    stored = _stored()
    unit = stored["figures"]["by_unit"][0]
    stored["figures"]["by_unit"] = [
        {
            **unit,
            "unit_id": n,
            "code": f"XA-{n:03d}",
            "name": f"Ủy ban nhân dân xã số {n}",
            "counts": {**unit["counts"], "done_on_time": 12269 + n, "overdue": n},
            "total": unit["total"] - unit["counts"]["done_on_time"] + 12269 + 2 * n,
        }
        for n in range(count)
    ]
    return ReportSnapshot.from_stored(stored)


def test_totals_of_a_large_table_are_the_sums_with_separators() -> None:
    sheet = _open(render_xlsx(_many_units(300)))["Theo đơn vị"]
    rows = _data_rows(sheet)
    totals = _table(sheet)[-1]
    assert len(rows) == 300 and "A306:B306" in {str(r) for r in sheet.merged_cells.ranges}
    on_time = sum(12269 + n for n in range(300))
    assert totals[3].value == sum(row[3].value for row in rows) == on_time
    assert totals[6].value == sum(range(300))
    assert totals[3].number_format == "#,##0"
    # The column is as wide as the largest total with its separators ("3.725.550").
    assert sheet.column_dimensions["D"].width >= len(f"{on_time:,}")


def test_the_same_snapshot_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    """Merged ranges and styles are kept in sets and dicts inside openpyxl: a process with
    another hash seed must still write the same file."""
    snapshot = ReportSnapshot.from_stored(_stored())
    content = render_xlsx(snapshot)
    assert render_xlsx(snapshot) == content
    source = tmp_path / "snapshot.json"
    source.write_text(json.dumps(_stored()), encoding="utf-8")
    script = (
        "import json, sys\n"
        "from reports.render_xlsx import render_xlsx\n"
        "from reports.snapshot import ReportSnapshot\n"
        "stored = json.loads(open(sys.argv[1], encoding='utf-8').read())\n"
        "sys.stdout.buffer.write(render_xlsx(ReportSnapshot.from_stored(stored)))\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, str(source)],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).parents[2],
    )
    assert other.stdout == content


def test_a_draft_annex_says_it_belongs_to_a_draft() -> None:
    stored = _stored()
    stored["report"] = {**stored["report"], "state": "draft", "number": None, "symbol": None}
    workbook = _open(render_xlsx(ReportSnapshot.from_stored(stored)))
    for sheet in workbook.worksheets:
        assert str(sheet["A3"].value).startswith(
            "(Kèm theo dự thảo báo cáo của Ủy ban nhân dân huyện Lý Sơn; số liệu đến ngày"
        )
        assert sheet.oddHeader.center.text == f"Dự thảo báo cáo – {sheet['A2'].value}"
