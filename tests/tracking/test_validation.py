"""The one rule for a typed day: 2021-11-02 or 02/11/2021, within 1990–2099."""

from __future__ import annotations

from datetime import date

import pytest

from tracking.errors import InvalidInput
from tracking.validation import parse_day, read_day


@pytest.mark.parametrize("text", ["2021-11-02", "02/11/2021", " 2/11/2021 "])
def test_both_spellings_mean_the_same_day(text: str) -> None:
    assert read_day(text) == date(2021, 11, 2)
    assert parse_day(text, field="as_of", label="Ngày") == date(2021, 11, 2)


@pytest.mark.parametrize("text", ["31/02/2026", "2021/11/02", "hôm nay", ""])
def test_a_day_that_does_not_exist_is_refused_naming_the_field(text: str) -> None:
    assert read_day(text) is None
    with pytest.raises(InvalidInput) as refused:
        parse_day(text, field="as_of", label="Ngày")
    assert (refused.value.code, refused.value.field) == ("date.invalid", "as_of")
    assert "không phải ngày hợp lệ" in refused.value.message


def test_a_day_outside_the_range_is_refused_with_the_day_read() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_day("9999-12-31", field="due_on", label="Hạn")
    assert refused.value.code == "date.out_of_range"
    assert refused.value.message == "Hạn 31/12/9999 phải trong khoảng 01/01/1990 – 31/12/2099"
