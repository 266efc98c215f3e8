"""The office (Văn phòng UBND) of a People's Committee: one rule for reach, reminders and the
people told of a drafted report."""

from __future__ import annotations

from sqlmodel import Session

from models import UnitKind
from tests.world import ACTOR, make_world
from tracking import units
from tracking.access import reach_of


def test_only_an_office_directly_under_a_peoples_committee_is_its_office(
    session: Session,
) -> None:
    world = make_world(session)
    department_office = units.create(
        session=session,
        actor=ACTOR,
        code="P-D-VP",
        name="Văn phòng Sở",
        kind=UnitKind.OFFICE,
        parent=world.department,
    )
    session.commit()
    district, office = world.district, world.district_office

    assert units.is_office_of(unit=office, body=district)
    assert not units.is_office_of(unit=office, body=world.province)  # not its parent
    assert not units.is_office_of(unit=department_office, body=world.department)  # no UBND
    assert not units.is_office_of(unit=district, body=world.province)  # not an office

    ids = [world.province.id or 0, district.id or 0, world.department.id or 0]
    assert units.offices_of(session=session, unit_ids=ids) == {district.id: [office.id]}
    assert units.offices_of(session=session, unit_ids=[]) == {}
    assert reach_of(unit=office, parent=district) is district
    assert reach_of(unit=department_office, parent=world.department) is department_office
