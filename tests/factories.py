"""Small worlds for tests, built through the real use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models import Task, Unit, UnitKind
from tracking import tasks, units
from tracking.audit import Actor
from tracking.deadlines import DeadlineRule

ACTOR = Actor(name="test")


@dataclass
class World:
    province: Unit
    department: Unit
    district: Unit
    district_office: Unit
    other_district: Unit


def make_world(session: Session) -> World:
    def unit(code: str, kind: UnitKind, parent: Unit | None = None) -> Unit:
        return units.create(
            session=session,
            actor=ACTOR,
            code=code,
            name=f"Đơn vị {code}",
            kind=kind,
            parent=parent,
        )

    province = unit("P", UnitKind.PROVINCE)
    department = unit("P-D", UnitKind.DEPARTMENT, province)
    district = unit("P-H", UnitKind.DISTRICT, province)
    district_office = unit("P-H-VP", UnitKind.OFFICE, district)
    other_district = unit("P-K", UnitKind.DISTRICT, province)
    session.commit()
    return World(province, department, district, district_office, other_district)


def make_task(
    session: Session,
    world: World,
    *,
    assigned_on: date = date(2021, 3, 1),
    deadline: DeadlineRule | None = None,
    lead: Unit | None = None,
    coordinators: tuple[Unit, ...] = (),
    title: str = "Báo cáo tình hình thực hiện",
) -> Task:
    task = tasks.assign(
        session=session,
        actor=ACTOR,
        title=title,
        issuer_unit_id=world.province.id or 0,
        lead_unit_id=(lead or world.district).id or 0,
        coordinating_unit_ids=[u.id or 0 for u in coordinators],
        assigned_on=assigned_on,
        deadline=deadline or DeadlineRule.fixed(date(2021, 6, 30)),
    )
    session.commit()
    return task
