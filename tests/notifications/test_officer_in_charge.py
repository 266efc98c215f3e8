"""The reminders of a unit's part of a task go to the officer its leaders put in charge of it
(cán bộ theo dõi), on each of that officer's channels; with none, or one cleared, moved or
deactivated, to the unit's officers as before."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine
from sqlmodel import Session

from models import Role, Task, Unit, User
from notifications.contacts import set_contact_channels
from notifications.planner import PlanResult, plan_reminders
from tests.notifications.conftest import AS_OF, World
from tests.world import ACTOR, WorldBuilder
from tracking import tasks, units


def _recipients(result: PlanResult, task: Task, audience: str) -> Counter[tuple[str, str]]:
    """(recipient, masked channel) of a task's reminders to one audience, with repeats."""
    return Counter(
        (r.recipient_name, r.channel)
        for r in result.reminders
        if r.task_id == task.id and r.audience == audience
    )


def _people_of(result: PlanResult, task: Task, audience: str) -> set[str]:
    return {name for name, _ in _recipients(result, task, audience)}


def _plan(engine: Engine) -> PlanResult:
    with Session(engine) as session:
        return plan_reminders(session=session, as_of=AS_OF, dry_run=True)


def _put_in_charge(engine: Engine, task: Task, unit: Unit, officer: User | None) -> None:
    with Session(engine) as session:
        tasks.assign_officer(
            session=session,
            actor=ACTOR,
            task_id=task.id or 0,
            unit_id=unit.id or 0,
            officer_id=officer.id if officer else None,
        )
        session.commit()


def _second_officers(engine: Engine, world: World) -> tuple[User, User]:
    """Hà (SKHCN, by email and Zalo) and Giang (STC, by email) beside An and Cường."""
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        ha = build.user("ha", full_name="Đỗ Thu Hà", unit=world.dept_a, role=Role.OFFICER)
        set_contact_channels(
            session=session,
            user_id=ha.id or 0,
            urls=["mailto:ha@skhcn.example.vn", "zalo://4242/ha-zalo-id"],
        )
        giang = build.user(
            "giang",
            full_name="Vũ Hương Giang",
            unit=world.dept_b,
            role=Role.OFFICER,
            email="giang@stc.example.vn",
        )
        session.commit()
        return ha, giang


def test_the_officer_in_charge_alone_is_reminded_on_each_channel(
    engine: Engine, world: World
) -> None:
    ha, giang = _second_officers(engine, world)
    before3 = world.tasks["before3"]  # led by SKHCN, STC coordinating, 3 working days left
    untouched = world.tasks["before1"]
    plain = _plan(engine)
    assert _people_of(plain, before3, "lead") == {"Nguyễn Văn An", "Đỗ Thu Hà"}
    assert _people_of(plain, before3, "coordinators") == {"Lê Văn Cường", "Vũ Hương Giang"}

    _put_in_charge(engine, before3, world.dept_a, ha)
    _put_in_charge(engine, before3, world.dept_b, giang)
    chosen = _plan(engine)
    lead = _recipients(chosen, before3, "lead")
    assert {name for name, _ in lead} == {"Đỗ Thu Hà"}
    assert len(lead) == 2 and {channel.split(":")[0] for _, channel in lead} == {
        "mailto",
        "zalo",
    }
    assert _people_of(chosen, before3, "coordinators") == {"Vũ Hương Giang"}
    # The other tasks of the unit still go to all its officers.
    assert _people_of(chosen, untouched, "lead") == {"Nguyễn Văn An", "Đỗ Thu Hà"}
    assert len(chosen.reminders) == len(plain.reminders) - 2  # An and Cường, one channel each


def test_clearing_the_officer_gives_the_part_back_to_the_unit(engine: Engine, world: World) -> None:
    ha, _ = _second_officers(engine, world)
    before3 = world.tasks["before3"]
    _put_in_charge(engine, before3, world.dept_a, ha)
    assert _people_of(_plan(engine), before3, "lead") == {"Đỗ Thu Hà"}
    _put_in_charge(engine, before3, world.dept_a, None)
    assert _people_of(_plan(engine), before3, "lead") == {"Nguyễn Văn An", "Đỗ Thu Hà"}


def test_a_deactivated_or_moved_officer_falls_back_to_the_unit(
    engine: Engine, world: World
) -> None:
    ha, giang = _second_officers(engine, world)
    before3, overdue1 = world.tasks["before3"], world.tasks["overdue1"]
    _put_in_charge(engine, before3, world.dept_a, ha)
    _put_in_charge(engine, overdue1, world.dept_a, ha)
    _put_in_charge(engine, before3, world.dept_b, giang)
    with Session(engine) as session:
        units.update_user(session=session, actor=ACTOR, user=session.merge(ha), active=False)
        units.update_user(
            session=session, actor=ACTOR, user=session.merge(giang), unit=world.dept_a
        )
        session.commit()
    result = _plan(engine)
    # Hà is gone: SKHCN's officers now are An and Giang (moved in); STC's part is Cường's.
    assert _people_of(result, before3, "lead") == {"Nguyễn Văn An", "Vũ Hương Giang"}
    assert _people_of(result, before3, "coordinators") == {"Lê Văn Cường"}
    # Escalation to the lead unit's leaders is not the officer's: Bình is still told.
    assert _people_of(result, overdue1, "lead") == {"Nguyễn Văn An", "Vũ Hương Giang"}
    assert _people_of(result, overdue1, "lead_leaders") == {"Trần Thị Bình"}
