"""Edits the core services do not cover yet: a task's text, units, users, plan sections and
calendar overrides (contact channels: notifications/contacts.py). Same discipline as
tracking/tasks.py: check first, then change, one audit event, commit left to the caller."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from models import (
    CalendarOverride,
    PlanSection,
    Role,
    Task,
    TaskState,
    Unit,
    UnitKind,
    User,
)
from tracking import clock
from tracking import tasks as tasks_service
from tracking.audit import Actor, record, snapshot
from tracking.errors import Conflict, InvalidInput, NotFound

_TASK_TEXT_FIELDS = ("title", "note", "directing_leader")


def update_task(
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
    task = tasks_service.get(session=session, task_id=task_id)
    if task.version != expected_version:
        raise Conflict(
            "task.stale_version",
            f"Nhiệm vụ đã được người khác cập nhật (phiên bản {task.version}, "
            f"bạn gửi {expected_version}); hãy tải lại rồi thử lại",
            field="version",
        )
    if task.state in (TaskState.DONE, TaskState.CANCELLED):
        raise Conflict(
            "task.invalid_state",
            "Không thể sửa nhiệm vụ đã hoàn thành hoặc đã hủy",
            field="state",
        )
    changes: dict[str, str] = {}
    if title is not None:
        changes["title"] = _text(title, field="title", label="Nội dung nhiệm vụ", required=True)
    if note is not None:
        changes["note"] = _text(note, field="note", label="Ghi chú", required=False)
    if directing_leader is not None:
        changes["directing_leader"] = _text(
            directing_leader,
            field="directing_leader",
            label="Lãnh đạo giao",
            required=False,
            limit=255,
        )
    before = snapshot(task, (*_TASK_TEXT_FIELDS, "version"))
    for name, value in changes.items():
        setattr(task, name, value)
    task.version += 1
    task.updated_at = clock.now_utc()
    session.add(task)
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


def _text(value: str, *, field: str, label: str, required: bool, limit: int = 4000) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{field}.required", f"{label} không được để trống", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{field}.too_long", f"{label} dài quá {limit} ký tự", field=field)
    return value


def update_unit(
    *,
    session: Session,
    actor: Actor,
    unit: Unit,
    name: str | None = None,
    short_name: str | None = None,
    kind: UnitKind | None = None,
    place_name: str | None = None,
    parent_body_name: str | None = None,
) -> Unit:
    before = snapshot(unit)
    if name is not None:
        unit.name = _text(name, field="name", label="Tên đơn vị", required=True, limit=255)
    if short_name is not None:
        unit.short_name = _text(
            short_name, field="short_name", label="Tên viết tắt", required=False, limit=120
        )
    if kind is not None:
        unit.kind = kind
    if place_name is not None:
        unit.place_name = _text(
            place_name, field="place_name", label="Địa danh", required=False, limit=120
        )
    if parent_body_name is not None:
        unit.parent_body_name = _text(
            parent_body_name,
            field="parent_body_name",
            label="Tên cơ quan chủ quản",
            required=False,
            limit=255,
        )
    session.add(unit)
    record(
        session=session,
        actor=actor,
        action="unit.update",
        entity="unit",
        entity_id=unit.id,
        before=before,
        after=snapshot(unit),
    )
    return unit


_USER_FIELDS = ("full_name", "unit_id", "role", "title", "active")


def update_user(
    *,
    session: Session,
    actor: Actor,
    user: User,
    full_name: str | None = None,
    unit: Unit | None = None,
    role: Role | None = None,
    title: str | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> User:
    if actor.user_id == user.id and (active is False or (role is not None and role != user.role)):
        raise InvalidInput(
            "user.cannot_lock_self",
            "Không thể tự khóa tài khoản hoặc tự đổi vai trò của chính mình",
            field="active" if active is False else "role",
        )
    before = snapshot(user, _USER_FIELDS)
    if full_name is not None:
        user.full_name = _text(
            full_name, field="full_name", label="Họ tên", required=True, limit=255
        )
    if unit is not None:
        user.unit_id = unit.id or 0
    if role is not None:
        user.role = role
    if title is not None:
        user.title = _text(title, field="title", label="Chức vụ", required=False, limit=120)
    if active is not None:
        user.active = active
    if password_hash is not None:
        user.password_hash = password_hash
    session.add(user)
    after = snapshot(user, _USER_FIELDS)
    if password_hash is not None:
        after["password_changed"] = True
    record(
        session=session,
        actor=actor,
        action="user.update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=after,
    )
    return user


def add_section(*, session: Session, actor: Actor, plan_id: int, title: str) -> PlanSection:
    title = _text(title, field="title", label="Tên mục", required=True, limit=1000)
    last = session.exec(
        select(PlanSection.ordinal)
        .where(PlanSection.plan_id == plan_id)
        .order_by(col(PlanSection.ordinal).desc())
    ).first()
    section = PlanSection(plan_id=plan_id, ordinal=(last or 0) + 1, title=title)
    session.add(section)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="plan.add_section",
        entity="plan",
        entity_id=plan_id,
        after={"section_id": section.id, "ordinal": section.ordinal, "title": title},
    )
    return section


def calendar_overrides(
    *, session: Session, start: date | None = None, end: date | None = None
) -> list[CalendarOverride]:
    statement = select(CalendarOverride).order_by(col(CalendarOverride.day))
    if start is not None:
        statement = statement.where(col(CalendarOverride.day) >= start)
    if end is not None:
        statement = statement.where(col(CalendarOverride.day) <= end)
    return list(session.exec(statement).all())


def set_calendar_override(
    *,
    session: Session,
    actor: Actor,
    day: date,
    is_working_day: bool,
    note: str,
    legal_source: str = "",
) -> CalendarOverride:
    note = _text(note, field="note", label="Ghi chú", required=True, limit=500)
    legal_source = _text(
        legal_source, field="legal_source", label="Căn cứ pháp lý", required=False, limit=500
    )
    override = session.get(CalendarOverride, day)
    before = snapshot(override) if override is not None else None
    if override is None:
        override = CalendarOverride(
            day=day, is_working_day=is_working_day, note=note, legal_source=legal_source
        )
    else:
        override.is_working_day = is_working_day
        override.note = note
        override.legal_source = legal_source
    session.add(override)
    record(
        session=session,
        actor=actor,
        action="calendar.set",
        entity="calendar",
        entity_id=None,
        before=before,
        after=snapshot(override),
    )
    return override


def delete_calendar_override(*, session: Session, actor: Actor, day: date) -> None:
    override = session.get(CalendarOverride, day)
    if override is None:
        raise NotFound(
            "calendar.not_found",
            f"Không có điều chỉnh lịch cho ngày {day:%d/%m/%Y}",
            field="day",
        )
    before = snapshot(override)
    session.delete(override)
    record(
        session=session,
        actor=actor,
        action="calendar.delete",
        entity="calendar",
        entity_id=None,
        before=before,
    )
