"""The planner's window (issue 12): the due dates a rule in force can remind on, found by an
index, never every overdue task of history.

The window must give exactly the reminders a look at every open task would: compared here with
_steps over all open tasks, for several policy shapes (global, per plan, per task; overdue every
1, 3, 4 or 7 working days; escalation; no reminder on the day) on days around Tết, a make-up
Saturday and a swapped day off. And each of its queries must stay an index search: the plans of
SQLite (EXPLAIN QUERY PLAN) and PostgreSQL (EXPLAIN (FORMAT JSON), sequential scans disabled
so the plan shows whether an index can serve the query at all on a small table).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from models import DeadlineKind, PolicyScope, Task, TaskState
from models.db import is_postgres
from notifications.planner import _steps, catch_up_statements, window_statements, window_tasks
from notifications.policy import PolicyBook, effective_policy, set_policy, to_rules
from tests.world import WorldBuilder, make_world
from tracking.calendar import load_calendar, load_official_overrides
from tracking.clock import local_zone

# Working days around Tết Bính Ngọ (14–22/02/2026), the make-up Saturday 10/01/2026 (for the
# swapped Friday 02/01), an ordinary Monday, and the make-up Saturday 22/08/2026.
PLANNING_DAYS = [
    date(2026, 1, 5),
    date(2026, 1, 10),
    date(2026, 2, 13),
    date(2026, 2, 23),
    date(2026, 2, 24),
    date(2026, 3, 2),
    date(2026, 8, 22),
    date(2026, 9, 3),
]
FIRST_DUE, LAST_DUE = date(2025, 10, 1), date(2026, 9, 30)


@pytest.fixture
def tasks_every_day(session: Session) -> dict[str, list[int]]:
    """Open tasks due on every calendar day FIRST_DUE..LAST_DUE in three flavours: no plan, in
    a plan with rules of its own, with rules of their own; plus done tasks (never reminded).
    Policies: a global one, two plans' (one the same as the global rules) and tasks' own."""
    load_official_overrides(session=session)
    world = make_world(session)
    build = WorldBuilder(session)
    every_day = build.plan("Kế hoạch nhắc hằng ngày", issuer=world.province)
    weekly = build.plan("Kế hoạch nhắc hằng tuần", issuer=world.province)
    same = build.plan("Kế hoạch theo chính sách chung", issuer=world.province)
    plans = [every_day.id, weekly.id, same.id, None]
    created: dict[str, list[int]] = {"plain": [], "planned": [], "own": []}
    day, number = FIRST_DUE, 0
    while day <= LAST_DUE:
        for flavour in created:
            number += 1
            task = Task(
                title=f"Nhiệm vụ {number}",
                issuer_unit_id=world.province.id or 0,
                lead_unit_id=world.department.id or 0,
                assigned_on=FIRST_DUE - timedelta(days=30),
                deadline_kind=DeadlineKind.DATE,
                due_on=day,
                original_due_on=day,
                plan_id=plans[number % len(plans)] if flavour != "plain" else None,
                state=TaskState.DONE if number % 11 == 0 else TaskState.OPEN,
            )
            session.add(task)
            session.flush()
            created[flavour].append(task.id or 0)
        day += timedelta(days=1)
    # Assigned after every planning day: never in a window.
    session.add(
        Task(
            title="Giao sau",
            issuer_unit_id=world.province.id or 0,
            lead_unit_id=world.department.id or 0,
            assigned_on=date(2026, 12, 1),
            deadline_kind=DeadlineKind.DATE,
            due_on=date(2026, 2, 23),
        )
    )
    set_policy(
        session=session,
        scope=PolicyScope.GLOBAL,
        rules={
            "before_working_days": [5, 2],
            "overdue_first": 2,
            "overdue_every": 3,
            "escalation": [{"overdue_working_days": 4, "audience": "issuer_office"}],
        },
    )
    set_policy(
        session=session,
        scope=PolicyScope.PLAN,
        scope_id=every_day.id,
        rules={"overdue_first": 1, "overdue_every": 1, "on_due_day": False},
    )
    set_policy(
        session=session,
        scope=PolicyScope.PLAN,
        scope_id=weekly.id,
        rules={"overdue_first": 7, "overdue_every": 7, "before_working_days": [10]},
    )
    set_policy(
        session=session,
        scope=PolicyScope.PLAN,
        scope_id=same.id,
        rules={"overdue_first": 2, "overdue_every": 3},
    )
    own_rules = [
        {"overdue_first": 3, "overdue_every": 4},
        {"overdue_every": 1, "before_working_days": [1]},
        {"overdue_first": 20, "overdue_every": 9, "coordinators_before_deadline": False},
    ]
    for n, task_id in enumerate(created["own"][::2]):
        set_policy(
            session=session,
            scope=PolicyScope.TASK,
            scope_id=task_id,
            rules=own_rules[n % len(own_rules)],
        )
    session.commit()
    return created


def _reminded_by_brute_force(session: Session, as_of: date) -> set[int]:
    """Every open task assigned by as_of, each judged by _steps with its effective rules."""
    calendar = load_calendar(session)
    book = PolicyBook(session)
    return {
        task.id or 0
        for task in session.exec(
            select(Task).where(
                Task.state == TaskState.OPEN,
                col(Task.due_on).is_not(None),
                col(Task.assigned_on) <= as_of,
            )
        ).all()
        if task.due_on is not None
        and _steps(
            task.due_on, book.for_task(task_id=task.id or 0, plan_id=task.plan_id), as_of, calendar
        )
        is not None
    }


def test_the_window_holds_exactly_the_tasks_a_look_at_every_task_reminds(
    session: Session, tasks_every_day: dict[str, list[int]]
) -> None:
    calendar = load_calendar(session)
    book = PolicyBook(session)
    open_count = len(session.exec(select(Task.id).where(Task.state == TaskState.OPEN)).all())
    for as_of in PLANNING_DAYS:
        assert calendar.is_working_day(as_of), as_of
        # Planned on the day itself: the window by today's state, which the brute force reads
        # (a past day is planned with the state as of then: test_catch_up.py).
        with time_machine.travel(datetime.combine(as_of, time(7), tzinfo=local_zone())):
            window = window_tasks(session=session, as_of=as_of, calendar=calendar, book=book)
        reminded = {
            task.id
            for task in window
            if _steps(
                task.due_on, book.for_task(task_id=task.id, plan_id=task.plan_id), as_of, calendar
            )
            is not None
        }
        expected = _reminded_by_brute_force(session, as_of)
        assert reminded == expected, as_of
        assert expected, as_of  # each day reminds something of every shape
        assert {t.id for t in window} >= expected
        # It reads what is due, not every overdue task: here under twice what it reminds,
        # though a plan and some tasks are reminded every working day once overdue.
        assert len(window) <= 2 * len(expected) < open_count, as_of


def test_the_book_merges_rules_as_the_effective_policy_does(
    session: Session, tasks_every_day: dict[str, list[int]]
) -> None:
    book = PolicyBook(session)
    for task_id in [*tasks_every_day["planned"][:8], *tasks_every_day["own"][:8]]:
        task = session.get(Task, task_id)
        assert task is not None
        merged = to_rules(effective_policy(session=session, task_id=task_id))
        assert book.for_task(task_id=task_id, plan_id=task.plan_id) == merged


# --- the window's queries are index searches -----------------------------------------------


def _sqlite_plan(session: Session, statement: Select[Any]) -> list[str]:
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return [row[-1] for row in rows]


def _postgres_nodes(session: Session, statement: Select[Any]) -> Iterator[dict[str, Any]]:
    session.execute(text("SET LOCAL enable_seqscan = off"))
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    raw = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    document = raw if isinstance(raw, list) else json.loads(raw)
    pending = [document[0]["Plan"]]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(node.get("Plans", []))


# The indexes a window query may search task by: (state, due_on) for the date conditions, the
# plan's index or the primary key when a plan's or a task's own rules narrow it further.
WINDOW_INDEXES = {"ix_task_state_due", "ix_task_due_on", "ix_task_plan_id", "task_pkey"}


def test_each_window_query_searches_task_by_an_index(
    engine: Engine, session: Session, tasks_every_day: dict[str, list[int]]
) -> None:
    session.execute(text("ANALYZE"))
    session.commit()
    calendar = load_calendar(session)
    book = PolicyBook(session)
    statements = window_statements(
        session=session, as_of=date(2026, 2, 23), calendar=calendar, book=book
    )
    # The days ahead, the global rules' past dates, a plan's, the tasks with rules of their own.
    assert len(statements) == 4
    for statement in statements:
        if is_postgres(engine):
            task_nodes = [
                n for n in _postgres_nodes(session, statement) if n.get("Relation Name") == "task"
            ]
            assert task_nodes, statement
            for node in task_nodes:
                assert node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), (
                    node
                )
            index_names = {
                n.get("Index Name")
                for n in _postgres_nodes(session, statement)
                if "Index Name" in n
            }
            assert index_names & WINDOW_INDEXES, index_names
            session.rollback()
        else:
            plan = _sqlite_plan(session, statement)
            task_steps = [step for step in plan if " task " in f"{step} "]
            assert task_steps, plan
            for step in task_steps:
                assert step.startswith("SEARCH task USING"), plan
                assert "PRIMARY KEY" in step or any(name in step for name in WINDOW_INDEXES), plan
            assert not any(step.startswith("SCAN task") for step in plan), plan
    # The global rules' past dates are found by an index on the deadline.
    if is_postgres(engine):
        names = {str(n.get("Index Name")) for n in _postgres_nodes(session, statements[1])}
        session.rollback()
    else:
        names = set(_sqlite_plan(session, statements[1]))
    assert any("ix_task_state_due" in name or "ix_task_due_on" in name for name in names), names


# A past day's window (a catch-up) searches by the deadline the task had then: the original
# one, or an approved extension's.
CATCH_UP_INDEXES = {"ix_task_original_due_on", "ix_extensionrequest_approved_due_on"}


def test_each_catch_up_query_searches_by_a_deadline_index(
    engine: Engine, session: Session, tasks_every_day: dict[str, list[int]]
) -> None:
    session.execute(text("ANALYZE"))
    session.commit()
    statements = catch_up_statements(
        session=session,
        as_of=date(2026, 2, 23),
        calendar=load_calendar(session),
        book=PolicyBook(session),
    )
    # Each of the window's conditions, on the original deadline then on the extensions'; a
    # plan's or a task's own rules may search by the plan's tasks or the ids instead, never
    # reading every task or extension.
    assert len(statements) == 8
    for number, statement in enumerate(statements):
        if is_postgres(engine):
            nodes = list(_postgres_nodes(session, statement))
            session.rollback()
            names = {str(n["Index Name"]) for n in nodes if "Index Name" in n}
            scanned = {n.get("Relation Name") for n in nodes if n["Node Type"] == "Seq Scan"}
            assert not scanned & {"task", "extensionrequest"}, nodes
        else:
            plan = _sqlite_plan(session, statement)
            names = set(plan)
            assert not any(
                step.startswith(("SCAN task", "SCAN extensionrequest")) for step in plan
            ), (number, plan)
        if number % 4 in (0, 1):  # the days ahead, the global rules' past dates
            assert any(index in name for name in names for index in CATCH_UP_INDEXES), names
