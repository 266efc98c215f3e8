"""The officer in charge of a unit's part of a task (cán bộ theo dõi): who may choose, whom,
when; every refusal names its field and changes nothing; two leaders at once, one wins."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import AuditEvent, Role, Task, TaskAssignment, TaskState, User
from models.db import session_scope
from tests.security.test_concurrency import race, winners_and_conflicts
from tests.world import ACTOR, WorldBuilder, make_task, make_world
from tracking import audit, tasks
from tracking.audit import Actor
from tracking.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


def _as(user: User) -> Actor:
    return Actor(name=user.username, user_id=user.id, unit_id=user.unit_id, role=user.role)


def _state(session: Session, task_id: int) -> tuple[object, ...]:
    """What a refused change must leave as it was: officers, version, audit events."""
    session.expire_all()
    officers = session.execute(
        select(col(TaskAssignment.unit_id), col(TaskAssignment.officer_id))
        .where(col(TaskAssignment.task_id) == task_id)
        .order_by(col(TaskAssignment.id))
    ).all()
    version = session.get(Task, task_id)
    events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return (tuple(officers), version.version if version else None, events)


@pytest.fixture
def people(session: Session) -> dict[str, object]:
    world = make_world(session)
    build = WorldBuilder(session)
    task = make_task(session, world, coordinators=(world.department,))
    found = {
        "world": world,
        "task": task,
        "leader": build.user("lanh_dao_h", unit=world.district, role=Role.LEADER),
        "officer": build.user("can_bo_h", unit=world.district, role=Role.OFFICER),
        "viewer": build.user("xem_h", unit=world.district, role=Role.VIEWER),
        "dept_leader": build.user("lanh_dao_d", unit=world.department, role=Role.LEADER),
        "dept_officer": build.user("can_bo_d", unit=world.department, role=Role.OFFICER),
        "office_leader": build.user("lanh_dao_vp", unit=world.district_office, role=Role.LEADER),
        "admin": build.user("quan_tri", unit=world.province, role=Role.ADMIN),
    }
    session.commit()
    return found


def test_a_leader_puts_an_officer_in_charge_then_clears_it(
    session: Session, people: dict[str, object]
) -> None:
    task, leader, officer = people["task"], people["leader"], people["officer"]
    assert isinstance(task, Task) and isinstance(leader, User) and isinstance(officer, User)
    seen = task.version
    assignment = tasks.assign_officer(
        session=session,
        actor=_as(leader),
        task_id=task.id or 0,
        unit_id=leader.unit_id,
        officer_id=officer.id,
        expected_version=seen,
    )
    session.commit()
    assert assignment.officer_id == officer.id
    assert session.get(Task, task.id).version == seen + 1
    # A leader may keep the part himself; then clearing it gives it back to the unit.
    for chosen in (leader.id, None):
        tasks.assign_officer(
            session=session,
            actor=_as(leader),
            task_id=task.id or 0,
            unit_id=leader.unit_id,
            officer_id=chosen,
        )
        session.commit()
    events = audit.history(session=session, entity="task", entity_id=task.id or 0)
    changes = [(e.before, e.after) for e in events if e.action == "task.assign_officer"]
    unit = leader.unit_id
    assert [(b["officer_id"], a["officer_id"]) for b, a in changes if b and a] == [
        (None, officer.id),
        (officer.id, leader.id),
        (leader.id, None),
    ]
    assert all(a and a["unit_id"] == unit for _, a in changes)
    assert (
        tasks.assignment_of(session=session, task_id=task.id or 0, unit_id=unit).officer_id is None
    )


def test_the_coordinating_units_leader_chooses_for_its_own_part(
    session: Session, people: dict[str, object]
) -> None:
    task, dept_leader, dept_officer = people["task"], people["dept_leader"], people["dept_officer"]
    assert isinstance(task, Task) and isinstance(dept_leader, User)
    assert isinstance(dept_officer, User)
    tasks.assign_officer(
        session=session,
        actor=_as(dept_leader),
        task_id=task.id or 0,
        unit_id=dept_leader.unit_id,
        officer_id=dept_officer.id,
    )
    session.commit()
    officers = {
        a.unit_id: a.officer_id for a in tasks.assignments(session=session, task_id=task.id or 0)
    }
    assert officers == {dept_leader.unit_id: dept_officer.id, task.lead_unit_id: None}


def test_an_administrator_may_choose_for_any_unit(
    session: Session, people: dict[str, object]
) -> None:
    task, admin, officer = people["task"], people["admin"], people["officer"]
    assert isinstance(task, Task) and isinstance(admin, User) and isinstance(officer, User)
    tasks.assign_officer(
        session=session,
        actor=_as(admin),
        task_id=task.id or 0,
        unit_id=officer.unit_id,
        officer_id=officer.id,
    )
    session.commit()
    assert (
        tasks.assignment_of(
            session=session, task_id=task.id or 0, unit_id=officer.unit_id
        ).officer_id
        == officer.id
    )


@pytest.mark.parametrize(
    ("who", "unit", "whom", "error", "code", "field"),
    [
        # Not the unit's leader: its officer, its viewer, another unit's leader, the office of
        # the district (which acts for the district only when it assigns tasks).
        ("officer", "district", "officer", Forbidden, "assignment.not_unit_leader", "unit_id"),
        ("viewer", "district", "officer", Forbidden, "assignment.not_unit_leader", "unit_id"),
        ("dept_leader", "district", "officer", Forbidden, "assignment.not_unit_leader", "unit_id"),
        (
            "office_leader",
            "district",
            "officer",
            Forbidden,
            "assignment.not_unit_leader",
            "unit_id",
        ),
        # Whom: another unit's officer, a viewer; a unit that has no part in the task.
        (
            "leader",
            "district",
            "dept_officer",
            InvalidInput,
            "assignment.officer_not_in_unit",
            "officer_id",
        ),
        (
            "leader",
            "district",
            "viewer",
            InvalidInput,
            "assignment.officer_not_in_unit",
            "officer_id",
        ),
        ("admin", "other_district", None, NotFound, "assignment.not_found", "unit_id"),
    ],
)
def test_refusals_name_the_field_and_change_nothing(
    session: Session,
    people: dict[str, object],
    who: str,
    unit: str,
    whom: str | None,
    error: type[DomainError],
    code: str,
    field: str,
) -> None:
    task, actor = people["task"], people[who]
    assert isinstance(task, Task) and isinstance(actor, User)
    officer = people[whom] if whom else None
    unit_id = getattr(people["world"], unit).id
    before = _state(session, task.id or 0)
    with pytest.raises(error) as raised:
        tasks.assign_officer(
            session=session,
            actor=_as(actor),
            task_id=task.id or 0,
            unit_id=unit_id,
            officer_id=officer.id if isinstance(officer, User) else None,
        )
    session.rollback()
    assert (raised.value.code, raised.value.field) == (code, field)
    assert _state(session, task.id or 0) == before


def test_an_inactive_officer_is_refused(session: Session, people: dict[str, object]) -> None:
    task, leader, officer = people["task"], people["leader"], people["officer"]
    assert isinstance(task, Task) and isinstance(leader, User) and isinstance(officer, User)
    officer.active = False
    session.add(officer)
    session.commit()
    before = _state(session, task.id or 0)
    with pytest.raises(InvalidInput, match="không phải cán bộ") as raised:
        tasks.assign_officer(
            session=session,
            actor=_as(leader),
            task_id=task.id or 0,
            unit_id=leader.unit_id,
            officer_id=officer.id,
        )
    session.rollback()
    assert raised.value.field == "officer_id"
    assert _state(session, task.id or 0) == before


def test_a_closed_task_refuses(session: Session, people: dict[str, object]) -> None:
    task, leader, officer = people["task"], people["leader"], people["officer"]
    assert isinstance(task, Task) and isinstance(leader, User) and isinstance(officer, User)
    tasks.cancel(
        session=session,
        actor=ACTOR,
        task_id=task.id or 0,
        expected_version=task.version,
        reason="Không còn cần thiết",
        cancelled_on=date(2021, 3, 2),
    )
    session.commit()
    assert task.state == TaskState.CANCELLED
    before = _state(session, task.id or 0)
    with pytest.raises(Conflict) as raised:
        tasks.assign_officer(
            session=session,
            actor=_as(leader),
            task_id=task.id or 0,
            unit_id=leader.unit_id,
            officer_id=officer.id,
        )
    session.rollback()
    assert (raised.value.code, raised.value.field) == ("task.invalid_state", "state")
    assert _state(session, task.id or 0) == before


def test_two_leaders_choosing_at_once_one_wins(engine: Engine) -> None:
    with Session(engine) as session:
        world = make_world(session)
        build = WorldBuilder(session)
        task_id = make_task(session, world).id or 0
        leaders = [
            _as(build.user(f"lanh_dao_{n}", unit=world.district, role=Role.LEADER))
            for n in range(4)
        ]
        officers = [
            build.user(f"can_bo_{n}", unit=world.district, role=Role.OFFICER).id for n in range(4)
        ]
        unit_id = world.district.id or 0
        session.commit()
    for _ in range(5):
        with Session(engine) as session:
            seen = session.get(Task, task_id).version

        def choose(index: int, seen: int = seen) -> int | None:
            with session_scope(engine) as session:
                return tasks.assign_officer(
                    session=session,
                    actor=leaders[index],
                    task_id=task_id,
                    unit_id=unit_id,
                    officer_id=officers[index],
                    expected_version=seen,
                ).officer_id

        (winner,), _ = winners_and_conflicts(race(choose, n=4), "task.stale_version")
        with Session(engine) as session:
            assignment = tasks.assignment_of(session=session, task_id=task_id, unit_id=unit_id)
            assert assignment.officer_id == winner
            assert session.get(Task, task_id).version == seen + 1
