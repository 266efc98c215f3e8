"""Benchmark the hot paths on province-scale data; prints JSON (and writes it with --out).

Data: one province, 30 departments, 100 communes, N tasks over two years (60 % completed,
10 % extended), built with bulk inserts; the use-case path (assign with audit) is timed on
its own; then a leader and an officer with email in every unit, for reminder planning
(first run, and re-runs that must add nothing) and the province's report figures.
Default database: a fresh SQLite file in a temporary folder; --database-url for
PostgreSQL (the database must be empty; the benchmark migrates it).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models import (
    AssignmentRole,
    ChannelKind,
    ContactChannel,
    DeadlineKind,
    ExtensionRequest,
    ExtensionStatus,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    UnitKind,
    User,
)
from models.db import make_engine
from models.migrate import upgrade
from notifications.planner import PlanResult, plan_reminders
from reports.figures import Scope, by_unit, totals
from tracking import tasks as task_service
from tracking.audit import Actor
from tracking.calendar import load_calendar, load_official_overrides
from tracking.deadlines import DeadlineRule
from tracking.queries import count_by_category, tasks_as_of

START = date(2025, 1, 2)
AS_OF = date(2026, 6, 30)


def build_units(session: Session) -> list[Unit]:
    province = Unit(code="P", name="Tỉnh", kind=UnitKind.PROVINCE, path="/")
    session.add(province)
    session.flush()
    province.path = f"/{province.id}/"
    children = [
        Unit(code=f"P-S{i:02d}", name=f"Sở {i}", kind=UnitKind.DEPARTMENT, parent_id=province.id)
        for i in range(30)
    ] + [
        Unit(code=f"P-X{i:03d}", name=f"Xã {i}", kind=UnitKind.COMMUNE, parent_id=province.id)
        for i in range(100)
    ]
    session.add_all(children)
    session.flush()
    for child in children:
        child.path = f"{province.path}{child.id}/"
    session.commit()
    return [province, *children]


def build_tasks(session: Session, units: list[Unit], count: int, rng: random.Random) -> None:
    calendar = load_calendar(session)
    province, leads = units[0], units[1:]
    batch: list[Task] = []
    for index in range(count):
        assigned = START + timedelta(days=rng.randrange(0, 540))
        due = calendar.add_working_days(assigned, rng.randrange(5, 90))
        task = Task(
            title=f"Nhiệm vụ số {index}",
            issuer_unit_id=province.id or 0,
            lead_unit_id=rng.choice(leads).id or 0,
            assigned_on=assigned,
            deadline_kind=DeadlineKind.DATE,
            original_due_on=due,
            due_on=due,
        )
        if rng.random() < 0.6:
            task.completed_on = due + timedelta(days=rng.randrange(-20, 10))
            task.completed_on = max(task.completed_on, assigned)
            task.completion_reported_on = task.completed_on
            task.confirmed_on = task.completed_on + timedelta(days=rng.randrange(0, 5))
            task.state = TaskState.DONE
        batch.append(task)
        if len(batch) == 2000:
            _flush_tasks(session, batch, rng)
            batch = []
    _flush_tasks(session, batch, rng)


def _flush_tasks(session: Session, batch: list[Task], rng: random.Random) -> None:
    session.add_all(batch)
    session.flush()
    for task in batch:
        session.add(
            TaskAssignment(
                task_id=task.id or 0,
                unit_id=task.lead_unit_id,
                role=AssignmentRole.LEAD,
                assigned_on=task.assigned_on,
            )
        )
        if rng.random() < 0.1 and task.due_on is not None:
            new_due = task.due_on + timedelta(days=30)
            session.add(
                ExtensionRequest(
                    task_id=task.id or 0,
                    requested_on=task.assigned_on,
                    old_due_on=task.due_on,
                    proposed_due_on=new_due,
                    reason="Gia hạn",
                    status=ExtensionStatus.APPROVED,
                    decided_on=task.due_on - timedelta(days=1),
                    approved_due_on=new_due,
                )
            )
            task.due_on = new_due
    session.commit()


def build_people(session: Session, units: list[Unit]) -> int:
    """A leader and an officer with an email channel in every unit below the province."""
    users = []
    for unit in units[1:]:
        for role in (Role.LEADER, Role.OFFICER):
            users.append(
                User(
                    username=f"{role.value}.{unit.code.lower()}",
                    full_name=f"Cán bộ {unit.code}",
                    unit_id=unit.id or 0,
                    role=role,
                )
            )
    session.add_all(users)
    session.flush()
    session.add_all(
        ContactChannel(
            user_id=user.id or 0, kind=ChannelKind.EMAIL, url=f"mailto:{user.username}@tinh.vn"
        )
        for user in users
    )
    session.commit()
    return len(users)


def timed(function: Callable[[], Any], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        "runs": repeat,
    }


def run(database_url: str, task_count: int, repeat: int) -> dict[str, Any]:
    engine = make_engine(database_url)
    upgrade(engine)
    rng = random.Random(20211102)
    with Session(engine, expire_on_commit=False) as session:
        load_official_overrides(session=session)
        session.commit()
        started = time.perf_counter()
        units = build_units(session)
        build_tasks(session, units, task_count, rng)
        build_seconds = time.perf_counter() - started
        # Fresh statistics, as a database in use has them: right after a bulk build the query
        # planner otherwise guesses, and two runs of the same code differed by up to 2x.
        session.execute(text("ANALYZE"))
        session.commit()
        province, commune = units[0], units[-1]
        results: dict[str, Any] = {
            "database": engine.dialect.name,
            "tasks": task_count,
            "units": len(units),
            "build_seconds": round(build_seconds, 2),
            "as_of": AS_OF.isoformat(),
            "count_by_category_province": timed(
                lambda: count_by_category(session=session, as_of=AS_OF, unit=province), repeat
            ),
            "count_by_category_commune": timed(
                lambda: count_by_category(session=session, as_of=AS_OF, unit=commune), repeat
            ),
            "tasks_as_of_commune": timed(
                lambda: tasks_as_of(session=session, as_of=AS_OF, unit=commune), repeat
            ),
        }
        actor = Actor(name="bench")

        def assign_one() -> None:
            task_service.assign(
                session=session,
                actor=actor,
                title="Nhiệm vụ mới",
                issuer_unit_id=province.id or 0,
                lead_unit_id=commune.id or 0,
                assigned_on=AS_OF,
                deadline=DeadlineRule.working_days(10),
            )
            session.commit()

        results["assign_use_case"] = timed(assign_one, repeat * 5)

        results["users_with_email"] = build_people(session, units)
        planned: list[PlanResult] = []

        def plan_day() -> None:
            planned.append(plan_reminders(session=session, as_of=AS_OF))
            session.commit()

        # The first run inserts the day's reminders; the next ones find them and add nothing.
        results["plan_reminders_first_run"] = timed(plan_day, 1)
        results["plan_reminders_again"] = timed(plan_day, repeat)
        results["reminders_planned"] = {
            "tasks_in_window": planned[0].tasks_in_window,
            "reminders": len(planned[0].reminders),
            "outbox_messages": planned[0].notifications_added,
            "added_on_rerun": sum(p.notifications_added for p in planned[1:]),
        }
        scope = Scope(unit=province, as_of=AS_OF, period_start=date(2025, 12, 15))
        results["report_figures_province"] = timed(
            lambda: (totals(scope, session=session), by_unit(scope, session=session)), repeat
        )
        counts = count_by_category(session=session, as_of=AS_OF, unit=province)
        results["province_counts"] = {c.value: n for c, n in counts.counts.items()}
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", type=Path, default=None)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{folder}/bench.db"
        results = run(url, arguments.tasks, arguments.repeat)
    text = json.dumps(results, ensure_ascii=False, indent=2)
    if arguments.out:
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
