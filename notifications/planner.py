"""Planning: for a date, which reminders fall due, to whom, on which channel, and why.

Reads only the tasks the rules can remind on the date, never history. An open task is reminded
on a few 'before' offsets, on its deadline and, once overdue, only every few working days
(notifications.policy), so the window is a set of due dates computed from the calendar and the
distinct rules in force: the days from the date to the longest 'before' offset, and the past
dates whose count of working days overdue is a reminder step. Each is found by the index
ix_task_state_due, and the tasks are read as the few columns planning needs. A past day (a
catch-up) is planned with each task as it stood then (tracking.status): the same dates, looked
up by original deadline and by approved extension deadline, the state and deadline of that day.
Each reminder is a ReminderItem with a unique key per (task, rule step, recipient, channel,
effective deadline), inserted with insert-or-ignore, so planning a date twice adds nothing.
The items of one recipient and channel planned the same day become one digest in the outbox,
written with it: the day is planned recipient by recipient, a thousand digests at a time
(their items looked up by key, the new ones rendered, the digests inserted, then the items
with the digest's id), so the cost is a few statements per batch and no item is held, read
back or updated afterwards.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby, islice
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col

import models.db
from models import (
    AssignmentRole,
    ContactChannel,
    Document,
    ExtensionRequest,
    ExtensionStatus,
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
from models.db import in_chunks, insert_ignore, is_postgres, update_by_id
from models.encryption import Ciphertext, decrypt
from models.types import utc_now
from notifications import channels, outbox
from notifications.audiences import AUDIENCES
from notifications.digest import DigestLine, render_digest, status_text
from notifications.outbox import OutboxMessage
from notifications.policy import PolicyBook, Rules
from settings import get_settings
from tracking import clock, documents, units
from tracking.calendar import WorkCalendar, load_calendar
from tracking.status import Category, TaskFacts, category_as_of, due_as_of


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
    # Every item the day plans, planned by this run or an earlier one.
    reminders_planned: int = 0
    items_added: int = 0
    notifications_added: int = 0
    # Filled by a dry run only: a real run writes the day's items a batch at a time and holds
    # none of them (a country's day is hundreds of thousands).
    reminders: list[PlannedReminder] = field(default_factory=list)

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


def _window_conditions(
    *,
    as_of: date,
    calendar: WorkCalendar,
    book: PolicyBook,
    deadline: Any,
    earliest: date | None,
    task_id: Any = None,
    in_plan_with_rules: ColumnElement[bool] | None = None,
) -> list[ColumnElement[bool]]:
    """The conditions on a deadline column of the planner's window, each an index search: due
    from as_of to the longest 'before' offset; or on a past date whose overdue count is a step
    of the global rules, of a plan's rules (the plan's tasks), or of any rules (a task with
    its own). `earliest` is the first deadline there is (None: none); `task_id` and
    `in_plan_with_rules` say which task a row is and whether its plan has rules (by default
    Task's own columns)."""
    task_id = col(Task.id) if task_id is None else task_id
    if in_plan_with_rules is None:
        in_plan_with_rules = col(Task.plan_id).in_(_scope_ids(PolicyScope.PLAN))
    # The last day with at most that many working days left: a deadline on the days off
    # after the furthest offset's working day counts the same (the window ended on that
    # working day before, and missed such a task's first reminder).
    window_end = calendar.add_working_days(as_of, book.max_before_offset() + 1) - timedelta(days=1)
    conditions: list[ColumnElement[bool]] = [and_(deadline >= as_of, deadline <= window_end)]
    if earliest is None or earliest >= as_of:
        return conditions
    # The past deadlines the global rules remind on (every task without rules of its own
    # that are different), then those only a plan's rules add.
    dates = overdue_reminder_dates(
        rules=book.global_rules, as_of=as_of, earliest=earliest, calendar=calendar
    )
    conditions.extend(deadline.in_(chunk) for chunk in in_chunks(values=dates))
    plan_dates = {
        day
        for rules in set(book.plan_rules) - {book.global_rules}
        for day in overdue_reminder_dates(
            rules=rules, as_of=as_of, earliest=earliest, calendar=calendar
        )
    }.difference(dates)
    conditions.extend(
        and_(deadline.in_(chunk), in_plan_with_rules)
        for chunk in in_chunks(values=sorted(plan_dates))
    )
    if book.has_task_rules:
        # Tasks with rules of their own are few: every overdue one is read.
        conditions.append(and_(deadline < as_of, task_id.in_(_scope_ids(PolicyScope.TASK))))
    return conditions


def window_statements(
    *, session: Session, as_of: date, calendar: WorkCalendar, book: PolicyBook
) -> list[WindowStatement]:
    """The queries of the planner's window for today, each an index search by the current
    deadline (_window_conditions on Task.due_on): the open tasks, with the day they were
    assigned, that a rule in force may remind on as_of. A task may come from several;
    _steps then decides with the task's own rules."""
    # The day of assignment is checked on the rows read (window_tasks): as a condition here it
    # tempted SQLite to search by ix_task_assigned_on, every task ever assigned.
    is_open = col(Task.state) == TaskState.OPEN
    columns = (*_TASK_COLUMNS, col(Task.assigned_on))
    earliest: date | None = session.execute(
        select(func.min(col(Task.due_on))).where(is_open, col(Task.due_on).is_not(None))
    ).scalar_one()
    return [
        select(*columns).where(is_open, condition)
        for condition in _window_conditions(
            as_of=as_of, calendar=calendar, book=book, deadline=col(Task.due_on), earliest=earliest
        )
    ]


def catch_up_statements(
    *, session: Session, as_of: date, calendar: WorkCalendar, book: PolicyBook
) -> list[Select[Any]]:
    """The queries of the window of a past day: the ids of the tasks whose deadline as of
    that day may fall in it, whatever their state now. That deadline is the original one or
    an extension's approved by then, so each is an index search by ix_task_original_due_on
    or ix_extensionrequest_approved_due_on; _tasks_as_of keeps those the day would have."""
    # Read with the rows the index finds (no index of their own, so none tempts the planner
    # away from the deadline's): not confirmed done or cancelled by then.
    not_closed = (
        or_(col(Task.confirmed_on).is_(None), col(Task.confirmed_on) > as_of),
        or_(col(Task.cancelled_on).is_(None), col(Task.cancelled_on) > as_of),
    )
    approved = (
        col(ExtensionRequest.status) == ExtensionStatus.APPROVED,
        col(ExtensionRequest.decided_on) <= as_of,
    )
    earliest_original = select(func.min(col(Task.original_due_on))).scalar_subquery()
    earliest_extended = select(func.min(col(ExtensionRequest.approved_due_on))).scalar_subquery()
    firsts = session.execute(select(earliest_original, earliest_extended)).one()
    earliest = min((day for day in firsts if day is not None), default=None)

    statements: list[Select[Any]] = [
        select(col(Task.id)).where(*not_closed, condition)
        for condition in _window_conditions(
            as_of=as_of,
            calendar=calendar,
            book=book,
            deadline=col(Task.original_due_on),
            earliest=earliest,
        )
    ]
    # The extensions alone (no join: it let SQLite read every task), their task's plan
    # looked up by ix_task_plan_id.
    extended = col(ExtensionRequest.task_id)
    in_plan = select(col(Task.id)).where(col(Task.plan_id).in_(_scope_ids(PolicyScope.PLAN)))
    statements.extend(
        select(extended).where(*approved, condition)
        for condition in _window_conditions(
            as_of=as_of,
            calendar=calendar,
            book=book,
            deadline=col(ExtensionRequest.approved_due_on),
            earliest=earliest,
            task_id=extended,
            in_plan_with_rules=extended.in_(in_plan),
        )
    )
    return statements


def _tasks_as_of(session: Session, ids: Collection[int], as_of: date) -> list[WindowTask]:
    """Of these tasks, those in progress or overdue on as_of (tracking.status rules: assigned
    by then, not cancelled, confirmed done or paused by then), with their deadline then."""
    extensions: dict[int, list[ExtensionRequest]] = defaultdict(list)
    tasks: list[WindowTask] = []
    for chunk in in_chunks(values=sorted(ids)):
        for extension in session.execute(
            select(ExtensionRequest).where(
                col(ExtensionRequest.task_id).in_(chunk),
                col(ExtensionRequest.status) == ExtensionStatus.APPROVED,
            )
        ).scalars():
            extensions[extension.task_id].append(extension)
        for task in session.execute(select(Task).where(col(Task.id).in_(chunk))).scalars():
            facts = TaskFacts.of(task, extensions[task.id or 0])
            due = due_as_of(facts, as_of)
            if due is not None and category_as_of(facts, as_of) in _REMINDED:
                tasks.append(
                    WindowTask(
                        task.id or 0,
                        task.title,
                        due,
                        task.lead_unit_id,
                        task.issuer_unit_id,
                        task.plan_id,
                    )
                )
    return tasks


# The categories of a task reminded on a day: open then, with a deadline.
_REMINDED = (Category.IN_PROGRESS, Category.OVERDUE)


def window_tasks(
    *, session: Session, as_of: date, calendar: WorkCalendar, book: PolicyBook
) -> list[WindowTask]:
    """The tasks of the planner's window, in deadline order: for today (or later) the open
    tasks by their deadline now (window_statements); for a past day (a catch-up) the tasks
    as they stood that day, with the deadline they had then (catch_up_statements), so the
    day plans the items it would have planned then, under the same keys."""
    if as_of < clock.today():
        ids = {
            task_id
            for statement in catch_up_statements(
                session=session, as_of=as_of, calendar=calendar, book=book
            )
            for task_id in session.execute(statement).scalars()
        }
        window = _tasks_as_of(session, ids, as_of)
    else:
        window = [
            WindowTask(*task)
            for statement in window_statements(
                session=session, as_of=as_of, calendar=calendar, book=book
            )
            for *task, assigned_on in session.execute(statement).all()
            if assigned_on <= as_of
        ]
    found = {task.id: task for task in window}
    return sorted(found.values(), key=lambda task: (task.due_on, task.id))


class _Directory:
    """Tasks, unit names, people and channel URLs (as stored, encrypted: the outbox copies
    them as they are) by id, read in bulk (one IN lookup per IN_CHUNK_SIZE ids, a
    statement's size bounded whatever the day holds) and kept."""

    def __init__(self, session: Session, tasks: Iterable[WindowTask] = ()) -> None:
        self.session = session
        self.tasks = {task.id: task for task in tasks}
        self.unit_names: dict[int, str] = {}
        self.people: dict[int, _Person] = {}
        self.channel_urls: dict[int, Ciphertext] = {}
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
            for channel_id, url in self.session.execute(
                select(col(ContactChannel.id), _STORED_URL).where(col(ContactChannel.id).in_(chunk))
            ).all():
                self.channel_urls[channel_id] = Ciphertext(url)


# A channel's URL as stored: not decrypted (Fernet per row) when only copied to the outbox.
_STORED_URL = type_coerce(col(ContactChannel.url), Text)


_PERSON_COLUMNS = (
    col(User.id),
    col(User.unit_id),
    col(User.role),
    col(User.full_name),
    col(User.title),
)


class _People:
    """Who each audience of the day's tasks is, and their active channels, loaded in a few
    set-based queries over the units and people of the reminded tasks only.

    A unit's part of a task goes to the officer its leaders put in charge of it (cán bộ theo
    dõi, TaskAssignment.officer_id) while they are an active officer or leader of that unit;
    with none (or one who left, or was deactivated) to the unit's officers, else its leaders."""

    def __init__(
        self, directory: _Directory, reminded: Sequence[tuple[WindowTask, list[str]]]
    ) -> None:
        session = directory.session
        # task id → (unit id, officer in charge or None) of each coordinating unit
        self.coordinating: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
        self.lead_officer: dict[int, int] = {}  # task id → the lead unit's officer in charge
        wanting_lead = {task.id for task, aud in reminded if "lead" in aud}
        wanting_coordinators = {task.id for task, aud in reminded if "coordinators" in aud}
        for chunk in in_chunks(values=sorted(wanting_lead | wanting_coordinators)):
            for task_id, unit_id, role, officer_id in session.execute(
                select(
                    col(TaskAssignment.task_id),
                    col(TaskAssignment.unit_id),
                    col(TaskAssignment.role),
                    col(TaskAssignment.officer_id),
                )
                .where(
                    col(TaskAssignment.task_id).in_(chunk),
                    or_(
                        col(TaskAssignment.role) == AssignmentRole.COORDINATE,
                        col(TaskAssignment.officer_id).is_not(None),
                    ),
                )
                .order_by(col(TaskAssignment.id))
            ).all():
                if role == AssignmentRole.COORDINATE:
                    if task_id in wanting_coordinators:
                        self.coordinating[task_id].append((unit_id, officer_id))
                elif task_id in wanting_lead:
                    self.lead_officer[task_id] = officer_id
        issuers = {task.issuer_unit_id for task, aud in reminded if "issuer_office" in aud}
        offices = units.offices_of(session=session, unit_ids=issuers) if issuers else {}
        # The issuer's office (Văn phòng UBND) when it has one, else the issuer itself.
        self.office_of = {i: offices.get(i) or [i] for i in issuers}
        unit_ids = {task.lead_unit_id for task, _ in reminded}
        unit_ids |= {u for parts in self.coordinating.values() for u, _ in parts}
        unit_ids |= {u for us in self.office_of.values() for u in us}
        self.users_by_unit: dict[int, list[_Person]] = defaultdict(list)
        # The active people of those units: an officer in charge is one of them, or fell back.
        self.active: dict[int, _Person] = {}
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
            self.active[user.id] = user
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

    def _part(self, unit_id: int, officer_id: int | None) -> list[_Person]:
        """Who follows a unit's part of a task: its officer in charge while still an active
        officer or leader of the unit; otherwise its officers, else its leaders."""
        officer = self.active.get(officer_id) if officer_id is not None else None
        if (
            officer is not None
            and officer.unit_id == unit_id
            and officer.role in (Role.OFFICER, Role.LEADER)
        ):
            return [officer]
        return self._role(unit_id, (Role.OFFICER,), (Role.LEADER,))

    def audience(self, task: WindowTask, audience: str) -> list[_Person]:
        if audience == "lead":
            return self._part(task.lead_unit_id, self.lead_officer.get(task.id))
        if audience == "lead_leaders":
            return self._role(task.lead_unit_id, (Role.LEADER,))
        if audience == "coordinators":
            return [
                u
                for unit, officer_id in self.coordinating.get(task.id, [])
                for u in self._part(unit, officer_id)
            ]
        if audience == "issuer_office":
            return [
                u
                for unit in self.office_of.get(task.issuer_unit_id, [])
                # Its leaders decide who chases a long-overdue task; each of its officers
                # would get the same list every time (an office of 15 people, 15 copies).
                for u in self._role(unit, (Role.LEADER,), (Role.OFFICER,))
            ]
        return []


def _active_channels(directory: _Directory, user_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of each person's active channels, in the order they were added (their URLs,
    as stored, go to the directory)."""
    by_user: dict[int, list[int]] = defaultdict(list)
    for chunk in in_chunks(values=user_ids):
        for channel_id, user_id, url in directory.session.execute(
            select(col(ContactChannel.id), col(ContactChannel.user_id), _STORED_URL)
            .where(col(ContactChannel.user_id).in_(chunk), col(ContactChannel.active).is_(True))
            .order_by(col(ContactChannel.id))
        ).all():
            by_user[user_id].append(channel_id)
            directory.channel_urls[channel_id] = Ciphertext(url)
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
    if dry_run:
        _describe(session, result, directory, recipients, channels_of)
        return result
    _plan_and_digest(
        session=session,
        result=result,
        rules=book.global_rules,
        calendar=calendar,
        directory=directory,
        recipients=recipients,
        channels_of=channels_of,
    )
    return result


def _describe(
    session: Session,
    result: PlanResult,
    directory: _Directory,
    recipients: list[tuple[WindowTask, str, int, str, _Person]],
    channels_of: dict[int, list[int]],
) -> None:
    """A dry run's list of the day's items, each saying whether it would be new."""
    describe = _Describer(directory)
    planned = (
        (task, name, left, audience, user, channel_id)
        for task, name, left, audience, user in recipients
        for channel_id in channels_of.get(user.id, [])
    )
    while batch := list(islice(planned, models.db.IN_CHUNK_SIZE)):
        keys = [
            item_key(task.id, name, user.id, channel_id, task.due_on)
            for task, name, _, _, user, channel_id in batch
        ]
        existing = _existing_item_keys(session, keys)
        result.reminders_planned += len(batch)
        result.reminders.extend(
            describe.reminder(key, *planned_item, new=key not in existing)
            for key, planned_item in zip(keys, batch, strict=True)
        )


class ConcurrentPlanning(RuntimeError):
    """Another run planned the same items while this one was writing them (PostgreSQL, two
    runs of the same day at once): this one is rolled back, the other's digests stand."""


class _DigestItem(NamedTuple):
    """An item of a digest: planned by this run (id None, written with its digest), or by an
    earlier one and not in a digest yet (linked to this one)."""

    key: str
    task_id: int
    step: str
    audience: str
    due_on: date
    id: int | None = None


# The digests rendered and written at a time: a day's items and messages are never all in
# memory twice, nor their bodies all at once.
DIGESTS_PER_BATCH = 1_000


def _plan_and_digest(
    *,
    session: Session,
    result: PlanResult,
    rules: Rules,
    calendar: WorkCalendar,
    directory: _Directory,
    recipients: list[tuple[WindowTask, str, int, str, _Person]],
    channels_of: dict[int, list[int]],
) -> None:
    """The day's items (recipients, sorted here by person), recipient by recipient and channel
    by channel: those not planned yet
    written with the digest that lists them (one insert each, no update), with the items of
    the day not in a digest yet (an earlier run's) of the same recipient and channel."""
    loose = _loose_items(session, result.as_of)
    # Sorted in place (stable: each person's tasks stay in deadline order), not copied.
    recipients.sort(key=lambda recipient: recipient[4].id)
    by_user = groupby(recipients, key=lambda recipient: recipient[4].id)
    groups = (
        (
            (user_id, channel_id),
            [
                _DigestItem(
                    item_key(task.id, name, user_id, channel_id, task.due_on),
                    task.id,
                    name,
                    audience,
                    task.due_on,
                )
                for task, name, _, audience, _ in tasks
            ],
        )
        for user_id, user_tasks in by_user
        for tasks in [list(user_tasks)]
        for channel_id in channels_of.get(user_id, [])
    )
    writer = _DigestWriter(session, result, rules, calendar, directory)
    while batch := list(islice(groups, DIGESTS_PER_BATCH)):
        result.reminders_planned += sum(len(items) for _, items in batch)
        existing = _existing_item_keys(session, [i.key for _, items in batch for i in items])
        writer.write(
            [
                (group, [i for i in items if i.key not in existing] + loose.pop(group, []))
                for group, items in batch
            ]
        )
    # An earlier run's items of a recipient or channel this run has none for.
    leftover = sorted(loose.items())
    for start in range(0, len(leftover), DIGESTS_PER_BATCH):
        writer.write(leftover[start : start + DIGESTS_PER_BATCH])


def _loose_items(session: Session, as_of: date) -> dict[tuple[int, int], list[_DigestItem]]:
    """The items planned for as_of by an earlier run and not in a digest yet (none, unless a
    run wrote items without their digests), by recipient and channel."""
    loose: dict[tuple[int, int], list[_DigestItem]] = defaultdict(list)
    for row in session.execute(
        select(
            col(ReminderItem.recipient_user_id),
            col(ReminderItem.channel_id),
            col(ReminderItem.key),
            col(ReminderItem.task_id),
            col(ReminderItem.step),
            col(ReminderItem.audience),
            col(ReminderItem.due_on),
            col(ReminderItem.id),
        )
        .where(
            col(ReminderItem.planned_on) == as_of,
            col(ReminderItem.notification_id).is_(None),
            col(ReminderItem.dropped_reason) == "",
        )
        .order_by(col(ReminderItem.id))
    ).all():
        loose[(row[0], row[1])].append(_DigestItem(*row[2:]))
    return loose


class _DigestWriter:
    """Renders the digests of a batch of (recipient, channel) groups, puts them in the outbox,
    and writes their new items with the digest's id (an earlier run's are linked to it)."""

    def __init__(
        self,
        session: Session,
        result: PlanResult,
        rules: Rules,
        calendar: WorkCalendar,
        directory: _Directory,
    ) -> None:
        self.session = session
        self.result = result
        self.calendar = calendar
        self.directory = directory
        self.next_at = first_send_time(result.as_of, rules, calendar)
        self.base = get_settings().public_base_url.rstrip("/")
        self.created_at = utc_now()

    def write(self, batch: list[tuple[tuple[int, int], list[_DigestItem]]]) -> None:
        batch = [(group, items) for group, items in batch if items]
        if not batch:
            return
        as_of, directory = self.result.as_of, self.directory
        # Items of an earlier run name what this run may not have read.
        task_ids = {item.task_id for _, items in batch for item in items}
        directory.load_tasks(task_ids)
        directory.load_unit_names({directory.tasks[task_id].lead_unit_id for task_id in task_ids})
        directory.load_documents(task_ids)
        directory.load_people({user_id for (user_id, _), _ in batch})
        directory.load_channel_urls({channel_id for (_, channel_id), _ in batch})
        messages: list[OutboxMessage] = []
        keys: list[str] = []
        for (user_id, channel_id), items in batch:
            user = directory.people[user_id]
            subject, body = render_digest(
                lines=[
                    _digest_line(directory, item, as_of, self.calendar, self.base) for item in items
                ],
                as_of=as_of,
                recipient_name=user.full_name,
                recipient_title=user.title,
            )
            keys.append(message_key(as_of, user_id, channel_id, [i.key for i in items]))
            messages.append(
                OutboxMessage(
                    key=keys[-1],
                    kind=NotificationKind.DIGEST,
                    recipient_user_id=user_id,
                    channel_id=channel_id,
                    channel_url=directory.channel_urls[channel_id],
                    digest_on=as_of,
                    subject=subject,
                    body=body,
                )
            )
        session = self.session
        self.result.notifications_added += outbox.enqueue(
            session=session, send_at=self.next_at, messages=messages
        )
        notification_ids = _notification_ids(session, keys)
        rows = [
            {
                "key": item.key,
                "task_id": item.task_id,
                "step": item.step,
                "audience": item.audience,
                "recipient_user_id": user_id,
                "channel_id": channel_id,
                "due_on": item.due_on,
                "planned_on": as_of,
                "notification_id": notification_ids[key],
                "dropped_reason": "",
                "created_at": self.created_at,
            }
            for key, ((user_id, channel_id), items) in zip(keys, batch, strict=True)
            for item in items
            if item.id is None
        ]
        added = insert_ignore(session, ReminderItem, rows, key="key")
        if added != len(rows):
            # Keys looked up as new and then found written: a digest of this run lists them.
            raise ConcurrentPlanning(
                f"{len(rows) - added} lượt nhắc ngày {as_of.isoformat()} vừa được một lần lập "
                "nhắc việc khác ghi cùng lúc; lần này không ghi gì"
            )
        self.result.items_added += added
        update_by_id(
            session,
            ReminderItem,
            "notification_id",
            [
                (item.id, notification_ids[key])
                for key, (_, items) in zip(keys, batch, strict=True)
                for item in items
                if item.id is not None
            ],
        )


def _notification_ids(session: Session, keys: list[str]) -> dict[str, int]:
    """The outbox row of each message key."""
    return {
        key: notification_id
        for chunk in in_chunks(values=keys)
        for key, notification_id in session.execute(
            select(col(Notification.key), col(Notification.id)).where(
                col(Notification.key).in_(chunk)
            )
        ).all()
    }


def _existing_item_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these item keys are planned already (IN_CHUNK_SIZE keys a lookup)."""
    key = col(ReminderItem.key)
    existing: set[str] = set()
    for chunk in in_chunks(values=keys):
        if is_postgres(session.get_bind()):
            # One array parameter: PostgreSQL plans `= ANY($1)` once, not a list of 10,000.
            condition = key == any_(bindparam("keys", chunk, type_=ARRAY(String)))
        else:
            condition = key.in_(chunk)
        existing.update(session.execute(select(key).where(condition)).scalars())
    return existing


class _Describer:
    """A dry run's PlannedReminder of each item: the channel masked (decrypted once per
    channel), the reason worded once per step and audience."""

    def __init__(self, directory: _Directory) -> None:
        self.directory = directory
        self.masked: dict[int, str] = {}
        self.reasons: dict[tuple[int, str], str] = {}

    def reminder(
        self,
        key: str,
        task: WindowTask,
        step: str,
        left: int,
        audience: str,
        user: _Person,
        channel_id: int,
        *,
        new: bool,
    ) -> PlannedReminder:
        masked = self.masked.get(channel_id)
        if masked is None:
            url = decrypt(self.directory.channel_urls[channel_id])
            masked = self.masked[channel_id] = channels.mask(url)
        reason = self.reasons.get((left, audience))
        if reason is None:
            reason = self.reasons[(left, audience)] = (
                f"{status_text(left)}; nhận với vai trò {AUDIENCES[audience].role}"
            )
        return PlannedReminder(
            key=key,
            task_id=task.id,
            task_title=task.title,
            step=step,
            audience=audience,
            recipient_user_id=user.id,
            recipient_name=user.full_name,
            channel_id=channel_id,
            channel=masked,
            due_on=task.due_on,
            working_days_left=left,
            reason=reason,
            new=new,
        )


def _digest_line(
    directory: _Directory,
    item: _DigestItem | ReminderItem,
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
