"""Indicators and their values: service rules, CSV/XLSX import (all rows or none), as-of."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlmodel import Session

from reports import figures
from reports import indicators as svc
from reports.demo import DEMO_ACTOR
from tests.world import seed_world
from tracking.errors import InvalidInput


def test_csv_with_bad_rows_imports_nothing_and_lists_every_bad_row(session: Session) -> None:
    world = seed_world(session)
    plan_id = world.plan.id or 0
    csv_text = (
        "indicator_code;unit_code;period_kind;period_code;value;reported_on;note\n"
        "HS_TIEP_NHAN;QNG-LYSON;year;2021;12.500;15/12/2021;\n"
        "NO_SUCH;QNG-LYSON;year;2021;1;15/12/2021;\n"
        "VB_KY_SO;QNG-LYSON;quarter;2021-Q5;98,5;2021-12-15;\n"
        "VB_KY_SO;NOWHERE;year;2021;abc;15/12/2021;\n"
    )
    with pytest.raises(svc.ImportRejected) as rejected:
        svc.import_values(
            session=session,
            actor=DEMO_ACTOR,
            plan_id=plan_id,
            filename="so-lieu.csv",
            content=csv_text.encode(),
        )
    assert {(e.row, e.field) for e in rejected.value.errors} == {
        (3, "indicator_code"),
        (4, "period"),
        (5, "unit_code"),
        (5, "value"),
    }
    assert "dòng 3" in rejected.value.message
    session.rollback()
    values = figures.indicator_figures(
        session=session,
        plan_id=plan_id,
        unit=world.district,
        period_kind="year",
        period_code="2021",
        as_of=date(2021, 12, 31),
    )
    assert {f.code: f.value for f in values}["HS_TIEP_NHAN"] == 12269  # unchanged

    good = csv_text.splitlines()[:2]
    good.append("VB_KY_SO;QNG-LYSON;year;2021;98,5;2021-12-15;")
    saved = svc.import_values(
        session=session,
        actor=DEMO_ACTOR,
        plan_id=plan_id,
        filename="so-lieu.csv",
        content="\n".join(good).encode(),
    )
    assert [v.value for v in saved] == [12500, 98.5]  # "12.500" is twelve thousand five hundred
    # The later report counts from its day on; a report as of 02/11/2021 still sees the old one.
    later = figures.indicator_figures(
        session=session,
        plan_id=plan_id,
        unit=world.district,
        period_kind="year",
        period_code="2021",
        as_of=date(2021, 12, 31),
    )
    assert {f.code: f.value for f in later}["HS_TIEP_NHAN"] == 12500
    earlier = figures.indicator_figures(
        session=session,
        plan_id=plan_id,
        unit=world.district,
        period_kind="year",
        period_code="2021",
        as_of=date(2021, 11, 2),
    )
    assert {f.code: f.value for f in earlier}["HS_TIEP_NHAN"] == 12269


def test_xlsx_indicator_import_and_subtree_aggregation(session: Session) -> None:
    world = seed_world(session)
    plan_id = world.plan.id or 0
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["code", "name", "unit_of_measure", "target", "aggregation", "ordinal", "sentence"]
    )
    sheet.append(
        [
            "MAY_TINH",
            "Máy tính trên mỗi cán bộ",
            "máy/CBCC",
            1,
            "avg",
            10,
            "Tỷ lệ máy tính đạt {value}.",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    created = svc.import_indicators(
        session=session,
        actor=DEMO_ACTOR,
        plan_id=plan_id,
        filename="chi-tieu.xlsx",
        content=buffer.getvalue(),
    )
    assert [(i.code, i.aggregation, i.target) for i in created] == [("MAY_TINH", "avg", 1.0)]
    from tracking import units

    for code, value in (("QNG-LYSON-VP", 1.0), ("QNG-LYSON-VHTT", 0.8)):
        unit = units.get_by_code(session=session, code=code)
        svc.record_value(
            session=session,
            actor=DEMO_ACTOR,
            indicator_id=created[0].id or 0,
            unit_id=unit.id or 0,
            period_kind="year",
            period_code="2021",
            value=value,
            reported_on=date(2021, 11, 1),
        )
    result = figures.indicator_figures(
        session=session,
        plan_id=plan_id,
        unit=world.district,
        period_kind="year",
        period_code="2021",
        as_of=date(2021, 11, 2),
    )
    computer = next(f for f in result if f.code == "MAY_TINH")
    assert computer.value == pytest.approx(0.9) and computer.units_reporting == 2


def test_indicator_rules(session: Session) -> None:
    world = seed_world(session)
    plan_id = world.plan.id or 0
    with pytest.raises(InvalidInput) as unknown:
        svc.create_indicator(
            session=session,
            actor=DEMO_ACTOR,
            plan_id=plan_id,
            code="X1",
            name="Thử",
            sentence="Đạt {value}, gấp {KHONG_CO} lần",
        )
    assert unknown.value.field == "sentence" and "KHONG_CO" in unknown.value.message
    with pytest.raises(InvalidInput):
        svc.create_indicator(
            session=session, actor=DEMO_ACTOR, plan_id=plan_id, code="HS_TIEP_NHAN", name="Trùng mã"
        )
    with pytest.raises(InvalidInput):
        svc.create_indicator(
            session=session, actor=DEMO_ACTOR, plan_id=plan_id, code="1abc", name="Mã sai"
        )
    signed = svc.find_indicator(session=session, plan_id=plan_id, code="VB_KY_SO")
    assert signed is not None
    with pytest.raises(InvalidInput):
        svc.record_value(
            session=session,
            actor=DEMO_ACTOR,
            indicator_id=signed.id or 0,
            unit_id=world.district.id or 0,
            period_kind="year",
            period_code="2021",
            value=120,
            reported_on=date(2021, 11, 1),
        )
    with pytest.raises(InvalidInput):
        svc.import_values(
            session=session,
            actor=DEMO_ACTOR,
            plan_id=plan_id,
            filename="so-lieu.pdf",
            content=b"%PDF",
        )
    assert svc.parse_number("1.234,5") == 1234.5 and svc.parse_number("0.9") == 0.9
