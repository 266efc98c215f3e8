"""The phrases of a plan's annex: deadlines, unit names as offices write them, groups."""

from datetime import date

import pytest

from models import Unit, UnitKind
from tracking.annex import group_of, is_vague, unit_key
from tracking.deadlines import DeadlineRule
from tracking.errors import InvalidInput
from tracking.importing import UnitIndex, parse_deadline


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Trước 30/6/2026", DeadlineRule.fixed(date(2026, 6, 30))),
        ("trước ngày 15/3/2027", DeadlineRule.fixed(date(2027, 3, 15))),
        ("Chậm nhất ngày 01/12/2026", DeadlineRule.fixed(date(2026, 12, 1))),
        ("Tháng 6/2026", DeadlineRule.fixed(date(2026, 6, 30))),
        ("Tháng 2/2028", DeadlineRule.fixed(date(2028, 2, 29))),
        ("Quý III/2026", DeadlineRule.fixed(date(2026, 9, 30))),
        ("Quý 1/2027", DeadlineRule.fixed(date(2027, 3, 31))),
        ("quý IV năm 2026", DeadlineRule.fixed(date(2026, 12, 31))),
        ("Năm 2026", DeadlineRule.fixed(date(2026, 12, 31))),
        ("6 tháng đầu năm", DeadlineRule.fixed(date(2027, 6, 30))),
        ("6 tháng cuối năm 2026", DeadlineRule.fixed(date(2026, 12, 31))),
        ("Hằng năm", DeadlineRule.fixed(date(2027, 12, 31))),
        ("Hàng năm", DeadlineRule.fixed(date(2027, 12, 31))),
        ("Thường xuyên", DeadlineRule.none()),
        ("", DeadlineRule.none()),
        ("10 ngày làm việc", DeadlineRule.working_days(10)),
    ],
)
def test_deadline_phrases_of_plans(written: str, expected: DeadlineRule) -> None:
    assert parse_deadline(written, year=2027) == expected


@pytest.mark.parametrize("written", ["Quý V/2026", "Tháng 13/2026", "Cuối năm", "31/2/2026"])
def test_unknown_deadline_phrases_are_refused(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_deadline(written, year=2027)
    assert refused.value.field == "thời hạn"


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("Sở TT&TT", "Sở Thông tin và Truyền thông"),
        ("Sở TT & TT", "Sở Thông tin và Truyền thông"),
        ("Sở KH&ĐT", "Sở Kế hoạch và Đầu tư"),
        ("UBND huyện Lý Sơn", "Ủy ban nhân dân huyện Lý Sơn"),
        ("Uỷ ban nhân dân huyện Lý Sơn", "Ủy ban nhân dân huyện Lý Sơn"),
        ("Sở Văn hoá, Thể thao và Du lịch", "Sở Văn hóa, Thể thao và Du lịch"),
    ],
)
def test_office_abbreviations_name_the_same_unit(written: str, official: str) -> None:
    assert unit_key(written) == unit_key(official)


def _unit(unit_id: int, name: str, kind: UnitKind = UnitKind.DEPARTMENT) -> Unit:
    return Unit(id=unit_id, code=f"U{unit_id}", name=name, kind=kind, parent_id=1)


def test_fuzzy_matching_takes_a_typo_and_names_the_candidates_of_an_ambiguous_name() -> None:
    index = UnitIndex(
        [
            _unit(2, "Sở Thông tin và Truyền thông"),
            _unit(3, "Ủy ban nhân dân huyện Lý Sơn", UnitKind.DISTRICT),
            _unit(4, "UBND huyện Bình Sơn", UnitKind.DISTRICT),
            _unit(5, "Sở Tài chính"),
        ]
    )
    assert index.match("Sở Thông tin và Truyền thôn").unit == index.units[0]
    ambiguous = index.match("UBND huyện Sơn")
    assert ambiguous.unit is None
    assert {u.id for u in ambiguous.candidates} == {3, 4}
    unknown = index.match("Sở Giao thông vận tải")
    assert unknown.unit is None


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("Các sở, ban, ngành", "các sở, ban, ngành"),
        ("Sở, ban, ngành tỉnh", "các sở, ban, ngành"),
        ("UBND các huyện, thị xã, thành phố", "UBND các huyện, thị xã, thành phố"),
        ("Ủy ban nhân dân các xã, phường, đặc khu", "UBND các xã, phường, đặc khu"),
        ("Sở Y tế", None),
    ],
)
def test_groups_of_units(written: str, label: str | None) -> None:
    group = group_of(written)
    assert (group.label if group else None) == label


def test_a_vague_name_is_no_unit() -> None:
    assert is_vague("Các cơ quan, đơn vị liên quan")
    assert not is_vague("Sở Tư pháp")
