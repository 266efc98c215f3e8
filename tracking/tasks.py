"""Task use cases: assign, report progress and completion, extensions, pause, cancel.

Every use case checks its rules before writing anything, refuses a stale version, bumps the
version atomically (tracking.versioning: a concurrent change makes it a 409), and writes one
audit event, in the caller's transaction (commit is the caller's; on an error it rolls back).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from models import (
    AssignmentRole,
    ExtensionRequest,
    ExtensionStatus,
    PlanSection,
    ProgressUpdate,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    User,
)
from models.db import in_chunks
from settings import get_settings
from tracking import access, clock, versioning
from tracking import documents as documents_service
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.audit import Actor, record, snapshot
from tracking.calendar import load_calendar
from tracking.deadlines import DeadlineRule
from tracking.errors import Conflict, Forbidden, InvalidInput, NotFound, get_or_not_found
from tracking.validation import clean_text


def get(*, session: Session, task_id: int) -> Task:
    return get_or_not_found(session, Task, task_id, entity="task", noun="nhiệm vụ")


def assignments(*, session: Session, task_id: int) -> list[TaskAssignment]:
    statement = (
        select(TaskAssignment)
        .where(TaskAssignment.task_id == task_id)
        .order_by(col(TaskAssignment.role).desc(), col(TaskAssignment.id))
    )
    return list(session.exec(statement).all())


def extensions(*, session: Session, task_id: int) -> list[ExtensionRequest]:
    statement = (
        select(ExtensionRequest)
        .where(ExtensionRequest.task_id == task_id)
        .order_by(col(ExtensionRequest.id))
    )
    return list(session.exec(statement).all())


def progress_updates(*, session: Session, task_id: int) -> list[ProgressUpdate]:
    statement = (
        select(ProgressUpdate)
        .where(ProgressUpdate.task_id == task_id)
        .order_by(col(ProgressUpdate.reported_on), col(ProgressUpdate.id))
    )
    return list(session.exec(statement).all())


def _check_version(task: Task, expected_version: int) -> None:
    versioning.check_version(versioning.TASK, task, expected_version=expected_version)


class TaskChange(enum.StrEnum):
    """The changes a task's state limits (deciding an extension is not one: a pending request
    is decided whatever the state)."""

    EDIT = "edit"
    PROGRESS = "progress"
    REPORT_COMPLETION = "report_completion"
    CONFIRM_COMPLETION = "confirm_completion"
    RETURN_COMPLETION = "return_completion"
    REQUEST_EXTENSION = "request_extension"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    ASSIGN_OFFICER = "assign_officer"


@dataclass(frozen=True)
class StateRule:
    states: frozenset[TaskState]
    # The change as the refusal names it: "Không thể {action} khi …".
    action: str


_UNFINISHED = frozenset({TaskState.OPEN, TaskState.SUBMITTED, TaskState.PAUSED})

# The one statement of which change a task accepts in which state: the services check it,
# tracking.actions offers only what it allows.
STATE_RULES: dict[TaskChange, StateRule] = {
    TaskChange.EDIT: StateRule(_UNFINISHED, "sửa nhiệm vụ"),
    TaskChange.PROGRESS: StateRule(
        frozenset({TaskState.OPEN, TaskState.SUBMITTED}), "cập nhật tiến độ"
    ),
    TaskChange.REPORT_COMPLETION: StateRule(frozenset({TaskState.OPEN}), "báo cáo hoàn thành"),
    TaskChange.CONFIRM_COMPLETION: StateRule(
        frozenset({TaskState.SUBMITTED}), "xác nhận hoàn thành"
    ),
    TaskChange.RETURN_COMPLETION: StateRule(
        frozenset({TaskState.SUBMITTED}), "trả lại báo cáo hoàn thành"
    ),
    TaskChange.REQUEST_EXTENSION: StateRule(frozenset({TaskState.OPEN}), "xin gia hạn"),
    TaskChange.PAUSE: StateRule(frozenset({TaskState.OPEN}), "tạm dừng"),
    TaskChange.RESUME: StateRule(frozenset({TaskState.PAUSED}), "tiếp tục"),
    TaskChange.CANCEL: StateRule(_UNFINISHED, "hủy"),
    TaskChange.ASSIGN_OFFICER: StateRule(_UNFINISHED, "phân công cán bộ theo dõi"),
}


def _check_state(task: Task, change: TaskChange) -> None:
    rule = STATE_RULES[change]
    if task.state not in rule.states:
        raise Conflict(
            "task.invalid_state",
            f"Không thể {rule.action} khi nhiệm vụ đang ở trạng thái «{STATE_LABELS[task.state]}»",
            field="state",
        )


def _not_before(day: date, earliest: date, *, field: str, what: str) -> None:
    if day < earliest:
        raise InvalidInput(
            "task.date_too_early",
            f"{what} ({day:%d/%m/%Y}) không được trước ngày {earliest:%d/%m/%Y}",
            field=field,
        )


def _event_day(day: date, *, actor: Actor, field: str, what: str) -> int:
    """Refuse a day after today, or further back than `backdate_max_days` unless the actor
    may record past events; return how many days back it lies, for the audit."""
    today = clock.today()
    if day > today:
        raise InvalidInput(
            "task.date_in_future", f"{what} ({day:%d/%m/%Y}) không được sau hôm nay", field=field
        )
    days_back = (today - day).days
    limit = get_settings().backdate_max_days
    if days_back > limit and not access.may_record_past_events(actor):
        raise InvalidInput(
            "task.date_too_far_back",
            f"{what} ({day:%d/%m/%Y}) lùi quá {limit} ngày so với hôm nay; sự việc cũ hơn chỉ "
            "quản trị viên mới được ghi nhận",
            field=field,
        )
    return days_back


def _event_on(day: date, *, earliest: date, actor: Actor, field: str, what: str) -> int:
    """An event's day checked: not before `earliest` (when the task or request began), then as
    `_event_day` does; how many days back it lies."""
    _not_before(day, earliest, field=field, what=what)
    return _event_day(day, actor=actor, field=field, what=what)


def _backdated(days_back: int) -> dict[str, int]:
    """The audit mark of an event dated before the day it was recorded."""
    return {"backdated_days": days_back} if days_back > 0 else {}


def _add_to_task(
    session: Session,
    actor: Actor,
    task: Task,
    row: SQLModel,
    *,
    action: str,
    id_key: str,
    fields: tuple[str, ...] | None,
    days_back: int,
) -> None:
    """Store a row the task gains (a progress update, an extension request), step the task's
    version and record the event with the row's id and its snapshot (of `fields`, if given)."""
    session.add(row)
    _bump(session, task)
    session.flush()
    (row_id,) = sa.inspect(row).identity
    record(
        session=session,
        actor=actor,
        action=action,
        entity="task",
        entity_id=task.id,
        after={
            id_key: row_id,
            **snapshot(row, fields),
            "version": task.version,
            **_backdated(days_back),
        },
    )


def _for_change(session: Session, task_id: int, expected_version: int, change: TaskChange) -> Task:
    """The task, if the caller saw its current version and its state allows the change."""
    task = get(session=session, task_id=task_id)
    _check_version(task, expected_version)
    _check_state(task, change)
    return task


def _bump(session: Session, task: Task) -> None:
    """The task's atomic version step: 409 if someone else changed it since it was read."""
    versioning.bump_version(versioning.TASK, session=session, row=task)


STATE_LABELS: dict[TaskState, str] = {
    TaskState.OPEN: "đang thực hiện",
    TaskState.SUBMITTED: "chờ xác nhận hoàn thành",
    TaskState.DONE: "đã hoàn thành",
    TaskState.PAUSED: "tạm dừng",
    TaskState.CANCELLED: "đã hủy",
}


def _assignees(
    session: Session, lead_unit_id: int, coordinating_unit_ids: Sequence[int]
) -> tuple[Unit, list[int], list[Unit]]:
    """The lead unit, the distinct coordinating unit ids and the coordinating units (in the
    order given, so that an error names the caller's own index); a lead among the
    coordinators is refused."""
    lead = units_service.get(session=session, unit_id=lead_unit_id)
    coordinators = list(dict.fromkeys(coordinating_unit_ids))
    if lead_unit_id in coordinators:
        raise InvalidInput(
            "task.lead_also_coordinating",
            "Đơn vị chủ trì không thể đồng thời là đơn vị phối hợp",
            field="coordinating_unit_ids",
        )
    coordinating_units = [
        units_service.get(session=session, unit_id=unit_id) for unit_id in coordinating_unit_ids
    ]
    return lead, coordinators, coordinating_units


def assign(
    *,
    session: Session,
    actor: Actor,
    title: str,
    issuer_unit_id: int,
    lead_unit_id: int,
    deadline: DeadlineRule,
    coordinating_unit_ids: Sequence[int] = (),
    assigned_on: date | None = None,
    plan_id: int | None = None,
    section_id: int | None = None,
    source_document_id: int | None = None,
    directing_leader: str = "",
    note: str = "",
) -> Task:
    """Assign a task to one lead unit and any coordinating units."""
    title = clean_text(title, field="title", code="task.title", label="Nội dung nhiệm vụ")
    note = clean_text(note, field="note", code="task.note", label="Ghi chú", required=False)
    directing_leader = clean_text(
        directing_leader,
        field="directing_leader",
        code="task.directing_leader",
        label="Lãnh đạo giao",
        required=False,
        limit=255,
    )
    assigned_on = assigned_on or clock.today()
    days_back = _event_day(assigned_on, actor=actor, field="assigned_on", what="Ngày giao")
    issuer = units_service.get(session=session, unit_id=issuer_unit_id)
    lead, coordinators, coordinating_units = _assignees(
        session, lead_unit_id, coordinating_unit_ids
    )
    plan_field = "plan_id" if plan_id is not None else "section_id"
    if section_id is not None:
        section = session.get(PlanSection, section_id)
        if section is None or (plan_id is not None and section.plan_id != plan_id):
            raise InvalidInput(
                "task.section_invalid", "Mục không thuộc kế hoạch đã chọn", field="section_id"
            )
        plan_id = section.plan_id
    access.check_assignment(
        session=session,
        issuer=issuer,
        lead=lead,
        coordinators=coordinating_units,
        plan=plans_service.get(session=session, plan_id=plan_id) if plan_id is not None else None,
        plan_field=plan_field,
        document=documents_service.get(session=session, document_id=source_document_id)
        if source_document_id is not None
        else None,
    )
    due_on = deadline.due_date(assigned_on=assigned_on, calendar=load_calendar(session))

    task = Task(
        title=title,
        plan_id=plan_id,
        section_id=section_id,
        source_document_id=source_document_id,
        issuer_unit_id=issuer_unit_id,
        directing_leader=directing_leader,
        lead_unit_id=lead_unit_id,
        assigned_on=assigned_on,
        deadline_kind=deadline.kind,
        deadline_amount=deadline.amount,
        original_due_on=due_on,
        due_on=due_on,
        note=note,
    )
    session.add(task)
    session.flush()
    task_id = task.id or 0
    session.add(
        TaskAssignment(
            task_id=task_id, unit_id=lead_unit_id, role=AssignmentRole.LEAD, assigned_on=assigned_on
        )
    )
    for unit_id in coordinators:
        session.add(
            TaskAssignment(
                task_id=task_id,
                unit_id=unit_id,
                role=AssignmentRole.COORDINATE,
                assigned_on=assigned_on,
            )
        )
    session.flush()
    record(
        session=session,
        actor=actor,
        action="task.assign",
        entity="task",
        entity_id=task_id,
        after={
            **snapshot(task),
            "coordinating_unit_ids": coordinators,
            **_backdated(days_back),
        },
    )
    return task


def add_progress(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    unit_id: int,
    content: str,
    percent: int | None = None,
    reported_on: date | None = None,
) -> ProgressUpdate:
    """A progress report by the lead unit, or a contribution by a coordinating unit."""
    task = _for_change(session, task_id, expected_version, TaskChange.PROGRESS)
    content = clean_text(
        content, field="content", code="progress.content", label="Nội dung tiến độ"
    )
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidInput(
            "progress.percent_out_of_range", "Tỷ lệ hoàn thành phải từ 0 đến 100", field="percent"
        )
    if unit_id not in {a.unit_id for a in assignments(session=session, task_id=task_id)}:
        raise InvalidInput(
            "progress.unit_not_assigned",
            "Đơn vị không được giao chủ trì hoặc phối hợp nhiệm vụ này",
            field="unit_id",
        )
    reported_on = reported_on or clock.today()
    days_back = _event_on(
        reported_on,
        earliest=task.assigned_on,
        actor=actor,
        field="reported_on",
        what="Ngày báo cáo",
    )
    update = ProgressUpdate(
        task_id=task_id,
        unit_id=unit_id,
        author_id=actor.user_id,
        reported_on=reported_on,
        percent=percent,
        content=content,
    )
    _add_to_task(
        session,
        actor,
        task,
        update,
        action="task.progress",
        id_key="progress_id",
        fields=("unit_id", "reported_on", "percent", "content"),
        days_back=days_back,
    )
    return update


def report_completion(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    completed_on: date,
    result: str,
    reported_on: date | None = None,
) -> Task:
    """The lead unit says the task is done; the issuer still has to confirm it."""
    task = _for_change(session, task_id, expected_version, TaskChange.REPORT_COMPLETION)
    result = clean_text(result, field="result", code="task.result", label="Kết quả thực hiện")
    reported_on = reported_on or clock.today()
    _not_before(completed_on, task.assigned_on, field="completed_on", what="Ngày hoàn thành")
    _not_before(reported_on, completed_on, field="reported_on", what="Ngày báo cáo hoàn thành")
    days_back = max(
        _event_day(completed_on, actor=actor, field="completed_on", what="Ngày hoàn thành"),
        _event_day(reported_on, actor=actor, field="reported_on", what="Ngày báo cáo hoàn thành"),
    )
    before = snapshot(
        task, ("state", "completed_on", "completion_reported_on", "result", "version")
    )
    task.state = TaskState.SUBMITTED
    task.completed_on = completed_on
    task.completion_reported_on = reported_on
    task.result = result
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.report_completion",
        entity="task",
        entity_id=task_id,
        before=before,
        after={**snapshot(task, tuple(before)), **_backdated(days_back)},
    )
    return task


def confirm_completion(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    confirmed_on: date | None = None,
) -> Task:
    """The issuer accepts the reported completion; the task counts as done from that day."""
    task = _for_change(session, task_id, expected_version, TaskChange.CONFIRM_COMPLETION)
    confirmed_on = confirmed_on or clock.today()
    assert task.completion_reported_on is not None
    _not_before(
        confirmed_on, task.completion_reported_on, field="confirmed_on", what="Ngày xác nhận"
    )
    access.authorize_decision(task=task)
    days_back = _event_day(confirmed_on, actor=actor, field="confirmed_on", what="Ngày xác nhận")
    before = snapshot(task, ("state", "confirmed_on", "version"))
    task.state = TaskState.DONE
    task.confirmed_on = confirmed_on
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.confirm_completion",
        entity="task",
        entity_id=task_id,
        before=before,
        after={**snapshot(task, tuple(before)), **_backdated(days_back)},
    )
    return task


def return_completion(
    *, session: Session, actor: Actor, task_id: int, expected_version: int, reason: str
) -> Task:
    """The issuer does not accept the reported completion: the task is open again."""
    task = _for_change(session, task_id, expected_version, TaskChange.RETURN_COMPLETION)
    reason = clean_text(reason, field="reason", code="task.return_reason", label="Lý do trả lại")
    access.authorize_decision(task=task)
    before = snapshot(task, ("state", "completed_on", "completion_reported_on", "version"))
    task.state = TaskState.OPEN
    task.completed_on = None
    task.completion_reported_on = None
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.return_completion",
        entity="task",
        entity_id=task_id,
        before=before,
        after={**snapshot(task, tuple(before)), "reason": reason},
    )
    return task


def request_extension(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    proposed_due_on: date,
    reason: str,
    requested_on: date | None = None,
) -> ExtensionRequest:
    task = _for_change(session, task_id, expected_version, TaskChange.REQUEST_EXTENSION)
    if task.due_on is None:
        raise InvalidInput(
            "extension.no_deadline",
            "Nhiệm vụ thường xuyên (không có thời hạn) không cần gia hạn",
            field="proposed_due_on",
        )
    if proposed_due_on <= task.due_on:
        raise InvalidInput(
            "extension.not_later",
            f"Thời hạn đề xuất phải sau thời hạn hiện tại ({task.due_on:%d/%m/%Y})",
            field="proposed_due_on",
        )
    reason = clean_text(reason, field="reason", code="extension.reason", label="Lý do xin gia hạn")
    pending = session.exec(
        select(ExtensionRequest).where(
            ExtensionRequest.task_id == task_id,
            ExtensionRequest.status == ExtensionStatus.REQUESTED,
        )
    ).first()
    if pending is not None:
        raise Conflict(
            "extension.already_pending",
            "Nhiệm vụ đang có một đề nghị gia hạn chờ quyết định",
            field="task_id",
        )
    requested_on = requested_on or clock.today()
    days_back = _event_on(
        requested_on,
        earliest=task.assigned_on,
        actor=actor,
        field="requested_on",
        what="Ngày đề nghị",
    )
    request = ExtensionRequest(
        task_id=task_id,
        requested_by_id=actor.user_id,
        requested_on=requested_on,
        old_due_on=task.due_on,
        proposed_due_on=proposed_due_on,
        reason=reason,
    )
    _add_to_task(
        session,
        actor,
        task,
        request,
        action="task.request_extension",
        id_key="extension_id",
        fields=None,
        days_back=days_back,
    )
    return request


def _pending_extension(session: Session, extension_id: int) -> tuple[ExtensionRequest, Task]:
    request = get_or_not_found(
        session, ExtensionRequest, extension_id, entity="extension", noun="đề nghị gia hạn"
    )
    if request.status != ExtensionStatus.REQUESTED:
        raise Conflict(
            "extension.already_decided",
            "Đề nghị gia hạn này đã được quyết định",
            field="extension_id",
        )
    return request, get(session=session, task_id=request.task_id)


def _decide(
    request: ExtensionRequest,
    task: Task,
    *,
    actor: Actor,
    status: ExtensionStatus,
    on: date | None,
    note: str,
) -> int:
    """Mark a pending request decided by the task's issuer on a day (default today) not before
    the request; how many days back that day lies."""
    decided_on = on or clock.today()
    _not_before(decided_on, request.requested_on, field="decided_on", what="Ngày quyết định")
    access.authorize_decision(task=task)
    days_back = _event_day(decided_on, actor=actor, field="decided_on", what="Ngày quyết định")
    request.status = status
    request.decided_on = decided_on
    request.decided_by_id = actor.user_id
    request.decision_note = note
    return days_back


def approve_extension(
    *,
    session: Session,
    actor: Actor,
    extension_id: int,
    expected_version: int,
    approved_due_on: date | None = None,
    decided_on: date | None = None,
    note: str = "",
) -> ExtensionRequest:
    """Approve (possibly with another date): the task's effective deadline moves, the
    original stays recorded on the task and the old one on the request."""
    note = clean_text(
        note, field="note", code="extension.decision_note", label="Ghi chú", required=False
    )
    request, task = _pending_extension(session, extension_id)
    _check_version(task, expected_version)
    new_due = approved_due_on or request.proposed_due_on
    if new_due <= request.old_due_on:
        raise InvalidInput(
            "extension.not_later",
            f"Thời hạn được gia hạn phải sau thời hạn cũ ({request.old_due_on:%d/%m/%Y})",
            field="approved_due_on",
        )
    before = {"due_on": task.due_on.isoformat() if task.due_on else None, "version": task.version}
    days_back = _decide(
        request, task, actor=actor, status=ExtensionStatus.APPROVED, on=decided_on, note=note
    )
    request.approved_due_on = new_due
    session.add(request)
    _bump(session, task)
    settle_deadline(session=session, task=task)
    record(
        session=session,
        actor=actor,
        action="task.approve_extension",
        entity="task",
        entity_id=task.id,
        before=before,
        after={
            "extension_id": extension_id,
            "due_on": task.due_on.isoformat() if task.due_on else None,
            "version": task.version,
            **_backdated(days_back),
        },
    )
    return request


def settle_deadline(*, session: Session, task: Task) -> None:
    """Set the task's effective deadline (due_on) and extended_on from its latest approved
    extension, by decision day then id, as the status rule takes it (tracking.status): a
    decision entered back-dated before an earlier-entered one does not move the deadline.
    Never extended: the original deadline and None."""
    session.flush()
    latest = session.exec(
        select(ExtensionRequest)
        .where(
            ExtensionRequest.task_id == task.id,
            ExtensionRequest.status == ExtensionStatus.APPROVED,
            col(ExtensionRequest.approved_due_on).is_not(None),
            col(ExtensionRequest.decided_on).is_not(None),
        )
        .order_by(col(ExtensionRequest.decided_on).desc(), col(ExtensionRequest.id).desc())
    ).first()
    if latest is None:
        task.due_on, task.extended_on = task.original_due_on, None
    else:
        task.due_on, task.extended_on = latest.approved_due_on, latest.decided_on
    session.add(task)


def reject_extension(
    *,
    session: Session,
    actor: Actor,
    extension_id: int,
    expected_version: int,
    note: str,
    decided_on: date | None = None,
) -> ExtensionRequest:
    request, task = _pending_extension(session, extension_id)
    _check_version(task, expected_version)
    note = clean_text(
        note, field="note", code="extension.reject_reason", label="Lý do không đồng ý"
    )
    days_back = _decide(
        request, task, actor=actor, status=ExtensionStatus.REJECTED, on=decided_on, note=note
    )
    session.add(request)
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.reject_extension",
        entity="task",
        entity_id=task.id,
        after={
            "extension_id": extension_id,
            "note": note,
            "version": task.version,
            **_backdated(days_back),
        },
    )
    return request


def pause(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    reason: str,
    paused_on: date | None = None,
) -> Task:
    task = _for_change(session, task_id, expected_version, TaskChange.PAUSE)
    reason = clean_text(reason, field="reason", code="task.pause_reason", label="Lý do tạm dừng")
    paused_on = paused_on or clock.today()
    days_back = _event_on(
        paused_on, earliest=task.assigned_on, actor=actor, field="paused_on", what="Ngày tạm dừng"
    )
    task.state = TaskState.PAUSED
    task.paused_on = paused_on
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.pause",
        entity="task",
        entity_id=task_id,
        after={
            "paused_on": paused_on.isoformat(),
            "reason": reason,
            "version": task.version,
            **_backdated(days_back),
        },
    )
    return task


def resume(*, session: Session, actor: Actor, task_id: int, expected_version: int) -> Task:
    task = _for_change(session, task_id, expected_version, TaskChange.RESUME)
    before = {"paused_on": task.paused_on.isoformat() if task.paused_on else None}
    task.state = TaskState.OPEN
    task.paused_on = None
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.resume",
        entity="task",
        entity_id=task_id,
        before=before,
        after={"version": task.version},
    )
    return task


def cancel(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    reason: str,
    cancelled_on: date | None = None,
) -> Task:
    task = _for_change(session, task_id, expected_version, TaskChange.CANCEL)
    reason = clean_text(reason, field="reason", code="task.cancel_reason", label="Lý do hủy")
    cancelled_on = cancelled_on or clock.today()
    days_back = _event_on(
        cancelled_on, earliest=task.assigned_on, actor=actor, field="cancelled_on", what="Ngày hủy"
    )
    before = {"state": task.state.value}
    task.state = TaskState.CANCELLED
    task.cancelled_on = cancelled_on
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.cancel",
        entity="task",
        entity_id=task_id,
        before=before,
        after={
            "state": task.state.value,
            "cancelled_on": cancelled_on.isoformat(),
            "reason": reason,
            "version": task.version,
            **_backdated(days_back),
        },
    )
    return task


def update(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    title: str | None = None,
    note: str | None = None,
    directing_leader: str | None = None,
) -> Task:
    """The issuer corrects a task's content, note or directing leader."""
    task = _for_change(session, task_id, expected_version, TaskChange.EDIT)
    changes: dict[str, str] = {}
    if title is not None:
        changes["title"] = clean_text(
            title, field="title", code="task.title", label="Nội dung nhiệm vụ"
        )
    if note is not None:
        changes["note"] = clean_text(
            note, field="note", code="task.note", label="Ghi chú", required=False
        )
    if directing_leader is not None:
        changes["directing_leader"] = clean_text(
            directing_leader,
            field="directing_leader",
            code="task.directing_leader",
            label="Lãnh đạo giao",
            required=False,
            limit=255,
        )
    before = snapshot(task, (*changes, "version"))
    for name, value in changes.items():
        setattr(task, name, value)
    _bump(session, task)
    record(
        session=session,
        actor=actor,
        action="task.update",
        entity="task",
        entity_id=task_id,
        before=before,
        after=snapshot(task, tuple(before)),
    )
    return task


# --- The officer in charge of a unit's part (cán bộ theo dõi) ---------------------------

# Who may follow a unit's part of a task: its officers, or a leader who keeps it.
OFFICER_ROLES = frozenset({Role.OFFICER, Role.LEADER})


def assignment_of(*, session: Session, task_id: int, unit_id: int) -> TaskAssignment:
    """The task's lead or coordinating assignment of a unit, or NotFound naming `unit_id`."""
    assignment = session.exec(
        select(TaskAssignment).where(
            TaskAssignment.task_id == task_id, TaskAssignment.unit_id == unit_id
        )
    ).first()
    if assignment is None:
        raise NotFound(
            "assignment.not_found",
            f"Đơn vị #{unit_id} không chủ trì hay phối hợp nhiệm vụ #{task_id}",
            field="unit_id",
        )
    return assignment


@dataclass(frozen=True)
class AssignmentView:
    """A unit's part of a task as people read it: the unit, its role, who follows it."""

    unit_id: int
    role: AssignmentRole
    officer_id: int | None
    officer_name: str | None


def assignment_views(
    *, session: Session, task_ids: Sequence[int]
) -> dict[int, list[AssignmentView]]:
    """Each task's assignments (the lead first, then the coordinators in the order given)
    with the full name of the officer in charge: one query per chunk of ids, by the task
    index and the users' primary key."""
    views: dict[int, list[AssignmentView]] = {task_id: [] for task_id in task_ids}
    for chunk in in_chunks(values=task_ids):
        rows = session.execute(
            sa.select(
                col(TaskAssignment.task_id),
                col(TaskAssignment.unit_id),
                col(TaskAssignment.role),
                col(TaskAssignment.officer_id),
                col(User.full_name),
            )
            .outerjoin(User, col(User.id) == col(TaskAssignment.officer_id))
            .where(col(TaskAssignment.task_id).in_(chunk))
            .order_by(col(TaskAssignment.role).desc(), col(TaskAssignment.id))
        ).all()
        for task_id, unit_id, role, officer_id, officer_name in rows:
            views[task_id].append(
                AssignmentView(unit_id, AssignmentRole(role), officer_id, officer_name)
            )
    return views


def officer_candidates(*, session: Session, unit_id: int) -> list[User]:
    """The active officers and leaders of a unit, officers first, each in the order they
    joined (names would sort differently on SQLite and PostgreSQL): whom its leaders may
    put in charge of the unit's part of a task."""
    statement = (
        select(User)
        .where(
            User.unit_id == unit_id,
            col(User.active).is_(True),
            col(User.role).in_([role.value for role in OFFICER_ROLES]),
        )
        .order_by(col(User.role).desc(), col(User.id))
    )
    return list(session.exec(statement).all())


def _officer_in(session: Session, officer_id: int, unit_id: int) -> User:
    """The officer, read under a share lock (PostgreSQL) so that a concurrent deactivation or
    move waits for this transaction: an active officer or leader of the unit, else
    InvalidInput naming `officer_id`."""
    officer = session.exec(
        select(User).where(User.id == officer_id).with_for_update(read=True)
    ).first()
    if (
        officer is None
        or officer.unit_id != unit_id
        or not officer.active
        or officer.role not in OFFICER_ROLES
    ):
        raise InvalidInput(
            "assignment.officer_not_in_unit",
            f"Người dùng #{officer_id} không phải cán bộ hoặc lãnh đạo đang làm việc tại đơn vị "
            "này: chỉ phân công người của chính đơn vị theo dõi nhiệm vụ",
            field="officer_id",
        )
    return officer


def assign_officer(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    unit_id: int,
    officer_id: int | None,
    expected_version: int | None = None,
) -> TaskAssignment:
    """A leader of a unit puts one of its officers in charge of the unit's part of a task (the
    lead or a coordinating part), or clears it (None: the unit's officers follow it again).
    The task's version steps, so two leaders choosing at once cannot both win."""
    task = get(session=session, task_id=task_id)
    if expected_version is not None:
        _check_version(task, expected_version)
    _check_state(task, TaskChange.ASSIGN_OFFICER)
    assignment = assignment_of(session=session, task_id=task_id, unit_id=unit_id)
    if not access.may_assign_officer(actor=actor, unit_id=unit_id):
        raise Forbidden(
            "assignment.not_unit_leader",
            "Chỉ lãnh đạo của đơn vị mới được phân công cán bộ theo dõi phần việc của đơn vị",
            field="unit_id",
        )
    if officer_id is not None:
        _officer_in(session, officer_id, unit_id)
    before = {"unit_id": unit_id, "officer_id": assignment.officer_id, "version": task.version}
    _bump(session, task)
    assignment.officer_id = officer_id
    session.add(assignment)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="task.assign_officer",
        entity="task",
        entity_id=task_id,
        before=before,
        after={"unit_id": unit_id, "officer_id": officer_id, "version": task.version},
    )
    return assignment


def reassign(
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    lead_unit_id: int,
    coordinating_unit_ids: Sequence[int] = (),
) -> Task:
    """The issuer changes the lead unit and the coordinating units, under the rules of a new
    assignment (tracking.access.check_assignment). A unit that stays keeps its assignment row,
    its role changed if need be; a unit that goes loses its row; a new one gets a row dated
    today. The same lead and coordinators again change nothing (no version, no event).

    Reminders follow: the planner reads the task's current units, so the next plan reminds
    the new ones; what was sent stays in the log, and a digest not sent yet drops the items of
    people whose unit no longer holds that role (notifications.delivery)."""
    task = _for_change(session, task_id, expected_version, TaskChange.EDIT)
    issuer = units_service.get(session=session, unit_id=task.issuer_unit_id)
    lead, coordinators, coordinating_units = _assignees(
        session, lead_unit_id, coordinating_unit_ids
    )
    access.check_assignment(
        session=session, issuer=issuer, lead=lead, coordinators=coordinating_units
    )
    rows = assignments(session=session, task_id=task_id)
    wanted = {lead_unit_id: AssignmentRole.LEAD} | dict.fromkeys(
        coordinators, AssignmentRole.COORDINATE
    )
    if {row.unit_id: row.role for row in rows} == wanted:
        return task
    before = {
        "lead_unit_id": task.lead_unit_id,
        "coordinating_unit_ids": [
            row.unit_id for row in rows if row.role == AssignmentRole.COORDINATE
        ],
        "version": task.version,
    }
    task.lead_unit_id = lead_unit_id
    _bump(session, task)
    kept: set[int] = set()
    for row in rows:
        role = wanted.get(row.unit_id)
        if role is None:
            session.delete(row)
            continue
        kept.add(row.unit_id)
        if row.role != role:
            row.role = role
            session.add(row)
    today = clock.today()
    session.add_all(
        TaskAssignment(task_id=task_id, unit_id=unit_id, role=role, assigned_on=today)
        for unit_id, role in wanted.items()
        if unit_id not in kept
    )
    session.flush()
    record(
        session=session,
        actor=actor,
        action="task.reassign",
        entity="task",
        entity_id=task_id,
        before=before,
        after={
            "lead_unit_id": lead_unit_id,
            "coordinating_unit_ids": coordinators,
            "version": task.version,
        },
    )
    return task
