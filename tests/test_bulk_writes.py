"""Bulk writes past the databases' parameter limits (PostgreSQL 65,535, SQLite 32,766).

A province's day can plan more than 10,000 reminder items at once; one multi-row INSERT of
them used to fail on PostgreSQL with "number of parameters must be between 0 and 65535".
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, func, select

from models import CalendarOverride
from models.db import MAX_STATEMENT_PARAMETERS, insert_ignore

# Four columns a row: 17,000 rows are 68,000 parameters, past both limits in one statement.
ROWS = 17_000


def _days(count: int, *, first: date = date(1990, 1, 1)) -> list[dict[str, object]]:
    return [
        {
            "day": first + timedelta(days=i),
            "is_working_day": False,
            "note": f"n{i}",
            "legal_source": "",
        }
        for i in range(count)
    ]


def test_a_batch_larger_than_one_statement_is_written_whole_and_counted(session: Session) -> None:
    assert ROWS * 4 > 65_535 > MAX_STATEMENT_PARAMETERS
    added = insert_ignore(session, CalendarOverride, _days(ROWS), key="day")
    session.commit()
    assert added == ROWS
    assert session.exec(select(func.count()).select_from(CalendarOverride)).one() == ROWS


def test_rerunning_an_overlapping_batch_adds_only_the_new_rows(session: Session) -> None:
    insert_ignore(session, CalendarOverride, _days(ROWS), key="day")
    session.commit()
    again = insert_ignore(
        session,
        CalendarOverride,
        _days(1_000, first=date(1990, 1, 1) + timedelta(days=ROWS - 500)),
        key="day",
    )
    session.commit()
    assert again == 500
    assert session.exec(select(func.count()).select_from(CalendarOverride)).one() == ROWS + 500
