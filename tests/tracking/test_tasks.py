"""Task use cases: rules, versions, audit; bad input raises a coded error and changes nothing."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from sqlmodel import Session

from models import AuditEvent, ExtensionStatus, Task, TaskAssignment, TaskState
from tests.world import ACTOR, make_task, make_world
from tracking import audit, tasks
from tracking.deadlines import DeadlineRule
from tracking.errors import Conflict, DomainError, InvalidInput, NotFound
from tracking.queries import count_by_category
from tracking.status import Category


def _table_counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (Task, TaskAssignment, AuditEvent)
    )


def test_assign_computes_due_date_and_records_units(session: Session) -> None:
    world = make_world(session)
    task = make_task(
        session,
        world,
        assigned_on=date(2026, 2, 12),
        deadline=DeadlineRule.working_days(3),
        coordinators=(world.department,),
    )
    assert task.original_due_on == task.due_on == date(2026, 2, 24)
    roles = {(a.unit_id, a.role.value) for a in tasks.assignments(session=session, task_id=task.id)}
    assert roles == {(world.district.id, "lead"), (world.department.id, "coordinate")}
    events = audit.history(session=session, entity="task", entity_id=task.id or 0)
    assert [e.action for e in events] == ["task.assign"]
    assert events[0].after is not None and events[0].after["due_on"] == "2026-02-24"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": "   "}, "task.title_required", "title"),
        ({"title": "x" * 4001}, "task.title_too_long", "title"),
        ({"lead_unit_id": 9999}, "unit.not_found", "unit_id"),
        ({"coordinating_unit_ids": [9999]}, "unit.not_found", "unit_id"),
        ({"deadline": DeadlineRule.fixed(date(2020, 1, 1))}, "deadline.before_assigned", "due_on"),
        (
            {"deadline": DeadlineRule.working_days(-2)},
            "deadline.amount_out_of_range",
            "deadline_amount",
        ),
        ({"assigned_on": date(2099, 1, 1)}, "task.date_in_future", "assigned_on"),
        ({"plan_id": 12345}, "plan.not_found", "plan_id"),
        ({"section_id": 12345}, "task.section_invalid", "section_id"),
        ({"source_document_id": 12345}, "document.not_found", "document_id"),
    ],
)
def test_assign_refuses_bad_input_and_changes_nothing(
    session: Session, changes: dict[str, Any], code: str, field: str
) -> None:
    world = make_world(session)
    arguments: dict[str, Any] = {
        "session": session,
        "actor": ACTOR,
        "title": "Nhiệm vụ",
        "issuer_unit_id": world.province.id,
        "lead_unit_id": world.district.id,
        "assigned_on": date(2021, 3, 1),
        "deadline": DeadlineRule.fixed(date(2021, 6, 30)),
    }
    before = _table_counts(session)
    with pytest.raises(DomainError) as error:
        tasks.assign(**(arguments | changes))
    session.rollback()
    assert (error.value.code, error.value.field) == (code, field)
    assert error.value.message  # Vietnamese text for people
    assert _table_counts(session) == before


def test_lead_cannot_also_coordinate(session: Session) -> None:
    world = make_world(session)
    with pytest.raises(InvalidInput, match="chủ trì"):
        make_task(session, world, coordinators=(world.district,))


def test_completion_flow_and_as_of_history(session: Session) -> None:
    world = make_world(session)
    task = make_task(session, world, deadline=DeadlineRule.fixed(date(2021, 6, 30)))
    tasks.add_progress(
        session=session,
        actor=ACTOR,
        task_id=task.id,
        expected_version=1,
        unit_id=world.district.id,
        content="Đã xây dựng dự thảo",
        percent=50,
        reported_on=date(2021, 5, 3),
    )
    tasks.report_completion(
        session=session,
        actor=ACTOR,
        task_id=task.id,
        expected_version=2,
        completed_on=date(2021, 6, 28),
        reported_on=date(2021, 6, 29),
        result="Đã ban hành",
    )
    tasks.confirm_completion(
        session=session,
        actor=ACTOR,
        task_id=task.id,
        expected_version=3,
        confirmed_on=date(2021, 7, 5),
    )
    session.commit()
    assert task.state == TaskState.DONE and task.version == 4

    def category_on(day: date) -> Category:
        counts = count_by_category(session=session, as_of=day, unit=world.province)
        (found,) = [c for c, n in counts.counts.items() if n]
        return found

    # Before the issuer confirmed, the task was still in progress (then overdue after 30/6).
    assert category_on(date(2021, 6, 29)) == Category.IN_PROGRESS
    assert count_by_category(session=session, as_of=date(2021, 6, 29)).awaiting_confirmation == 1
    assert category_on(date(2021, 7, 2)) == Category.OVERDUE
    # Once confirmed, it counts as done on time: it was finished on 28/6, before the deadline.
    assert category_on(date(2021, 7, 5)) == Category.DONE_ON_TIME
    # Before it was assigned it does not exist.
    assert count_by_category(session=session, as_of=date(2021, 2, 1)).total == 0
    actions = [e.action for e in audit.history(session=session, entity="task", entity_id=task.id)]
    assert actions == [
        "task.assign",
        "task.progress",
        "task.report_completion",
        "task.confirm_completion",
    ]


def test_stale_version_is_refused_and_changes_nothing(session: Session) -> None:
    world = make_world(session)
    task = make_task(session, world)
    tasks.pause(session=session, actor=ACTOR, task_id=task.id, expected_version=1, reason="Chờ")
    session.commit()
    before = _table_counts(session)
    with pytest.raises(Conflict) as error:
        tasks.cancel(session=session, actor=ACTOR, task_id=task.id, expected_version=1, reason="x")
    session.rollback()
    assert error.value.code == "task.stale_version"
    assert session.get(Task, task.id).state == TaskState.PAUSED
    assert _table_counts(session) == before


def test_extension_keeps_both_deadlines_and_counts_from_approval(session: Session) -> None:
    world = make_world(session)
    task = make_task(session, world, deadline=DeadlineRule.fixed(date(2021, 6, 30)))
    request = tasks.request_extension(
        session=session,
        actor=ACTOR,
        task_id=task.id,
        expected_version=1,
        proposed_due_on=date(2021, 8, 31),
        reason="Chờ ý kiến các sở",
        requested_on=date(2021, 6, 20),
    )
    with pytest.raises(Conflict, match="chờ quyết định"):
        tasks.request_extension(
            session=session,
            actor=ACTOR,
            task_id=task.id,
            expected_version=2,
            proposed_due_on=date(2021, 9, 30),
            reason="Lần hai",
            requested_on=date(2021, 6, 21),
        )
    tasks.approve_extension(
        session=session,
        actor=ACTOR,
        extension_id=request.id,
        expected_version=2,
        approved_due_on=date(2021, 7, 31),
        decided_on=date(2021, 7, 2),
    )
    session.commit()
    assert (task.original_due_on, task.due_on) == (date(2021, 6, 30), date(2021, 7, 31))
    assert request.status == ExtensionStatus.APPROVED and request.old_due_on == date(2021, 6, 30)
    # On 01/7 the extension was not yet approved: the task was overdue then.
    on_first = count_by_category(session=session, as_of=date(2021, 7, 1))
    on_second = count_by_category(session=session, as_of=date(2021, 7, 2))
    assert on_first.counts[Category.OVERDUE] == 1
    assert on_second.counts[Category.IN_PROGRESS] == 1


def test_a_back_dated_approval_before_an_earlier_entered_one_leaves_the_deadline(
    session: Session,
) -> None:
    """due_on and extended_on follow the latest approval by decision day (the status rule's
    order), not the order the approvals were entered."""
    world = make_world(session)
    task = make_task(session, world, deadline=DeadlineRule.fixed(date(2021, 6, 30)))
    assert (task.due_on, task.extended_on) == (date(2021, 6, 30), None)
    decisions = [(date(2021, 7, 31), date(2021, 7, 10)), (date(2021, 8, 31), date(2021, 7, 5))]
    for version, (approved, decided) in enumerate(decisions, start=1):
        request = tasks.request_extension(
            session=session,
            actor=ACTOR,
            task_id=task.id,
            expected_version=2 * version - 1,
            proposed_due_on=approved,
            reason="Chờ ý kiến",
            requested_on=date(2021, 6, 20),
        )
        tasks.approve_extension(
            session=session,
            actor=ACTOR,
            extension_id=request.id,
            expected_version=2 * version,
            decided_on=decided,
        )
    session.commit()
    assert (task.due_on, task.extended_on) == (date(2021, 7, 31), date(2021, 7, 10))
    # As of 07/7 the deadline was the one approved on 05/7; from 10/7 on the later decision.
    assert count_by_category(session=session, as_of=date(2021, 8, 1)).counts[Category.OVERDUE] == 1
    assert (
        count_by_category(session=session, as_of=date(2021, 7, 7)).counts[Category.IN_PROGRESS] == 1
    )


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (
            lambda s, t: tasks.confirm_completion(
                session=s, actor=ACTOR, task_id=t.id, expected_version=1
            ),
            "task.invalid_state",
        ),
        (
            lambda s, t: tasks.resume(session=s, actor=ACTOR, task_id=t.id, expected_version=1),
            "task.invalid_state",
        ),
        (
            lambda s, t: tasks.report_completion(
                session=s,
                actor=ACTOR,
                task_id=t.id,
                expected_version=1,
                completed_on=date(2021, 2, 1),
                result="x",
            ),
            "task.date_too_early",
        ),
        (
            lambda s, t: tasks.report_completion(
                session=s,
                actor=ACTOR,
                task_id=t.id,
                expected_version=1,
                completed_on=date(2021, 5, 1),
                result=" ",
            ),
            "task.result_required",
        ),
        (
            lambda s, t: tasks.add_progress(
                session=s,
                actor=ACTOR,
                task_id=t.id,
                expected_version=1,
                unit_id=t.issuer_unit_id,
                content="x",
            ),
            "progress.unit_not_assigned",
        ),
        (
            lambda s, t: tasks.add_progress(
                session=s,
                actor=ACTOR,
                task_id=t.id,
                expected_version=1,
                unit_id=t.lead_unit_id,
                content="x",
                percent=101,
            ),
            "progress.percent_out_of_range",
        ),
        (
            lambda s, t: tasks.request_extension(
                session=s,
                actor=ACTOR,
                task_id=t.id,
                expected_version=1,
                proposed_due_on=date(2021, 6, 1),
                reason="x",
            ),
            "extension.not_later",
        ),
        (
            lambda s, t: tasks.cancel(
                session=s, actor=ACTOR, task_id=t.id, expected_version=1, reason=""
            ),
            "task.cancel_reason_required",
        ),
        (
            lambda s, t: tasks.approve_extension(
                session=s, actor=ACTOR, extension_id=999, expected_version=1
            ),
            "extension.not_found",
        ),
    ],
)
def test_rules_are_enforced(
    session: Session, action: Callable[[Session, Task], object], code: str
) -> None:
    world = make_world(session)
    task = make_task(session, world)
    before = _table_counts(session)
    with pytest.raises(DomainError) as error:
        action(session, task)
    session.rollback()
    assert error.value.code == code
    assert _table_counts(session) == before
    assert session.get(Task, task.id).version == 1


def test_unknown_task_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as error:
        tasks.pause(session=session, actor=ACTOR, task_id=404, expected_version=1, reason="x")
    assert error.value.field == "task_id"


@time_machine.travel(date(2026, 2, 16), tick=False)
def test_defaults_use_the_local_clock(session: Session) -> None:
    world = make_world(session)
    task = tasks.assign(
        session=session,
        actor=ACTOR,
        title="Trực Tết",
        issuer_unit_id=world.province.id,
        lead_unit_id=world.district.id,
        deadline=DeadlineRule.working_days(1),
    )
    assert task.assigned_on == date(2026, 2, 16)
    assert task.due_on == date(2026, 2, 23)
