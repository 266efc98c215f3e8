"""The working calendar: Monday–Friday, Vietnam's public holidays, and decided overrides.

Order of precedence: an override row (a government decision: swapped day, làm bù Saturday)
wins over the `holidays` package, which wins over the plain weekend rule.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from models import CalendarOverride
from tracking.audit import Actor, record, snapshot
from tracking.errors import InvalidInput, NotFound
from tracking.validation import MAX_DEADLINE_DAYS, clean_text

OFFICIAL_OVERRIDES_FILE = Path(__file__).parent / "data" / "calendar_overrides.json"


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_working_day: bool
    reason: str  # "ngày làm việc", "thứ Bảy", a holiday name, or an override's note
    source: str  # "weekday" | "weekend" | "holiday" | "override"


class WorkCalendar:
    """Answers 'is this a working day' and does deadline arithmetic; cheap to build."""

    def __init__(self, overrides: Iterable[CalendarOverride] = ()) -> None:
        self._overrides = {o.day: o for o in overrides}
        self._holidays: holidays.HolidayBase = holidays.country_holidays("VN", language="vi")
        self._cache: dict[date, bool] = {}
        self._cumulative_by_year: dict[int, list[int]] = {}
        # One calendar serves a process's threads (load_calendar): the holidays package fills
        # its years as they are asked, so a day not yet known is looked up under this lock.
        self._lock = threading.Lock()

    def info(self, day: date) -> DayInfo:
        override = self._overrides.get(day)
        if override is not None:
            return DayInfo(day, override.is_working_day, override.note, "override")
        holiday_name = self._holidays.get(day)
        if holiday_name:
            return DayInfo(day, False, official_holiday_name(str(holiday_name)), "holiday")
        if day.weekday() >= 5:
            return DayInfo(day, False, "thứ Bảy" if day.weekday() == 5 else "Chủ nhật", "weekend")
        return DayInfo(day, True, "ngày làm việc", "weekday")

    def is_working_day(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            with self._lock:
                cached = self._cache[day] = self.info(day).is_working_day
        return cached

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def on_or_next_working_day(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def add_working_days(self, start: date, count: int) -> date:
        """The count-th working day after start (the first day is not counted)."""
        _check_count(count)
        day, left = start, count
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def add_days(self, start: date, count: int) -> date:
        """n calendar days after start; a last day off moves to the next working day."""
        _check_count(count)
        return self.on_or_next_working_day(start + timedelta(days=count))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        if start.year == end.year:
            cumulative = self._cumulative(start.year)
            return cumulative[_day_index(end)] - cumulative[_day_index(start)]
        first = self._cumulative(start.year)
        days = first[-1] - first[_day_index(start)]
        days += sum(self._cumulative(year)[-1] for year in range(start.year + 1, end.year))
        return days + self._cumulative(end.year)[_day_index(end)]

    def _cumulative(self, year: int) -> list[int]:
        """counts[i] = working days among the first i days of the year (counts[0] = 0), so
        a count over a range is two lookups: the planner asks it for every overdue task."""
        counts = self._cumulative_by_year.get(year)
        if counts is None:
            counts, total, day = [0], 0, date(year, 1, 1)
            while day.year == year:
                total += self.is_working_day(day)
                counts.append(total)
                day += timedelta(days=1)
            self._cumulative_by_year[year] = counts  # whole, so a reader never sees it half-built
        return counts

    def days_off_in_year(self, year: int) -> list[DayInfo]:
        """Every day of the year that differs from the plain Monday–Friday rule, in order."""
        day, end, result = date(year, 1, 1), date(year, 12, 31), []
        while day <= end:
            info = self.info(day)
            if info.source in ("holiday", "override"):
                result.append(info)
            day += timedelta(days=1)
        return result


# The `holidays` package's Vietnamese names as Bộ luật Lao động 2019 (Điều 112) and the
# government's notices on Tết write them (the package capitalises "Đán", "Lao động").
_OFFICIAL_NAMES = {
    "Tết Nguyên Đán": "Tết Nguyên đán (mùng 1)",
    "Giao thừa Tết Nguyên Đán": "Tết Nguyên đán (giao thừa)",
    "29 Tết": "Tết Nguyên đán (29 Tết)",
    "Ngày Giỗ Tổ Hùng Vương": "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
    "Ngày Quốc tế Lao động": "Ngày Quốc tế lao động",
}
_TET_DAYS = {"hai": 2, "ba": 3, "bốn": 4, "năm": 5}
_TET_DAY = re.compile(r"^Mùng (?P<day>hai|ba|bốn|năm) Tết Nguyên Đán$")
_SUFFIX = re.compile(r"^(?P<name>.*?)(?P<suffix> \([^)]*\))?$")


def official_holiday_name(name: str) -> str:
    """The official Vietnamese name of a holiday the `holidays` package names `name`
    ("Mùng hai Tết Nguyên Đán" → "Tết Nguyên đán (mùng 2)"); a suffix such as " (nghỉ bù)"
    is kept, an unknown name is shown as the package gives it."""
    match = _SUFFIX.match(name)
    assert match is not None  # the pattern matches any text
    base, suffix = match.group("name"), match.group("suffix") or ""
    tet_day = _TET_DAY.match(base)
    if tet_day:
        return f"Tết Nguyên đán (mùng {_TET_DAYS[tet_day.group('day')]}){suffix}"
    return _OFFICIAL_NAMES.get(base, base) + suffix


def _day_index(day: date) -> int:
    return day.timetuple().tm_yday


def _check_count(count: int) -> None:
    if count < 0 or count > MAX_DEADLINE_DAYS:
        raise InvalidInput(
            "calendar.count_out_of_range",
            f"Số ngày phải từ 0 đến {MAX_DEADLINE_DAYS}",
            field="count",
        )


_OverrideRow = tuple[date, bool, str, str]
_shared: tuple[tuple[_OverrideRow, ...], WorkCalendar] | None = None


def load_calendar(session: Session) -> WorkCalendar:
    """The working calendar as the session sees the override rows now. The one place that
    caches it: the process keeps one calendar (its holidays and working-day counts, costly to
    build) and reuses it while the override rows read are the same, so a change by any process
    or transaction (even one not yet committed, seen by its own session) takes effect at once."""
    global _shared
    columns = (
        col(CalendarOverride.day),
        col(CalendarOverride.is_working_day),
        col(CalendarOverride.note),
        col(CalendarOverride.legal_source),
    )
    rows = tuple(
        (day, bool(working), note, source)
        for day, working, note, source in session.execute(
            sql_select(*columns).order_by(col(CalendarOverride.day))
        )
    )
    shared = _shared
    if shared is not None and shared[0] == rows:
        return shared[1]
    calendar = WorkCalendar(
        CalendarOverride(day=day, is_working_day=working, note=note, legal_source=source)
        for day, working, note, source in rows
    )
    _shared = (rows, calendar)
    return calendar


def official_overrides() -> list[CalendarOverride]:
    """The government's decided swaps and extra days off shipped with the product."""
    rows = json.loads(OFFICIAL_OVERRIDES_FILE.read_text(encoding="utf-8"))
    return [
        CalendarOverride(
            day=date.fromisoformat(row["day"]),
            is_working_day=row["is_working_day"],
            note=row["note"],
            legal_source=row["legal_source"],
        )
        for row in rows
    ]


def load_official_overrides(*, session: Session) -> int:
    """Insert the shipped government decisions for days not set yet (an administrator's
    own setting of a day wins); returns how many were added."""
    existing = set(session.exec(select(col(CalendarOverride.day))).all())
    missing = [o for o in official_overrides() if o.day not in existing]
    session.add_all(missing)
    return len(missing)


def list_overrides(
    *, session: Session, start: date | None = None, end: date | None = None
) -> list[CalendarOverride]:
    statement = select(CalendarOverride).order_by(col(CalendarOverride.day))
    if start is not None:
        statement = statement.where(col(CalendarOverride.day) >= start)
    if end is not None:
        statement = statement.where(col(CalendarOverride.day) <= end)
    return list(session.exec(statement).all())


def set_override(
    *,
    session: Session,
    actor: Actor,
    day: date,
    is_working_day: bool,
    note: str,
    legal_source: str = "",
) -> CalendarOverride:
    note = clean_text(
        note, code="calendar.note", field="note", label="Ghi chú", required=True, limit=500
    )
    legal_source = clean_text(
        legal_source,
        code="calendar.legal_source",
        field="legal_source",
        label="Căn cứ pháp lý",
        required=False,
        limit=500,
    )
    override = session.get(CalendarOverride, day)
    before = snapshot(override) if override is not None else None
    if override is None:
        override = CalendarOverride(
            day=day, is_working_day=is_working_day, note=note, legal_source=legal_source
        )
    else:
        override.is_working_day = is_working_day
        override.note = note
        override.legal_source = legal_source
    session.add(override)
    record(
        session=session,
        actor=actor,
        action="calendar.set",
        entity="calendar",
        entity_id=None,
        before=before,
        after=snapshot(override),
    )
    return override


def delete_override(*, session: Session, actor: Actor, day: date) -> None:
    override = session.get(CalendarOverride, day)
    if override is None:
        raise NotFound(
            "calendar.not_found",
            f"Không có điều chỉnh lịch cho ngày {day:%d/%m/%Y}",
            field="day",
        )
    before = snapshot(override)
    session.delete(override)
    record(
        session=session,
        actor=actor,
        action="calendar.delete",
        entity="calendar",
        entity_id=None,
        before=before,
    )
