"""Report periods by the cut-off rules of Nghị định 09/2019 Điều 12, read from ReportType rows.

A period ends the day before the cut-off day of its end month and starts on the cut-off day of
the month `length_months` earlier: with cut-off day 15, Q1 2021 is 15/12/2020 → 14/3/2021 and
the year 2021 is 15/12/2020 → 14/12/2021. Which periods a kind has, the cut-off day and the
sending deadline are data (table reporttype), not code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import ReportType
from tracking.calendar import WorkCalendar, load_calendar
from tracking.errors import InvalidInput, NotFound

MIN_YEAR, MAX_YEAR = 2000, 2100
# The shipped rules; migration 0003 seeds the same rows into a new database.
DEFAULT_REPORT_TYPES_FILE = Path(__file__).parent / "data" / "report_types.json"


def default_report_types() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(DEFAULT_REPORT_TYPES_FILE.read_text(encoding="utf-8"))
    return rows


def install_default_report_types(*, session: Session) -> list[str]:
    """Insert the shipped report types that are missing; rows already there are kept as edited.
    Returns the codes inserted."""
    inserted = []
    for row in default_report_types():
        if session.get(ReportType, row["code"]) is None:
            session.add(ReportType(**row))
            inserted.append(str(row["code"]))
    session.flush()
    return inserted


@dataclass(frozen=True)
class PeriodRule:
    """The part of a ReportType that decides its periods."""

    kind: str
    length_months: int
    cutoff_day: int
    send_deadline_working_days: int
    periods: tuple[tuple[str, int, str], ...]  # (code, end month, name template with {year})

    @classmethod
    def of(cls, report_type: ReportType) -> PeriodRule:
        return cls(
            kind=report_type.code,
            length_months=report_type.length_months,
            cutoff_day=report_type.cutoff_day,
            send_deadline_working_days=report_type.send_deadline_working_days,
            periods=tuple(
                (str(p["code"]), int(p["end_month"]), str(p["name"])) for p in report_type.periods
            ),
        )


@dataclass(frozen=True)
class Period:
    kind: str
    code: str  # "2021", "2021-Q1", "2021-M03", "2021-H2", "2021-9M"
    year: int
    name: str  # "quý I năm 2021"
    start: date
    end: date  # the cut-off: data up to and including this day
    send_by: date  # the sending deadline (working days after the cut-off)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "year": self.year,
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "send_by": self.send_by.isoformat(),
        }


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def periods_of_year(rule: PeriodRule, year: int, calendar: WorkCalendar) -> list[Period]:
    """Every period of `rule` that belongs to `year`, in order."""
    _check_year(year)
    result = []
    for code, end_month, name in rule.periods:
        start_year, start_month = _shift_month(year, end_month, -rule.length_months)
        start = date(start_year, start_month, rule.cutoff_day)
        end = date(year, end_month, rule.cutoff_day) - timedelta(days=1)
        send_by = calendar.add_working_days(end, rule.send_deadline_working_days)
        result.append(
            Period(
                kind=rule.kind,
                code=f"{year}-{code}" if code else str(year),
                year=year,
                name=name.format(year=year),
                start=start,
                end=end,
                send_by=send_by,
            )
        )
    return result


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(
            "report.year_out_of_range",
            f"Năm báo cáo phải từ {MIN_YEAR} đến {MAX_YEAR}",
            field="year",
        )


def get_report_type(*, session: Session, kind: str) -> ReportType:
    report_type = session.get(ReportType, kind)
    if report_type is None or not report_type.active:
        known = ", ".join(list_kinds(session=session))
        raise NotFound(
            "report.kind_unknown",
            f"Không có loại báo cáo «{kind}» (các loại: {known})",
            field="kind",
        )
    return report_type


def list_kinds(*, session: Session) -> list[str]:
    statement = (
        select(ReportType.code)
        .where(col(ReportType.active))
        .order_by(col(ReportType.length_months))
    )
    return list(session.exec(statement).all())


def named_kinds(*, session: Session) -> list[tuple[str, str]]:
    """(code, Vietnamese name) of each active kind, shortest period first."""
    statement = (
        select(ReportType.code, ReportType.name)
        .where(col(ReportType.active))
        .order_by(col(ReportType.length_months))
    )
    return [(code, name) for code, name in session.exec(statement).all()]


def list_periods(*, session: Session, kind: str, year: int) -> list[Period]:
    rule = PeriodRule.of(get_report_type(session=session, kind=kind))
    return periods_of_year(rule, year, load_calendar(session))


def latest_finished(*, session: Session, today: date) -> Period | None:
    """The period whose cut-off passed most recently, of any active kind: the one a new
    report is most likely for. When several end the same day (March is a month and a quarter)
    the longer wins, its report being the one due."""
    ended = [
        period
        for kind in list_kinds(session=session)
        for year in (today.year - 1, today.year)
        for period in list_periods(session=session, kind=kind, year=year)
        if period.end < today
    ]
    return max(ended, key=lambda p: (p.end, p.end - p.start), default=None)


def get_period(*, session: Session, kind: str, code: str) -> Period:
    """The period of `kind` with code `code` ("2021", "2021-Q1"…)."""
    year_text = code.split("-", 1)[0]
    if not year_text.isdigit():
        raise InvalidInput(
            "report.period_invalid",
            f"Kỳ báo cáo «{code}» không hợp lệ (ví dụ: 2021, 2021-Q1, 2021-M03, 2021-H1)",
            field="period",
        )
    for period in list_periods(session=session, kind=kind, year=int(year_text)):
        if period.code == code:
            return period
    codes = ", ".join(p.code for p in list_periods(session=session, kind=kind, year=int(year_text)))
    raise InvalidInput(
        "report.period_invalid",
        f"Loại báo cáo «{kind}» không có kỳ «{code}» (các kỳ: {codes})",
        field="period",
    )


def update_rule(
    *,
    session: Session,
    kind: str,
    cutoff_day: int | None = None,
    send_deadline_working_days: int | None = None,
) -> ReportType:
    """Change a report type's cut-off day or sending deadline (a province's own decision)."""
    report_type = get_report_type(session=session, kind=kind)
    if cutoff_day is not None and not 1 <= cutoff_day <= 28:
        raise InvalidInput(
            "report.cutoff_day_invalid", "Ngày chốt số liệu phải từ 1 đến 28", field="cutoff_day"
        )
    if send_deadline_working_days is not None and not 1 <= send_deadline_working_days <= 60:
        raise InvalidInput(
            "report.send_deadline_invalid",
            "Hạn gửi báo cáo phải từ 01 đến 60 ngày làm việc sau ngày chốt số liệu",
            field="send_deadline_working_days",
        )
    if cutoff_day is not None:
        report_type.cutoff_day = cutoff_day
    if send_deadline_working_days is not None:
        report_type.send_deadline_working_days = send_deadline_working_days
    session.add(report_type)
    session.flush()
    return report_type
