"""`nhiemvu unit …`, `obligation edit`, `document edit`, `plan edit|section`, `report numbers` as a
user types them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from models import AuditEvent, PlanSection, Unit, UnitKind
from tests.world import WorldBuilder

runner = CliRunner()
SAMPLE = Path(__file__).parent / "data" / "quang-ngai-2026-units.csv"


def invoke(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        units = session.execute(select(func.count()).select_from(Unit)).scalar_one()
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return units, events


def test_add_list_move_and_import(engine: Engine, tmp_path: Path) -> None:
    invoke("unit", "add", "QNG", "--name", "Ủy ban nhân dân tỉnh Quảng Ngãi", "--kind", "Tỉnh")
    invoke(
        "unit", "add", "QNG-P-A", "--name", "UBND phường A", "--kind", "Phường", "--parent", "QNG"
    )
    added = invoke(
        "unit",
        "add",
        "QNG-DK",
        "--name",
        "UBND đặc khu Lý Sơn",
        "--kind",
        "dac khu",
        "--parent",
        "QNG-P-A",
        "--email",
        "lyson@QuangNgai.gov.vn",
    )
    assert "QNG-DK  UBND đặc khu Lý Sơn  (Đặc khu) <lyson@quangngai.gov.vn> thuộc QNG-P-A" in added
    assert invoke("unit", "list").splitlines() == [
        "QNG  Ủy ban nhân dân tỉnh Quảng Ngãi  (Tỉnh)",
        "  QNG-P-A  UBND phường A  (Phường)",
        "    QNG-DK  UBND đặc khu Lý Sơn  (Đặc khu) <lyson@quangngai.gov.vn>",
    ]
    assert "Đã chuyển QNG-DK (1 đơn vị) vào QNG." in invoke(
        "unit", "move", "QNG-DK", "--parent", "QNG"
    )
    invoke("unit", "import", str(SAMPLE))
    listed = json.loads(invoke("unit", "list", "--json"))
    assert len(listed) == 3 + 46
    by_code = {unit["code"]: unit for unit in listed}
    assert by_code["QNG-DK"]["parent_code"] == "QNG"
    assert by_code["QNG-P-CAMTHANH-VP"]["parent_code"] == "QNG-P-CAMTHANH"
    assert by_code["QNG-DK-LYSON"]["kind"] == "special_zone"
    # Each unit after its parent; siblings by code.
    positions = {unit["code"]: index for index, unit in enumerate(listed)}
    for unit in listed:
        if unit["parent_code"]:
            assert positions[unit["parent_code"]] < positions[unit["code"]]
    subtree = invoke("unit", "list", "--unit", "QNG-X-BINHSON").splitlines()
    assert subtree == [
        "QNG-X-BINHSON  Ủy ban nhân dân xã Bình Sơn  (Xã)",
        "  QNG-X-BINHSON-VP  Văn phòng HĐND và UBND xã Bình Sơn  (Văn phòng)",
    ]


def test_refusals_are_one_line_and_change_nothing(engine: Engine, tmp_path: Path) -> None:
    invoke("unit", "add", "QNG", "--name", "Tỉnh", "--kind", "province")
    invoke("unit", "add", "QNG-A", "--name", "A", "--kind", "other", "--parent", "QNG")
    before = counts(engine)
    bad = tmp_path / "sai.csv"
    bad.write_text("code,name,kind,parent code\nQNG-A,A lặp,Khác,QNG\nQNG-B,B,Làng,QNG\n")
    for arguments, expected in (
        (["unit", "add", "QNG-C", "--name", "C", "--kind", "làng"], "[unit.kind_unknown]"),
        (["unit", "add", "QNG-A", "--name", "A", "--kind", "other"], "[unit.code_taken]"),
        (["unit", "move", "QNG", "--parent", "QNG-A"], "[unit.move_into_own_subtree]"),
        (["unit", "move", "QNG-A", "--parent", "KHONG-CO"], "[unit.not_found]"),
        (["unit", "import", str(bad)], "Tệp có 2 dòng lỗi; không đơn vị nào được nhập"),
    ):
        result = runner.invoke(app, arguments)
        assert result.exit_code == 2, result.output
        [line] = [line for line in result.stderr.splitlines() if line.startswith("Lỗi:")]
        assert expected in line
    assert (
        "dòng 2, cột «mã đơn vị»" in result.stderr and "dòng 3, cột «loại đơn vị»" in result.stderr
    )
    assert counts(engine) == before


def test_edit_a_duty_and_read_the_report_counter(engine: Engine) -> None:
    invoke("unit", "add", "QNG", "--name", "Ủy ban nhân dân tỉnh Quảng Ngãi", "--kind", "Tỉnh")
    invoke("unit", "add", "QNG-SNV", "--name", "Sở Nội vụ", "--kind", "Sở", "--parent", "QNG")
    invoke(
        "obligation", "add", "--title", "Báo cáo tháng về cải cách hành chính", "--kind", "month",
        "--unit", "QNG-SNV", "--issuer", "QNG", "--starts", "2026-01-01",
    )  # fmt: skip
    edited = invoke(
        "obligation", "edit", "1", "--version", "1", "--recipient", "Văn phòng UBND tỉnh",
        "--send-days", "4", "--no-draft",
    )  # fmt: skip
    assert "Đã sửa nghĩa vụ báo cáo #1 (phiên bản 2)." in edited
    listed = invoke("obligation", "list")
    assert "Văn phòng UBND tỉnh" in listed
    stale = runner.invoke(app, ["obligation", "edit", "1", "--version", "1", "--note", "x"])
    assert stale.exit_code == 2 and "[obligation.stale_version]" in stale.stderr

    assert invoke("report", "numbers", "--unit", "QNG-SNV", "--year", "2026").strip() == (
        "QNG-SNV năm 2026: đã cấp đến số 0, số tiếp theo 1."
    )


def test_edit_a_document_and_a_plan(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        province = build.unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        document = build.document(
            "61/KH-UBND", issued_on=date(2026, 3, 2), summary="Kế hoạch 61", issuer=province
        )
        plan = build.plan("Kế hoạch 61", issuer=province, document=document, sections=["Mục I"])
        session.commit()
    edited = invoke(
        "document", "edit", str(document.id), "--version", "1", "--signer", "Nguyễn Văn Một"
    )
    assert "Đã sửa văn bản 61/KH-UBND (phiên bản 2)." in edited
    assert "phiên bản 2" in invoke(
        "plan", "edit", str(plan.id), "--version", "1", "--title", "KH 61"
    )
    with Session(engine) as session:
        [section] = session.execute(select(PlanSection)).scalars().all()
    renamed = invoke(
        "plan", "section", str(plan.id), str(section.id), "--version", "2", "--title", "Mục một"
    )
    assert "Đã đổi tên mục 1 của kế hoạch" in renamed
    stale = runner.invoke(app, ["plan", "edit", str(plan.id), "--version", "2", "--title", "X"])
    assert stale.exit_code == 2 and "[plan.stale_version]" in stale.stderr
