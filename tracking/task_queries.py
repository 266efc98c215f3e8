"""Task listing for the API: filters, sort and pages, all in SQL on indexed columns.

Status categories are the SQL form of the status rule (tracking.status.status_columns) as of
a date; the reach of the caller (tracking.access.task_reach_filter) is one more WHERE clause,
left out when the unit filter lies within it. A unit's (or a subtree's) tasks are a union of
index ranges: led tasks by lead unit and deadline, coordinated ones by assignment.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, func, or_, select, union
from sqlmodel import Session, col

from models import AssignmentRole, ExtensionRequest, Task, TaskAssignment, Unit
from tracking import tasks as tasks_service
from tracking.access import Principal, in_reach, task_reach_filter
from tracking.calendar import WorkCalendar, load_calendar
from tracking.errors import NotYetAssigned
from tracking.queries import due_soon_until
from tracking.status import (
    Category,
    StatusColumns,
    TaskFacts,
    category_as_of,
    due_as_of,
    due_is_settled_sql,
    is_awaiting_confirmation,
    is_due_soon,
    status_columns,
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


def _conditions(
    flt: TaskFilter, status: StatusColumns, principal: Principal
) -> list[ColumnElement[bool]]:
    """The filters on the task itself (every branch of the unit match shares them)."""
    conditions: list[ColumnElement[bool]] = [col(Task.assigned_on) <= flt.as_of]
    # Tasks involving a unit the principal reaches are readable (tracking.access
    # can_read_task), so a unit filter within reach makes the reach filter redundant.
    unit_in_reach = flt.unit is not None and in_reach(principal=principal, unit=flt.unit)
    reach = None if unit_in_reach else task_reach_filter(principal)
    if reach is not None:
        conditions.append(reach)
    if flt.categories:
        conditions.append(status.category.in_([c.value for c in flt.categories]))
    if flt.due_soon is not None:
        conditions.append(status.due_soon == flt.due_soon)
    if flt.awaiting_confirmation is not None:
        conditions.append(status.awaiting_confirmation == flt.awaiting_confirmation)
    if flt.issuer_unit_id is not None:
        conditions.append(col(Task.issuer_unit_id) == flt.issuer_unit_id)
    if flt.plan_id is not None:
        conditions.append(col(Task.plan_id) == flt.plan_id)
    if flt.section_id is not None:
        conditions.append(col(Task.section_id) == flt.section_id)
    if flt.due_from is not None:
        conditions.append(status.due_on_as_of >= flt.due_from)
    if flt.due_to is not None:
        conditions.append(status.due_on_as_of <= flt.due_to)
    if flt.text:
        pattern = f"%{_escape_like(flt.text.strip())}%"
        conditions.append(
            or_(
                col(Task.title).ilike(pattern, escape="\\"),
                col(Task.note).ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _lead_branches(flt: TaskFilter, unit_match: Any) -> list[list[ColumnElement[bool]]]:
    """The conditions on the lead unit, split so each branch is one search of an index.

    With a deadline range, the tasks whose due_on is their deadline on as_of (never extended
    after it: tracking.status.due_is_settled_sql) are a range of ix_task_lead_due; the few
    extended after as_of are a range of ix_task_lead_extended (the exact as-of filter stays
    on both)."""
    lead = unit_match(col(Task.lead_unit_id))
    if flt.due_from is None and flt.due_to is None:
        return [[lead]]
    due_range: list[ColumnElement[bool]] = [lead, due_is_settled_sql(flt.as_of)]
    if flt.due_from is not None:
        due_range.append(col(Task.due_on) >= flt.due_from)
    if flt.due_to is not None:
        due_range.append(col(Task.due_on) <= flt.due_to)
    return [due_range, [lead, col(Task.extended_on) > flt.as_of]]


def _matching_ids(flt: TaskFilter, status: StatusColumns, principal: Principal) -> Select[Any]:
    """The ids of the matching tasks: a union of branches, each driven by one index range
    (the unit's or the subtree's led tasks by deadline, its coordinated ones by assignment)."""
    conditions = _conditions(flt, status, principal)
    if flt.unit is None:
        return select(col(Task.id)).where(*conditions)
    unit = flt.unit
    if flt.include_subtree:
        units = select(col(Unit.id)).where(subtree_condition(root=unit))

        def unit_match(column: Any) -> ColumnElement[bool]:
            return cast(ColumnElement[bool], column.in_(units))
    else:

        def unit_match(column: Any) -> ColumnElement[bool]:
            return cast(ColumnElement[bool], column == unit.id)

    branches: list[Select[Any]] = []
    if flt.unit_role in (None, AssignmentRole.LEAD):
        branches += [
            select(col(Task.id)).where(*lead, *conditions)
            for lead in _lead_branches(flt, unit_match)
        ]
    if flt.unit_role in (None, AssignmentRole.COORDINATE):
        branches.append(
            select(col(Task.id))
            .join(TaskAssignment, col(TaskAssignment.task_id) == col(Task.id))
            .where(
                unit_match(col(TaskAssignment.unit_id)),
                col(TaskAssignment.role) == AssignmentRole.COORDINATE.value,
                *conditions,
            )
        )
    if len(branches) == 1:
        return branches[0]
    return select(union(*branches).subquery().c[0])


def _order(statement: Select[Any], sort: TaskSort, due: ColumnElement[Any]) -> Select[Any]:
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


def list_tasks(
    *, session: Session, principal: Principal, flt: TaskFilter, calendar: WorkCalendar | None = None
) -> TaskPage:
    """One page of the tasks the principal may read that existed on flt.as_of, and how many
    there are. The calendar (for "due soon") is read when not given."""
    until = due_soon_until(calendar=calendar or load_calendar(session), as_of=flt.as_of)
    status = status_columns(as_of=flt.as_of, due_soon_until=until)
    matched = _matching_ids(flt, status, principal)
    total = session.execute(select(func.count()).select_from(matched.subquery())).scalar_one()

    statement = select(
        Task,
        status.category,
        status.due_on_as_of,
        status.due_soon,
        status.awaiting_confirmation,
    ).where(col(Task.id).in_(matched))
    limit = max(1, min(flt.limit, MAX_PAGE))
    statement = _order(statement, flt.sort, status.due_on_as_of)
    rows = session.execute(statement.limit(limit).offset(max(0, flt.offset))).all()

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
