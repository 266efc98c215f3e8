"""The reminders of a long-overdue task issued by a ward or a special zone go to its office
(Văn phòng HĐND và UBND), as those of a commune's task go to the commune's office."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from models import Role, UnitKind
from notifications.planner import plan_reminders
from tests.notifications.conftest import planned_steps
from tests.world import WorldBuilder

AS_OF = date(2026, 3, 9)  # a Monday; the task is 11 working days overdue


@pytest.mark.parametrize(
    ("kind", "name", "office_name"),
    [
        (UnitKind.COMMUNE, "Ủy ban nhân dân xã Bình Sơn", "Văn phòng HĐND và UBND xã"),
        (UnitKind.WARD, "Ủy ban nhân dân phường Cẩm Thành", "Văn phòng HĐND và UBND phường"),
        (UnitKind.SPECIAL_ZONE, "Đặc khu Lý Sơn", "Văn phòng HĐND và UBND đặc khu"),
    ],
)
def test_long_overdue_reminders_reach_the_office(
    engine: Engine, kind: UnitKind, name: str, office_name: str
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        province = build.unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        body = build.unit("QNG-X", name, kind, parent=province)
        office = build.unit("QNG-X-VP", office_name, UnitKind.OFFICE, parent=body)
        room = build.unit("QNG-X-KT", "Phòng Kinh tế", UnitKind.OTHER, parent=body)
        build.user(
            "an", full_name="Nguyễn Văn An", unit=room, role=Role.OFFICER, email="an@x.example.vn"
        )
        build.user(
            "dung",
            full_name="Phạm Thị Dung",
            unit=office,
            role=Role.OFFICER,
            email="dung@x.example.vn",
        )
        task = build.task(
            "Rà soát hộ nghèo năm 2026",
            issuer=body,
            lead=room,
            due=date(2026, 2, 13),
            assigned_on=date(2026, 1, 5),
        )
        session.commit()
        plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        steps = planned_steps(session, AS_OF)
    assert steps == {
        (task.title, "overdue:11", "Nguyễn Văn An"),
        (task.title, "overdue:11", "Phạm Thị Dung"),  # ≥ 10 working days: the issuer's office
    }


def test_an_office_with_leaders_is_told_through_its_leaders(engine: Engine) -> None:
    """Its leaders decide who chases a long-overdue task: the office's officers are not each
    sent the same list."""
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        province = build.unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        office = build.unit("QNG-VP", "Văn phòng UBND tỉnh", UnitKind.OFFICE, parent=province)
        department = build.unit("QNG-STC", "Sở Tài chính", UnitKind.DEPARTMENT, parent=province)
        build.user(
            "an",
            full_name="Nguyễn Văn An",
            unit=department,
            role=Role.OFFICER,
            email="an@stc.example.vn",
        )
        build.user(
            "binh",
            full_name="Trần Văn Bình",
            unit=office,
            role=Role.LEADER,
            email="binh@vp.example.vn",
        )
        build.user(
            "dung",
            full_name="Phạm Thị Dung",
            unit=office,
            role=Role.OFFICER,
            email="dung@vp.example.vn",
        )
        task = build.task(
            "Quyết toán ngân sách năm 2025",
            issuer=province,
            lead=department,
            due=date(2026, 2, 13),
            assigned_on=date(2026, 1, 5),
        )
        session.commit()
        result = plan_reminders(session=session, as_of=AS_OF, dry_run=True)
    told = {(r.recipient_name, r.audience) for r in result.reminders if r.task_id == task.id}
    assert told == {("Nguyễn Văn An", "lead"), ("Trần Văn Bình", "issuer_office")}
