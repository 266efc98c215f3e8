"""Planning: for a date, which reminders fall due, to whom, on which channel, and why.

Reads only the tasks the rules can remind on the date, never history. An open task is reminded
on a few 'before' offsets, on its deadline and, once overdue, only every few working days
(notifications.policy), so the window is a set of due dates computed from the calendar and the
distinct rules in force: the days from the date to the longest 'before' offset, and the past
dates whose count of working days overdue is a reminder step. Each is found by the index
ix_task_state_due, and the tasks are read as the few columns planning needs.
Each reminder is a ReminderItem with a unique key per (task, rule step, recipient, channel,
effective deadline), inserted with insert-or-ignore, so planning a date twice adds nothing.
The items of one recipient and channel planned the same day become one digest in the outbox.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import Engine, Integer, Select, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col

import models.db
from models import (
    AssignmentRole,
    ContactChannel,
    Document,
    Notification,
    NotificationKind,
    Plan,
    PolicyScope,
    ReminderItem,
    ReminderPolicy,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    User,
)
from models.db import in_chunks, insert_ignore, is_postgres, table_of
from models.types import utc_now
from notifications import channels, outbox
from notifications.audiences import AUDIENCES
from notifications.digest import DigestLine, render_digest, status_text
from notifications.outbox import OutboxMessage
from notifications.policy import PolicyBook, Rules
from settings import get_settings
from tracking import clock, documents, units
from tracking.calendar import WorkCalendar, load_calendar


@dataclass(frozen=True, slots=True)
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


class WindowTask(NamedTuple):
    """The columns of a task that planning and the digest read."""

    id: int
    title: str
    due_on: date
    lead_unit_id: int
    issuer_unit_id: int
    plan_id: int | None


class _Person(NamedTuple):
    id: int
    unit_id: int
    role: Role
    full_name: str
    title: str


_TASK_COLUMNS = (
    col(Task.id),
    col(Task.title),
    col(Task.due_on),
    col(Task.lead_unit_id),
    col(Task.issuer_unit_id),
    col(Task.plan_id),
)


# A query of the window: the columns of WindowTask.
WindowStatement = Select[int | None, str, date | None, int, int, int | None, date]


def _steps(
    due: date, rules: Rules, as_of: date, calendar: WorkCalendar
) -> tuple[str, int, list[str]] | None:
    """(step, working days left, audiences) when a task due on `due` is reminded on as_of."""
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


def overdue_reminder_dates(
    *, rules: Rules, as_of: date, earliest: date, calendar: WorkCalendar
) -> list[date]:
    """The past deadlines, back to `earliest`, of the tasks `rules` remind on as_of as overdue
    (the count of working days overdue that _steps takes is a reminder step)."""
    dates = []
    day = as_of - timedelta(days=1)
    while day >= earliest:
        if rules.overdue_step(calendar.working_days_between(day, as_of)):
            dates.append(day)
        day -= timedelta(days=1)
    return dates


def _scope_ids(scope: PolicyScope) -> Select[Any]:
    return select(col(ReminderPolicy.scope_id)).where(col(ReminderPolicy.scope) == scope)


def window_statements(
    *, session: Session, as_of: date, calendar: WorkCalendar, book: PolicyBook
) -> list[WindowStatement]:
    """The queries of the planner's window, each an index search by deadline: the open tasks
    (with the day they were assigned) that a rule in force may remind on as_of. Due from as_of
    to the longest 'before' offset; or on a past date whose overdue count is a step of the
    global rules, of a plan's rules (the plan's tasks), or of any rules (a task with its own).
    A task may come from several; _steps then decides with the task's own rules."""
    # The day of assignment is checked on the rows read (window_tasks): as a condition here it
    # tempted SQLite to search by ix_task_assigned_on, every task ever assigned.
    is_open = col(Task.state) == TaskState.OPEN
    columns = (*_TASK_COLUMNS, col(Task.assigned_on))
    # The last day with at most that many working days left: a deadline on the days off
    # after the furthest offset's working day counts the same (the window ended on that
    # working day before, and missed such a task's first reminder).
    window_end = calendar.add_working_days(as_of, book.max_before_offset() + 1) - timedelta(days=1)
    statements: list[WindowStatement] = [
        select(*columns).where(is_open, col(Task.due_on) >= as_of, col(Task.due_on) <= window_end)
    ]
    earliest: date | None = session.execute(
        select(func.min(col(Task.due_on))).where(
            col(Task.state) == TaskState.OPEN, col(Task.due_on).is_not(None)
        )
    ).scalar_one()
    if earliest is None or earliest >= as_of:
        return statements
    # The past deadlines the global rules remind on (every task without rules of its own
    # that are different), then those only a plan's rules add.
    dates = overdue_reminder_dates(
        rules=book.global_rules, as_of=as_of, earliest=earliest, calendar=calendar
    )
    statements.extend(
        select(*columns).where(is_open, col(Task.due_on).in_(chunk))
        for chunk in in_chunks(values=dates)
    )
    plan_dates = {
        day
        for rules in set(book.plan_rules) - {book.global_rules}
        for day in overdue_reminder_dates(
            rules=rules, as_of=as_of, earliest=earliest, calendar=calendar
        )
    }.difference(dates)
    statements.extend(
        select(*columns).where(
            is_open,
            col(Task.due_on).in_(chunk),
            col(Task.plan_id).in_(_scope_ids(PolicyScope.PLAN)),
        )
        for chunk in in_chunks(values=sorted(plan_dates))
    )
    if book.has_task_rules:
        # Tasks with rules of their own are few: every overdue one is read.
        statements.append(
            select(*columns).where(
                is_open,
                col(Task.due_on) < as_of,
                col(Task.id).in_(_scope_ids(PolicyScope.TASK)),
            )
        )
    return statements


def window_tasks(
    *, session: Session, as_of: date, calendar: WorkCalendar, book: PolicyBook
) -> list[WindowTask]:
    """The tasks of the planner's window (window_statements), in deadline order."""
    found: dict[int, WindowTask] = {}
    for statement in window_statements(session=session, as_of=as_of, calendar=calendar, book=book):
        for *task, assigned_on in session.execute(statement).all():
            if assigned_on <= as_of:
                found[task[0]] = WindowTask(*task)
    return sorted(found.values(), key=lambda task: (task.due_on, task.id))


class _Directory:
    """Tasks, unit names, people and channel URLs by id, read in bulk (one IN lookup per
    IN_CHUNK_SIZE ids, a statement's size bounded whatever the day holds) and kept."""

    def __init__(self, session: Session, tasks: Iterable[WindowTask] = ()) -> None:
        self.session = session
        self.tasks = {task.id: task for task in tasks}
        self.unit_names: dict[int, str] = {}
        self.people: dict[int, _Person] = {}
        self.channel_urls: dict[int, str] = {}
        self.documents: dict[int, str] = {}  # task id: the document that assigned it
        self._days_left: dict[tuple[date, date], int] = {}

    def working_days_left(self, calendar: WorkCalendar, as_of: date, due: date) -> int:
        """calendar.working_days_between(as_of, due), once per deadline of the day's lines."""
        left = self._days_left.get((as_of, due))
        if left is None:
            left = self._days_left[(as_of, due)] = calendar.working_days_between(as_of, due)
        return left

    def load_tasks(self, ids: Collection[int]) -> None:
        for chunk in in_chunks(values=(i for i in ids if i not in self.tasks)):
            for row in self.session.execute(
                select(*_TASK_COLUMNS).where(col(Task.id).in_(chunk))
            ).all():
                self.tasks[row[0]] = WindowTask(*row)

    def load_unit_names(self, ids: Collection[int]) -> None:
        for chunk in in_chunks(values=(i for i in ids if i not in self.unit_names)):
            self.unit_names.update(
                self.session.execute(
                    select(col(Unit.id), col(Unit.name)).where(col(Unit.id).in_(chunk))
                ).all()
            )

    def load_documents(self, task_ids: Collection[int]) -> None:
        """The document that assigned each task: its own, else its plan's."""
        document_id = func.coalesce(col(Task.source_document_id), col(Plan.document_id))
        for chunk in in_chunks(values=(i for i in task_ids if i not in self.documents)):
            for task_id, symbol, type_code, issued_on in self.session.execute(
                select(
                    col(Task.id),
                    col(Document.symbol),
                    col(Document.type_code),
                    col(Document.issued_on),
                )
                .select_from(Task)
                .outerjoin(Plan, col(Plan.id) == col(Task.plan_id))
                .join(Document, col(Document.id) == document_id)
                .where(col(Task.id).in_(chunk))
            ).all():
                self.documents[task_id] = documents.named(
                    symbol=symbol, type_code=type_code, issued_on=issued_on
                )

    def load_people(self, ids: Collection[int]) -> None:
        for chunk in in_chunks(values=(i for i in ids if i not in self.people)):
            for row in self.session.execute(
                select(*_PERSON_COLUMNS).where(col(User.id).in_(chunk))
            ):
                self.people[row[0]] = _Person(*row)

    def load_channel_urls(self, ids: Collection[int]) -> None:
        for chunk in in_chunks(values=(i for i in ids if i not in self.channel_urls)):
            self.channel_urls.update(
                self.session.execute(
                    select(col(ContactChannel.id), col(ContactChannel.url)).where(
                        col(ContactChannel.id).in_(chunk)
                    )
                ).all()
            )


_PERSON_COLUMNS = (
    col(User.id),
    col(User.unit_id),
    col(User.role),
    col(User.full_name),
    col(User.title),
)


class _People:
    """Who each audience of the day's tasks is, and their active channels, loaded in a few
    set-based queries over the units and people of the reminded tasks only."""

    def __init__(
        self, directory: _Directory, reminded: Sequence[tuple[WindowTask, list[str]]]
    ) -> None:
        session = directory.session
        self.coordinating: dict[int, list[int]] = defaultdict(list)
        wanting_coordinators = (task.id for task, aud in reminded if "coordinators" in aud)
        for chunk in in_chunks(values=wanting_coordinators):
            for task_id, unit_id in session.execute(
                select(col(TaskAssignment.task_id), col(TaskAssignment.unit_id))
                .where(
                    col(TaskAssignment.task_id).in_(chunk),
                    col(TaskAssignment.role) == AssignmentRole.COORDINATE,
                )
                .order_by(col(TaskAssignment.id))
            ).all():
                self.coordinating[task_id].append(unit_id)
        issuers = {task.issuer_unit_id for task, aud in reminded if "issuer_office" in aud}
        offices = units.offices_of(session=session, unit_ids=issuers) if issuers else {}
        # The issuer's office (Văn phòng UBND) when it has one, else the issuer itself.
        self.office_of = {i: offices.get(i) or [i] for i in issuers}
        unit_ids = {task.lead_unit_id for task, _ in reminded}
        unit_ids |= {u for us in self.coordinating.values() for u in us}
        unit_ids |= {u for us in self.office_of.values() for u in us}
        self.users_by_unit: dict[int, list[_Person]] = defaultdict(list)
        users = [
            _Person(*row)
            for chunk in in_chunks(values=unit_ids)
            for row in session.execute(
                select(*_PERSON_COLUMNS).where(
                    col(User.unit_id).in_(chunk), col(User.active).is_(True)
                )
            ).all()
        ]
        # Chunks break one ORDER BY: a unit's people are listed in id order here.
        users.sort(key=lambda user: user.id)
        for user in users:
            self.users_by_unit[user.unit_id].append(user)
            directory.people[user.id] = user
        self._chosen: dict[tuple[int, tuple[Role, ...], tuple[Role, ...]], list[_Person]] = {}

    def _role(
        self, unit_id: int, roles: tuple[Role, ...], fallback: tuple[Role, ...] = ()
    ) -> list[_Person]:
        chosen = self._chosen.get((unit_id, roles, fallback))
        if chosen is None:
            members = self.users_by_unit.get(unit_id, [])
            chosen = [u for u in members if u.role in roles]
            if not chosen and fallback:
                chosen = [u for u in members if u.role in fallback]
            self._chosen[(unit_id, roles, fallback)] = chosen
        return chosen

    def audience(self, task: WindowTask, audience: str) -> list[_Person]:
        if audience == "lead":
            # The unit's officers follow the task; a unit without officers: its leaders.
            return self._role(task.lead_unit_id, (Role.OFFICER,), (Role.LEADER,))
        if audience == "lead_leaders":
            return self._role(task.lead_unit_id, (Role.LEADER,))
        if audience == "coordinators":
            return [
                u
                for unit in self.coordinating.get(task.id, [])
                for u in self._role(unit, (Role.OFFICER,), (Role.LEADER,))
            ]
        if audience == "issuer_office":
            return [
                u
                for unit in self.office_of.get(task.issuer_unit_id, [])
                for u in self._role(unit, (Role.OFFICER, Role.LEADER))
            ]
        return []


def _active_channels(directory: _Directory, user_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of each person's active channels, in the order they were added (their URLs go
    to the directory)."""
    by_user: dict[int, list[int]] = defaultdict(list)
    for chunk in in_chunks(values=user_ids):
        for channel_id, user_id, url in directory.session.execute(
            select(col(ContactChannel.id), col(ContactChannel.user_id), col(ContactChannel.url))
            .where(col(ContactChannel.user_id).in_(chunk), col(ContactChannel.active).is_(True))
            .order_by(col(ContactChannel.id))
        ).all():
            by_user[user_id].append(channel_id)
            directory.channel_urls[channel_id] = url
    # A person's channels all come from one chunk, already in id (added) order.
    return by_user


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
    book = PolicyBook(session)
    tasks = window_tasks(session=session, as_of=as_of, calendar=calendar, book=book)
    result.tasks_in_window = len(tasks)
    if not tasks:
        return result
    reminded: list[tuple[WindowTask, str, int, list[str]]] = []
    for task in tasks:
        step = _steps(
            task.due_on, book.for_task(task_id=task.id, plan_id=task.plan_id), as_of, calendar
        )
        if step is not None:
            reminded.append((task, *step))
    directory = _Directory(session, tasks)
    people = _People(directory, [(task, audiences) for task, _, _, audiences in reminded])
    recipients: list[tuple[WindowTask, str, int, str, _Person]] = []
    for task, name, left, audiences in reminded:
        seen: set[int] = set()
        for audience in audiences:
            for user in people.audience(task, audience):
                if user.id in seen:  # one reminder per person per task, the closest role
                    continue
                seen.add(user.id)
                recipients.append((task, name, left, audience, user))
    channels_of = _active_channels(directory, (user.id for *_, user in recipients))
    planned = (
        (
            item_key(task.id, name, user.id, channel_id, task.due_on),
            task,
            name,
            left,
            audience,
            user,
            channel_id,
        )
        for task, name, left, audience, user in recipients
        for channel_id in channels_of.get(user.id, [])
    )
    masked: dict[int, str] = {}
    reasons: dict[tuple[int, str], str] = {}
    created_at = utc_now()
    # A batch at a time (a country's day plans more items than memory should hold twice):
    # which keys exist already, by the unique key, then the new ones inserted.
    while batch := list(islice(planned, models.db.IN_CHUNK_SIZE)):
        existing = set(
            session.execute(
                select(col(ReminderItem.key)).where(
                    col(ReminderItem.key).in_([b[0] for b in batch])
                )
            ).scalars()
        )
        reminders = []
        for key, task, name, left, audience, user, channel_id in batch:
            if channel_id not in masked:
                masked[channel_id] = channels.mask(directory.channel_urls[channel_id])
            reason = reasons.get((left, audience))
            if reason is None:
                reason = reasons[(left, audience)] = (
                    f"{status_text(left)}; nhận với vai trò {AUDIENCES[audience].role}"
                )
            reminders.append(
                PlannedReminder(
                    key=key,
                    task_id=task.id,
                    task_title=task.title,
                    step=name,
                    audience=audience,
                    recipient_user_id=user.id,
                    recipient_name=user.full_name,
                    channel_id=channel_id,
                    channel=masked[channel_id],
                    due_on=task.due_on,
                    working_days_left=left,
                    reason=reason,
                    new=key not in existing,
                )
            )
        result.reminders.extend(reminders)
        if not dry_run:
            result.items_added += insert_ignore(
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
                        "created_at": created_at,
                    }
                    for p in reminders
                    if p.new
                ],
                key="key",
            )
    if dry_run:
        return result
    result.notifications_added = _make_digests(
        session=session,
        as_of=as_of,
        rules=book.global_rules,
        calendar=calendar,
        directory=directory,
    )
    return result


class _LooseItem(NamedTuple):
    id: int
    key: str
    task_id: int
    recipient_user_id: int
    channel_id: int
    due_on: date
    audience: str


def _make_digests(
    *,
    session: Session,
    as_of: date,
    rules: Rules,
    calendar: WorkCalendar,
    directory: _Directory,
) -> int:
    """One digest per recipient and channel of the day's items not in a digest yet: rendered,
    put in the outbox in bulk, and the items linked to it in one executemany."""
    loose = [
        _LooseItem(*row)
        for row in session.execute(
            select(
                col(ReminderItem.id),
                col(ReminderItem.key),
                col(ReminderItem.task_id),
                col(ReminderItem.recipient_user_id),
                col(ReminderItem.channel_id),
                col(ReminderItem.due_on),
                col(ReminderItem.audience),
            ).where(
                col(ReminderItem.planned_on) == as_of,
                col(ReminderItem.notification_id).is_(None),
                col(ReminderItem.dropped_reason) == "",
            )
        ).all()
    ]
    if not loose:
        return 0
    groups: dict[tuple[int, int], list[_LooseItem]] = defaultdict(list)
    for item in loose:
        groups[(item.recipient_user_id, item.channel_id)].append(item)
    # Items planned by an earlier run of the day name what this run may not have read.
    directory.load_tasks({item.task_id for item in loose})
    directory.load_unit_names({task.lead_unit_id for task in directory.tasks.values()})
    directory.load_documents({item.task_id for item in loose})
    directory.load_people({user_id for user_id, _ in groups})
    directory.load_channel_urls({channel_id for _, channel_id in groups})
    next_at = first_send_time(as_of, rules, calendar)
    base = get_settings().public_base_url.rstrip("/")
    messages: list[OutboxMessage] = []
    items_of: dict[str, list[_LooseItem]] = {}
    for (user_id, channel_id), items in sorted(groups.items()):
        user = directory.people[user_id]
        subject, body = render_digest(
            lines=[_digest_line(directory, item, as_of, calendar, base) for item in items],
            as_of=as_of,
            recipient_name=user.full_name,
            recipient_title=user.title,
        )
        key = message_key(as_of, user_id, channel_id, [i.key for i in items])
        items_of[key] = items
        messages.append(
            OutboxMessage(
                key=key,
                kind=NotificationKind.DIGEST,
                recipient_user_id=user_id,
                channel_id=channel_id,
                channel_url=directory.channel_urls[channel_id],
                digest_on=as_of,
                subject=subject,
                body=body,
            )
        )
    added = outbox.enqueue(session=session, send_at=next_at, messages=messages)
    notification_ids = {
        key: notification_id
        for chunk in in_chunks(values=items_of)
        for key, notification_id in session.execute(
            select(col(Notification.key), col(Notification.id)).where(
                col(Notification.key).in_(chunk)
            )
        ).all()
    }
    links = [
        (item.id, notification_ids[key]) for key, linked in items_of.items() for item in linked
    ]
    item_table = table_of(ReminderItem)
    if is_postgres(session.get_bind()):
        # One UPDATE … FROM unnest(ids, notification ids): not one statement per item.
        pairs = (
            func.unnest(
                bindparam("item_ids", [i for i, _ in links], type_=ARRAY(Integer)),
                bindparam("notification_ids", [n for _, n in links], type_=ARRAY(Integer)),
            )
            .table_valued("item_id", "notification_id")
            .render_derived()
        )
        session.execute(
            update(item_table)
            .where(item_table.c.id == pairs.c.item_id)
            .values(notification_id=pairs.c.notification_id)
        )
    else:
        session.execute(
            update(item_table)
            .where(item_table.c.id == bindparam("item_id"))
            .values(notification_id=bindparam("notification_id")),
            [{"item_id": i, "notification_id": n} for i, n in links],
        )
    return added


def _digest_line(
    directory: _Directory,
    item: _LooseItem | ReminderItem,
    as_of: date,
    calendar: WorkCalendar,
    base: str,
) -> DigestLine:
    task = directory.tasks[item.task_id]
    return DigestLine(
        task_id=task.id,
        title=task.title,
        unit=directory.unit_names.get(task.lead_unit_id, ""),
        due_on=item.due_on,
        working_days_left=directory.working_days_left(calendar, as_of, item.due_on),
        audience=item.audience,
        link=f"{base}/tasks/{task.id}",
        document=directory.documents.get(task.id, ""),
    )


def digest_lines(
    session: Session, items: list[ReminderItem], as_of: date, calendar: WorkCalendar
) -> list[DigestLine]:
    """The lines of a digest of these items (delivery renders a shrunk digest again)."""
    directory = _Directory(session)
    directory.load_tasks({item.task_id for item in items})
    directory.load_unit_names({task.lead_unit_id for task in directory.tasks.values()})
    directory.load_documents({item.task_id for item in items})
    base = get_settings().public_base_url.rstrip("/")
    return [_digest_line(directory, item, as_of, calendar, base) for item in items]


def plan_with_engine(*, engine: Engine, as_of: date, dry_run: bool = False) -> PlanResult:
    """plan_reminders in its own transaction (CLI, flows)."""
    with Session(engine, expire_on_commit=False) as session:
        result = plan_reminders(session=session, as_of=as_of, dry_run=dry_run)
        if not dry_run:
            session.commit()
        return result
