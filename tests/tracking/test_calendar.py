from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from models import CalendarOverride
from tracking.calendar import (
    WorkCalendar,
    load_calendar,
    load_official_overrides,
    official_holiday_name,
    official_overrides,
)
from tracking.deadlines import DeadlineRule
from tracking.errors import InvalidInput

CALENDAR = WorkCalendar(official_overrides())


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2026, 2, 17), False, "Tết Bính Ngọ (holidays package and decision)"),
        (date(2026, 2, 23), True, "first Monday after Tết"),
        (date(2021, 5, 3), False, "nghỉ bù: 01/5/2021 fell on a Saturday"),
        (date(2026, 1, 2), False, "weekday swapped off by the 2026 decision"),
        (date(2026, 1, 10), True, "làm bù Saturday 10/01/2026"),
        (date(2026, 8, 22), True, "làm bù Saturday 22/8/2026"),
        (date(2026, 8, 31), False, "swapped day off before Quốc khánh"),
        (date(2025, 4, 26), True, "làm bù Saturday 26/4/2025"),
        (date(2025, 5, 2), False, "swapped day off 02/5/2025"),
        (date(2021, 9, 3), False, "Quốc khánh's adjacent day since 2021"),
        (date(2021, 11, 6), False, "plain Saturday"),
        (date(2021, 11, 2), True, "plain Tuesday"),
    ],
)
def test_working_days(day: date, working: bool, why: str) -> None:
    assert CALENDAR.is_working_day(day) is working, why


def test_working_days_skip_tet() -> None:
    # Thursday 12/02/2026 + 3 working days: Fri 13, then Tết 14–22/02, then Mon 23, Tue 24.
    assert CALENDAR.add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert CALENDAR.working_days_between(date(2026, 2, 12), date(2026, 2, 24)) == 3
    assert CALENDAR.working_days_between(date(2026, 2, 24), date(2026, 2, 12)) == -3


def test_first_day_not_counted_and_lam_bu_saturday_counts() -> None:
    assert CALENDAR.add_working_days(date(2021, 11, 1), 1) == date(2021, 11, 2)
    # Friday 09/01/2026 + 1 working day is Saturday 10/01 (làm bù).
    assert CALENDAR.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    assert CALENDAR.add_working_days(date(2026, 1, 10), 0) == date(2026, 1, 10)


def test_calendar_days_ending_on_a_day_off_move_to_next_working_day() -> None:
    # 10 days after 04/02/2026 is Saturday 14/02, the first day of Tết: moves to Mon 23/02.
    assert CALENDAR.add_days(date(2026, 2, 4), 10) == date(2026, 2, 23)
    # 4 days after Monday 01/11/2021 is Friday 05/11: a working day, stays.
    assert CALENDAR.add_days(date(2021, 11, 1), 4) == date(2021, 11, 5)


def test_deadline_rules() -> None:
    assigned = date(2021, 9, 20)
    assert DeadlineRule.working_days(15).due_date(assigned_on=assigned, calendar=CALENDAR) == date(
        2021, 10, 11
    )
    assert DeadlineRule.days(12).due_date(assigned_on=assigned, calendar=CALENDAR) == date(
        2021, 10, 4
    )
    assert DeadlineRule.none().due_date(assigned_on=assigned, calendar=CALENDAR) is None
    with pytest.raises(InvalidInput) as error:
        DeadlineRule.fixed(date(2021, 9, 1)).due_date(assigned_on=assigned, calendar=CALENDAR)
    assert error.value.code == "deadline.before_assigned"
    with pytest.raises(InvalidInput) as error:
        DeadlineRule.working_days(0).due_date(assigned_on=assigned, calendar=CALENDAR)
    assert error.value.field == "deadline_amount"


def test_override_wins_over_holidays_and_weekends(session: Session) -> None:
    assert load_official_overrides(session=session) == len(official_overrides())
    session.add(CalendarOverride(day=date(2026, 9, 2), is_working_day=True, note="thử"))
    session.add(CalendarOverride(day=date(2026, 11, 25), is_working_day=False, note="bão"))
    session.commit()
    calendar = load_calendar(session)
    assert calendar.is_working_day(date(2026, 9, 2))
    assert not calendar.is_working_day(date(2026, 11, 25))
    assert calendar.add_working_days(date(2026, 11, 24), 1) == date(2026, 11, 26)
    # Loading the shipped decisions again adds nothing and keeps the administrator's days.
    assert load_official_overrides(session=session) == 0


def test_year_list_names_every_special_day() -> None:
    days = {info.day: info for info in CALENDAR.days_off_in_year(2026)}
    assert days[date(2026, 1, 10)].is_working_day
    assert days[date(2026, 2, 17)].source == "override"
    assert "Quốc khánh" in days[date(2026, 9, 2)].reason


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    span=st.integers(min_value=-800, max_value=800),
)
def test_working_days_between_counts_like_walking_the_days(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    low, high = min(start, end), max(start, end)
    walked = sum(
        CALENDAR.is_working_day(low + timedelta(days=n)) for n in range(1, (high - low).days + 1)
    )
    assert CALENDAR.working_days_between(start, end) == (walked if end >= start else -walked)


def test_vietnam_culture_day_2026_is_a_decided_day_off_with_its_source() -> None:
    """24/11/2026 comes from the shipped decisions, whatever the `holidays` version knows."""
    [row] = [o for o in official_overrides() if o.day == date(2026, 11, 24)]
    assert (row.is_working_day, row.note) == (False, "Ngày Văn hóa Việt Nam")
    assert "80-NQ/TW" in row.legal_source
    info = CALENDAR.info(date(2026, 11, 24))
    assert (info.is_working_day, info.source, info.reason) == (
        False,
        "override",
        "Ngày Văn hóa Việt Nam",
    )
    # Without the package's holidays at all, the day is still off.
    bare = WorkCalendar(official_overrides())
    bare._holidays = holidays.HolidayBase()  # no country: no holiday at all
    assert bare.info(date(2027, 11, 24)).source == "weekday"
    assert not bare.is_working_day(date(2026, 11, 24))


@pytest.mark.parametrize(
    ("package_name", "official"),
    [
        ("Tết Nguyên Đán", "Tết Nguyên đán (mùng 1)"),
        ("Mùng hai Tết Nguyên Đán", "Tết Nguyên đán (mùng 2)"),
        ("Mùng năm Tết Nguyên Đán", "Tết Nguyên đán (mùng 5)"),
        ("Giao thừa Tết Nguyên Đán", "Tết Nguyên đán (giao thừa)"),
        ("29 Tết", "Tết Nguyên đán (29 Tết)"),
        ("Ngày Giỗ Tổ Hùng Vương", "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
        ("Ngày Quốc tế Lao động (nghỉ bù)", "Ngày Quốc tế lao động (nghỉ bù)"),
        ("Quốc khánh", "Quốc khánh"),
        ("Tết Dương lịch", "Tết Dương lịch"),
    ],
)
def test_holiday_names_are_the_official_ones(package_name: str, official: str) -> None:
    assert official_holiday_name(package_name) == official


def test_a_year_without_decisions_shows_official_names() -> None:
    reasons = {info.reason for info in CALENDAR.days_off_in_year(2027) if info.source == "holiday"}
    assert "Tết Nguyên đán (mùng 1)" in reasons
    assert not any("Nguyên Đán" in reason for reason in reasons)
