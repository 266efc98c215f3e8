"""The unit tree's use cases on SQLite and PostgreSQL: importing a province's tree from a file
(all or nothing, every bad row listed), moving a subtree (paths rewritten, tasks kept, cycles
refused, two moves at once leave one tree), each audited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel, col

from models import AuditEvent, Task, Unit, UnitKind
from models.db import writer
from tests.world import ACTOR, WorldBuilder
from tracking import access, unit_import, units
from tracking.errors import DomainError
from tracking.importing import ImportRejected

SAMPLE = Path(__file__).parents[1] / "data" / "quang-ngai-2026-units.csv"
HEADER = "Mã đơn vị,Tên đơn vị,Loại đơn vị,Mã đơn vị cấp trên,Thư điện tử\n"


def count(session: Session, model: type[SQLModel]) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def assert_tree_is_whole(session: Session) -> None:
    """Every unit's path is its parent's path and its own id: no stale or broken path."""
    session.expire_all()
    rows = {unit.id: unit for unit in session.execute(select(Unit)).scalars()}
    for unit in rows.values():
        parent_path = rows[unit.parent_id].path if unit.parent_id is not None else "/"
        assert unit.path == f"{parent_path}{unit.id}/", (unit.code, unit.path, parent_path)


@pytest.fixture
def province(session: Session) -> Unit:
    unit = units.create(
        session=session,
        actor=ACTOR,
        code="QNG",
        name="Ủy ban nhân dân tỉnh Quảng Ngãi",
        kind=UnitKind.PROVINCE,
    )
    session.commit()
    return unit


def import_file(session: Session, content: bytes, filename: str = "don-vi.csv") -> list[Unit]:
    created = unit_import.import_units(
        session=session, actor=ACTOR, content=content, filename=filename
    )
    session.commit()
    return created


def test_the_sample_province_tree_imports_in_any_row_order(
    session: Session, province: Unit
) -> None:
    events_before = count(session, AuditEvent)
    created = import_file(session, SAMPLE.read_bytes(), SAMPLE.name)

    rows = SAMPLE.read_text(encoding="utf-8").splitlines()[1:]
    assert [unit.code for unit in created] == [row.split(",")[0] for row in rows]
    by_code = {unit.code: unit for unit in session.execute(select(Unit)).scalars()}
    assert len(by_code) == 1 + len(rows)
    kinds = {code: unit.kind for code, unit in by_code.items()}
    assert kinds["QNG-P-CAMTHANH"] == UnitKind.WARD  # "Phường"
    assert kinds["QNG-P-SAHUYNH"] == UnitKind.WARD  # "phường"
    assert kinds["QNG-DK-LYSON"] == UnitKind.SPECIAL_ZONE  # "Đặc khu"
    assert kinds["QNG-X-BATO"] == UnitKind.COMMUNE  # "Xã"
    assert kinds["QNG-SXD"] == UnitKind.DEPARTMENT  # "Sở"
    assert kinds["QNG-BQLKKT"] == UnitKind.AGENCY
    assert kinds["QNG-VP"] == UnitKind.OFFICE
    # The ward's office comes on the row before the ward itself.
    office, ward = by_code["QNG-P-CAMTHANH-VP"], by_code["QNG-P-CAMTHANH"]
    assert office.parent_id == ward.id and ward.parent_id == province.id
    assert units.is_office_of(unit=office, body=ward)
    assert by_code["QNG-VP"].email == "vanphong@quangngai.gov.vn"
    assert by_code["QNG-STP"].email == ""
    assert_tree_is_whole(session)

    events = session.execute(
        select(AuditEvent).where(col(AuditEvent.id) > events_before).order_by(col(AuditEvent.id))
    ).scalars()
    actions = [event.action for event in events]
    assert actions == ["unit.create"] * len(rows) + ["unit.import"]


def test_a_bad_file_lists_every_bad_row_and_changes_nothing(
    session: Session, province: Unit
) -> None:
    content = (
        HEADER
        + "QNG-STC,Sở Tài chính,Sở,QNG,stc@quangngai.gov.vn\n"  # 2: fine
        + "QNG-STC,Sở Tài chính (lặp),Sở,QNG,\n"  # 3: duplicate code
        + "QNG,Tỉnh lần hai,Tỉnh,QNG-STC,\n"  # 4: code already in the database
        + "QNG-X-A,Ủy ban nhân dân xã A,Xã,QNG-KHONG-CO,\n"  # 5: unknown parent
        + "QNG-X-B,Ủy ban nhân dân xã B,Thôn,QNG,\n"  # 6: unknown kind
        + f"QNG-X-C,{'Ủy ban nhân dân xã C ' * 20},Xã,QNG,\n"  # 7: name too long
        + "QNG-X-D,Ủy ban nhân dân xã D,Xã,QNG,khong-phai-email\n"  # 8: bad email
        + "QNG-V1,Vòng một,Khác,QNG-V2,\n"  # 9: cycle
        + "QNG-V2,Vòng hai,Khác,QNG-V1,\n"  # 10: cycle
        + "QNG-SELF,Tự làm cấp trên,Khác,QNG-SELF,\n"  # 11: its own parent
        + "QNG-X-E,Ủy ban nhân dân xã E,Xã,,\n"  # 12: no parent
        + ",Không có mã,Xã,QNG,\n"  # 13: no code
        + "QNG-X-F,Xã\x07F,Xã,QNG,\n"  # 14: control character
        + "QNG-X-F-VP,Văn phòng xã F,Văn phòng,QNG-X-F,\n"  # 15: fine, its parent row is bad
    ).encode()
    before = (count(session, Unit), count(session, AuditEvent))
    with pytest.raises(ImportRejected) as caught:
        import_file(session, content)
    session.rollback()
    found = {(error.row, error.field, error.code) for error in caught.value.errors}
    assert found == {
        (3, "mã đơn vị", "unit.code_duplicate"),
        (4, "mã đơn vị", "unit.code_taken"),
        (5, "mã đơn vị cấp trên", "unit.parent_unknown"),
        (6, "loại đơn vị", "unit.kind_unknown"),
        (7, "tên đơn vị", "unit.name_too_long"),
        (8, "thư điện tử", "unit.email_invalid"),
        (9, "mã đơn vị cấp trên", "unit.parent_cycle"),
        (10, "mã đơn vị cấp trên", "unit.parent_cycle"),
        (11, "mã đơn vị cấp trên", "unit.parent_is_self"),
        (12, "mã đơn vị cấp trên", "unit.parent_required"),
        (13, "mã đơn vị", "unit.code_invalid"),
        (14, "tên đơn vị", "text.control_character"),
    }
    assert caught.value.message == "Tệp có 12 dòng lỗi; không đơn vị nào được nhập"
    assert "trùng với dòng 2" in next(e.message for e in caught.value.errors if e.row == 3)
    assert (count(session, Unit), count(session, AuditEvent)) == before


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "import.empty_file"),
        (b"Ten,Loai\nA,B\n", "import.no_header"),
        ("Mã đơn vị,Tên đơn vị,Loại đơn vị\nA,B,Xã\n".encode(), "import.missing_columns"),
        (HEADER.encode(), "import.no_rows"),
    ],
)
def test_a_file_that_is_not_a_unit_list_is_refused(
    session: Session, province: Unit, content: bytes, code: str
) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_file(session, content)
    assert [error.code for error in caught.value.errors] == [code]
    assert count(session, Unit) == 1


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Phường", UnitKind.WARD),
        ("PHUONG", UnitKind.WARD),
        ("Đặc khu", UnitKind.SPECIAL_ZONE),
        ("dac khu", UnitKind.SPECIAL_ZONE),
        ("special_zone", UnitKind.SPECIAL_ZONE),
        (" xã ", UnitKind.COMMUNE),
        ("Sở, ban, ngành", UnitKind.DEPARTMENT),
        ("Văn phòng UBND", UnitKind.OFFICE),
    ],
)
def test_kinds_are_read_generously(written: str, kind: UnitKind) -> None:
    assert units.parse_kind(written) == kind


def test_two_imports_of_one_file_at_once_create_it_once(engine: Engine, province: Unit) -> None:
    outcomes = run_together(
        engine,
        [lambda session: import_file(session, SAMPLE.read_bytes())] * 2,
    )
    assert sorted(outcomes) == ["done", "import.rejected"]
    with Session(engine) as session:
        assert count(session, Unit) == 1 + len(SAMPLE.read_text().splitlines()) - 1
        assert_tree_is_whole(session)


def run_together(engine: Engine, actions: list[Callable[[Session], object]]) -> list[str]:
    """Each action in its own thread and writing session, started at once; "done" or the
    code of the domain error each ended with."""
    start = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action: Callable[[Session], object]) -> None:
        with Session(writer(engine), expire_on_commit=False) as session:
            start.wait()
            try:
                action(session)
                session.commit()
                outcomes.append("done")
            except DomainError as error:
                session.rollback()
                outcomes.append(error.code)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_move_rewrites_the_subtree_and_keeps_its_tasks(session: Session, province: Unit) -> None:
    build = WorldBuilder(session)
    district = build.unit("QNG-H", "UBND huyện cũ", UnitKind.DISTRICT, parent=province)
    commune = build.unit("QNG-H-X", "UBND xã X", UnitKind.COMMUNE, parent=district)
    office = build.unit("QNG-H-X-VP", "Văn phòng xã X", UnitKind.OFFICE, parent=commune)
    department = build.unit("QNG-S", "Sở Nội vụ", UnitKind.DEPARTMENT, parent=province)
    task = build.task("Rà soát hồ sơ", issuer=province, lead=office, due=date(2027, 6, 30))
    session.commit()
    events_before = count(session, AuditEvent)

    units.move(session=session, actor=ACTOR, unit=commune, parent=province)
    session.commit()

    assert_tree_is_whole(session)
    session.refresh(commune)
    assert commune.parent_id == province.id
    assert commune.path == f"{province.path}{commune.id}/"
    assert [unit.code for unit in units.subtree(session=session, unit=district)] == ["QNG-H"]
    moved = [unit.code for unit in units.subtree(session=session, unit=commune)]
    assert moved == ["QNG-H-X", "QNG-H-X-VP"]
    # The task stays with its lead, now found under the commune's new place, not the old.
    in_commune = select(col(Task.id)).where(
        units.subtree_condition(root=commune, unit_id=col(Task.lead_unit_id))
    )
    in_district = select(col(Task.id)).where(
        units.subtree_condition(root=district, unit_id=col(Task.lead_unit_id))
    )
    assert session.execute(in_commune).scalars().all() == [task.id]
    assert session.execute(in_district).scalars().all() == []
    [event] = session.execute(
        select(AuditEvent).where(col(AuditEvent.id) > events_before)
    ).scalars()
    assert (event.action, event.entity_id) == ("unit.move", commune.id)
    assert event.before == {"parent_id": district.id, "path": f"{district.path}{commune.id}/"}
    assert event.after is not None and event.after["subtree_units"] == 2
    # The assignment rules read the new paths: the province still reaches the office.
    scope = access.assignment_scope(session=session, issuer=province)
    access.check_assignee(issuer=province, scope=scope, unit=office, field="lead_unit_id")
    assert not units.is_in_subtree(unit=office, root=department)


def test_a_move_into_its_own_subtree_is_refused_and_changes_nothing(
    session: Session, province: Unit
) -> None:
    build = WorldBuilder(session)
    ward = build.unit("QNG-P", "UBND phường P", UnitKind.WARD, parent=province)
    office = build.unit("QNG-P-VP", "Văn phòng phường P", UnitKind.OFFICE, parent=ward)
    session.commit()
    before = (count(session, AuditEvent), ward.path, office.path)
    for new_parent in (ward, office):
        with pytest.raises(DomainError) as caught:
            units.move(session=session, actor=ACTOR, unit=ward, parent=new_parent)
        assert (caught.value.code, caught.value.field) == (
            "unit.move_into_own_subtree",
            "parent_id",
        )
        session.rollback()
    session.refresh(ward)
    session.refresh(office)
    assert (count(session, AuditEvent), ward.path, office.path) == before


def test_two_crossing_moves_at_once_leave_one_tree(engine: Engine, province: Unit) -> None:
    """A under B and B under A, by two administrators at once: the second waits for the
    first, then sees A's new place and refuses; no cycle, no stale path."""
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        first = build.unit("QNG-A", "Đơn vị A", UnitKind.OTHER, parent=province)
        build.unit("QNG-A-1", "Đơn vị A-1", UnitKind.OTHER, parent=first)
        second = build.unit("QNG-B", "Đơn vị B", UnitKind.OTHER, parent=province)
        build.unit("QNG-B-1", "Đơn vị B-1", UnitKind.OTHER, parent=second)
        session.commit()
    ids = (first.id or 0, second.id or 0)

    def mover(unit_id: int, parent_id: int) -> Callable[[Session], object]:
        def move(session: Session) -> object:
            unit = units.get(session=session, unit_id=unit_id)
            parent = units.get(session=session, unit_id=parent_id)
            return units.move(session=session, actor=ACTOR, unit=unit, parent=parent)

        return move

    outcomes = run_together(engine, [mover(ids[0], ids[1]), mover(ids[1], ids[0])])
    assert sorted(outcomes) == ["done", "unit.move_into_own_subtree"]
    with Session(engine) as session:
        assert_tree_is_whole(session)
        moves = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "unit.move")
        ).scalar_one()
        assert moves == 1
