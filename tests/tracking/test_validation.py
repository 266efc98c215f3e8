"""The one rule for a typed day: 2021-11-02 or 02/11/2021, within 1990–2099."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tracking.errors import InvalidInput
from tracking.validation import (
    json_shows_not_xml,
    parse_day,
    read_day,
    xml_safe,
    xml_safe_tree,
)


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


def test_the_json_scan_finds_exactly_the_characters_xml_safe_removes() -> None:
    """xml_safe_tree skips its walk when the JSON text shows none of them: every code point
    is found there exactly when xml_safe would remove it."""
    for code_point in range(0x110000):
        character = chr(code_point)
        shown = json_shows_not_xml(json.dumps(character, ensure_ascii=False))
        assert shown == (xml_safe(character) != character), hex(code_point)


def test_a_tree_is_cleaned_only_where_needed() -> None:
    clean = {"a": ["Xã Lý Sơn", {"b": "tab\tand\nlines"}], "n": 1}
    assert xml_safe_tree(clean) is clean
    dirty = {"a\x0b": ["x\x01y", {"b": "\ufffe\x85z"}], "c": "back\\slash"}
    assert xml_safe_tree(dirty) == {"a": ["xy", {"b": "z"}], "c": "back\\slash"}
