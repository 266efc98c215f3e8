"""Task status as of a date, written twice: a Python function and a SQL expression.

Both follow docs/domain.md#status-as-of-a-date and count history as it stood on the date:
- a task assigned after the date does not exist yet;
- a completion counts from the day the issuer confirmed it (confirmed_on), and is on time
  when the reported completion day (completed_on) is on or before the effective deadline;
- the effective deadline is the latest extension approved on or before the date, else the
  original one.
tests/tracking/test_status_agreement.py checks with hypothesis that the two always agree.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, or_, select
from sqlmodel import col

from models import ExtensionRequest, ExtensionStatus, Task


class Category(enum.StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    NO_DEADLINE = "no_deadline"
    PAUSED = "paused"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS: dict[Category, str] = {
    Category.DONE_ON_TIME: "Hoàn thành đúng hạn",
    Category.DONE_LATE: "Hoàn thành quá hạn",
    Category.IN_PROGRESS: "Đang thực hiện trong hạn (chưa đến hạn)",
    Category.OVERDUE: "Đang thực hiện quá hạn",
    Category.NO_DEADLINE: "Không có thời hạn (thường xuyên)",
    Category.PAUSED: "Tạm dừng",
    Category.CANCELLED: "Đã hủy",
}

# The five official categories, in the order reports list them.
OFFICIAL_CATEGORIES: tuple[Category, ...] = (
    Category.DONE_ON_TIME,
    Category.DONE_LATE,
    Category.IN_PROGRESS,
    Category.OVERDUE,
    Category.NO_DEADLINE,
)


@dataclass(frozen=True)
class ExtensionFact:
    id: int
    status: ExtensionStatus
    decided_on: date | None
    approved_due_on: date | None


@dataclass(frozen=True)
class TaskFacts:
    """What the status rule reads from a task and its extensions."""

    assigned_on: date
    original_due_on: date | None
    completion_reported_on: date | None = None
    completed_on: date | None = None
    confirmed_on: date | None = None
    paused_on: date | None = None
    cancelled_on: date | None = None
    extensions: Sequence[ExtensionFact] = field(default_factory=tuple)

    @classmethod
    def of(cls, task: Task, extensions: Sequence[ExtensionRequest] = ()) -> TaskFacts:
        return cls(
            assigned_on=task.assigned_on,
            original_due_on=task.original_due_on,
            completion_reported_on=task.completion_reported_on,
            completed_on=task.completed_on,
            confirmed_on=task.confirmed_on,
            paused_on=task.paused_on,
            cancelled_on=task.cancelled_on,
            extensions=tuple(
                ExtensionFact(e.id or 0, e.status, e.decided_on, e.approved_due_on)
                for e in extensions
            ),
        )


def _on_or_before(day: date | None, as_of: date) -> bool:
    return day is not None and day <= as_of


def due_as_of(facts: TaskFacts, as_of: date) -> date | None:
    approved = [
        e
        for e in facts.extensions
        if e.status == ExtensionStatus.APPROVED
        and e.approved_due_on is not None
        and _on_or_before(e.decided_on, as_of)
    ]
    if not approved:
        return facts.original_due_on
    latest = max(approved, key=lambda e: (e.decided_on, e.id))
    return latest.approved_due_on


def category_as_of(facts: TaskFacts, as_of: date) -> Category | None:
    """The task's category on `as_of`; None when it had not been assigned yet."""
    if facts.assigned_on > as_of:
        return None
    if _on_or_before(facts.cancelled_on, as_of):
        return Category.CANCELLED
    due = due_as_of(facts, as_of)
    if _on_or_before(facts.confirmed_on, as_of):
        assert facts.completed_on is not None
        if due is None or facts.completed_on <= due:
            return Category.DONE_ON_TIME
        return Category.DONE_LATE
    if _on_or_before(facts.paused_on, as_of):
        return Category.PAUSED
    if due is None:
        return Category.NO_DEADLINE
    return Category.IN_PROGRESS if due >= as_of else Category.OVERDUE


def is_due_soon(facts: TaskFacts, as_of: date, due_soon_until: date) -> bool:
    """In progress and due between as_of and due_soon_until (n working days ahead)."""
    due = due_as_of(facts, as_of)
    return (
        category_as_of(facts, as_of) == Category.IN_PROGRESS
        and due is not None
        and due <= due_soon_until
    )


def is_awaiting_confirmation(facts: TaskFacts, as_of: date) -> bool:
    """Completion reported by the unit, not yet confirmed by the issuer, on as_of."""
    return (
        category_as_of(facts, as_of) not in (None, Category.CANCELLED)
        and _on_or_before(facts.completion_reported_on, as_of)
        and not _on_or_before(facts.confirmed_on, as_of)
    )


# --- The same rules in SQL ------------------------------------------------------------


def due_as_of_sql(as_of: date) -> ColumnElement[Any]:
    """The effective deadline on as_of. Task.due_on holds it from the decision day of the
    latest approved extension (Task.extended_on; None: never extended) on, so only a task
    extended after as_of needs the latest extension approved by then."""
    approved_by_then = (
        select(col(ExtensionRequest.approved_due_on))
        .where(
            col(ExtensionRequest.task_id) == Task.id,
            col(ExtensionRequest.status) == ExtensionStatus.APPROVED.value,
            col(ExtensionRequest.approved_due_on).is_not(None),
            col(ExtensionRequest.decided_on) <= as_of,
        )
        .order_by(col(ExtensionRequest.decided_on).desc(), col(ExtensionRequest.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (due_is_settled_sql(as_of), col(Task.due_on)),
        else_=func.coalesce(approved_by_then, col(Task.original_due_on)),
    )


def due_is_settled_sql(as_of: date) -> ColumnElement[bool]:
    """Whether Task.due_on is the deadline on as_of: no extension approved after that day."""
    return or_(col(Task.extended_on).is_(None), col(Task.extended_on) <= as_of)


def _on_or_before_sql(column: Any, as_of: date) -> ColumnElement[bool]:
    return and_(column.is_not(None), column <= as_of)


def category_case(columns: Any, as_of: date) -> ColumnElement[str]:
    """The category as a CASE over columns named like Task's plus `due_on_as_of`."""
    confirmed = _on_or_before_sql(columns.confirmed_on, as_of)
    due = columns.due_on_as_of
    return case(
        (_on_or_before_sql(columns.cancelled_on, as_of), Category.CANCELLED.value),
        (
            and_(confirmed, or_(due.is_(None), columns.completed_on <= due)),
            Category.DONE_ON_TIME.value,
        ),
        (confirmed, Category.DONE_LATE.value),
        (_on_or_before_sql(columns.paused_on, as_of), Category.PAUSED.value),
        (due.is_(None), Category.NO_DEADLINE.value),
        (due >= as_of, Category.IN_PROGRESS.value),
        else_=Category.OVERDUE.value,
    )


@dataclass(frozen=True)
class StatusColumns:
    """The status rule as SQL expressions over the Task table itself (no subquery), for
    queries that filter and sort on them next to Task's own indexed columns."""

    due_on_as_of: ColumnElement[Any]
    category: ColumnElement[str]
    due_soon: ColumnElement[bool]
    awaiting_confirmation: ColumnElement[bool]


def status_columns(*, as_of: date, due_soon_until: date | None = None) -> StatusColumns:
    """The category, deadline, due-soon and awaiting-confirmation flags of each Task row as
    of a day, as status_subquery gives them (for the tasks assigned by then)."""
    due = due_as_of_sql(as_of)
    task_columns = SimpleNamespace(
        due_on_as_of=due,
        cancelled_on=col(Task.cancelled_on),
        confirmed_on=col(Task.confirmed_on),
        completed_on=col(Task.completed_on),
        paused_on=col(Task.paused_on),
    )
    category = category_case(task_columns, as_of)
    return StatusColumns(
        due_on_as_of=due,
        category=category,
        due_soon=_due_soon_sql(category, due, due_soon_until or as_of),
        awaiting_confirmation=_awaiting_sql(
            category, col(Task.completion_reported_on), col(Task.confirmed_on), as_of
        ),
    )


def _due_soon_sql(category: Any, due: Any, until: date) -> ColumnElement[bool]:
    return and_(category == Category.IN_PROGRESS.value, due <= until)


def _awaiting_sql(category: Any, reported_on: Any, confirmed_on: Any, as_of: date) -> Any:
    return and_(
        category != Category.CANCELLED.value,
        _on_or_before_sql(reported_on, as_of),
        ~_on_or_before_sql(confirmed_on, as_of),
    )


def status_subquery(
    *,
    as_of: date,
    due_soon_until: date | None = None,
    extra_columns: Sequence[ColumnElement[Any]] = (),
) -> Subquery:
    """One row per task that existed on as_of: task_id, the columns reports group by,
    due_on_as_of, category, due_soon and awaiting_confirmation. Join it on task_id, or ask
    for other columns of the task in `extra_columns` (the join costs a scan of the table on
    PostgreSQL when most tasks are in)."""
    inner = (
        select(
            *extra_columns,
            col(Task.id).label("task_id"),
            col(Task.lead_unit_id),
            col(Task.issuer_unit_id),
            col(Task.plan_id),
            col(Task.section_id),
            col(Task.assigned_on),
            col(Task.completion_reported_on),
            col(Task.completed_on),
            col(Task.confirmed_on),
            col(Task.paused_on),
            col(Task.cancelled_on),
            due_as_of_sql(as_of).label("due_on_as_of"),
        )
        .where(col(Task.assigned_on) <= as_of)
        .subquery("task_as_of")
    )
    category = category_case(inner.c, as_of)
    due_soon = _due_soon_sql(category, inner.c.due_on_as_of, due_soon_until or as_of)
    awaiting = _awaiting_sql(category, inner.c.completion_reported_on, inner.c.confirmed_on, as_of)
    columns: list[Any] = list(inner.c)
    return select(
        *columns,
        category.label("category"),
        case((due_soon, True), else_=False).label("due_soon"),
        case((awaiting, True), else_=False).label("awaiting_confirmation"),
    ).subquery("task_status")
