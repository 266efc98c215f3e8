"""The unit tree through the API: importing a province's tree (XLSX or CSV, multipart), every
bad row in one 422, moving a unit with PATCH parent_id; administrators only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from models import Role, Unit
from tests.api.conftest import World

SAMPLE = Path(__file__).parents[1] / "data" / "quang-ngai-2026-units.csv"


def unit_count(world: World) -> int:
    with world.session() as session:
        return session.execute(select(func.count()).select_from(Unit)).scalar_one()


def sample_under_root(prefix: str) -> list[list[str]]:
    """The sample province's rows with codes made unique to the test, under the world's root."""
    rows = list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))[1:]
    renamed = []
    for code, name, kind, parent, email in rows:
        parent = "ROOT" if parent == "QNG" else parent.replace("QNG", prefix)
        renamed.append([code.replace("QNG", prefix), name, kind, parent, email])
    return renamed


def as_xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DANH SÁCH ĐƠN VỊ TỈNH QUẢNG NGÃI NĂM 2026"])  # a title above the header
    sheet.append(["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Mã đơn vị cấp trên", "Email"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_admin_imports_a_province_tree_from_xlsx(world: World) -> None:
    rows = sample_under_root("XL")
    admin = world.headers("root", Role.ADMIN)
    response = world.client.post(
        "/api/v1/units/import",
        files={"file": ("don-vi.xlsx", as_xlsx(rows), "application/octet-stream")},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    created = {unit["code"]: unit for unit in response.json()}
    assert len(created) == len(rows)
    ward, office = created["XL-P-CAMTHANH"], created["XL-P-CAMTHANH-VP"]
    assert (ward["kind"], ward["parent_id"]) == ("ward", world.unit_id("root"))
    assert office["parent_id"] == ward["id"] and office["kind"] == "office"
    assert created["XL-DK-LYSON"]["kind"] == "special_zone"
    assert created["XL-VP"]["email"] == "vanphong@quangngai.gov.vn"
    listed = world.client.get(f"/api/v1/units/{ward['id']}/subtree", headers=admin).json()
    assert [unit["code"] for unit in listed] == ["XL-P-CAMTHANH", "XL-P-CAMTHANH-VP"]


def test_a_bad_file_answers_422_with_every_bad_row_and_changes_nothing(world: World) -> None:
    content = (
        "mã,tên,loại,cấp trên,email\n"
        "BAD-1,Xã Một,Xã,ROOT,\n"
        "BAD-1,Xã Một (lặp),Xã,ROOT,\n"
        "BAD-2,Xã Hai,Làng,ROOT,\n"
        "BAD-3,Xã Ba,Xã,KHONG-CO,\n"
        "BAD-4,Xã Bốn,Xã,ROOT,sai@\n"
    ).encode()
    before = (unit_count(world), world.audit_count())
    response = world.client.post(
        "/api/v1/units/import",
        files={"file": ("don-vi.csv", content, "text/csv")},
        headers=world.headers("root", Role.ADMIN),
    )
    assert response.status_code == 422, response.text
    found = [(item["row"], item["field"], item["code"]) for item in response.json()["detail"]]
    assert found == [
        (3, "mã đơn vị", "unit.code_duplicate"),
        (4, "loại đơn vị", "unit.kind_unknown"),
        (5, "mã đơn vị cấp trên", "unit.parent_unknown"),
        (6, "thư điện tử", "unit.email_invalid"),
    ]
    assert all(item["message"] for item in response.json()["detail"])
    assert (unit_count(world), world.audit_count()) == before


def test_only_administrators_import_or_move(world: World) -> None:
    before = (unit_count(world), world.audit_count())
    content = "mã,tên,loại,cấp trên\nLEAD-X,Xã X,Xã,ROOT\n".encode()
    leader = world.headers("root", Role.LEADER)
    imported = world.client.post(
        "/api/v1/units/import", files={"file": ("a.csv", content, "text/csv")}, headers=leader
    )
    assert imported.status_code == 403
    moved = world.client.patch(
        f"/api/v1/units/{world.unit_id('other')}",
        json={"parent_id": world.unit_id("lead")},
        headers=leader,
    )
    assert moved.status_code == 403
    assert (unit_count(world), world.audit_count()) == before


def test_patch_parent_id_moves_the_subtree_and_keeps_its_tasks(world: World) -> None:
    admin = world.headers("root", Role.ADMIN)
    created = world.client.post(
        "/api/v1/units/import",
        files={
            "file": (
                "mv.csv",
                "mã,tên,loại,cấp trên\nMV-P,Phường P,Phường,ROOT\n"
                "MV-P-VP,Văn phòng phường P,Văn phòng,MV-P\nMV-X,Xã X,Xã,ROOT\n".encode(),
                "text/csv",
            )
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    ids = {unit["code"]: unit["id"] for unit in created.json()}
    task_id = world.new_task(
        issuer_unit_id=world.unit_id("root"),
        lead_unit_id=ids["MV-P-VP"],
        coordinating_unit_ids=[],
    )

    moved = world.client.patch(
        f"/api/v1/units/{ids['MV-P']}", json={"parent_id": ids["MV-X"]}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["path"].endswith(f"/{ids['MV-X']}/{ids['MV-P']}/")
    office = world.client.get(f"/api/v1/units/{ids['MV-P-VP']}", headers=admin).json()
    assert office["path"] == moved.json()["path"] + f"{ids['MV-P-VP']}/"
    listed = world.client.get(
        "/api/v1/tasks",
        params={"unit": ids["MV-X"], "include_subtree": "true"},
        headers=admin,
    )
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [task_id]

    before = world.audit_count()
    for parent_id, code in (
        (ids["MV-P-VP"], "unit.move_into_own_subtree"),
        (ids["MV-P"], "unit.move_into_own_subtree"),
        (999_999, "unit.not_found"),
    ):
        refused = world.client.patch(
            f"/api/v1/units/{ids['MV-P']}", json={"parent_id": parent_id}, headers=admin
        )
        assert refused.status_code == 422, refused.text
        [item] = refused.json()["detail"]
        assert (item["code"], item["field"]) == (code, "parent_id")
    assert world.audit_count() == before
