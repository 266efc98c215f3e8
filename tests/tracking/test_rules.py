"""The rules that have one home: days typed as text, the unit subtree, rows by id."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from models import Task, Unit, UnitKind
from tracking import units
from tracking.audit import SYSTEM
from tracking.errors import InvalidInput, NotFound, get_or_not_found
from tracking.validation import parse_day


@pytest.mark.parametrize(
    "value",
    [
        "2021-11-02",
        "02/11/2021",
        "2/11/2021",
        " 02/11/2021 ",
        date(2021, 11, 2),
        datetime(2021, 11, 2, 8, 30),
    ],
)
def test_a_day_is_read_in_every_form_people_write_it(value: object) -> None:
    assert parse_day(value, field="as_of", label="Ngày tính") == date(2021, 11, 2)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("31/02/2021", "date.invalid"),
        ("2021/11/02", "date.invalid"),
        ("", "date.invalid"),
        (None, "date.invalid"),
        ("31/12/9999", "date.out_of_range"),
        (date(1989, 12, 31), "date.out_of_range"),
    ],
)
def test_a_bad_day_is_refused_naming_the_field(value: object, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_day(value, field="as_of", label="Ngày tính")
    assert refused.value.code == code and refused.value.field == "as_of"
    assert refused.value.message.startswith("Ngày tính")


def test_the_subtree_condition_stays_one_range_on_the_path() -> None:
    root = Unit(code="X", name="X", kind=UnitKind.DISTRICT, path="/1/4/")
    on_units = select(Unit).where(units.subtree_condition(root=root))
    on_tasks = select(Task).where(
        units.subtree_condition(root="/1/4/", unit_id=col(Task.lead_unit_id))
    )
    for statement in (on_units, on_tasks):
        compiled = statement.compile(dialect=postgresql.dialect())
        sql = str(compiled)
        assert sql.count("unit.path >=") == 1 and sql.count("unit.path <") == 1
        assert "LIKE" not in sql
        assert sorted(compiled.params.values()) == ["/1/4/", "/1/40"]
    assert "task.lead_unit_id IN (SELECT unit.id" in str(
        on_tasks.compile(dialect=postgresql.dialect())
    )


@pytest.mark.parametrize(
    ("path", "inside"),
    [("/1/4/", True), ("/1/4/9/", True), ("/1/4/9/12/", True), ("/1/40/", False), ("/1/5/", False)],
)
def test_the_path_range_holds_exactly_the_paths_below_the_root(path: str, inside: bool) -> None:
    low, high = units.subtree_path_bounds("/1/4/")
    assert (low <= path < high) == inside == path.startswith("/1/4/")


def test_the_subtree_holds_the_unit_and_everything_below_it(session: Session) -> None:
    province = units.create(
        session=session, actor=SYSTEM, code="T", name="Tỉnh", kind=UnitKind.PROVINCE
    )
    district = units.create(
        session=session,
        actor=SYSTEM,
        code="H",
        name="Huyện",
        kind=UnitKind.DISTRICT,
        parent=province,
    )
    other = units.create(
        session=session,
        actor=SYSTEM,
        code="K",
        name="Huyện khác",
        kind=UnitKind.DISTRICT,
        parent=province,
    )
    commune = units.create(
        session=session,
        actor=SYSTEM,
        code="X",
        name="Xã",
        kind=UnitKind.COMMUNE,
        parent=district,
    )
    found = session.exec(
        select(Unit.code).where(units.subtree_condition(root=district, unit_id=col(Unit.id)))
    ).all()
    assert sorted(found) == ["H", "X"]
    assert [u.code for u in units.subtree(session=session, unit=district)] == ["H", "X"]
    assert units.is_in_subtree(unit=commune, root=district)
    assert not units.is_in_subtree(unit=other, root=district)


def test_a_missing_row_is_not_found_by_its_field(session: Session) -> None:
    with pytest.raises(NotFound) as missing:
        get_or_not_found(session, Task, 999, entity="task", noun="nhiệm vụ")
    assert missing.value.as_dict() == {
        "code": "task.not_found",
        "message": "Không tìm thấy nhiệm vụ #999",
        "field": "task_id",
    }
