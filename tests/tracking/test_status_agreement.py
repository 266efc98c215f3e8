"""The status rule in Python and in SQL agree on random tasks, on SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session

from models import (
    DeadlineKind,
    ExtensionRequest,
    ExtensionStatus,
    Task,
    Unit,
    UnitKind,
)
from tracking.status import (
    ExtensionFact,
    TaskFacts,
    category_as_of,
    due_as_of,
    is_awaiting_confirmation,
    is_due_soon,
    status_subquery,
)
from tracking.tasks import settle_deadline

START = date(2021, 1, 1)
days = st.integers(min_value=0, max_value=90)


def day(offset: int) -> date:
    return START + timedelta(days=offset)


@st.composite
def task_facts(draw: st.DrawFn) -> TaskFacts:
    assigned = draw(days)
    due = draw(st.one_of(st.none(), st.integers(assigned, assigned + 60)))
    completed = reported = confirmed = None
    if draw(st.booleans()):
        completed = draw(st.integers(assigned, assigned + 80))
        reported = completed + draw(st.integers(0, 5))
        if draw(st.booleans()):
            confirmed = reported + draw(st.integers(0, 10))
    paused = draw(st.one_of(st.none(), st.integers(assigned, assigned + 60)))
    cancelled = draw(st.one_of(st.none(), st.integers(assigned, assigned + 90)))
    extensions = []
    if due is not None:
        for index in range(draw(st.integers(0, 3))):
            status = draw(st.sampled_from(list(ExtensionStatus)))
            decided = (
                None if status == ExtensionStatus.REQUESTED else draw(st.integers(assigned, 120))
            )
            approved = (
                draw(st.integers(due, due + 40)) if status == ExtensionStatus.APPROVED else None
            )
            extensions.append((index, status, decided, approved))
    return TaskFacts(
        assigned_on=day(assigned),
        original_due_on=day(due) if due is not None else None,
        completion_reported_on=day(reported) if reported is not None else None,
        completed_on=day(completed) if completed is not None else None,
        confirmed_on=day(confirmed) if confirmed is not None else None,
        paused_on=day(paused) if paused is not None else None,
        cancelled_on=day(cancelled) if cancelled is not None else None,
        extensions=tuple(
            ExtensionFact(
                id=index,
                status=status,
                decided_on=day(decided) if decided is not None else None,
                approved_due_on=day(approved) if approved is not None else None,
            )
            for index, status, decided, approved in extensions
        ),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    facts=st.lists(task_facts(), min_size=1, max_size=12),
    as_of=days.map(day),
    soon=st.integers(0, 10),
)
def test_python_and_sql_agree(
    session: Session, facts: list[TaskFacts], as_of: date, soon: int
) -> None:
    unit = Unit(code="U", name="Đơn vị", kind=UnitKind.OTHER, path="/")
    session.add(unit)
    session.flush()
    expected = {}
    for fact in facts:
        task = Task(
            title="t",
            issuer_unit_id=unit.id,
            lead_unit_id=unit.id,
            assigned_on=fact.assigned_on,
            deadline_kind=DeadlineKind.DATE if fact.original_due_on else DeadlineKind.NONE,
            original_due_on=fact.original_due_on,
            due_on=fact.original_due_on,
            completion_reported_on=fact.completion_reported_on,
            completed_on=fact.completed_on,
            confirmed_on=fact.confirmed_on,
            paused_on=fact.paused_on,
            cancelled_on=fact.cancelled_on,
        )
        session.add(task)
        session.flush()
        ids = []
        for extension in fact.extensions:
            row = ExtensionRequest(
                task_id=task.id,
                requested_on=fact.assigned_on,
                old_due_on=fact.original_due_on,
                proposed_due_on=fact.original_due_on,
                reason="r",
                status=extension.status,
                decided_on=extension.decided_on,
                approved_due_on=extension.approved_due_on,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
        # due_on and extended_on as the extension use cases keep them.
        settle_deadline(session=session, task=task)
        # Python sees the database ids, so "latest approved" ties break the same way.
        stored = TaskFacts(
            **{
                k: getattr(fact, k)
                for k in (
                    "assigned_on",
                    "original_due_on",
                    "completion_reported_on",
                    "completed_on",
                    "confirmed_on",
                    "paused_on",
                    "cancelled_on",
                )
            },
            extensions=tuple(
                replace(extension, id=row_id)
                for extension, row_id in zip(fact.extensions, ids, strict=True)
            ),
        )
        until = as_of + timedelta(days=soon)
        category = category_as_of(stored, as_of)
        if category is not None:
            expected[task.id] = (
                category.value,
                due_as_of(stored, as_of),
                is_due_soon(stored, as_of, until),
                is_awaiting_confirmation(stored, as_of),
            )
    status = status_subquery(as_of=as_of, due_soon_until=as_of + timedelta(days=soon))
    rows = session.execute(
        select(
            status.c.task_id,
            status.c.category,
            status.c.due_on_as_of,
            status.c.due_soon,
            status.c.awaiting_confirmation,
        )
    ).all()
    actual = {r[0]: (r[1], r[2], bool(r[3]), bool(r[4])) for r in rows}
    session.rollback()
    assert actual == expected
