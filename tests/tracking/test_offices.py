"""The office (Văn phòng UBND) of a People's Committee: one rule for reach, reminders and the
people told of a drafted report."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from models import COMMUNE_LEVEL_KINDS, UnitKind
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


@pytest.mark.parametrize(
    ("kind", "name", "office_name"),
    [
        (UnitKind.COMMUNE, "Ủy ban nhân dân xã Bình Sơn", "Văn phòng HĐND và UBND xã"),
        (UnitKind.WARD, "Ủy ban nhân dân phường Cẩm Thành", "Văn phòng HĐND và UBND phường"),
        (UnitKind.SPECIAL_ZONE, "Đặc khu Lý Sơn", "Văn phòng HĐND và UBND đặc khu"),
    ],
)
def test_a_commune_ward_or_special_zone_is_a_body_with_an_office(
    session: Session, kind: UnitKind, name: str, office_name: str
) -> None:
    world = make_world(session)
    body = units.create(
        session=session, actor=ACTOR, code="P-X", name=name, kind=kind, parent=world.province
    )
    office = units.create(
        session=session,
        actor=ACTOR,
        code="P-X-VP",
        name=office_name,
        kind=UnitKind.OFFICE,
        parent=body,
    )
    session.commit()
    assert kind.is_commune_level and kind in COMMUNE_LEVEL_KINDS and kind in units.BODY_KINDS
    assert units.is_office_of(unit=office, body=body)
    assert units.offices_of(session=session, unit_ids=[body.id or 0]) == {body.id: [office.id]}
    assert reach_of(unit=office, parent=body) is body


def test_only_communes_wards_and_special_zones_are_commune_level() -> None:
    assert {kind for kind in UnitKind if kind.is_commune_level} == {
        UnitKind.COMMUNE,
        UnitKind.WARD,
        UnitKind.SPECIAL_ZONE,
    }
    assert {UnitKind.PROVINCE, UnitKind.DISTRICT} | COMMUNE_LEVEL_KINDS == units.BODY_KINDS
