"""Importing a plan's tasks straight from the annex of the plan in Word (.docx), through the
spreadsheet import's preview, checks and commit; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

import httpx
from docx import Document
from docx.table import Table
from sqlalchemy import func
from sqlmodel import col, select

from models import DeadlineKind, PlanSection, Role, Task, TaskAssignment, UnitKind
from tests.api.conftest import SETUP, World
from tracking import clock
from tracking import plans as plans_service
from tracking import units as units_service

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A year still ahead, so that every deadline of the plan is after the day of the import.
YEAR = clock.today().year + 1
EXTRA_UNITS = (
    ("tttt", "root", UnitKind.DEPARTMENT, "Sở Thông tin và Truyền thông"),
    ("tuphap", "root", UnitKind.DEPARTMENT, "Sở Tư pháp"),
    ("khdt", "root", UnitKind.DEPARTMENT, "Sở Kế hoạch và Đầu tư"),
    ("vhttdl", "root", UnitKind.DEPARTMENT, "Sở Văn hóa, Thể thao và Du lịch"),
    ("kkt", "root", UnitKind.AGENCY, "Ban Quản lý Khu kinh tế Dung Quất và các KCN Quảng Ngãi"),
    ("lyson", "root", UnitKind.DISTRICT, "Ủy ban nhân dân huyện Lý Sơn"),
    ("binhson", "root", UnitKind.DISTRICT, "UBND huyện Bình Sơn"),
)
# The departments and agencies directly under the province: "Các sở, ban, ngành".
DEPARTMENTS_AND_AGENCIES = ("lead", "coord", "other", "tttt", "tuphap", "khdt", "vhttdl", "kkt")
HEADER = (
    "STT",
    "Nội dung nhiệm vụ",
    "Cơ quan chủ trì",
    "Cơ quan/đơn vị phối hợp",
    "Thời gian hoàn thành",
    "Sản phẩm",
)


def _annex_rows(*, fixed: bool) -> list[tuple[str | None, ...]]:
    """The annex as a clerk types it: headings, the deadline forms plans use, unit names as
    offices write them; unless `fixed`, two bad rows (an ambiguous unit, a bad quarter)."""
    return [
        ("I. Xây dựng thể chế",),  # merged across the row
        (
            "1",
            "Xây dựng Quy chế quản lý, vận hành Kho dữ liệu dùng chung của tỉnh",
            "Sở TT&TT",
            "Sở Tư pháp",
            f"Trước 30/6/{YEAR}",
            "Quyết định của UBND tỉnh",
        ),
        (
            "2",
            "Ban hành danh mục dữ liệu mở của tỉnh",
            "Sở Thông tin & Truyền thông",
            "Các sở, ban, ngành liên quan",
            f"Quý III/{YEAR}",
            "Danh mục dữ liệu mở",
        ),
        ("II", "Phát triển hạ tầng số", "", "", "", ""),  # a heading in two cells
        (
            "3",
            "Phủ sóng di động 4G đến các thôn, tổ dân phố",
            "UBND huyện Lý Sơn",  # merged down with the next row
            "Sở TT&TT",
            f"Tháng 6/{YEAR}",
            "Báo cáo",
        ),
        (
            "4",
            "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
            None,
            "",
            "6 tháng đầu năm",
            "",
        ),
        ("III. Phát triển chính quyền số",),
        (
            "5",
            "Báo cáo tình hình thực hiện chuyển đổi số",
            "Các sở, ban, ngành",
            "Sở TT&TT",
            "Hằng năm",
            "Báo cáo",
        ),
        ("6", "Vận hành Cổng dịch vụ công của tỉnh", "Sở KH&ĐT", "", f"Năm {YEAR}", ""),
        (
            "7",
            "Tuyên truyền về chuyển đổi số",
            "Sở Văn hoá, Thể thao và Du lịch",
            "",
            "Thường xuyên",
            "",
        ),
        (
            "8",
            "Đào tạo kỹ năng số cho cán bộ cấp xã",
            "UBND huyện Bình Sơn" if fixed else "UBND huyện Sơn",
            "",
            f"Quý IV/{YEAR}",
            "",
        ),
        (
            "9",
            "Đánh giá mức độ chuyển đổi số",
            "Sở Nội vụ",
            "",
            f"Quý {'IV' if fixed else 'V'}/{YEAR}",
            "",
        ),
    ]


def _plan_docx(*, fixed: bool) -> bytes:
    document = Document()
    # The document's heading block is a table too (issuer | national motto): not an annex.
    heading = document.add_table(rows=2, cols=2)
    heading.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI"
    heading.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    heading.cell(1, 0).text = "Số: 61/KH-UBND"
    document.add_paragraph(f"KẾ HOẠCH\nChuyển đổi số tỉnh Quảng Ngãi năm {YEAR}")
    document.add_paragraph("Phụ lục\nDANH MỤC NHIỆM VỤ")
    rows = _annex_rows(fixed=fixed)
    table = document.add_table(rows=2 + len(rows), cols=len(HEADER))
    for column, title in enumerate(HEADER):
        table.cell(0, column).text = title
        table.cell(1, column).text = f"({column + 1})"
    for offset, values in enumerate(rows):
        index = offset + 2
        if len(values) == 1:
            _merge_across(table, index, values[0] or "")
            continue
        for column, value in enumerate(values):
            if value is None:  # the cell above spans this row
                table.cell(index - 1, column).merge(table.cell(index, column))
            elif value:
                table.cell(index, column).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _world_with_units(world: World) -> None:
    if "tttt" not in world.units:
        world.add_units(EXTRA_UNITS)


def _plan(world: World) -> int:
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title=f"Kế hoạch chuyển đổi số năm {YEAR}",
            issuer=units_service.get(session=session, unit_id=world.unit_id("issuer")),
        )
        session.commit()
        return plan.id or 0


def _post(
    world: World, plan_id: int, content: bytes, *, preview: bool, expand: bool
) -> httpx.Response:
    suffix = "/preview" if preview else ""
    return world.client.post(
        f"/api/v1/plans/{plan_id}/tasks/import{suffix}",
        params={"expand_groups": expand},
        files={"file": ("KH-61-chuyen-doi-so.docx", content, DOCX)},
        headers=world.headers("issuer", Role.OFFICER),
    )


def _counts(world: World) -> tuple[int, int]:
    with world.session() as session:
        tasks = session.execute(select(func.count()).select_from(Task)).scalar_one()
        sections = session.execute(select(func.count()).select_from(PlanSection)).scalar_one()
    return tasks, sections


def test_the_preview_lists_every_row_and_every_error_and_saves_nothing(world: World) -> None:
    _world_with_units(world)
    plan_id = _plan(world)
    before = _counts(world)
    content = _plan_docx(fixed=False)

    response = _post(world, plan_id, content, preview=True, expand=True)
    assert response.status_code == 200, response.text
    preview = response.json()
    # Rows 1-9 of the annex are table rows 4, 5, 7, 8, 10-14 (header, numbers, headings).
    good_rows = [row["row"] for row in preview["rows"]]
    assert sorted(set(good_rows)) == [4, 5, 7, 8, 10, 11, 12]
    assert good_rows.count(10) == len(DEPARTMENTS_AND_AGENCIES)
    errors = [(e["row"], e["field"], e["code"]) for e in preview["errors"]]
    assert errors == [
        (13, "đơn vị chủ trì", "import.lead_unknown"),
        (14, "thời hạn", "import.deadline_invalid"),
    ]
    ambiguous = preview["errors"][0]["message"]
    assert "«Ủy ban nhân dân huyện Lý Sơn» (mã LYSON)" in ambiguous
    assert "«UBND huyện Bình Sơn» (mã BINHSON)" in ambiguous
    assert f"Quý V/{YEAR}" in preview["errors"][1]["message"]

    # Without expanding groups, "Các sở, ban, ngành" as the lead is one more bad row.
    strict = _post(world, plan_id, content, preview=True, expand=False).json()
    assert [(e["row"], e["code"]) for e in strict["errors"]] == [
        (10, "import.lead_is_group"),
        (13, "import.lead_unknown"),
        (14, "import.deadline_invalid"),
    ]

    refused = _post(world, plan_id, content, preview=False, expand=True)
    assert refused.status_code == 422
    assert [item["row"] for item in refused.json()["detail"]] == [13, 14]
    assert _counts(world) == before


def test_after_fixing_the_annex_imports_with_sections_units_and_deadlines(world: World) -> None:
    _world_with_units(world)
    plan_id = _plan(world)
    tasks_before, _ = _counts(world)

    response = _post(world, plan_id, _plan_docx(fixed=True), preview=False, expand=True)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["count"] == 9 - 1 + len(DEPARTMENTS_AND_AGENCIES)
    assert _counts(world)[0] == tasks_before + result["count"]

    with world.session() as session:
        sections = {s.id: s.title for s in plans_service.sections(session=session, plan_id=plan_id)}
        tasks = session.exec(
            select(Task).where(col(Task.plan_id) == plan_id).order_by(col(Task.id))
        ).all()
        coordinators = {
            (a.task_id, a.unit_id)
            for a in session.exec(
                select(TaskAssignment).where(col(TaskAssignment.role) == "coordinate")
            )
        }
    assert list(sections.values()) == [
        "Xây dựng thể chế",
        "Phát triển hạ tầng số",
        "Phát triển chính quyền số",
    ]
    unit_codes = {world.unit_id(key): key for key in world.units}
    got = [
        (
            sections[t.section_id or 0],
            t.title[:20],
            unit_codes[t.lead_unit_id],
            t.deadline_kind,
            t.due_on,
        )
        for t in tasks
    ]
    first, second, third = sections.values()
    expected_fixed = [
        (first, "Xây dựng Quy chế quả", "tttt", DeadlineKind.DATE, date(YEAR, 6, 30)),
        (first, "Ban hành danh mục dữ", "tttt", DeadlineKind.DATE, date(YEAR, 9, 30)),
        (second, "Phủ sóng di động 4G ", "lyson", DeadlineKind.DATE, date(YEAR, 6, 30)),
        (second, "Số hóa hồ sơ, kết qu", "lyson", DeadlineKind.DATE, date(YEAR, 6, 30)),
    ]
    assert got[:4] == expected_fixed
    yearly = got[4 : 4 + len(DEPARTMENTS_AND_AGENCIES)]
    assert sorted(row[2] for row in yearly) == sorted(DEPARTMENTS_AND_AGENCIES)
    assert {row[3:] for row in yearly} == {(DeadlineKind.DATE, date(YEAR, 12, 31))}
    assert got[4 + len(DEPARTMENTS_AND_AGENCIES) :] == [
        (third, "Vận hành Cổng dịch v", "khdt", DeadlineKind.DATE, date(YEAR, 12, 31)),
        (third, "Tuyên truyền về chuy", "vhttdl", DeadlineKind.NONE, None),
        (third, "Đào tạo kỹ năng số c", "binhson", DeadlineKind.DATE, date(YEAR, 12, 31)),
        (third, "Đánh giá mức độ chuy", "lead", DeadlineKind.DATE, date(YEAR, 12, 31)),
    ]
    # Coordinators as written; "các sở, ban, ngành liên quan" names no unit: kept in the note.
    by_title = {t.title: t for t in tasks}
    first_task = by_title["Xây dựng Quy chế quản lý, vận hành Kho dữ liệu dùng chung của tỉnh"]
    assert (first_task.id, world.unit_id("tuphap")) in coordinators
    assert "Sản phẩm: Quyết định của UBND tỉnh" in first_task.note
    open_data = by_title["Ban hành danh mục dữ liệu mở của tỉnh"]
    assert "Phối hợp: Các sở, ban, ngành liên quan" in open_data.note
    assert (
        by_title["Phủ sóng di động 4G đến các thôn, tổ dân phố"].id,
        world.unit_id("tttt"),
    ) in coordinators
    # The TT&TT copy of the group task is not its own coordinator; the others have it.
    yearly_tasks = [t for t in tasks if t.title == "Báo cáo tình hình thực hiện chuyển đổi số"]
    for task in yearly_tasks:
        helps = (task.id, world.unit_id("tttt")) in coordinators
        assert helps == (task.lead_unit_id != world.unit_id("tttt"))
        assert "Thời hạn ghi trong kế hoạch: Hằng năm" in task.note

    # Importing the same annex again reuses the plan's sections.
    again = _post(world, plan_id, _plan_docx(fixed=True), preview=False, expand=True)
    assert again.status_code == 201
    with world.session() as session:
        assert len(plans_service.sections(session=session, plan_id=plan_id)) == 3


def test_a_word_zip_bomb_is_refused_before_it_is_unpacked(world: World) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (45 * 1024 * 1024))
    plan_id = _plan(world)
    answer = _post(world, plan_id, buffer.getvalue(), preview=True, expand=False)
    assert answer.status_code == 422
    item = answer.json()["detail"][0]
    assert (item["code"], item["field"]) == ("import.xlsx_too_large", "file")
    assert item["message"].startswith("Tệp Word khi giải nén lớn hơn")


def test_an_annex_split_over_two_tables_is_read_as_one(world: World) -> None:
    _world_with_units(world)
    document = Document()
    first = document.add_table(rows=3, cols=4)
    for column, title in enumerate(("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn hoàn thành")):
        first.cell(0, column).text = title
    _merge_across(first, 1, "A. Nhiệm vụ chung")
    for column, text in enumerate(("1", "Rà soát thủ tục", "Sở Tư pháp", f"Quý I/{YEAR}")):
        first.cell(2, column).text = text
    document.add_paragraph("(tiếp theo)")
    second = document.add_table(rows=2, cols=3)  # another order, no STT
    for column, title in enumerate(("Thời gian thực hiện", "Cơ quan chủ trì", "Nội dung")):
        second.cell(0, column).text = title
    for column, text in enumerate((f"Năm {YEAR}", "Sở KH&ĐT", "Theo dõi đầu tư công")):
        second.cell(1, column).text = text
    buffer = io.BytesIO()
    document.save(buffer)

    preview = _post(world, _plan(world), buffer.getvalue(), preview=True, expand=False).json()
    assert preview["errors"] == []
    got = [(r["row"], r["section"], r["lead_unit_name"], r["due_on"]) for r in preview["rows"]]
    assert got == [
        (3, "Nhiệm vụ chung", "Sở Tư pháp", f"{YEAR}-03-31"),
        (4, "Nhiệm vụ chung", "Sở Kế hoạch và Đầu tư", f"{YEAR}-12-31"),
    ]


def _merge_across(table: Table, index: int, text: str) -> None:
    last = len(table.rows[index].cells) - 1
    table.cell(index, 0).merge(table.cell(index, last)).text = text
