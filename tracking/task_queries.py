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

from sqlalchemy import ColumnElement, Select, Subquery, any_, except_, func, select, union
from sqlmodel import Session, col

from models import AssignmentRole, ExtensionRequest, Task, TaskAssignment, Unit
from models.db import is_postgres
from tracking import search
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


def _conditions(
    flt: TaskFilter, status: StatusColumns, principal: Principal, *, postgres: bool
) -> list[ColumnElement[bool]]:
    """The filters on the task itself (every branch of the unit match shares them), the text
    search aside (_matching adds it per branch)."""
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
    return conditions


# Categories of a task not yet confirmed complete on the day (tracking.status.category_case:
# a confirmation makes the task done, unless it was cancelled).
_UNCONFIRMED_CATEGORIES = frozenset(
    {Category.IN_PROGRESS, Category.OVERDUE, Category.NO_DEADLINE, Category.PAUSED}
)


def _only_unconfirmed(flt: TaskFilter) -> bool:
    """Whether every task the filter matches was not confirmed complete on flt.as_of: the
    history of done tasks, most of every unit's tasks, is then no part of the search."""
    if flt.due_soon or flt.awaiting_confirmation:
        return True
    return bool(flt.categories) and set(flt.categories) <= _UNCONFIRMED_CATEGORIES


def _lead_branches(flt: TaskFilter, unit_match: Any) -> list[list[ColumnElement[bool]]]:
    """The conditions on the lead unit, split so each branch is one search of an index.

    With a deadline range, the tasks whose due_on is their deadline on as_of (never extended
    after it: tracking.status.due_is_settled_sql) are a range of ix_task_lead_due; the few
    extended after as_of are a range of ix_task_lead_extended. Else, when only tasks not yet
    confirmed on as_of can match (open categories, due soon, awaiting confirmation), those
    never confirmed and those confirmed after as_of are two ranges of ix_task_lead_confirmed.
    The exact as-of filter stays on every branch."""
    lead = unit_match(col(Task.lead_unit_id))
    if flt.due_from is None and flt.due_to is None:
        if _only_unconfirmed(flt):
            confirmed = col(Task.confirmed_on)
            return [[lead, confirmed.is_(None)], [lead, confirmed > flt.as_of]]
        return [[lead]]
    due_range: list[ColumnElement[bool]] = [lead, due_is_settled_sql(flt.as_of)]
    if flt.due_from is not None:
        due_range.append(col(Task.due_on) >= flt.due_from)
    if flt.due_to is not None:
        due_range.append(col(Task.due_on) <= flt.due_to)
    return [due_range, [lead, col(Task.extended_on) > flt.as_of]]


def _sort_key(sort: TaskSort, due: ColumnElement[Any]) -> ColumnElement[Any] | None:
    """What a page is ordered by before the id (None: the id alone)."""
    match sort:
        case TaskSort.DUE_ON | TaskSort.DUE_ON_DESC:
            return due
        case TaskSort.ASSIGNED_ON | TaskSort.ASSIGNED_ON_DESC:
            return cast(ColumnElement[Any], col(Task.assigned_on))
        case TaskSort.TITLE:
            return cast(ColumnElement[Any], col(Task.title))
    return None


def _matching(
    flt: TaskFilter, status: StatusColumns, principal: Principal, *, postgres: bool
) -> Subquery:
    """The matching tasks, one row each: their id and sort key (columns `id`, `sort_key`).
    A union of branches, each driven by one index range (the unit's or the subtree's led
    tasks, its coordinated ones by assignment); the key is read where the branch finds the
    task (for the led tasks by deadline, from the same index)."""
    conditions = _conditions(flt, status, principal, postgres=postgres)
    folded = search.folded_query(flt.text)

    def text(*, row_test: bool) -> list[ColumnElement[bool]]:
        if folded is None:
            return []
        return [search.task_text_condition(folded, postgres=postgres, row_test=row_test)]

    key = _sort_key(flt.sort, status.due_on_as_of)
    columns = [col(Task.id).label("id")] + ([] if key is None else [key.label("sort_key")])
    if flt.unit is None:
        return select(*columns).where(*conditions, *text(row_test=False)).subquery("matching")
    # One unit's tasks (led: an index range; coordinated: a few hundred ids) are each tested
    # for the text: finding every match in the database first took ten times as long.
    one_unit = not flt.include_subtree
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
            select(*columns).where(*lead, *conditions, *text(row_test=one_unit))
            for lead in _lead_branches(flt, unit_match)
        ]
    if flt.unit_role in (None, AssignmentRole.COORDINATE):
        coordinated = select(col(TaskAssignment.task_id)).where(
            unit_match(col(TaskAssignment.unit_id)),
            col(TaskAssignment.role) == AssignmentRole.COORDINATE.value,
        )
        if flt.unit_role is None and flt.include_subtree:
            # Most tasks a subtree coordinates are led within it too: the lead branches find
            # those. Taken away here on the two indexes alone (ix_taskassignment_unit_role,
            # ix_task_lead_due), so only the few led from outside are read from the table.
            led = select(col(Task.id)).where(unit_match(col(Task.lead_unit_id)))
            task_ids: Any = except_(coordinated, led)
        else:
            task_ids = coordinated
        in_coordinated: ColumnElement[bool] = col(Task.id).in_(task_ids)
        if folded is not None and one_unit and postgres:
            # The unit's coordinated ids as one array, read first: as a semi-join the planner,
            # misjudging the text test, read the whole task table against them.
            in_coordinated = col(Task.id) == any_(func.array(coordinated.scalar_subquery()))
        branches.append(
            select(*columns).where(in_coordinated, *conditions, *text(row_test=one_unit))
        )
    if len(branches) == 1:
        return branches[0].subquery("matching")
    # UNION: a task found by two branches (led and coordinated in a subtree) counts once; its
    # sort key is the same in both, a function of the task.
    return union(*branches).subquery("matching")


def _order(rows: Subquery, sort: TaskSort) -> list[ColumnElement[Any]]:
    match sort:
        case TaskSort.DUE_ON:
            return [rows.c.sort_key.is_(None), rows.c.sort_key, rows.c.id]
        case TaskSort.DUE_ON_DESC:
            return [rows.c.sort_key.is_(None), rows.c.sort_key.desc(), rows.c.id.desc()]
        case TaskSort.ASSIGNED_ON | TaskSort.TITLE:
            return [rows.c.sort_key, rows.c.id]
        case TaskSort.ASSIGNED_ON_DESC:
            return [rows.c.sort_key.desc(), rows.c.id.desc()]
        case TaskSort.ID_DESC:
            return [rows.c.id.desc()]
    return [rows.c.id]


def _page_rows(session: Session, status: StatusColumns, ids: list[int]) -> list[Any]:
    """The tasks of a page with their status, in the page's order."""
    if not ids:
        return []
    statement = select(
        Task, status.category, status.due_on_as_of, status.due_soon, status.awaiting_confirmation
    ).where(col(Task.id).in_(ids))
    by_id = {row[0].id: row for row in session.execute(statement)}
    return [by_id[task_id] for task_id in ids]


def list_tasks(
    *, session: Session, principal: Principal, flt: TaskFilter, calendar: WorkCalendar | None = None
) -> TaskPage:
    """One page of the tasks the principal may read that existed on flt.as_of, and how many
    there are. The calendar (for "due soon") is read when not given."""
    until = due_soon_until(calendar=calendar or load_calendar(session), as_of=flt.as_of)
    status = status_columns(as_of=flt.as_of, due_soon_until=until)
    matching = _matching(flt, status, principal, postgres=is_postgres(session.get_bind()))
    limit = max(1, min(flt.limit, MAX_PAGE))
    offset = max(0, flt.offset)
    # The page's ids and the number of matches in one pass over the matching tasks.
    page = session.execute(
        select(matching.c.id, func.count().over())
        .order_by(*_order(matching, flt.sort))
        .limit(limit)
        .offset(offset)
    ).all()
    if page:
        total = page[0][1]
    elif offset == 0:
        total = 0
    else:  # past the last page: the count alone
        total = session.execute(select(func.count()).select_from(matching)).scalar_one()
    ids = [task_id for task_id, _ in page]
    rows = _page_rows(session, status, ids)
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
