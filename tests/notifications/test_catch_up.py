"""Catch-up: a service stopped for five working days plans the missed days afterwards and
reaches exactly the people the days would have reached, each once (issue 13, item 4).

Database A lives the days: each day, that day's completions and extensions, then planning.
Database B, built the same way, gets the same completions and extensions on their days
with no planning, then plans the five days once the clock is past them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import ContactChannel, ReminderItem, Role, Task, TaskState, Unit, UnitKind, User
from models.db import make_engine
from models.migrate import upgrade
from notifications.delivery import deliver
from notifications.planner import plan_reminders
from tests.conftest import scratch_postgres
from tests.servers import SmtpServer
from tests.world import ACTOR, WorldBuilder
from tracking import tasks as task_service

DAYS = [date(2026, 3, 9) + timedelta(days=n) for n in range(5)]  # Monday to Friday
AFTER = date(2026, 3, 16)  # the Monday the service is back
ASSIGNED_ON = date(2026, 2, 2)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# A dozen tasks: (name, lead department, deadline), around the five days.
TASKS = [
    ("t01", "A", date(2026, 3, 11)),
    ("t02", "A", date(2026, 3, 12)),
    ("t03", "B", date(2026, 3, 13)),
    ("t04", "B", date(2026, 3, 10)),
    ("t05", "A", date(2026, 3, 9)),
    ("t06", "B", date(2026, 3, 6)),
    ("t07", "A", date(2026, 3, 2)),
    ("t08", "B", date(2026, 2, 23)),
    ("t09", "A", date(2026, 3, 16)),
    ("t10", "B", date(2026, 3, 18)),
    ("t11", "A", date(2026, 2, 27)),
    ("t12", "B", date(2026, 3, 5)),
]

Record = set[tuple[str, str, str, str, date]]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=ZONE)


def _build(session: Session) -> dict[str, int]:
    """The world, the same in both databases: a province, its office, two departments with
    an officer and a leader each (e-mail channels), and the dozen tasks."""
    build = WorldBuilder(session)
    province = build.unit("UBND", "Ủy ban nhân dân tỉnh", UnitKind.PROVINCE)
    office = build.unit("VP", "Văn phòng UBND tỉnh", UnitKind.OFFICE, parent=province)
    departments: dict[str, Unit] = {}
    for name, code in (("A", "SNV"), ("B", "SXD")):
        unit = build.unit(code, f"Sở {code}", UnitKind.DEPARTMENT, parent=province)
        departments[name] = unit
        for role in (Role.OFFICER, Role.LEADER):
            username = f"{code.lower()}_{role.value}"
            build.user(username, unit=unit, role=role, email=f"{username}@example.vn")
    build.user("vp_officer", unit=office, role=Role.OFFICER, email="vp@example.vn")
    ids = {}
    for name, lead, due in TASKS:
        other = departments["B" if lead == "A" else "A"]
        task = build.task(
            f"Nhiệm vụ {name}",
            issuer=province,
            lead=departments[lead],
            coordinators=[other] if name in ("t01", "t03", "t09") else [],
            due=due,
            assigned_on=ASSIGNED_ON,
        )
        ids[name] = task.id or 0
    session.commit()
    return ids


def _complete(session: Session, task_id: int, day: date) -> None:
    task = session.get_one(Task, task_id)
    task = task_service.report_completion(
        session=session,
        actor=ACTOR,
        task_id=task_id,
        expected_version=task.version,
        completed_on=day,
        reported_on=day,
        result="Đã hoàn thành",
    )
    task_service.confirm_completion(
        session=session,
        actor=ACTOR,
        task_id=task_id,
        expected_version=task.version,
        confirmed_on=day,
    )


def _extend(session: Session, task_id: int, day: date, new_due: date) -> None:
    task = session.get_one(Task, task_id)
    request = task_service.request_extension(
        session=session,
        actor=ACTOR,
        task_id=task_id,
        expected_version=task.version,
        proposed_due_on=new_due,
        reason="Chờ ý kiến của bộ",
        requested_on=day,
    )
    task = session.get_one(Task, task_id)
    task_service.approve_extension(
        session=session,
        actor=ACTOR,
        extension_id=request.id or 0,
        expected_version=task.version,
        decided_on=day,
    )


def _cancel(session: Session, task_id: int, day: date) -> None:
    task = session.get_one(Task, task_id)
    task_service.cancel(
        session=session,
        actor=ACTOR,
        task_id=task_id,
        expected_version=task.version,
        reason="Không còn phù hợp",
        cancelled_on=day,
    )


# What happens on each day, before that day's planning: late tasks finished, deadlines
# moved (some of them overdue), one task cancelled.
EVENTS: dict[date, list[Callable[[Session, dict[str, int], date], None]]] = {
    DAYS[0]: [
        lambda s, ids, day: _complete(s, ids["t08"], day),
        lambda s, ids, day: _extend(s, ids["t02"], day, date(2026, 3, 20)),
    ],
    DAYS[1]: [
        lambda s, ids, day: _extend(s, ids["t07"], day, date(2026, 3, 12)),
        lambda s, ids, day: _complete(s, ids["t06"], day),
    ],
    DAYS[2]: [
        lambda s, ids, day: _complete(s, ids["t01"], day),
        lambda s, ids, day: _cancel(s, ids["t11"], day),
    ],
    DAYS[3]: [
        lambda s, ids, day: _extend(s, ids["t05"], day, date(2026, 3, 19)),
        lambda s, ids, day: _complete(s, ids["t07"], day),
    ],
    DAYS[4]: [
        lambda s, ids, day: _extend(s, ids["t03"], day, date(2026, 3, 17)),
        lambda s, ids, day: _complete(s, ids["t12"], day),
    ],
}


def _happen(engine: Engine, ids: dict[str, int], day: date) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for event in EVENTS[day]:
            event(session, ids, day)
        session.commit()


def _plan(engine: Engine, day: date) -> tuple[int, int]:
    with Session(engine) as session:
        result = plan_reminders(session=session, as_of=day)
        session.commit()
    return result.items_added, result.notifications_added


def _planned(engine: Engine, day: date) -> Record:
    """(task, step, recipient, channel, deadline) of the items planned on `day`."""
    with Session(engine) as session:
        rows = session.execute(
            sa.select(
                col(Task.title),
                col(ReminderItem.step),
                col(User.username),
                col(ContactChannel.url),
                col(ReminderItem.due_on),
            )
            .join(Task, col(Task.id) == col(ReminderItem.task_id))
            .join(User, col(User.id) == col(ReminderItem.recipient_user_id))
            .join(ContactChannel, col(ContactChannel.id) == col(ReminderItem.channel_id))
            .where(col(ReminderItem.planned_on) == day)
        ).all()
    return {(title, step, user, url, due) for title, step, user, url, due in rows}


@pytest.fixture
def catch_up_engine(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """Database B: a second empty, migrated database on the backend of `engine` (A)."""
    if engine.dialect.name == "sqlite":
        second = make_engine(f"sqlite:///{tmp_path / 'catch_up.db'}")
        upgrade(second)
        yield second
        second.dispose()
        return
    with scratch_postgres("nhiemvu_catch_up") as [url]:
        second = make_engine(url)
        upgrade(second)
        yield second
        second.dispose()


def test_catch_up_reaches_the_people_the_days_would_have(
    engine: Engine, catch_up_engine: Engine, smtp: SmtpServer
) -> None:
    with time_machine.travel(_at(ASSIGNED_ON), tick=False):
        with Session(engine, expire_on_commit=False) as session:
            live_ids = _build(session)
        with Session(catch_up_engine, expire_on_commit=False) as session:
            catch_up_ids = _build(session)
    assert live_ids == catch_up_ids

    live: dict[date, Record] = {}
    for day in DAYS:  # A: each day lived, its events then its planning
        with time_machine.travel(_at(day), tick=False):
            _happen(engine, live_ids, day)
            _plan(engine, day)
        live[day] = _planned(engine, day)
    for day in DAYS:  # B: the same events on their days, the service stopped
        with time_machine.travel(_at(day), tick=False):
            _happen(catch_up_engine, catch_up_ids, day)

    with time_machine.travel(_at(AFTER), tick=False):
        for day in DAYS:
            _plan(catch_up_engine, day)
        again = [_plan(catch_up_engine, day) for day in DAYS]
    caught_up = {day: _planned(catch_up_engine, day) for day in DAYS}

    assert all(live.values()), "every day reminds someone"
    assert caught_up == live
    assert again == [(0, 0)] * len(DAYS)
    # The world exercises what changed: a task finished or extended after a day it was
    # reminded on still reaches that day's people, with that day's deadline.
    reminded_tasks = {title for records in live.values() for title, *_ in records}
    assert {"Nhiệm vụ t05", "Nhiệm vụ t06", "Nhiệm vụ t07"} <= reminded_tasks
    assert "Nhiệm vụ t08" not in reminded_tasks  # finished on the first day, before planning
    deadlines = {(title, due) for records in live.values() for title, *_, due in records}
    # t05 due on the first day, extended on the fourth; t07 extended on the second, to a
    # deadline that then falls in the window.
    assert {("Nhiệm vụ t05", DAYS[0]), ("Nhiệm vụ t07", DAYS[3])} <= deadlines

    # Sent afterwards, the catch-up's digests leave out what no longer holds: a task finished
    # (or cancelled) since, or a deadline moved since; the rest reaches its people.
    with time_machine.travel(datetime(2026, 3, 16, 9, 0, tzinfo=ZONE), tick=False):
        delivered = deliver(engine=catch_up_engine)
    assert delivered.sent > 0
    with Session(catch_up_engine) as session:
        items = session.exec(select(ReminderItem).where(col(ReminderItem.planned_on) < AFTER)).all()
        tasks_now = {task.id: task for task in session.exec(select(Task)).all()}
    stale = {
        item.id
        for item in items
        if tasks_now[item.task_id].state != TaskState.OPEN
        or tasks_now[item.task_id].due_on != item.due_on
    }
    assert stale, "some reminded task was finished or extended since"
    assert {item.id for item in items if item.dropped_reason} == stale
    finished_since = {
        task.title for task in tasks_now.values() if task.state != TaskState.OPEN
    } & reminded_tasks
    assert finished_since
    for mail in smtp.received:
        assert not any(title in mail.text for title in finished_since)
