"""The reminder policy model: each refusal names the key with the stable code and a Vietnamese
message, as the API and the forms show it; stored JSON loads into typed rules."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from notifications.policy import default_rules, merge, to_rules
from tracking.errors import InvalidInput
from tracking.validation import parse_clock_time


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"before_working_days": [61]},
            "rules.before_working_days",
            "Giá trị phải là số nguyên từ 1 đến 60",
        ),
        (
            {"before_working_days": list(range(1, 12))},
            "rules.before_working_days",
            "Phải là danh sách tối đa 10 số ngày làm việc",
        ),
        ({"on_due_day": "yes"}, "rules.on_due_day", "Giá trị phải là true hoặc false"),
        ({"overdue_first": 2.0}, "rules.overdue_first", "Giá trị phải là số nguyên từ 1 đến 60"),
        (
            {"escalation": [{"overdue_working_days": 3651, "audience": "lead"}]},
            "rules.escalation",
            "Giá trị phải là số nguyên từ 1 đến 3650",
        ),
        (
            {"escalation": [{"audience": "lead"}]},
            "rules.escalation",
            "Mỗi bậc cần đúng hai khóa overdue_working_days và audience",
        ),
        ({"escalation": "lead"}, "rules.escalation", "Phải là danh sách tối đa 10 bậc"),
        (
            {"send_window": {"end": "07:00:00"}},
            "rules.send_window.end",
            "Giờ phải có dạng HH:MM, ví dụ 07:30",
        ),
        (
            {"send_window": {"working_days_only": 1}},
            "rules.send_window.working_days_only",
            "Giá trị phải là true hoặc false",
        ),
        (
            {"send_window": ["07:30"]},
            "rules.send_window",
            "Khung giờ gửi cần các khóa start, end, working_days_only",
        ),
        (
            {"send_window": {"start": "17:30"}},
            "rules.send_window",
            "Giờ bắt đầu phải trước giờ kết thúc",
        ),
        ({"colour": "red", "on_due_day": 1}, "rules.colour", "Khóa không được hỗ trợ: colour"),
    ],
)
def test_each_refusal_names_its_key(overrides: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        to_rules(merge(default_rules(), overrides))
    assert (error.value.code, error.value.field, error.value.message) == (
        "policy.invalid",
        field,
        message,
    )


def test_stored_json_loads_as_typed_rules() -> None:
    rules = to_rules(
        merge(
            default_rules(),
            {
                "before_working_days": [7, 2],
                "escalation": [{"overdue_working_days": 4, "audience": "issuer_office"}],
                "send_window": {"start": "08:00"},
            },
        )
    )
    assert rules.before_working_days == (7, 2)
    assert [(e.overdue_working_days, e.audience) for e in rules.escalation] == [
        (4, "issuer_office")
    ]
    assert (rules.send_window.start, rules.send_window.end) == (time(8, 0), time(17, 30))
    assert rules.overdue_step(1) and rules.overdue_step(6) and not rules.overdue_step(2)


@pytest.mark.parametrize("value", ["7:30", "07:30:00", "24:00", "07:60", "07:30\n", 730, None])
def test_clock_time_is_hh_mm_only(value: object) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_clock_time(value, field="start")
    assert (error.value.code, error.value.field) == ("time.invalid", "start")
    assert parse_clock_time("23:59", field="start") == time(23, 59)
