"""Importing a plan's tasks from the spreadsheet layout offices keep: all or nothing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlmodel import col

from models import DeadlineKind, Role, Task, TaskAssignment
from tests.api.conftest import SETUP, World
from tracking import clock
from tracking import plans as plans_service
from tracking import units as units_service

HEADERS = ["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn", "Ghi chú"]


def _plan(world: World) -> int:
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title="Kế hoạch cải cách hành chính năm 2025",
            issuer=units_service.get(session=session, unit_id=world.unit_id("issuer")),
        )
        session.commit()
        return plan.id or 0


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["UBND TỈNH QUẢNG NGÃI"])  # a title block above the header row
    sheet.append(["DANH MỤC NHIỆM VỤ"])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _task_count(world: World) -> int:
    with world.session() as session:
        return session.execute(select(func.count()).select_from(Task)).scalar_one()


def _post(world: World, plan_id: int, name: str, content: bytes, mime: str) -> httpx.Response:
    return world.client.post(
        f"/api/v1/plans/{plan_id}/tasks/import",
        files={"file": (name, content, mime)},
        headers=world.headers("issuer", Role.OFFICER),
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_good_xlsx_imports_every_row(world: World) -> None:
    plan_id = _plan(world)
    due = clock.today() + timedelta(days=45)
    content = _xlsx(
        [
            [
                1,
                "Rà soát, đơn giản hóa thủ tục hành chính",
                "LEAD",
                "COORD; Sở Y tế",
                due.strftime("%d/%m/%Y"),
                "Báo cáo kết quả về Văn phòng",
            ],
            [2, "Tổng hợp số liệu quý", "Sở Tài chính", "", "10 ngày làm việc", None],
            [3, "Theo dõi tình hình dịch bệnh", "sở y tế", None, "Thường xuyên", ""],
            [4, "Kiểm tra công vụ", "LEAD", None, datetime(due.year, due.month, due.day), ""],
            [5, "Báo cáo chuyên đề", "LEAD", None, "30 ngày", ""],
            [None, None, None, None, None, None],  # blank rows are skipped
        ]
    )
    response = _post(world, plan_id, "danh-muc.xlsx", content, XLSX)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["count"] == 5 and body["plan_id"] == plan_id
    with world.session() as session:
        tasks = [session.get(Task, task_id) for task_id in body["task_ids"]]
        kinds = [t.deadline_kind for t in tasks if t is not None]
        assert kinds == [
            DeadlineKind.DATE,
            DeadlineKind.WORKING_DAYS,
            DeadlineKind.NONE,
            DeadlineKind.DATE,
            DeadlineKind.DAYS,
        ]
        first = tasks[0]
        assert first is not None
        assert first.due_on == due and first.plan_id == plan_id
        assert first.issuer_unit_id == world.unit_id("issuer")
        assert first.lead_unit_id == world.unit_id("lead")
        assert first.note == "Báo cáo kết quả về Văn phòng"
        coordinators = session.scalars(
            select(col(TaskAssignment.unit_id)).where(
                TaskAssignment.task_id == first.id, TaskAssignment.role == "coordinate"
            )
        ).all()
        assert sorted(coordinators) == sorted([world.unit_id("coord"), world.unit_id("other")])
        assert tasks[2] is not None and tasks[2].due_on is None


def test_a_csv_with_several_bad_rows_imports_nothing_and_lists_them_all(world: World) -> None:
    plan_id = _plan(world)
    before = _task_count(world)
    csv_text = "\n".join(
        [
            "Nội dung nhiệm vụ;Đơn vị chủ trì;Đơn vị phối hợp;Thời hạn;Ghi chú",
            "Nhiệm vụ đúng;LEAD;COORD;15 ngày làm việc;",  # row 2: good
            ";LEAD;;31/12/2099;",  # row 3: no content
            "Nhiệm vụ của đơn vị lạ;Sở Không Tồn Tại;;;",  # row 4: unknown lead
            "Hạn sai;LEAD;;31/02/2099;",  # row 5: no such date
            "Hạn không hiểu;LEAD;;cuối quý;",  # row 6: unreadable deadline
            "Chủ trì kiêm phối hợp;LEAD;LEAD;;",  # row 7: lead also coordinating
            "Hạn trước ngày giao;LEAD;;01/01/2000;",  # row 8: before today
        ]
    )
    response = _post(world, plan_id, "danh-muc.csv", csv_text.encode(), "text/csv")
    assert response.status_code == 422
    detail = response.json()["detail"]
    by_row = {(item["row"], item["code"]) for item in detail}
    assert by_row == {
        (3, "import.content_required"),
        (4, "import.lead_unknown"),
        (5, "import.deadline_invalid_date"),
        (6, "import.deadline_invalid"),
        (7, "import.lead_also_coordinating"),
        (8, "deadline.before_assigned"),
    }
    assert all(item["message"] and item["field"] for item in detail)
    assert _task_count(world) == before


def test_a_file_that_is_not_a_spreadsheet_is_refused(world: World) -> None:
    plan_id = _plan(world)
    before = _task_count(world)
    broken = _post(world, plan_id, "hong.xlsx", b"PK\x03\x04 not really a zip", XLSX)
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["code"] == "import.unreadable"
    no_header = _post(world, plan_id, "x.csv", b"a,b\n1,2\n", "text/csv")
    assert no_header.json()["detail"][0]["code"] == "import.no_header"
    latin1 = _post(world, plan_id, "x.csv", b"N\xf4i dung nhi\xeam v\xf5", "text/csv")
    assert latin1.json()["detail"][0]["code"] == "import.encoding"
    assert _task_count(world) == before


def test_the_cli_imports_the_same_file(world: World, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    import cli
    from models.db import get_engine
    from settings import get_settings

    monkeypatch.setenv("NHIEMVU_DATABASE_URL", str(world.engine.url.render_as_string(False)))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        plan_id = _plan(world)
        good = tmp_path / "danh-muc.csv"
        good.write_text(
            "nội dung nhiệm vụ,đơn vị chủ trì,thời hạn\nTổng kết năm,LEAD,20/12/2099\n",
            encoding="utf-8",
        )
        bad = tmp_path / "loi.csv"
        bad.write_text(
            "nội dung nhiệm vụ,đơn vị chủ trì,thời hạn\n,LEAD,\nViệc,XYZ,\n", encoding="utf-8"
        )
        runner = CliRunner()
        ok = runner.invoke(cli.app, ["import", str(good), "--plan", str(plan_id)])
        assert ok.exit_code == 0, ok.output
        assert "Đã nhập 1 nhiệm vụ" in ok.output
        refused = runner.invoke(cli.app, ["import", str(bad), "--plan", str(plan_id)])
        assert refused.exit_code == 2
        assert "dòng 2" in refused.output and "dòng 3" in refused.output
        with world.session() as session:
            count = session.execute(
                select(func.count()).select_from(Task).where(Task.plan_id == plan_id)
            ).scalar_one()
        assert count == 1
    finally:
        get_engine.cache_clear()
        get_settings.cache_clear()
