"""Report figures as of a date for a unit's subtree, computed as SQL aggregates.

The status of each task comes from tracking.status.status_subquery (the lead's rule, shared with
the task lists): a task assigned after the date does not exist yet, a completion counts from
its confirmation, the deadline is the one in force on the date. A report for a period counts
the tasks of the subtree that existed on the date and were assigned in the period or were
still open when it began (carried over); tasks cancelled before the period are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Select, Subquery, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models import ExtensionRequest, ExtensionStatus, Plan, PlanSection, Task, Unit
from models.reports import Indicator, IndicatorAggregation, IndicatorValue
from reports.snapshot import IndicatorLine
from tracking.calendar import load_calendar
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


def scoped_status(scope: Scope, *, session: Session) -> Subquery:
    """One row per task in scope with its category on scope.as_of (see the module doc)."""
    until = due_soon_until(calendar=load_calendar(session), as_of=scope.as_of)
    status = status_subquery(as_of=scope.as_of, due_soon_until=until)
    start = scope.period_start
    statement = select(status).where(
        subtree_condition(root=scope.unit, unit_id=status.c.lead_unit_id),
        or_(
            status.c.assigned_on >= start,
            and_(
                or_(status.c.confirmed_on.is_(None), status.c.confirmed_on >= start),
                or_(status.c.cancelled_on.is_(None), status.c.cancelled_on >= start),
            ),
        ),
    )
    if scope.plan_id is not None:
        statement = statement.where(status.c.plan_id == scope.plan_id)
    return statement.subquery("scoped")


def _count_columns(scoped: Subquery) -> list[Any]:
    columns: list[Any] = [
        func.sum(case((scoped.c.category == c.value, 1), else_=0)).label(c.value)
        for c in ALL_CATEGORIES
    ]
    columns.append(func.sum(func.cast(scoped.c.due_soon, Integer)).label("due_soon"))
    return columns


def _counts(row: Any) -> Counts:
    mapping = row._mapping
    counts = Counts()
    for c in ALL_CATEGORIES:
        counts.counts[c] = int(mapping[c.value] or 0)
    counts.due_soon = int(mapping["due_soon"] or 0)
    return counts


def totals(scope: Scope, *, session: Session) -> Counts:
    scoped = scoped_status(scope, session=session)
    row = session.execute(select(*_count_columns(scoped))).one()
    return _counts(row)


def _counts_per_unit(
    scope: Scope, *, session: Session, link: str, keys: dict[str, Any], order: Any
) -> list[dict[str, Any]]:
    """Counts per unit the scoped tasks name in `link` (lead or issuer), with the unit's
    `keys` (label → Unit column); short_name falls back to the name."""
    scoped = scoped_status(scope, session=session)
    statement: Select[Any] = (
        select(*[column.label(label) for label, column in keys.items()])
        .add_columns(*_count_columns(scoped))
        .join(scoped, scoped.c[link] == Unit.id)
        .group_by(*keys.values(), order)
        .order_by(order)
    )
    return [
        {
            **{label: row._mapping[label] for label in keys},
            "short_name": row.short_name or row.name,
            **_counts(row).as_json(),
        }
        for row in session.execute(statement)
    ]


def by_unit(scope: Scope, *, session: Session) -> list[dict[str, Any]]:
    """Counts per lead unit of the subtree, in tree order."""
    keys = {
        "unit_id": col(Unit.id),
        "code": col(Unit.code),
        "name": col(Unit.name),
        "short_name": col(Unit.short_name),
    }
    return _counts_per_unit(
        scope, session=session, link="lead_unit_id", keys=keys, order=col(Unit.path)
    )


def by_issuer(scope: Scope, *, session: Session) -> list[dict[str, Any]]:
    """Counts per body that gave the tasks, in the order the bodies were registered."""
    keys = {"unit_id": col(Unit.id), "name": col(Unit.name), "short_name": col(Unit.short_name)}
    return _counts_per_unit(
        scope, session=session, link="issuer_unit_id", keys=keys, order=col(Unit.id)
    )


def by_plan_section(scope: Scope, *, session: Session) -> list[dict[str, Any]]:
    """Counts per plan and plan section (tasks outside any plan or section as their own rows)."""
    scoped = scoped_status(scope, session=session)
    statement: Select[Any] = (
        select(
            scoped.c.plan_id,
            func.coalesce(col(Plan.title), literal("")).label("plan_title"),
            scoped.c.section_id,
            col(PlanSection.ordinal),
            func.coalesce(col(PlanSection.title), literal("")).label("section_title"),
            *_count_columns(scoped),
        )
        .select_from(scoped)
        .outerjoin(Plan, col(Plan.id) == scoped.c.plan_id)
        .outerjoin(PlanSection, col(PlanSection.id) == scoped.c.section_id)
        .group_by(
            scoped.c.plan_id,
            col(Plan.title),
            scoped.c.section_id,
            col(PlanSection.ordinal),
            col(PlanSection.title),
        )
        .order_by(scoped.c.plan_id, col(PlanSection.ordinal))
    )
    return [
        {
            "plan_id": row[0],
            "plan_title": row[1],
            "section_id": row[2],
            "ordinal": row[3],
            "section_title": row[4],
            **_counts(row).as_json(),
        }
        for row in session.execute(statement)
    ]


def task_list(scope: Scope, *, session: Session) -> list[dict[str, Any]]:
    """Every task in scope with its category and deadlines, by section then deadline."""
    scoped = scoped_status(scope, session=session)
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
            col(Task.title),
            scoped.c.section_id,
            col(lead.name),
            col(lead.short_name),
            scoped.c.assigned_on,
            col(Task.original_due_on),
            scoped.c.due_on_as_of,
            scoped.c.category,
            scoped.c.completed_on,
            scoped.c.confirmed_on,
            approved_count.label("extensions"),
        )
        .select_from(scoped)
        .join(Task, col(Task.id) == scoped.c.task_id)
        .join(lead, col(lead.id) == scoped.c.lead_unit_id)
        .order_by(
            scoped.c.section_id,
            scoped.c.due_on_as_of.is_(None),
            scoped.c.due_on_as_of,
            scoped.c.task_id,
        )
    )
    calendar = load_calendar(session)
    rows = []
    for row in session.execute(statement):
        category = Category(row[8])
        done = category in (Category.DONE_ON_TIME, Category.DONE_LATE)
        due: date | None = row[7]
        overdue_days = (
            calendar.working_days_between(due, scope.as_of)
            if category == Category.OVERDUE and due is not None
            else None
        )
        rows.append(
            {
                "task_id": row[0],
                "title": row[1],
                "section_id": row[2],
                "lead_unit": row[3],
                "lead_unit_short": row[4] or row[3],
                "assigned_on": row[5].isoformat(),
                "original_due_on": row[6].isoformat() if row[6] else None,
                "due_on": due.isoformat() if due else None,
                "category": category.value,
                "completed_on": row[9].isoformat() if done and row[9] else None,
                "confirmed_on": row[10].isoformat() if done and row[10] else None,
                "extensions": int(row[11] or 0),
                "working_days_overdue": overdue_days,
            }
        )
    return rows


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
