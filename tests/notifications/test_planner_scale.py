"""The daily planning sends no statement whose size grows with its window (issue 12).

A province's window holds hundreds of thousands of tasks: a `task_id IN (…)` over all of them
exceeded SQLite's parameter limit. Here the bound parameters of every SELECT are counted while
planning a window of N tasks and then of 4N tasks (each with its own lead unit, officer and
channel, a coordinator, some with a plan's or their own policy); the largest count must not
grow. The chunked lookups use a small chunk size here, so they are exercised several times
and their bound shows at this size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

import models.db
from models import PolicyScope, Role, Unit, UnitKind
from models.db import MAX_STATEMENT_PARAMETERS
from notifications.planner import plan_reminders
from notifications.policy import set_policy
from tests.notifications.conftest import AS_OF, ASSIGNED_ON
from tests.world import WorldBuilder

CHUNK = 16
SMALL = 30


@contextmanager
def parameters_per_select(engine: Engine) -> Iterator[list[int]]:
    """The bound parameter count of each SELECT run on `engine` inside the block (an
    executemany counts the parameters of all its rows)."""
    counts: list[int] = []

    def count(
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        rows = parameters if executemany else [parameters]
        total = sum(len(row or ()) for row in rows)
        assert total <= MAX_STATEMENT_PARAMETERS
        if statement.lstrip().upper().startswith("SELECT"):
            counts.append(total)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _add_tasks(
    build: WorldBuilder, *, province: Unit, coordinator: Unit, plan_id: int, first: int, last: int
) -> None:
    """Tasks first..last-1, each led by a unit of its own with one officer (and channel),
    coordinated by `coordinator`, due tomorrow (a 'before:1' reminder to both); every third in
    the plan, every fifth with its own policy (same reminders, but read from the database)."""
    for number in range(first, last):
        lead = build.unit(f"S{number}", f"Sở số {number}", UnitKind.DEPARTMENT, parent=province)
        build.user(
            f"officer{number}", unit=lead, role=Role.OFFICER, email=f"cv{number}@so.example.vn"
        )
        task = build.task(
            f"Nhiệm vụ số {number}",
            issuer=province,
            lead=lead,
            due=date(2026, 3, 10),
            assigned_on=ASSIGNED_ON,
            coordinators=(coordinator,),
            plan_id=plan_id if number % 3 == 0 else None,
        )
        if number % 5 == 0:
            set_policy(
                session=build.session,
                scope=PolicyScope.TASK,
                scope_id=task.id,
                rules={"before_working_days": [1, 2]},
            )


def test_planning_statements_do_not_grow_with_the_window(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models.db, "IN_CHUNK_SIZE", CHUNK)
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        province = build.unit("UBND", "Ủy ban nhân dân tỉnh", UnitKind.PROVINCE)
        office = build.unit("VP", "Văn phòng UBND tỉnh", UnitKind.OFFICE, parent=province)
        build.user("vp", unit=office, role=Role.OFFICER, email="vp@ubnd.example.vn")
        coordinator = build.unit("STC", "Sở Tài chính", UnitKind.DEPARTMENT, parent=province)
        build.user("stc", unit=coordinator, role=Role.OFFICER, email="cv@stc.example.vn")
        plan = build.plan("Kế hoạch chuyển đổi số", issuer=province)
        set_policy(
            session=session,
            scope=PolicyScope.PLAN,
            scope_id=plan.id,
            rules={"before_working_days": [1, 4]},
        )
        plan_id = plan.id or 0
        _add_tasks(
            build, province=province, coordinator=coordinator, plan_id=plan_id, first=0, last=SMALL
        )
        session.commit()

    with Session(engine) as session, parameters_per_select(engine) as small:
        first = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
    assert first.tasks_in_window == SMALL
    # Each task: its lead's officer and the coordinator's, one channel each.
    assert first.items_added == 2 * SMALL

    with Session(engine, expire_on_commit=False) as session:
        _add_tasks(
            WorldBuilder(session),
            province=province,
            coordinator=coordinator,
            plan_id=plan_id,
            first=SMALL,
            last=4 * SMALL,
        )
        session.commit()

    with Session(engine) as session, parameters_per_select(engine) as large:
        second = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
    assert second.tasks_in_window == 4 * SMALL
    assert second.items_added == 2 * 3 * SMALL  # the first N were planned already
    assert second.reminders_planned == 2 * 4 * SMALL

    assert small and large
    assert max(large) == max(small)
    # A chunked lookup's CHUNK ids and a few constants; nothing near the window's size.
    assert max(large) <= CHUNK + 8
