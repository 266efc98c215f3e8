"""Planning: for a date, which reminders fall due, to whom, on which channel, and why.

Reads only the open tasks in the reminder window (index ix_task_state_due), never history.
Each reminder is a ReminderItem with a unique key per (task, rule step, recipient, channel,
effective deadline), inserted with insert-or-ignore, so planning a date twice adds nothing.
The items of one recipient and channel planned the same day become one digest in the outbox.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, Engine, and_
from sqlmodel import Session, col, select

from models import (
    AssignmentRole,
    ContactChannel,
    Notification,
    NotificationKind,
    ReminderItem,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    User,
)
from models.db import in_chunks, insert_ignore
from models.types import utc_now
from notifications import channels, contacts, outbox
from notifications.audiences import AUDIENCES
from notifications.digest import DigestLine, render_digest, status_text
from notifications.outbox import OutboxMessage
from notifications.policy import PolicyBook, Rules, max_before_offset
from settings import get_settings
from tracking import clock, units
from tracking.calendar import WorkCalendar, load_calendar


@dataclass(frozen=True)
class PlannedReminder:
    key: str
    task_id: int
    task_title: str
    step: str
    audience: str
    recipient_user_id: int
    recipient_name: str
    channel_id: int
    channel: str  # masked
    due_on: date
    working_days_left: int
    reason: str
    new: bool


@dataclass
class PlanResult:
    as_of: date
    is_working_day: bool
    dry_run: bool
    tasks_in_window: int = 0
    reminders: list[PlannedReminder] = field(default_factory=list)
    items_added: int = 0
    notifications_added: int = 0

    @property
    def new_reminders(self) -> list[PlannedReminder]:
        return [r for r in self.reminders if r.new]


def _steps(
    task: Task, rules: Rules, as_of: date, calendar: WorkCalendar
) -> tuple[str, int, list[str]] | None:
    """(step, working days left, audiences) when the task is reminded on as_of."""
    due = task.due_on
    assert due is not None
    if due > as_of:
        left = calendar.working_days_between(as_of, due)
        if left in rules.before_working_days:
            audiences = ["lead"]
            if rules.coordinators_before_deadline:
                audiences.append("coordinators")
            return f"before:{left}", left, audiences
        return None
    if due == as_of:
        return ("due", 0, ["lead"]) if rules.on_due_day else None
    overdue = calendar.working_days_between(due, as_of)
    if not rules.overdue_step(overdue):
        return None
    audiences = ["lead"]
    for rung in rules.escalation:
        if overdue >= rung.overdue_working_days and rung.audience not in audiences:
            audiences.append(rung.audience)
    return f"overdue:{overdue}", -overdue, audiences


class _People:
    """Users and channels of the units involved, loaded in a few set-based queries."""

    def __init__(self, session: Session, tasks: list[Task], window: ColumnElement[bool]) -> None:
        # Every lookup here is by a subquery of the window or in bounded chunks: a province's
        # window holds more tasks, units and people than a statement may carry parameters.
        self.coordinating: dict[int, list[int]] = defaultdict(list)
        for row in session.exec(
            select(TaskAssignment).where(
                col(TaskAssignment.task_id).in_(select(col(Task.id)).where(window)),
                TaskAssignment.role == AssignmentRole.COORDINATE,
            )
        ).all():
            self.coordinating[row.task_id].append(row.unit_id)
        issuers = {t.issuer_unit_id for t in tasks}
        offices = units.offices_of(session=session, unit_ids=issuers)
        # The issuer's office (Văn phòng UBND) when it has one, else the issuer itself.
        self.office_of = {i: offices.get(i) or [i] for i in issuers}
        unit_ids = {t.lead_unit_id for t in tasks} | {
            u for us in self.coordinating.values() for u in us
        }
        unit_ids |= {u for us in self.office_of.values() for u in us}
        self.units = {
            u.id: u
            for chunk in in_chunks(values=unit_ids | issuers)
            for u in session.exec(select(Unit).where(col(Unit.id).in_(chunk))).all()
        }
        self.users_by_unit: dict[int, list[User]] = defaultdict(list)
        users = [
            user
            for chunk in in_chunks(values=unit_ids)
            for user in session.exec(
                select(User).where(col(User.unit_id).in_(chunk), col(User.active).is_(True))
            ).all()
        ]
        # Chunks break one ORDER BY: a unit's people are listed in id order here.
        users.sort(key=lambda user: user.id or 0)
        for user in users:
            self.users_by_unit[user.unit_id].append(user)
        self.channels = contacts.active_channels_of(session=session, user_ids=[u.id for u in users])

    def _role(
        self, unit_id: int, roles: tuple[Role, ...], fallback: tuple[Role, ...] = ()
    ) -> list[User]:
        users = [u for u in self.users_by_unit.get(unit_id, []) if u.role in roles]
        if not users and fallback:
            users = [u for u in self.users_by_unit.get(unit_id, []) if u.role in fallback]
        return users

    def audience(self, task: Task, audience: str) -> list[User]:
        if audience == "lead":
            # The unit's officers follow the task; a unit without officers: its leaders.
            return self._role(task.lead_unit_id, (Role.OFFICER,), (Role.LEADER,))
        if audience == "lead_leaders":
            return self._role(task.lead_unit_id, (Role.LEADER,))
        if audience == "coordinators":
            return [
                u
                for unit in self.coordinating.get(task.id or 0, [])
                for u in self._role(unit, (Role.OFFICER,), (Role.LEADER,))
            ]
        if audience == "issuer_office":
            return [
                u
                for unit in self.office_of.get(task.issuer_unit_id, [])
                for u in self._role(unit, (Role.OFFICER, Role.LEADER))
            ]
        return []


def item_key(task_id: int, step: str, user_id: int, channel_id: int, due_on: date) -> str:
    return f"r:{task_id}:{step}:{user_id}:{channel_id}:{due_on.isoformat()}"


def first_send_time(as_of: date, rules: Rules, calendar: WorkCalendar) -> datetime:
    """The first instant inside the send window on or after the start of as_of (or now)."""
    zone = clock.local_zone()
    start = max(clock.now_local(), datetime.combine(as_of, time(0), tzinfo=zone))
    return rules.send_window.next_opening(start, calendar).astimezone(UTC)


def message_key(as_of: date, user_id: int, channel_id: int, item_keys: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(item_keys)).encode()).hexdigest()[:20]
    return f"d:{as_of.isoformat()}:{user_id}:{channel_id}:{digest}"


def plan_reminders(*, session: Session, as_of: date, dry_run: bool = False) -> PlanResult:
    """Find the reminders due on as_of and (unless dry_run) put them in the outbox.

    Flushes; the caller commits. Days off plan nothing: the working day before covered them.
    """
    calendar = load_calendar(session)
    result = PlanResult(as_of=as_of, is_working_day=calendar.is_working_day(as_of), dry_run=dry_run)
    if not result.is_working_day:
        return result
    window_end = calendar.add_working_days(as_of, max_before_offset(session))
    window = and_(
        col(Task.state) == TaskState.OPEN,
        col(Task.due_on).is_not(None),
        col(Task.due_on) <= window_end,
        col(Task.assigned_on) <= as_of,
    )
    tasks = list(
        session.exec(select(Task).where(window).order_by(col(Task.due_on), col(Task.id))).all()
    )
    result.tasks_in_window = len(tasks)
    if not tasks:
        return result
    book = PolicyBook(session, window=window)
    people = _People(session, tasks, window)
    planned: list[PlannedReminder] = []
    for task in tasks:
        step = _steps(task, book.for_task(task), as_of, calendar)
        if step is None:
            continue
        name, left, audiences = step
        seen: set[int] = set()
        for audience in audiences:
            for user in people.audience(task, audience):
                if user.id in seen:  # one reminder per person per task, the closest role
                    continue
                seen.add(user.id or 0)
                for channel in people.channels.get(user.id or 0, []):
                    assert task.id and user.id and channel.id and task.due_on
                    planned.append(
                        PlannedReminder(
                            key=item_key(task.id, name, user.id, channel.id, task.due_on),
                            task_id=task.id,
                            task_title=task.title,
                            step=name,
                            audience=audience,
                            recipient_user_id=user.id,
                            recipient_name=user.full_name,
                            channel_id=channel.id,
                            channel=channels.mask(channel.url),
                            due_on=task.due_on,
                            working_days_left=left,
                            reason=f"{status_text(left)}; nhận với vai trò "
                            f"{AUDIENCES[audience].role}",
                            new=True,
                        )
                    )
    # Looked up by the unique key, in bounded chunks (a day can plan more reminders than a
    # statement may carry parameters).
    existing = {
        key
        for chunk in in_chunks(values=(p.key for p in planned))
        for key in session.exec(
            select(ReminderItem.key).where(col(ReminderItem.key).in_(chunk))
        ).all()
    }
    result.reminders = [
        PlannedReminder(**{**p.__dict__, "new": p.key not in existing}) for p in planned
    ]
    if dry_run:
        return result
    result.items_added = insert_ignore(
        session,
        ReminderItem,
        [
            {
                "key": p.key,
                "task_id": p.task_id,
                "step": p.step,
                "audience": p.audience,
                "recipient_user_id": p.recipient_user_id,
                "channel_id": p.channel_id,
                "due_on": p.due_on,
                "planned_on": as_of,
                "dropped_reason": "",
                "created_at": utc_now(),
            }
            for p in result.new_reminders
        ],
        key="key",
    )
    result.notifications_added = _make_digests(
        session=session,
        as_of=as_of,
        rules=book.global_rules,
        calendar=calendar,
        tasks={t.id: t for t in tasks},
        people=people,
    )
    return result


def _make_digests(
    *,
    session: Session,
    as_of: date,
    rules: Rules,
    calendar: WorkCalendar,
    tasks: dict[int | None, Task],
    people: _People,
) -> int:
    loose = session.exec(
        select(ReminderItem).where(
            ReminderItem.planned_on == as_of,
            col(ReminderItem.notification_id).is_(None),
            ReminderItem.dropped_reason == "",
        )
    ).all()
    groups: dict[tuple[int, int], list[ReminderItem]] = defaultdict(list)
    for item in loose:
        groups[(item.recipient_user_id, item.channel_id)].append(item)
    next_at = first_send_time(as_of, rules, calendar)
    added = 0
    for (user_id, channel_id), items in sorted(groups.items()):
        user = session.get(User, user_id)
        channel = session.get(ContactChannel, channel_id)
        assert user is not None and channel is not None
        subject, body = render_digest(
            lines=digest_lines(session, items, as_of, calendar, tasks, people),
            as_of=as_of,
            recipient_name=user.full_name,
            recipient_title=user.title,
        )
        key = message_key(as_of, user_id, channel_id, [i.key for i in items])
        added += outbox.enqueue(
            session=session,
            send_at=next_at,
            messages=[
                OutboxMessage(
                    key=key,
                    kind=NotificationKind.DIGEST,
                    recipient_user_id=user_id,
                    channel_id=channel_id,
                    channel_url=channel.url,
                    digest_on=as_of,
                    subject=subject,
                    body=body,
                )
            ],
        )
        notification_id = session.exec(select(Notification.id).where(Notification.key == key)).one()
        for item in items:
            item.notification_id = notification_id
            session.add(item)
    session.flush()
    return added


def digest_lines(
    session: Session,
    items: list[ReminderItem],
    as_of: date,
    calendar: WorkCalendar,
    tasks: dict[int | None, Task] | None = None,
    people: _People | None = None,
) -> list[DigestLine]:
    base = get_settings().public_base_url.rstrip("/")
    lines = []
    for item in items:
        task = (tasks or {}).get(item.task_id) or session.get(Task, item.task_id)
        assert task is not None
        unit = people.units.get(task.lead_unit_id) if people else None
        unit = unit or session.get(Unit, task.lead_unit_id)
        lines.append(
            DigestLine(
                task_id=task.id or 0,
                title=task.title,
                unit=unit.name if unit else "",
                due_on=item.due_on,
                working_days_left=calendar.working_days_between(as_of, item.due_on),
                audience=item.audience,
                link=f"{base}/tasks/{task.id}",
            )
        )
    return lines


def plan_with_engine(*, engine: Engine, as_of: date, dry_run: bool = False) -> PlanResult:
    """plan_reminders in its own transaction (CLI, flows)."""
    with Session(engine, expire_on_commit=False) as session:
        result = plan_reminders(session=session, as_of=as_of, dry_run=dry_run)
        if not dry_run:
            session.commit()
        return result
