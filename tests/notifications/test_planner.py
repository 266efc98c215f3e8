from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from models import Notification, NotificationState, PolicyScope, ReminderItem, Task, TaskState
from notifications.planner import plan_reminders
from notifications.policy import effective_policy, set_policy
from tests.notifications.conftest import AS_OF, ASSIGNED_ON, World, planned_steps
from tests.world import WorldBuilder
from tracking.errors import InvalidInput


def _steps(result) -> set[tuple[str, str, str]]:
    return {(r.task_title, r.step, r.recipient_name) for r in result.reminders}


def test_plan_finds_offsets_due_day_overdue_and_escalation(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        dry = plan_reminders(session=session, as_of=AS_OF, dry_run=True)
        result = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        written = planned_steps(session, AS_OF)
    t = world.tasks
    an, binh, cuong, dung = "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"
    assert (
        written
        == _steps(dry)
        == {
            (t["before3"].title, "before:3", an),
            (t["before3"].title, "before:3", cuong),  # coordinating unit, before the deadline
            (t["before1"].title, "before:1", an),
            (t["due"].title, "due", an),
            (t["overdue1"].title, "overdue:1", an),
            (t["overdue1"].title, "overdue:1", binh),  # escalated to the lead unit's leader
            (t["overdue11"].title, "overdue:11", an),
            (t["overdue11"].title, "overdue:11", binh),
            (t["overdue11"].title, "overdue:11", dung),  # ≥ 10 working days: the issuer's office
        }
    )
    assert result.reminders_planned == result.items_added == 9
    assert result.reminders == []  # a real run holds no item
    # One digest per recipient per channel: An, Bình, Cường, Dung.
    assert result.notifications_added == 4
    assert "còn 3 ngày làm việc" in next(r.reason for r in dry.reminders if r.step == "before:3")


def test_planning_the_same_date_twice_adds_nothing(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        first = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
    with Session(engine) as session:
        again = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        assert (first.items_added, first.notifications_added) == (9, 4)
        assert (again.items_added, again.notifications_added) == (0, 0)
        assert again.reminders_planned == 9
        assert session.exec(select(func.count()).select_from(ReminderItem)).one() == 9
        assert session.exec(select(func.count()).select_from(Notification)).one() == 4


def test_dry_run_writes_nothing_and_says_why(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        result = plan_reminders(session=session, as_of=AS_OF, dry_run=True)
        session.commit()
        assert len(result.new_reminders) == 9
        assert session.exec(select(func.count()).select_from(ReminderItem)).one() == 0
    dung = next(r for r in result.reminders if r.recipient_name == "Phạm Thị Dung")
    assert (
        dung.reason == "quá hạn 11 ngày làm việc; nhận với vai trò văn phòng cơ quan giao "
        "(quá hạn lâu)"
    )
    assert dung.channel == "mailto:dung@vp.example.vn"


def test_overdue_cadence_is_every_five_working_days(engine: Engine, world: World) -> None:
    overdue_task = world.tasks["overdue1"]  # due Friday 06/3
    reminded = []
    with Session(engine) as session:
        for day in range(9, 32):
            as_of = date(2026, 3, day)
            result = plan_reminders(session=session, as_of=as_of, dry_run=True)
            if any(r.task_id == overdue_task.id for r in result.reminders):
                reminded.append(as_of.day)
    # Working days after 06/3: 9 (1st), 16 (6th), 23 (11th), 30 (16th).
    assert reminded == [9, 16, 23, 30]


def test_days_off_plan_nothing(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        result = plan_reminders(session=session, as_of=date(2026, 3, 7))  # Saturday
        assert not result.is_working_day and result.reminders_planned == 0


def test_task_and_plan_policies_override_the_global_one(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        set_policy(session=session, scope=PolicyScope.GLOBAL, rules={"before_working_days": [5]})
        set_policy(
            session=session,
            scope=PolicyScope.TASK,
            scope_id=world.tasks["before3"].id,
            rules={"before_working_days": [3], "coordinators_before_deadline": False},
        )
        session.commit()
        result = plan_reminders(session=session, as_of=AS_OF, dry_run=True)
        steps = {(r.task_id, r.step, r.recipient_name) for r in result.reminders}
        assert (world.tasks["before3"].id, "before:3", "Nguyễn Văn An") in steps
        assert not any(r.recipient_name == "Lê Văn Cường" for r in result.reminders)
        assert not any(r.step == "before:1" for r in result.reminders)  # global now says 5
        merged = effective_policy(session=session, task_id=world.tasks["before3"].id or 0)
        assert merged["before_working_days"] == [3] and merged["overdue_every"] == 5


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"before_working_days": [0]}, "rules.before_working_days"),
        ({"before_working_days": "3"}, "rules.before_working_days"),
        ({"overdue_every": True}, "rules.overdue_every"),
        ({"escalation": [{"overdue_working_days": 2, "audience": "mayor"}]}, "rules.escalation"),
        ({"send_window": {"start": "18:00", "end": "07:30"}}, "rules.send_window"),
        ({"send_window": {"start": "7h30"}}, "rules.send_window.start"),
        ({"colour": "red"}, "rules.colour"),
    ],
)
def test_bad_policy_is_refused_and_changes_nothing(
    engine: Engine, world: World, rules: dict, field: str
) -> None:
    with Session(engine) as session:
        with pytest.raises(InvalidInput) as error:
            set_policy(session=session, scope="global", rules=rules)
        assert error.value.field == field and error.value.message
        session.commit()
        from models import ReminderPolicy

        assert session.exec(select(func.count()).select_from(ReminderPolicy)).one() == 0


def test_index_window_reads_only_tasks_in_the_window(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        # History that must not be read: finished long ago, or due far in the future.
        build = WorldBuilder(session)
        for n in range(30):
            build.task(
                f"Cũ {n}",
                due=date(2025, 1, 10),
                lead=world.dept_a,
                issuer=world.province,
                state=TaskState.DONE,
                assigned_on=date(2025, 1, 2),
            )
            build.task(
                f"Xa {n}",
                due=date(2026, 12, 30),
                lead=world.dept_a,
                issuer=world.province,
                assigned_on=ASSIGNED_ON,
            )
        session.commit()
        result = plan_reminders(session=session, as_of=AS_OF, dry_run=True)
        open_in_window = session.exec(
            select(func.count())
            .select_from(Task)
            .where(Task.state == TaskState.OPEN, col(Task.due_on) <= date(2026, 3, 12))
        ).one()
        assert result.tasks_in_window == open_in_window == 6


def test_stale_items_are_not_sent(engine: Engine, world: World) -> None:
    """Completed/extended before sending: the digest shrinks or is skipped."""
    from notifications.delivery import DeliverResult, claim, process

    with Session(engine) as session:
        plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        for key in ("overdue1", "overdue11"):
            task = session.get(Task, world.tasks[key].id)
            assert task is not None
            if key == "overdue1":
                task.state = TaskState.DONE
            else:
                task.due_on = date(2026, 4, 30)  # extension approved
            session.add(task)
        session.commit()
        leader_digest = session.exec(
            select(Notification).where(Notification.recipient_user_id == world.leader_a.id)
        ).one()
    result = DeliverResult()
    ids = claim(engine=engine, owner="w", limit=100, now=leader_digest.next_attempt_at)
    assert leader_digest.id in ids
    process(engine=engine, notification_id=leader_digest.id or 0, owner="w", result=result)
    with Session(engine) as session:
        row = session.get(Notification, leader_digest.id)
        assert row is not None and row.state == NotificationState.SKIPPED
        reasons = set(
            session.exec(
                select(ReminderItem.dropped_reason).where(ReminderItem.notification_id == row.id)
            ).all()
        )
        assert reasons == {"nhiệm vụ đã chuyển sang done", "hạn xử lý đã thay đổi (gia hạn)"}
    assert result.skipped == 1 and result.sent == 0


def test_remind_and_deliver_commands(engine: Engine, world: World, smtp) -> None:
    import time_machine
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    dry = runner.invoke(app, ["remind", "--as-of", "09/03/2026", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "9 lượt nhắc (9 mới)" in dry.output
    assert "[overdue:11] Đánh giá tiềm lực khoa học của tỉnh → Phạm Thị Dung" in dry.output
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ReminderItem)).one() == 0
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))):
        real = runner.invoke(app, ["remind", "--as-of", "2026-03-09"])
        assert "Đã thêm 9 lượt nhắc, 4 thông báo vào hộp thư đi." in real.output
        sent = runner.invoke(app, ["deliver"])
    assert sent.exit_code == 0 and "gửi được 4" in sent.output
    assert len(smtp.received) == 4
    bad = runner.invoke(app, ["remind", "--as-of", "31/02/2026"])
    assert bad.exit_code != 0 and "không phải ngày hợp lệ" in bad.output
