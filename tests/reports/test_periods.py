"""Report periods by the NĐ 09/2019 cut-off rules, read from the seeded reporttype rows."""

import itertools
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import ReportType
from tracking.errors import InvalidInput, NotFound
from tracking.periods import (
    default_report_types,
    get_period,
    install_default_report_types,
    latest_finished,
    list_periods,
    update_rule,
)


def _spans(session: Session, kind: str, year: int) -> list[tuple[str, str, date, date]]:
    periods = list_periods(session=session, kind=kind, year=year)
    return [(p.code, p.name, p.start, p.end) for p in periods]


def test_month_periods_run_from_the_15th_to_the_14th(session: Session) -> None:
    spans = _spans(session, "month", 2021)
    assert len(spans) == 12
    assert spans[0] == ("2021-M01", "tháng 01 năm 2021", date(2020, 12, 15), date(2021, 1, 14))
    assert spans[2] == ("2021-M03", "tháng 3 năm 2021", date(2021, 2, 15), date(2021, 3, 14))
    assert spans[11] == ("2021-M12", "tháng 12 năm 2021", date(2021, 11, 15), date(2021, 12, 14))
    # consecutive periods leave no gap and no overlap
    for before, after in itertools.pairwise(spans):
        assert (after[2] - before[3]).days == 1


def test_quarters_and_the_first_quarter_starts_the_year_before(session: Session) -> None:
    assert _spans(session, "quarter", 2021) == [
        ("2021-Q1", "quý I năm 2021", date(2020, 12, 15), date(2021, 3, 14)),
        ("2021-Q2", "quý II năm 2021", date(2021, 3, 15), date(2021, 6, 14)),
        ("2021-Q3", "quý III năm 2021", date(2021, 6, 15), date(2021, 9, 14)),
        ("2021-Q4", "quý IV năm 2021", date(2021, 9, 15), date(2021, 12, 14)),
    ]


def test_half_years_nine_months_and_year(session: Session) -> None:
    assert _spans(session, "half_year", 2021) == [
        ("2021-H1", "6 tháng đầu năm 2021", date(2020, 12, 15), date(2021, 6, 14)),
        ("2021-H2", "6 tháng cuối năm 2021", date(2021, 6, 15), date(2021, 12, 14)),
    ]
    assert _spans(session, "nine_months", 2021) == [
        ("2021-9M", "9 tháng năm 2021", date(2020, 12, 15), date(2021, 9, 14)),
    ]
    assert _spans(session, "year", 2021) == [
        ("2021", "năm 2021", date(2020, 12, 15), date(2021, 12, 14)),
    ]


def test_sending_deadline_counts_working_days_after_the_cut_off(session: Session) -> None:
    # 14/3/2021 is a Sunday: one working day after it is Monday 15/3.
    q1 = get_period(session=session, kind="quarter", code="2021-Q1")
    assert q1.send_by == date(2021, 3, 15)
    # The province decides 3 working days and a cut-off on the 16th (data, not code).
    update_rule(session=session, kind="quarter", cutoff_day=16, send_deadline_working_days=3)
    q1 = get_period(session=session, kind="quarter", code="2021-Q1")
    assert (q1.start, q1.end) == (date(2020, 12, 16), date(2021, 3, 15))
    assert q1.send_by == date(2021, 3, 18)
    # 14/12/2025 is a Sunday; one working day later is Monday 15/12.
    year = get_period(session=session, kind="year", code="2025")
    assert year.send_by == date(2025, 12, 15)


def test_bad_period_input_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as error:
        get_period(session=session, kind="quarter", code="2021-Q5")
    assert error.value.field == "period" and "2021-Q4" in error.value.message
    with pytest.raises(InvalidInput):
        get_period(session=session, kind="year", code="năm")
    with pytest.raises(NotFound) as missing:
        list_periods(session=session, kind="weekly", year=2021)
    assert "quarter" in missing.value.message
    with pytest.raises(InvalidInput):
        update_rule(session=session, kind="month", cutoff_day=31)
    with pytest.raises(InvalidInput):
        list_periods(session=session, kind="year", year=1999)


def test_migration_seeds_the_shipped_report_types(sqlite_template: Path) -> None:
    """The rows migration 0003 writes are the ones tracking/data/report_types.json ships."""
    engine = sa.create_engine(f"sqlite:///{sqlite_template}")
    with Session(engine) as fresh:
        rows = {r.code: r.model_dump() for r in fresh.exec(select(ReportType)).all()}
        assert install_default_report_types(session=fresh) == []
        fresh.rollback()
    engine.dispose()
    assert rows == {row["code"]: row for row in default_report_types()}


def test_the_latest_finished_period_is_the_longer_one_when_several_end_together(
    session: Session,
) -> None:
    # 14 March closes a month and a quarter: the quarter's report is the one due.
    latest = latest_finished(session=session, today=date(2021, 3, 20))
    assert latest is not None and (latest.kind, latest.code) == ("quarter", "2021-Q1")
    # On April's cut-off day April is not finished yet: the quarter is still the latest.
    latest = latest_finished(session=session, today=date(2021, 4, 14))
    assert latest is not None and (latest.kind, latest.code) == ("quarter", "2021-Q1")
    latest = latest_finished(session=session, today=date(2021, 4, 15))
    assert latest is not None and (latest.kind, latest.code) == ("month", "2021-M04")
    # Early January: last year's periods count.
    latest = latest_finished(session=session, today=date(2021, 1, 2))
    assert latest is not None and latest.end == date(2020, 12, 14)
