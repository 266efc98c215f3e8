"""A report of a commune, a ward or a special zone is headed by its People's Committee, under
the province's, as a commune's report is: the unit's name in capitals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from models import UnitKind
from reports import service
from tests.world import ACTOR, WorldBuilder


@pytest.mark.parametrize(
    ("kind", "name", "heading"),
    [
        (UnitKind.COMMUNE, "Ủy ban nhân dân xã Bình Sơn", "ỦY BAN NHÂN DÂN XÃ BÌNH SƠN"),
        (
            UnitKind.WARD,
            "Ủy ban nhân dân phường Cẩm Thành",
            "ỦY BAN NHÂN DÂN PHƯỜNG CẨM THÀNH",
        ),
        (
            UnitKind.SPECIAL_ZONE,
            "Ủy ban nhân dân đặc khu Lý Sơn",
            "ỦY BAN NHÂN DÂN ĐẶC KHU LÝ SƠN",
        ),
    ],
)
def test_the_header_names_the_peoples_committee(
    session: Session, kind: UnitKind, name: str, heading: str
) -> None:
    build = WorldBuilder(session)
    province = build.unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
    body = build.unit("QNG-X", name, kind, parent=province)
    build.unit("QNG-X-VP", "Văn phòng HĐND và UBND", UnitKind.OFFICE, parent=body)
    session.commit()
    body.parent_body_name = "Tỉnh Quảng Ngãi"
    session.add(body)
    session.commit()
    draft = service.create_draft(
        session=session,
        actor=ACTOR,
        kind="year",
        period_code="2026",
        unit_id=body.id or 0,
        as_of=date(2026, 11, 2),
        issuer_code="UBND",
    )
    session.commit()
    assert draft.snapshot is not None
    header = draft.snapshot["header"]
    assert (header["parent_body"], header["issuing_body"]) == ("TỈNH QUẢNG NGÃI", heading)
    assert f"| **{heading}** |" in service.markdown(draft.snapshot)
