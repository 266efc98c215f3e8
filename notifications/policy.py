"""Reminder policy as data: global defaults, overridable per plan and per task.

A stored policy holds only the keys it overrides; the effective rules are the defaults,
then the global row, then the plan's row, then the task's row (later wins, key by key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlmodel import Session, col, select

from models import Plan, PolicyScope, ReminderPolicy, Task
from models.types import utc_now
from notifications.audiences import AUDIENCES
from settings import get_settings
from tracking.audit import SYSTEM, Actor, record
from tracking.calendar import WorkCalendar
from tracking.errors import InvalidInput, NotFound
from tracking.validation import CLOCK_TIME_PATTERN, MAX_DEADLINE_DAYS

_HHMM = re.compile(CLOCK_TIME_PATTERN)
MAX_OFFSET = 60


def default_rules() -> dict[str, Any]:
    settings = get_settings()
    return {
        # Working days before the deadline on which the lead (and coordinators) are told.
        "before_working_days": [3, 1],
        "on_due_day": True,
        # Overdue: the first working day after the deadline, then every N working days.
        "overdue_first": 1,
        "overdue_every": 5,
        # Who else is told once a task is this many working days overdue.
        "escalation": [
            {"overdue_working_days": 1, "audience": "lead_leaders"},
            {"overdue_working_days": 10, "audience": "issuer_office"},
        ],
        "coordinators_before_deadline": True,
        "send_window": {
            "start": settings.notify_window_start,
            "end": settings.notify_window_end,
            "working_days_only": True,
        },
    }


@dataclass(frozen=True)
class Escalation:
    overdue_working_days: int
    audience: str


@dataclass(frozen=True)
class SendWindow:
    start: time
    end: time
    working_days_only: bool

    def is_open(self, moment: datetime, calendar: WorkCalendar) -> bool:
        """moment is local time; the window is [start, end)."""
        if self.working_days_only and not calendar.is_working_day(moment.date()):
            return False
        return self.start <= moment.time().replace(tzinfo=None) < self.end

    def next_opening(self, moment: datetime, calendar: WorkCalendar) -> datetime:
        """The first local instant at or after `moment` inside the window."""
        if self.is_open(moment, calendar):
            return moment
        day = moment.date()
        if moment.time().replace(tzinfo=None) >= self.end:
            day = day.fromordinal(day.toordinal() + 1)
        elif not (self.working_days_only and not calendar.is_working_day(day)):
            return moment.replace(hour=self.start.hour, minute=self.start.minute, second=0,
                                  microsecond=0)
        for _ in range(400):
            if not self.working_days_only or calendar.is_working_day(day):
                break
            day = day.fromordinal(day.toordinal() + 1)
        return datetime.combine(day, self.start, tzinfo=moment.tzinfo)


@dataclass(frozen=True)
class Rules:
    before_working_days: tuple[int, ...]
    on_due_day: bool
    overdue_first: int
    overdue_every: int
    escalation: tuple[Escalation, ...]
    coordinators_before_deadline: bool
    send_window: SendWindow

    def overdue_step(self, overdue_days: int) -> bool:
        """Whether a task this many working days overdue is reminded today."""
        if overdue_days < self.overdue_first:
            return False
        return (overdue_days - self.overdue_first) % self.overdue_every == 0


def _fail(key: str, message: str) -> InvalidInput:
    return InvalidInput("policy.invalid", message, field=f"rules.{key}")


def _int(value: Any, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(key, f"Giá trị phải là số nguyên từ {low} đến {high}")
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, "Giá trị phải là true hoặc false")
    return value


def _hhmm(value: Any, key: str) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise _fail(key, "Giờ phải có dạng HH:MM, ví dụ 07:30")
    return time.fromisoformat(value)


def validate_rules(rules: dict[str, Any], *, partial: bool) -> None:
    """Checks the keys present (all keys when not partial); raises InvalidInput."""
    if not isinstance(rules, dict):
        raise InvalidInput("policy.invalid", "Chính sách nhắc phải là một đối tượng JSON",
                           field="rules")
    known = set(default_rules())
    unknown = sorted(set(rules) - known)
    if unknown:
        raise _fail(unknown[0], f"Khóa không được hỗ trợ: {unknown[0]}")
    if not partial and set(rules) != known:
        missing = sorted(known - set(rules))[0]
        raise _fail(missing, f"Thiếu khóa: {missing}")
    if "before_working_days" in rules:
        value = rules["before_working_days"]
        if not isinstance(value, list) or len(value) > 10:
            raise _fail("before_working_days", "Phải là danh sách tối đa 10 số ngày làm việc")
        for item in value:
            _int(item, "before_working_days", 1, MAX_OFFSET)
    if "on_due_day" in rules:
        _bool(rules["on_due_day"], "on_due_day")
    if "overdue_first" in rules:
        _int(rules["overdue_first"], "overdue_first", 1, MAX_OFFSET)
    if "overdue_every" in rules:
        _int(rules["overdue_every"], "overdue_every", 1, MAX_OFFSET)
    if "coordinators_before_deadline" in rules:
        _bool(rules["coordinators_before_deadline"], "coordinators_before_deadline")
    if "escalation" in rules:
        ladder = rules["escalation"]
        if not isinstance(ladder, list) or len(ladder) > 10:
            raise _fail("escalation", "Phải là danh sách tối đa 10 bậc")
        for step in ladder:
            if not isinstance(step, dict) or set(step) != {"overdue_working_days", "audience"}:
                raise _fail("escalation",
                            "Mỗi bậc cần đúng hai khóa overdue_working_days và audience")
            _int(step["overdue_working_days"], "escalation", 1, MAX_DEADLINE_DAYS)
            if step["audience"] not in AUDIENCES:
                raise _fail("escalation", f"Đối tượng phải là một trong: {', '.join(AUDIENCES)}")
    if "send_window" in rules:
        window = rules["send_window"]
        if not isinstance(window, dict) or not set(window) <= {"start", "end",
                                                                "working_days_only"}:
            raise _fail("send_window", "Khung giờ gửi cần các khóa start, end, working_days_only")
        start = _hhmm(window["start"], "send_window.start") if "start" in window else None
        end = _hhmm(window["end"], "send_window.end") if "end" in window else None
        if start and end and start >= end:
            raise _fail("send_window", "Giờ bắt đầu phải trước giờ kết thúc")
        if "working_days_only" in window:
            _bool(window["working_days_only"], "send_window.working_days_only")


def merge(*layers: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key == "send_window" and isinstance(result.get(key), dict):
                result[key] = {**result[key], **value}
            else:
                result[key] = value
    return result


def to_rules(data: dict[str, Any]) -> Rules:
    window = data["send_window"]
    return Rules(
        before_working_days=tuple(sorted(set(data["before_working_days"]), reverse=True)),
        on_due_day=data["on_due_day"],
        overdue_first=data["overdue_first"],
        overdue_every=data["overdue_every"],
        escalation=tuple(Escalation(e["overdue_working_days"], e["audience"])
                         for e in data["escalation"]),
        coordinators_before_deadline=data["coordinators_before_deadline"],
        send_window=SendWindow(time.fromisoformat(window["start"]),
                               time.fromisoformat(window["end"]),
                               bool(window["working_days_only"])),
    )


class PolicyBook:
    """The stored policies relevant to a set of tasks, loaded in three small queries."""

    def __init__(self, session: Session, *, plan_ids: set[int], task_ids: set[int]) -> None:
        rows = list(session.exec(select(ReminderPolicy).where(
            (col(ReminderPolicy.scope) == PolicyScope.GLOBAL)
            | ((col(ReminderPolicy.scope) == PolicyScope.PLAN)
               & col(ReminderPolicy.scope_id).in_(plan_ids or {-1}))
            | ((col(ReminderPolicy.scope) == PolicyScope.TASK)
               & col(ReminderPolicy.scope_id).in_(task_ids or {-1}))
        )).all())
        self._global: dict[str, Any] = {}
        self._plans: dict[int, dict[str, Any]] = {}
        self._tasks: dict[int, dict[str, Any]] = {}
        for row in rows:
            if row.scope == PolicyScope.GLOBAL:
                self._global = row.rules
            elif row.scope == PolicyScope.PLAN:
                self._plans[row.scope_id] = row.rules
            else:
                self._tasks[row.scope_id] = row.rules
        self._defaults = default_rules()
        self.global_rules = to_rules(merge(self._defaults, self._global))

    def for_task(self, task: Task) -> Rules:
        plan = self._plans.get(task.plan_id or -1, {})
        own = self._tasks.get(task.id or -1, {})
        if not plan and not own:
            return self.global_rules
        return to_rules(merge(self._defaults, self._global, plan, own))


def max_before_offset(session: Session) -> int:
    """The largest 'before' offset of any stored policy: bounds the planner's window."""
    offsets = list(default_rules()["before_working_days"])
    for rules in session.exec(select(ReminderPolicy.rules)).all():
        offsets.extend(rules.get("before_working_days", []))
    return max(offsets, default=0)


def global_rules(session: Session) -> Rules:
    return PolicyBook(session, plan_ids=set(), task_ids=set()).global_rules


def get_policy(*, session: Session, scope: PolicyScope, scope_id: int = 0) -> dict[str, Any]:
    """The stored overrides of one scope ({} when none)."""
    row = session.exec(select(ReminderPolicy).where(
        ReminderPolicy.scope == scope, ReminderPolicy.scope_id == scope_id)).first()
    return dict(row.rules) if row else {}


def effective_policy(*, session: Session, task_id: int) -> dict[str, Any]:
    """The merged rules that apply to a task, as JSON data."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task.not_found", "Không tìm thấy nhiệm vụ", field="task_id")
    layers = [default_rules(), get_policy(session=session, scope=PolicyScope.GLOBAL)]
    if task.plan_id is not None:
        layers.append(get_policy(session=session, scope=PolicyScope.PLAN, scope_id=task.plan_id))
    layers.append(get_policy(session=session, scope=PolicyScope.TASK, scope_id=task_id))
    return merge(*layers)


def plan_effective_policy(*, session: Session, plan_id: int) -> dict[str, Any]:
    """The merged rules a plan's tasks start from (before a task's own overrides)."""
    return merge(
        default_rules(),
        get_policy(session=session, scope=PolicyScope.GLOBAL),
        get_policy(session=session, scope=PolicyScope.PLAN, scope_id=plan_id),
    )


def set_policy(
    *,
    session: Session,
    scope: PolicyScope | str,
    scope_id: int | None = None,
    rules: dict[str, Any],
    actor: Actor = SYSTEM,
) -> ReminderPolicy:
    """Store (replace) the overrides of one scope; empty rules remove the override.

    Validates everything first, so bad input changes nothing. The caller commits.
    """
    try:
        scope = PolicyScope(scope)
    except ValueError:
        raise InvalidInput("policy.scope", "Phạm vi phải là global, plan hoặc task",
                           field="scope") from None
    if scope == PolicyScope.GLOBAL:
        if scope_id not in (None, 0):
            raise InvalidInput("policy.scope_id", "Chính sách chung không có mã phạm vi",
                               field="scope_id")
        scope_id = 0
    else:
        if scope_id is None:
            raise InvalidInput("policy.scope_id", "Cần mã kế hoạch hoặc nhiệm vụ",
                               field="scope_id")
        target = session.get(Plan if scope == PolicyScope.PLAN else Task, scope_id)
        if target is None:
            raise NotFound("policy.scope_not_found",
                           "Không tìm thấy kế hoạch" if scope == PolicyScope.PLAN
                           else "Không tìm thấy nhiệm vụ", field="scope_id")
    validate_rules(rules, partial=True)
    merged = merge(default_rules(), rules)
    window = merged["send_window"]
    if time.fromisoformat(window["start"]) >= time.fromisoformat(window["end"]):
        raise _fail("send_window", "Giờ bắt đầu phải trước giờ kết thúc")
    row = session.exec(select(ReminderPolicy).where(
        ReminderPolicy.scope == scope, ReminderPolicy.scope_id == scope_id)).first()
    before = dict(row.rules) if row else None
    if row is None:
        row = ReminderPolicy(scope=scope, scope_id=scope_id, rules=dict(rules))
    else:
        row.rules = dict(rules)
        row.updated_at = utc_now()
    session.add(row)
    session.flush()
    record(session=session, actor=actor, action="reminder_policy.set", entity="reminderpolicy",
           entity_id=row.id, before=before,
           after={"scope": scope.value, "scope_id": scope_id, "rules": rules})
    return row
