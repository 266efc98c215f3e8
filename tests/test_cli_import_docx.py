"""`nhiemvu import plan.docx --plan N --preview`: every row and every error, nothing saved;
then the fixed annex imported. Against SQLite and PostgreSQL."""

from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from models import Task, UnitKind
from tests.api.test_import_docx import EXTRA_UNITS, YEAR, _plan_docx
from tests.world import SETUP, WorldBuilder
from tracking import plans as plans_service

runner = CliRunner()


def _province_with_plan(engine: Engine) -> int:
    with Session(engine) as session:
        build = WorldBuilder(session, actor=SETUP)
        root = build.unit("ROOT", "UBND tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        office = build.unit("ISSUER", "Văn phòng UBND tỉnh", UnitKind.OFFICE, parent=root)
        for code, name in (("LEAD", "Sở Nội vụ"), ("COORD", "Sở Tài chính"), ("OTHER", "Sở Y tế")):
            build.unit(code, name, UnitKind.DEPARTMENT, parent=root)
        for key, _parent, kind, name in EXTRA_UNITS:
            build.unit(key.upper(), name, kind, parent=root)
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title=f"Kế hoạch chuyển đổi số năm {YEAR}",
            issuer=office,
        )
        session.commit()
        return plan.id or 0


def _tasks(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Task)).scalar_one()


def test_preview_then_import_of_the_plans_annex(engine: Engine, tmp_path: Path) -> None:
    plan_id = _province_with_plan(engine)
    annex = tmp_path / "ke-hoach-chuyen-doi-so.docx"
    annex.write_bytes(_plan_docx(fixed=False))

    preview = runner.invoke(app, ["import", str(annex), "--plan", str(plan_id), "--preview"])
    assert preview.exit_code == 2
    assert "dòng 4: Xây dựng Quy chế quản lý" in preview.output
    assert "chủ trì: Sở Thông tin và Truyền thông; phối hợp: Sở Tư pháp" in preview.output
    assert f"hạn 30/06/{YEAR}" in preview.output
    assert "[Phát triển hạ tầng số]" in preview.output
    assert "dòng 10, cột «đơn vị chủ trì»" in preview.output  # a group, not expanded
    assert "[import.lead_is_group]" in preview.output
    assert "dòng 13, cột «đơn vị chủ trì»" in preview.output
    assert "dòng 14, cột «thời hạn»" in preview.output
    assert _tasks(engine) == 0

    annex.write_bytes(_plan_docx(fixed=True))
    done = runner.invoke(app, ["import", str(annex), "--plan", str(plan_id), "--expand-groups"])
    assert done.exit_code == 0, done.output
    assert f"Đã nhập 16 nhiệm vụ vào kế hoạch #{plan_id}." in done.output
    assert _tasks(engine) == 16
