"""Task listing for the API: filters, sort and pages, all in SQL on indexed columns.

Status categories are the SQL form of the status rule (tracking.status.status_subquery) as of
a date; the reach of the caller (tracking.access.task_reach_filter) is one more WHERE clause.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlmodel import Session, col

from models import AssignmentRole, ExtensionRequest, Task, TaskAssignment, Unit
from tracking import tasks as tasks_service
from tracking.access import Principal, task_reach_filter
from tracking.calendar import WorkCalendar, load_calendar
from tracking.errors import NotYetAssigned
from tracking.queries import due_soon_until
from tracking.status import (
    Category,
    TaskFacts,
    category_as_of,
    due_as_of,
    is_awaiting_confirmation,
    is_due_soon,
    status_subquery,
)
from tracking.units import subtree_condition

MAX_PAGE = 200


class TaskSort(enum.StrEnum):
    DUE_ON = "due_on"
    DUE_ON_DESC = "-due_on"
    ASSIGNED_ON = "assigned_on"
    ASSIGNED_ON_DESC = "-assigned_on"
    ID = "id"
    ID_DESC = "-id"
    TITLE = "title"


@dataclass(frozen=True)
class TaskFilter:
    as_of: date
    categories: Sequence[Category] = ()
    due_soon: bool | None = None
    awaiting_confirmation: bool | None = None
    unit: Unit | None = None
    include_subtree: bool = False
    unit_role: AssignmentRole | None = None  # None: lead or coordinating
    issuer_unit_id: int | None = None
    plan_id: int | None = None
    section_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    text: str | None = None
    sort: TaskSort = TaskSort.DUE_ON
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class ListedTask:
    task: Task
    category: Category
    due_on_as_of: date | None
    due_soon: bool
    awaiting_confirmation: bool
    coordinating_unit_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TaskPage:
    total: int
    items: list[ListedTask]


NOT_YET_ASSIGNED = "task.not_yet_assigned"


def require_assigned_by(*, task: Task, as_of: date) -> None:
    """Refuse a day before the task was assigned: on that day the task did not exist yet, so
    the list and the statistics leave it out and a single task answers NotYetAssigned, a
    NotFound (`task.not_yet_assigned`, field `as_of`); the day of assignment shows the task."""
    if as_of < task.assigned_on:
        raise NotYetAssigned(
            NOT_YET_ASSIGNED,
            f"Nhiệm vụ chưa được giao vào ngày {as_of:%d/%m/%Y}",
            field="as_of",
        )


def task_status(
    *,
    session: Session,
    task: Task,
    as_of: date,
    assignments: Sequence[TaskAssignment] | None = None,
    extensions: Sequence[ExtensionRequest] | None = None,
    calendar: WorkCalendar | None = None,
) -> ListedTask:
    """One task as the list shows it, as of a day, by the Python form of the status rule (the
    list computes the same in SQL). Assignments, extensions and calendar are read when not
    given. A day before the task was assigned raises NotYetAssigned (require_assigned_by)."""
    require_assigned_by(task=task, as_of=as_of)
    task_id = task.id or 0
    if assignments is None:
        assignments = tasks_service.assignments(session=session, task_id=task_id)
    if extensions is None:
        extensions = tasks_service.extensions(session=session, task_id=task_id)
    facts = TaskFacts.of(task, extensions)
    until = due_soon_until(calendar=calendar or load_calendar(session), as_of=as_of)
    return ListedTask(
        task=task,
        category=category_as_of(facts, as_of) or Category.IN_PROGRESS,
        due_on_as_of=due_as_of(facts, as_of),
        due_soon=is_due_soon(facts, as_of, until),
        awaiting_confirmation=is_awaiting_confirmation(facts, as_of),
        coordinating_unit_ids=[
            a.unit_id for a in assignments if a.role == AssignmentRole.COORDINATE
        ],
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(flt: TaskFilter, status: Any, principal: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    reach = task_reach_filter(principal)
    if reach is not None:
        conditions.append(reach)
    if flt.categories:
        conditions.append(status.c.category.in_([c.value for c in flt.categories]))
    if flt.due_soon is not None:
        conditions.append(status.c.due_soon == flt.due_soon)
    if flt.awaiting_confirmation is not None:
        conditions.append(status.c.awaiting_confirmation == flt.awaiting_confirmation)
    if flt.unit is not None:
        if flt.include_subtree:
            unit_match: ColumnElement[bool] = subtree_condition(
                root=flt.unit, unit_id=col(TaskAssignment.unit_id)
            )
        else:
            unit_match = col(TaskAssignment.unit_id) == flt.unit.id
        assigned = select(col(TaskAssignment.task_id)).where(unit_match)
        if flt.unit_role is not None:
            assigned = assigned.where(col(TaskAssignment.role) == flt.unit_role.value)
        conditions.append(col(Task.id).in_(assigned))
    if flt.issuer_unit_id is not None:
        conditions.append(col(Task.issuer_unit_id) == flt.issuer_unit_id)
    if flt.plan_id is not None:
        conditions.append(col(Task.plan_id) == flt.plan_id)
    if flt.section_id is not None:
        conditions.append(col(Task.section_id) == flt.section_id)
    if flt.due_from is not None:
        conditions.append(status.c.due_on_as_of >= flt.due_from)
    if flt.due_to is not None:
        conditions.append(status.c.due_on_as_of <= flt.due_to)
    if flt.text:
        pattern = f"%{_escape_like(flt.text.strip())}%"
        conditions.append(
            or_(
                col(Task.title).ilike(pattern, escape="\\"),
                col(Task.note).ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _order(statement: Select[Any], sort: TaskSort, status: Any) -> Select[Any]:
    due = status.c.due_on_as_of
    match sort:
        case TaskSort.DUE_ON:
            return statement.order_by(due.is_(None), due, col(Task.id))
        case TaskSort.DUE_ON_DESC:
            return statement.order_by(due.is_(None), due.desc(), col(Task.id).desc())
        case TaskSort.ASSIGNED_ON:
            return statement.order_by(col(Task.assigned_on), col(Task.id))
        case TaskSort.ASSIGNED_ON_DESC:
            return statement.order_by(col(Task.assigned_on).desc(), col(Task.id).desc())
        case TaskSort.ID_DESC:
            return statement.order_by(col(Task.id).desc())
        case TaskSort.TITLE:
            return statement.order_by(col(Task.title), col(Task.id))
    return statement.order_by(col(Task.id))


def list_tasks(*, session: Session, principal: Principal, flt: TaskFilter) -> TaskPage:
    """One page of the tasks the principal may read that existed on flt.as_of."""
    until = due_soon_until(calendar=load_calendar(session), as_of=flt.as_of)
    status = status_subquery(as_of=flt.as_of, due_soon_until=until)
    conditions = _conditions(flt, status, principal)
    base = select(col(Task.id)).join(status, status.c.task_id == Task.id)
    if conditions:
        base = base.where(and_(*conditions))
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()

    statement = select(
        Task,
        status.c.category,
        status.c.due_on_as_of,
        status.c.due_soon,
        status.c.awaiting_confirmation,
    ).join(status, status.c.task_id == Task.id)
    if conditions:
        statement = statement.where(and_(*conditions))
    limit = max(1, min(flt.limit, MAX_PAGE))
    statement = _order(statement, flt.sort, status).limit(limit).offset(max(0, flt.offset))
    rows = session.execute(statement).all()

    ids = [row[0].id for row in rows]
    coordinators: dict[int, list[int]] = {task_id: [] for task_id in ids}
    if ids:
        assignment_rows = session.execute(
            select(col(TaskAssignment.task_id), col(TaskAssignment.unit_id))
            .where(
                col(TaskAssignment.task_id).in_(ids),
                col(TaskAssignment.role) == AssignmentRole.COORDINATE.value,
            )
            .order_by(col(TaskAssignment.id))
        )
        for task_id, unit_id in assignment_rows:
            coordinators[task_id].append(unit_id)
    items = [
        ListedTask(
            task=row[0],
            category=Category(row[1]),
            due_on_as_of=row[2],
            due_soon=bool(row[3]),
            awaiting_confirmation=bool(row[4]),
            coordinating_unit_ids=coordinators[row[0].id],
        )
        for row in rows
    ]
    return TaskPage(total=total, items=items)
