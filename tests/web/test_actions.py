"""tracking.actions: the forms a task page offers follow the access rule and the state."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models import Role, Unit, UnitKind
from tests.world import SETUP, WorldBuilder
from tracking import clock, tasks
from tracking.access import Principal, TaskAction, task_for
from tracking.actions import TaskCommand, available_commands
from tracking.deadlines import DeadlineRule

C = TaskCommand


def _principal(session: Session, unit: Unit, role: Role, name: str) -> Principal:
    user = WorldBuilder(session, actor=SETUP).user(name, full_name=name, unit=unit, role=role)
    session.flush()
    parent = session.get(Unit, unit.parent_id) if unit.parent_id else None
    return Principal.of(user=user, unit=unit, parent=parent)


def _commands(session: Session, principal: Principal, task_id: int) -> set[TaskCommand]:
    task, _, task_units = task_for(
        session=session, principal=principal, task_id=task_id, action=TaskAction.READ
    )
    return set(
        available_commands(
            principal=principal,
            task=task,
            units=task_units,
            extensions=tasks.extensions(session=session, task_id=task_id),
        )
    )


def test_each_person_is_offered_only_what_the_services_accept(session: Session) -> None:
    build = WorldBuilder(session, actor=SETUP)
    province = build.unit("P", "Tỉnh", UnitKind.PROVINCE)
    office = build.unit("P-VP", "Văn phòng", UnitKind.OFFICE, parent=province)
    commune = build.unit("P-XA", "Xã", UnitKind.COMMUNE, parent=province)
    helper = build.unit("P-XB", "Xã B", UnitKind.COMMUNE, parent=province)
    leader = _principal(session, office, Role.LEADER, "lanh.dao")
    clerk = _principal(session, office, Role.OFFICER, "chuyen.vien")
    lead = _principal(session, commune, Role.OFFICER, "xa.a")
    coordinator = _principal(session, helper, Role.OFFICER, "xa.b")
    viewer = _principal(session, commune, Role.VIEWER, "xem")
    task = build.task(
        "Rà soát hồ sơ",
        issuer=office,
        lead=commune,
        coordinators=[helper],
        deadline=DeadlineRule.working_days(5),
    )
    session.flush()
    task_id = task.id or 0
    assert _commands(session, leader, task_id) == {C.EDIT, C.PAUSE, C.CANCEL, C.REMINDER_POLICY}
    assert _commands(session, clerk, task_id) == {C.EDIT}
    assert _commands(session, lead, task_id) == {
        C.PROGRESS,
        C.REPORT_COMPLETION,
        C.REQUEST_EXTENSION,
    }
    assert _commands(session, coordinator, task_id) == {C.PROGRESS}
    assert _commands(session, viewer, task_id) == set()

    assert task.due_on is not None
    tasks.request_extension(
        session=session,
        actor=lead.actor,
        task_id=task_id,
        expected_version=task.version,
        proposed_due_on=task.due_on + timedelta(days=7),
        reason="Chờ số liệu",
    )
    assert C.REQUEST_EXTENSION not in _commands(session, lead, task_id)
    assert C.DECIDE_EXTENSION in _commands(session, leader, task_id)
    tasks.report_completion(
        session=session,
        actor=lead.actor,
        task_id=task_id,
        expected_version=task.version,
        completed_on=clock.today(),
        result="Đã xong",
    )
    # Submitted: the issuer's leader confirms or returns, and may still decide the request.
    assert _commands(session, leader, task_id) == {
        C.EDIT,
        C.CONFIRM_COMPLETION,
        C.RETURN_COMPLETION,
        C.DECIDE_EXTENSION,
        C.CANCEL,
        C.REMINDER_POLICY,
    }
    assert _commands(session, lead, task_id) == {C.PROGRESS}

    tasks.cancel(
        session=session,
        actor=leader.actor,
        task_id=task_id,
        expected_version=task.version,
        reason="Không còn cần thiết",
    )
    # tracking.tasks.update refuses a finished task: no edit form is offered for it.
    assert C.EDIT not in _commands(session, clerk, task_id)


def test_the_officer_in_charge_is_chosen_by_the_leaders_of_the_tasks_units(
    session: Session,
) -> None:
    build = WorldBuilder(session, actor=SETUP)
    province = build.unit("P", "Tỉnh", UnitKind.PROVINCE)
    office = build.unit("P-VP", "Văn phòng", UnitKind.OFFICE, parent=province)
    commune = build.unit("P-XA", "Xã", UnitKind.COMMUNE, parent=province)
    helper = build.unit("P-XB", "Xã B", UnitKind.COMMUNE, parent=province)
    office_leader = _principal(session, office, Role.LEADER, "lanh.dao.vp")
    commune_leader = _principal(session, commune, Role.LEADER, "lanh.dao.xa")
    helper_leader = _principal(session, helper, Role.LEADER, "lanh.dao.xb")
    commune_officer = _principal(session, commune, Role.OFFICER, "can.bo.xa")
    task = build.task(
        "Rà soát hồ sơ",
        issuer=office,
        lead=commune,
        coordinators=[helper],
        deadline=DeadlineRule.working_days(5),
    )
    session.flush()
    task_id = task.id or 0
    assert C.ASSIGN_OFFICER in _commands(session, commune_leader, task_id)
    assert C.ASSIGN_OFFICER in _commands(session, helper_leader, task_id)
    assert C.ASSIGN_OFFICER not in _commands(session, commune_officer, task_id)
    assert C.ASSIGN_OFFICER not in _commands(session, office_leader, task_id)
    tasks.cancel(
        session=session,
        actor=office_leader.actor,
        task_id=task_id,
        expected_version=task.version,
        reason="Không còn cần thiết",
        cancelled_on=clock.today(),
    )
    assert C.ASSIGN_OFFICER not in _commands(session, commune_leader, task_id)
