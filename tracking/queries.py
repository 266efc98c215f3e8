"""Read-side queries over tasks as of a date: counts per category and task lists (SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, Subquery, func, select
from sqlmodel import Session, col

from models import Task, Unit
from models.db import table_of
from settings import get_settings
from tracking.calendar import WorkCalendar, load_calendar
from tracking.status import OFFICIAL_CATEGORIES, Category, status_columns, status_subquery
from tracking.units import subtree_condition


@dataclass(kw_only=True)
class CategoryCounts:
    """Tasks per category and the rates derived from them (reports quote the same ones)."""

    counts: dict[Category, int] = field(default_factory=lambda: dict.fromkeys(Category, 0))
    due_soon: int = 0

    @property
    def total(self) -> int:
        """Tasks in the five official categories (paused and cancelled ones apart)."""
        return sum(self.counts[c] for c in OFFICIAL_CATEGORIES)

    @property
    def completed(self) -> int:
        return self.counts[Category.DONE_ON_TIME] + self.counts[Category.DONE_LATE]

    @property
    def due(self) -> int:
        """Tasks whose deadline has come: completed or overdue (the official denominator)."""
        return self.completed + self.counts[Category.OVERDUE]

    @property
    def completion_rate(self) -> float | None:
        """Completed over tasks whose deadline has come; None when none has come yet."""
        return self.completed / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        return self.counts[Category.DONE_ON_TIME] / self.due if self.due else None


@dataclass(kw_only=True)
class StatusCounts(CategoryCounts):
    as_of: date
    awaiting_confirmation: int
    due_soon_until: date

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "counts": {c.value: self.counts[c] for c in Category},
            "total": self.total,
            "completed": self.completed,
            "completion_rate": self.completion_rate,
            "due_soon": self.due_soon,
            "due_soon_until": self.due_soon_until.isoformat(),
            "awaiting_confirmation": self.awaiting_confirmation,
        }


@dataclass(frozen=True)
class TaskRow:
    id: int
    title: str
    lead_unit: str
    assigned_on: date
    original_due_on: date | None
    due_on: date | None
    category: Category
    due_soon: bool
    awaiting_confirmation: bool
    completed_on: date | None


def due_soon_until(*, calendar: WorkCalendar, as_of: date, working_days: int | None = None) -> date:
    days = get_settings().due_soon_working_days if working_days is None else working_days
    return calendar.add_working_days(as_of, days)


def count_by_category(
    *,
    session: Session,
    as_of: date,
    unit: Unit | None = None,
    include_subtree: bool = True,
    assigned_from: date | None = None,
) -> StatusCounts:
    """Counts per category of the tasks led by `unit` (and its subtree) as of a date."""
    until = due_soon_until(calendar=load_calendar(session), as_of=as_of)
    status = status_columns(as_of=as_of, due_soon_until=until)
    # Every column read here is in ix_task_lead_due: the unit's (or each subtree unit's)
    # range of that index is all the count reads. The status is computed once per task in
    # a subquery kept apart (OFFSET 0) and counted per category in one pass: grouping by the
    # CASE made PostgreSQL sort every row (it cannot tell the CASE has seven values).
    per_task = select(
        status.category.label("category"),
        status.due_soon.label("due_soon"),
        status.awaiting_confirmation.label("awaiting"),
    ).where(col(Task.assigned_on) <= as_of)
    if unit is not None:
        lead = col(Task.lead_unit_id)
        per_task = per_task.where(
            subtree_condition(root=unit, unit_id=lead) if include_subtree else lead == unit.id
        )
    if assigned_from is not None:
        per_task = per_task.where(col(Task.assigned_on) >= assigned_from)
    rows = per_task.offset(0).subquery("per_task")
    categories = list(Category)
    statement = select(
        *(func.count().filter(rows.c.category == c.value) for c in categories),
        func.count().filter(rows.c.due_soon),
        func.count().filter(rows.c.awaiting),
    )
    *by_category, due_soon, awaiting = session.execute(statement).one()
    counts = dict(zip(categories, by_category, strict=True))
    return StatusCounts(
        counts=counts,
        due_soon=due_soon,
        as_of=as_of,
        awaiting_confirmation=awaiting,
        due_soon_until=until,
    )


def tasks_as_of(
    *,
    session: Session,
    as_of: date,
    unit: Unit | None = None,
    include_subtree: bool = True,
    assigned_from: date | None = None,
) -> list[TaskRow]:
    until = due_soon_until(calendar=load_calendar(session), as_of=as_of)
    status = status_subquery(as_of=as_of, due_soon_until=until)
    lead = table_of(Unit).alias("lead")
    statement = (
        select(
            col(Task.id),
            col(Task.title),
            lead.c.name,
            col(Task.assigned_on),
            col(Task.original_due_on),
            status.c.due_on_as_of,
            status.c.category,
            status.c.due_soon,
            status.c.awaiting_confirmation,
            status.c.completed_on,
        )
        .join(status, status.c.task_id == Task.id)
        .join(lead, lead.c.id == Task.lead_unit_id)
        .order_by(status.c.due_on_as_of.is_(None), status.c.due_on_as_of, col(Task.id))
    )
    statement = _within(statement, status, unit, include_subtree, assigned_from)
    rows = []
    for row in session.execute(statement):
        category = Category(row[6])
        done = category in (Category.DONE_ON_TIME, Category.DONE_LATE)
        rows.append(
            TaskRow(
                id=row[0],
                title=row[1],
                lead_unit=row[2],
                assigned_on=row[3],
                original_due_on=row[4],
                due_on=row[5],
                category=category,
                due_soon=bool(row[7]),
                awaiting_confirmation=bool(row[8]),
                completed_on=row[9] if done else None,
            )
        )
    return rows


def _within(
    statement: Select[Any],
    status: Subquery,
    unit: Unit | None,
    include_subtree: bool,
    assigned_from: date | None,
) -> Select[Any]:
    """Restrict to tasks led by the unit (or its subtree) and assigned from a date."""
    if unit is not None:
        if include_subtree:
            statement = statement.where(subtree_condition(root=unit, unit_id=status.c.lead_unit_id))
        else:
            statement = statement.where(status.c.lead_unit_id == unit.id)
    if assigned_from is not None:
        statement = statement.where(status.c.assigned_on >= assigned_from)
    return statement
