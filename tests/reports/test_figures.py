"""Report figures in SQL: subtree, as-of history, overdue in working days, extensions."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from models import DeadlineKind, ExtensionRequest, ExtensionStatus, Task
from reports import figures
from tests.world import make_world, seed_world
from tracking import units
from tracking.calendar import load_calendar
from tracking.queries import due_soon_until
from tracking.status import Category, TaskFacts, category_as_of, is_due_soon


def _scope(session: Session, code: str, as_of: date, plan_id: int | None = None) -> figures.Scope:
    unit = units.get_by_code(session=session, code=code)
    return figures.Scope(unit=unit, as_of=as_of, period_start=date(2020, 12, 15), plan_id=plan_id)


def test_counts_by_unit_section_and_issuer_as_of_the_cut_off(session: Session) -> None:
    world = seed_world(session)
    province = _scope(session, "QNG", date(2021, 12, 14), world.plan.id)
    computed = figures.compute(province, session=session)
    totals = computed.totals
    # Province subtree: the district's 5 tasks and the department's 2.
    assert totals.total == 7
    assert totals.counts[Category.DONE_ON_TIME] == 3
    # Overdue: the security task (extended to 30/11), the department's 30/9 task and its
    # 20-working-day task of 26/10; only the district's plan (due 15/12) is not due yet.
    assert totals.counts[Category.OVERDUE] == 3
    assert totals.counts[Category.IN_PROGRESS] == 1
    assert totals.completion_rate == 3 / 6

    by_unit = {row["code"]: row for row in computed.by_unit}
    assert set(by_unit) == {"QNG-STTTT", "QNG-LYSON"}
    assert by_unit["QNG-LYSON"]["completed"] == 3 and by_unit["QNG-LYSON"]["due"] == 4
    assert by_unit["QNG-STTTT"]["counts"]["overdue"] == 2

    by_issuer = computed.by_issuer
    assert [(row["short_name"], row["total"]) for row in by_issuer] == [("UBND tỉnh", 7)]
    sections = computed.by_section
    assert [row["ordinal"] for row in sections] == [1, 2, 3, 4]
    assert sum(row["total"] for row in sections) == 7


def test_overdue_in_working_days_and_extensions_with_both_deadlines(session: Session) -> None:
    seed_world(session)
    district = _scope(session, "QNG-LYSON", date(2021, 12, 14))
    tasks = figures.compute(district, session=session).tasks
    overdue = [t for t in tasks if t["category"] == Category.OVERDUE]
    assert len(overdue) == 1
    # Due 30/11/2021 (Tue); 01–03/12, 06–10/12, 13–14/12 are 10 working days.
    assert overdue[0]["due_on"] == "2021-11-30"
    assert overdue[0]["working_days_overdue"] == 10
    assert overdue[0]["original_due_on"] == "2021-11-01" and overdue[0]["extensions"] == 1

    # Before the extension was approved (28/10), the task ran on its original deadline.
    before = figures.compute(
        _scope(session, "QNG-LYSON", date(2021, 10, 27)), session=session
    ).tasks
    security = next(t for t in before if t["task_id"] == overdue[0]["task_id"])
    assert security["due_on"] == "2021-11-01" and security["extensions"] == 0


def test_history_as_of_an_earlier_date(session: Session) -> None:
    seed_world(session)
    # On 01/6/2021 only two tasks existed; one was finished (14/5) and confirmed (20/5).
    early = figures.totals(_scope(session, "QNG-LYSON", date(2021, 6, 1)), session=session)
    assert early.total == 2
    assert early.completed == 1 and early.counts[Category.IN_PROGRESS] == 1
    # A unit outside the subtree sees none of the district's tasks.
    office = figures.totals(_scope(session, "QNG-VP", date(2021, 12, 14)), session=session)
    assert office.total == 0 and office.completion_rate is None


def test_the_figures_are_the_python_status_rule_counted(session: Session) -> None:
    """compute's one pass (statuses in SQL, counted in Python) against tracking.status's
    Python rule over the same tasks: late, paused, cancelled, extended, not yet assigned."""
    world = make_world(session)
    rng = random.Random(20211102)
    leads = [world.department, world.district, world.district_office, world.other_district]
    period_start, as_of = date(2021, 1, 1), date(2021, 6, 30)
    facts: dict[int, TaskFacts] = {}
    lead_of: dict[int, int] = {}
    issuer_of: dict[int, int] = {}

    def some_day(after: date, days: int) -> date:
        return after + timedelta(days=rng.randrange(days))

    for _ in range(160):
        assigned = some_day(date(2020, 9, 1), 330)  # some after as_of: not counted
        due = None if rng.random() < 0.1 else some_day(assigned + timedelta(days=5), 120)
        completed = confirmed = None
        if rng.random() < 0.6:
            completed = some_day(assigned, 150)
            confirmed = some_day(completed, 10) if rng.random() < 0.8 else None
        task = Task(
            title="Nhiệm vụ",
            issuer_unit_id=rng.choice([world.province, world.district]).id or 0,
            lead_unit_id=rng.choice(leads).id or 0,
            assigned_on=assigned,
            deadline_kind=DeadlineKind.DATE if due else DeadlineKind.NONE,
            original_due_on=due,
            due_on=due,
            completion_reported_on=completed,
            completed_on=completed,
            confirmed_on=confirmed,
            paused_on=some_day(assigned, 200) if rng.random() < 0.1 else None,
            cancelled_on=some_day(assigned, 200) if rng.random() < 0.1 else None,
        )
        session.add(task)
        session.flush()
        extensions = []
        if due is not None and assigned < as_of and rng.random() < 0.3:
            # Decided by as_of, as approval leaves the task: due_on is the approved deadline.
            status = rng.choice(list(ExtensionStatus))
            decided = None if status == ExtensionStatus.REQUESTED else some_day(assigned, 1)
            approved = due + timedelta(days=30) if status == ExtensionStatus.APPROVED else None
            extension = ExtensionRequest(
                task_id=task.id or 0,
                requested_on=assigned,
                old_due_on=due,
                proposed_due_on=due + timedelta(days=30),
                reason="Gia hạn",
                status=status,
                decided_on=decided,
                approved_due_on=approved,
            )
            session.add(extension)
            session.flush()
            extensions.append(extension)
            task.due_on = approved or due
            session.add(task)
        facts[task.id or 0] = TaskFacts.of(task, extensions)
        lead_of[task.id or 0], issuer_of[task.id or 0] = task.lead_unit_id, task.issuer_unit_id
    session.commit()
    until = due_soon_until(calendar=load_calendar(session), as_of=as_of)

    for root in (world.province, world.district):
        scope = figures.Scope(unit=root, as_of=as_of, period_start=period_start)
        computed = figures.compute(scope, session=session)
        in_subtree = {u.id for u in units.subtree(session=session, unit=root)}
        expected: dict[str, Counter[tuple[Any, ...]]] = defaultdict(Counter)
        categories = {}
        for task_id, fact in facts.items():
            category = category_as_of(fact, as_of)
            carried = all(
                d is None or d >= period_start for d in (fact.confirmed_on, fact.cancelled_on)
            )
            if category is None or lead_of[task_id] not in in_subtree:
                continue
            if not (fact.assigned_on >= period_start or carried):
                continue
            categories[task_id] = category.value
            soon = is_due_soon(fact, as_of, until)
            for key in ("total", lead_of[task_id], -issuer_of[task_id]):
                expected[category.value][key,] += 1
                expected["due_soon"][key,] += soon
        assert categories and {t["task_id"]: t["category"] for t in computed.tasks} == categories
        rows = [("total", computed.totals.as_json())]
        rows += [(row["unit_id"], row) for row in computed.by_unit]
        rows += [(-row["unit_id"], row) for row in computed.by_issuer]
        for key, row in rows:
            counts = row["counts"]
            for category in Category:
                assert counts[category.value] == expected[category.value][key,], (key, category)
            assert row["due_soon"] == expected["due_soon"][key,], key
        assert [row["section_id"] for row in computed.by_section] == [None]
