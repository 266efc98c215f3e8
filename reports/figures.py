"""Report figures as of a date for a unit's subtree: statuses in SQL, counted in one pass.

The status of each task comes from tracking.status.status_subquery (the lead's rule, shared with
the task lists): a task assigned after the date does not exist yet, a completion counts from
its confirmation, the deadline is the one in force on the date. A report for a period counts
the tasks of the subtree that existed on the date and were assigned in the period or were
still open when it began (carried over); tasks cancelled before the period are left out.
The report lists every task in scope anyway, so one query reads them with their status and
the counts per unit, issuer and plan section are summed from those rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import CTE, ColumnElement, Row, and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models import ExtensionRequest, ExtensionStatus, Plan, PlanSection, Task, Unit
from models.db import table_of
from models.reports import Indicator, IndicatorAggregation, IndicatorValue
from reports.snapshot import IndicatorLine
from tracking.calendar import WorkCalendar, load_calendar
from tracking.queries import CategoryCounts, due_soon_until
from tracking.status import Category, status_subquery
from tracking.units import subtree_condition

ALL_CATEGORIES: tuple[Category, ...] = tuple(Category)


@dataclass(frozen=True)
class Scope:
    """Whose tasks and which ones: the subtree of `unit`, the period, optionally one plan."""

    unit: Unit
    as_of: date
    period_start: date
    plan_id: int | None = None


class Counts(CategoryCounts):
    """Counts as a report's snapshot stores them."""

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": {str(c): self.counts[c] for c in ALL_CATEGORIES},
            "total": self.total,
            "completed": self.completed,
            "due": self.due,
            "due_soon": self.due_soon,
            "completion_rate": self.completion_rate,
            "on_time_rate": self.on_time_rate,
        }


def _in_scope(scope: Scope, columns: Any) -> list[ColumnElement[bool]]:
    """The scope's conditions (module doc) on a task's columns, or on status_subquery's."""
    start = scope.period_start
    conditions = [
        subtree_condition(root=scope.unit, unit_id=columns.lead_unit_id),
        or_(
            columns.assigned_on >= start,
            and_(
                or_(columns.confirmed_on.is_(None), columns.confirmed_on >= start),
                or_(columns.cancelled_on.is_(None), columns.cancelled_on >= start),
            ),
        ),
    ]
    if scope.plan_id is not None:
        conditions.append(columns.plan_id == scope.plan_id)
    return conditions


def scoped_status(scope: Scope, *, calendar: WorkCalendar, dialect: str) -> CTE:
    """One row per task in scope with its category on scope.as_of (see the module doc), and
    the title and original deadline the task list shows.

    Materialised: inlined, the status rule's deadline subquery would run again for every
    reference to the category or the deadline (dozens per task on SQLite). On SQLite the tasks
    in scope are picked by id first: it then finds them in the index on lead unit and dates
    alone instead of reading every task's row of the subtree (300 -> 80 ms for a province);
    PostgreSQL scans the table either way, and once is cheaper."""
    until = due_soon_until(calendar=calendar, as_of=scope.as_of)
    task = table_of(Task)
    status = status_subquery(
        as_of=scope.as_of,
        due_soon_until=until,
        extra_columns=[task.c.title, task.c.original_due_on, task.c.directing_leader],
    )
    if dialect == "sqlite":
        picked = select(task.c.id).where(*_in_scope(scope, task.c))
        statement = select(status).where(status.c.task_id.in_(picked))
    else:
        statement = select(status).where(*_in_scope(scope, status.c))
    return statement.cte("scoped").prefix_with("MATERIALIZED")


@dataclass(frozen=True)
class ReportFigures:
    """A report's figures, all from one pass over the tasks in scope (see `compute`)."""

    totals: Counts
    by_unit: list[dict[str, Any]]  # per lead unit of the subtree, in tree order
    by_issuer: list[dict[str, Any]]  # per body that gave tasks, in the order registered
    by_section: list[dict[str, Any]]  # per plan and section, outside any as their own rows
    tasks: list[dict[str, Any]]  # every task in scope, by deadline (none last), then assigned
    # Not stored in the snapshot (the body's sentences are written from them): each task's
    # issuer, and the leaders who gave each issuer's tasks ("Chủ tịch UBND tỉnh"), sorted.
    issuer_of: dict[int, int]
    leaders: dict[int, list[str]]


def _task_rows(scope: Scope, *, session: Session, calendar: WorkCalendar) -> list[Row[Any]]:
    """Each task in scope with what the task list shows and what the counts group by."""
    scoped = scoped_status(scope, calendar=calendar, dialect=session.get_bind().dialect.name)
    approved_count = (
        select(func.count())
        .where(
            col(ExtensionRequest.task_id) == scoped.c.task_id,
            col(ExtensionRequest.status) == ExtensionStatus.APPROVED.value,
            col(ExtensionRequest.decided_on) <= scope.as_of,
        )
        .scalar_subquery()
    )
    lead = aliased(Unit, name="lead")
    statement = (
        select(
            scoped.c.task_id,
            scoped.c.title,
            scoped.c.section_id,
            col(lead.name).label("lead_name"),
            col(lead.short_name).label("lead_short_name"),
            scoped.c.assigned_on,
            scoped.c.original_due_on,
            scoped.c.due_on_as_of,
            scoped.c.category,
            scoped.c.completed_on,
            scoped.c.confirmed_on,
            approved_count.label("extensions"),
            scoped.c.lead_unit_id,
            scoped.c.issuer_unit_id,
            scoped.c.plan_id,
            scoped.c.due_soon,
            scoped.c.directing_leader,
        )
        .select_from(scoped)
        .join(lead, col(lead.id) == scoped.c.lead_unit_id)
        # The plan's sections group the lines in the body; within one, and without a plan,
        # the nearest deadline first, then the order the tasks were given in.
        .order_by(
            scoped.c.due_on_as_of.is_(None),
            scoped.c.due_on_as_of,
            scoped.c.assigned_on,
            scoped.c.task_id,
        )
    )
    return list(session.execute(statement))


CATEGORIES = {category.value: category for category in Category}
DONE = frozenset({Category.DONE_ON_TIME, Category.DONE_LATE})


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


class _TaskLines:
    """The task list's line of each row of _task_rows (a province's report has tens of
    thousands: the row is unpacked once, and the working days overdue counted once for each
    deadline)."""

    def __init__(self, *, as_of: date, calendar: WorkCalendar) -> None:
        self.as_of = as_of
        self.calendar = calendar
        self.overdue_days: dict[date, int] = {}

    def line(self, row: Sequence[Any], category: Category) -> dict[str, Any]:
        (task_id, title, section_id, lead_name, lead_short_name, assigned_on, original_due_on,
         due, _, completed_on, confirmed_on, extensions, *_) = row  # fmt: skip
        overdue_days = None
        if category == Category.OVERDUE and due is not None:
            overdue_days = self.overdue_days.get(due)
            if overdue_days is None:
                overdue_days = self.overdue_days[due] = self.calendar.working_days_between(
                    due, self.as_of
                )
        done = category in DONE
        return {
            "task_id": task_id,
            "title": title,
            "section_id": section_id,
            "lead_unit": lead_name,
            "lead_unit_short": lead_short_name or lead_name,
            "assigned_on": assigned_on.isoformat(),
            "original_due_on": _iso(original_due_on),
            "due_on": _iso(due),
            "category": category.value,
            "completed_on": _iso(completed_on) if done else None,
            "confirmed_on": _iso(confirmed_on) if done else None,
            "extensions": int(extensions or 0),
            "working_days_overdue": overdue_days,
        }


def _sql_order(value: int | None, *, nulls_first: bool) -> tuple[bool, int]:
    """A sort key putting None where ORDER BY puts NULL (first on SQLite, last on PostgreSQL),
    so the rows keep the order they had when SQL sorted them."""
    return ((value is not None) if nulls_first else (value is None), value or 0)


def _by_section(
    session: Session, counts: dict[tuple[int | None, int | None], Counts]
) -> list[dict[str, Any]]:
    plan_ids = {plan_id for plan_id, _ in counts if plan_id is not None}
    section_ids = {section_id for _, section_id in counts if section_id is not None}
    plan_titles = dict(
        session.execute(select(col(Plan.id), col(Plan.title)).where(col(Plan.id).in_(plan_ids)))
        .tuples()
        .all()
    )
    sections = {
        row.id: row
        for row in session.execute(
            select(col(PlanSection.id), col(PlanSection.ordinal), col(PlanSection.title)).where(
                col(PlanSection.id).in_(section_ids)
            )
        )
    }
    rows = []
    for (plan_id, section_id), section_counts in counts.items():
        section = sections.get(section_id) if section_id is not None else None
        rows.append(
            {
                "plan_id": plan_id,
                "plan_title": plan_titles.get(plan_id, "") if plan_id is not None else "",
                "section_id": section_id,
                "ordinal": section.ordinal if section else None,
                "section_title": section.title if section else "",
                **section_counts.as_json(),
            }
        )
    nulls_first = session.get_bind().dialect.name == "sqlite"
    rows.sort(
        key=lambda r: tuple(
            _sql_order(r[key], nulls_first=nulls_first)
            for key in ("plan_id", "ordinal", "section_id")
        )
    )
    return rows


def compute(scope: Scope, *, session: Session) -> ReportFigures:
    """Every figure of a report from one query over the tasks in scope (each task's status
    computed once), counted here, with the names of the units, plans and sections read after."""
    calendar = load_calendar(session)
    totals = Counts()
    per_lead: defaultdict[int, Counts] = defaultdict(Counts)
    per_issuer: defaultdict[int, Counts] = defaultdict(Counts)
    per_section: defaultdict[tuple[int | None, int | None], Counts] = defaultdict(Counts)
    tasks = []
    issuer_of: dict[int, int] = {}
    leaders: defaultdict[int, set[str]] = defaultdict(set)
    lines = _TaskLines(as_of=scope.as_of, calendar=calendar)
    # Rows alike for every count are tallied first: one step a row instead of eight.
    alike: Counter[tuple[Category, bool, int, int, int | None, int | None]] = Counter()
    for row in _task_rows(scope, session=session, calendar=calendar):
        category = CATEGORIES[row.category]
        key = (row.lead_unit_id, row.issuer_unit_id, row.plan_id, row.section_id)
        alike[(category, bool(row.due_soon), *key)] += 1
        tasks.append(lines.line(row, category))
        issuer_of[row.task_id] = row.issuer_unit_id
        if row.directing_leader:
            leaders[row.issuer_unit_id].add(row.directing_leader)
    for (category, due_soon, lead_id, issuer_id, plan_id, section_id), number in alike.items():
        for counts in (
            totals,
            per_lead[lead_id],
            per_issuer[issuer_id],
            per_section[plan_id, section_id],
        ):
            counts.counts[category] += number
            counts.due_soon += number if due_soon else 0
    leads = session.execute(
        select(col(Unit.id), col(Unit.code), col(Unit.name), col(Unit.short_name))
        .where(subtree_condition(root=scope.unit))
        .order_by(col(Unit.path))
    )
    issuers = session.execute(
        select(col(Unit.id), col(Unit.name), col(Unit.short_name))
        .where(col(Unit.id).in_(list(per_issuer)))
        .order_by(col(Unit.id))
    )
    return ReportFigures(
        totals=totals,
        by_unit=[
            {
                "unit_id": unit.id,
                "code": unit.code,
                "name": unit.name,
                "short_name": unit.short_name or unit.name,
                **per_lead[unit.id].as_json(),
            }
            for unit in leads
            if unit.id in per_lead
        ],
        by_issuer=[
            {
                "unit_id": unit.id,
                "name": unit.name,
                "short_name": unit.short_name or unit.name,
                **per_issuer[unit.id].as_json(),
            }
            for unit in issuers
        ],
        by_section=_by_section(session, per_section),
        tasks=tasks,
        issuer_of=issuer_of,
        leaders={issuer: sorted(names) for issuer, names in leaders.items()},
    )


def totals(scope: Scope, *, session: Session) -> Counts:
    """compute's totals alone (each of these parts costs a whole compute)."""
    return compute(scope, session=session).totals


def by_unit(scope: Scope, *, session: Session) -> list[dict[str, Any]]:
    """compute's counts per lead unit alone."""
    return compute(scope, session=session).by_unit


# The columns of an Indicator its IndicatorLine carries as they are.
INDICATOR_OWN_FIELDS = {"code", "name", "unit_of_measure", "target", "sentence"}


def indicator_figures(
    *,
    session: Session,
    plan_id: int,
    unit: Unit,
    period_kind: str,
    period_code: str,
    as_of: date,
) -> list[IndicatorLine]:
    """Each indicator of the plan with the subtree's values for the period, as reported by
    as_of: each unit's latest report on or before that day, combined by the indicator's rule."""
    in_period = and_(
        col(IndicatorValue.period_kind) == period_kind,
        col(IndicatorValue.period_code) == period_code,
        col(IndicatorValue.reported_on) <= as_of,
        subtree_condition(root=unit, unit_id=col(IndicatorValue.unit_id)),
    )
    latest = (
        select(
            col(IndicatorValue.indicator_id),
            col(IndicatorValue.unit_id),
            func.max(col(IndicatorValue.reported_on)).label("reported_on"),
        )
        .where(in_period)
        .group_by(col(IndicatorValue.indicator_id), col(IndicatorValue.unit_id))
        .subquery("latest")
    )
    current = (
        select(
            col(IndicatorValue.indicator_id),
            col(IndicatorValue.unit_id),
            col(IndicatorValue.value),
            col(IndicatorValue.note),
        )
        .join(
            latest,
            and_(
                latest.c.indicator_id == IndicatorValue.indicator_id,
                latest.c.unit_id == IndicatorValue.unit_id,
                latest.c.reported_on == IndicatorValue.reported_on,
            ),
        )
        .where(in_period)
        .subquery("current_value")
    )
    aggregated = (
        select(
            current.c.indicator_id,
            func.sum(current.c.value).label("sum"),
            func.avg(current.c.value).label("avg"),
            func.min(current.c.value).label("min"),
            func.max(current.c.value).label("max"),
            func.count().label("units"),
        )
        .group_by(current.c.indicator_id)
        .subquery("aggregated")
    )
    statement = (
        select(Indicator, aggregated)
        .outerjoin(aggregated, aggregated.c.indicator_id == Indicator.id)
        .where(col(Indicator.plan_id) == plan_id)
        .order_by(col(Indicator.ordinal), col(Indicator.id))
    )
    notes_statement = (
        select(current.c.indicator_id, current.c.note)
        .join(Unit, col(Unit.id) == current.c.unit_id)
        .where(current.c.note != "")
        .order_by(current.c.indicator_id, col(Unit.path))
    )
    notes: dict[int, list[str]] = {}
    for indicator_id, note in session.execute(notes_statement):
        notes.setdefault(indicator_id, []).append(note)
    result = []
    for row in session.execute(statement):
        indicator: Indicator = row[0]
        mapping = row._mapping
        aggregation = IndicatorAggregation(indicator.aggregation)
        raw = mapping[aggregation.value]
        result.append(
            IndicatorLine(
                **indicator.model_dump(include=INDICATOR_OWN_FIELDS),
                id=indicator.id or 0,
                aggregation=aggregation.value,
                value=float(raw) if raw is not None else None,
                units_reporting=int(mapping["units"] or 0),
                notes=notes.get(indicator.id or 0, []),
            )
        )
    return result
