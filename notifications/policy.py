"""Reminder policy as data: global defaults, overridable per plan and per task.

A stored policy holds only the keys it overrides; the effective rules are the defaults,
then the global row, then the plan's row, then the task's row (later wins, key by key).
The effective rules are checked as one pydantic model (`Rules`); a refusal names the key
(`rules.<key>`) with the stable code `policy.invalid` and a Vietnamese message.
"""

from __future__ import annotations

from datetime import datetime, time
from itertools import takewhile
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlmodel import Session, select

from models import Plan, PolicyScope, ReminderPolicy, Task
from models.types import utc_now
from notifications.audiences import AUDIENCES, AudienceName
from settings import get_settings
from tracking.audit import SYSTEM, Actor, record
from tracking.calendar import WorkCalendar
from tracking.errors import InvalidInput, NotFound
from tracking.validation import MAX_DEADLINE_DAYS, parse_clock_time

MAX_OFFSET = 60
MAX_STEPS = 10
INVALID = "policy.invalid"


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


def _explained(message: str) -> WrapValidator:
    """Any refusal of the value becomes `message`, except a refusal already explained deeper
    down (an item of a list, a key of the window), which keeps its own message and place."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as error:
            if all(problem["type"] == INVALID for problem in error.errors()):
                raise
            raise PydanticCustomError(INVALID, "{message}", {"message": message}) from None

    return WrapValidator(validate)


def _clock_time(value: Any) -> time:
    try:
        return parse_clock_time(value, field="")
    except InvalidInput as error:
        raise PydanticCustomError(INVALID, "{message}", {"message": error.message}) from None


def _whole_number(high: int) -> str:
    return f"Giá trị phải là số nguyên từ 1 đến {high}"


Offset = Annotated[
    int, Field(strict=True, ge=1, le=MAX_OFFSET), _explained(_whole_number(MAX_OFFSET))
]
Flag = Annotated[bool, Field(strict=True), _explained("Giá trị phải là true hoặc false")]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class Escalation(BaseModel):
    """Who else is told once a task is this many working days overdue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    overdue_working_days: Annotated[
        int,
        Field(strict=True, ge=1, le=MAX_DEADLINE_DAYS),
        _explained(_whole_number(MAX_DEADLINE_DAYS)),
    ]
    audience: Annotated[
        AudienceName, _explained(f"Đối tượng phải là một trong: {', '.join(AUDIENCES)}")
    ]


class SendWindow(BaseModel):
    """The local hours [start, end) in which messages go out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: ClockTime
    end: ClockTime
    working_days_only: Flag

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> Self:
        if self.start >= self.end:
            raise PydanticCustomError(INVALID, "Giờ bắt đầu phải trước giờ kết thúc")
        return self

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
            return moment.replace(
                hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0
            )
        for _ in range(400):
            if not self.working_days_only or calendar.is_working_day(day):
                break
            day = day.fromordinal(day.toordinal() + 1)
        return datetime.combine(day, self.start, tzinfo=moment.tzinfo)


class Rules(BaseModel):
    """The effective reminder rules of a task (every key present)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    before_working_days: Annotated[
        tuple[Offset, ...],
        Field(max_length=MAX_STEPS),
        _explained(f"Phải là danh sách tối đa {MAX_STEPS} số ngày làm việc"),
    ]
    on_due_day: Flag
    overdue_first: Offset
    overdue_every: Offset
    escalation: Annotated[
        tuple[
            Annotated[
                Escalation,
                _explained("Mỗi bậc cần đúng hai khóa overdue_working_days và audience"),
            ],
            ...,
        ],
        Field(max_length=MAX_STEPS),
        _explained(f"Phải là danh sách tối đa {MAX_STEPS} bậc"),
    ]
    coordinators_before_deadline: Flag
    send_window: Annotated[
        SendWindow, _explained("Khung giờ gửi cần các khóa start, end, working_days_only")
    ]

    def overdue_step(self, overdue_days: int) -> bool:
        """Whether a task this many working days overdue is reminded today."""
        if overdue_days < self.overdue_first:
            return False
        return (overdue_days - self.overdue_first) % self.overdue_every == 0


def _refusal(error: ValidationError) -> InvalidInput:
    """The first problem as InvalidInput naming the key (an unknown key first, as people
    most often mistype one); list positions are left out of the field."""
    problems = sorted(error.errors(), key=lambda problem: problem["type"] != "extra_forbidden")
    problem = problems[0]
    key = ".".join(
        str(part) for part in takewhile(lambda part: isinstance(part, str), problem["loc"])
    )
    if problem["type"] == "extra_forbidden":
        return InvalidInput(INVALID, f"Khóa không được hỗ trợ: {key}", field=f"rules.{key}")
    return InvalidInput(INVALID, problem["msg"], field=f"rules.{key}")


def to_rules(data: dict[str, Any]) -> Rules:
    """The merged JSON rules as a checked `Rules`; InvalidInput naming the key if refused."""
    try:
        return Rules.model_validate(data)
    except ValidationError as error:
        raise _refusal(error) from None


def merge(*layers: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if (
                key == "send_window"
                and isinstance(result.get(key), dict)
                and isinstance(value, dict)
            ):
                result[key] = {**result[key], **value}
            else:
                result[key] = value
    return result


class PolicyBook:
    """Every stored policy, loaded in one query, and the effective rules of a task from it.

    The stored rows are few (one global row, the plans' and the tasks' own overrides), so the
    planner reads them all instead of the policies of the tasks in its window: that would
    need the window's task ids, a list that grows with history."""

    def __init__(self, session: Session) -> None:
        self._global: dict[str, Any] = {}
        self._plans: dict[int, dict[str, Any]] = {}
        self._tasks: dict[int, dict[str, Any]] = {}
        statement = select(ReminderPolicy.scope, ReminderPolicy.scope_id, ReminderPolicy.rules)
        for scope, scope_id, rules in session.exec(statement).all():
            if scope == PolicyScope.GLOBAL:
                self._global = dict(rules)
            elif scope == PolicyScope.PLAN:
                self._plans[scope_id] = dict(rules)
            else:
                self._tasks[scope_id] = dict(rules)
        self._defaults = default_rules()
        self.global_rules = to_rules(merge(self._defaults, self._global))
        # Merged and validated once per plan and per task, not once per task and day.
        self._merged: dict[tuple[int, int], Rules] = {}

    @property
    def plan_rules(self) -> list[Rules]:
        """The effective rules of each plan with its own policy (before any task's own)."""
        return [self.for_task(task_id=-1, plan_id=plan_id) for plan_id in self._plans]

    @property
    def has_task_rules(self) -> bool:
        return bool(self._tasks)

    def for_task(self, *, task_id: int, plan_id: int | None) -> Rules:
        plan = self._plans.get(plan_id or -1, {})
        own = self._tasks.get(task_id, {})
        if not plan and not own:
            return self.global_rules
        cache_key = (plan_id if plan and plan_id is not None else -1, task_id if own else -1)
        rules = self._merged.get(cache_key)
        if rules is None:
            rules = self._merged[cache_key] = to_rules(
                merge(self._defaults, self._global, plan, own)
            )
        return rules

    def max_before_offset(self) -> int:
        """The largest 'before' offset of the defaults and any stored policy: how far ahead
        the planner looks."""
        offsets = list(self._defaults["before_working_days"])
        for rules in (self._global, *self._plans.values(), *self._tasks.values()):
            offsets.extend(rules.get("before_working_days", []))
        return max(offsets, default=0)


def global_rules(session: Session) -> Rules:
    return to_rules(merge(default_rules(), get_policy(session=session, scope=PolicyScope.GLOBAL)))


def get_policy(*, session: Session, scope: PolicyScope, scope_id: int = 0) -> dict[str, Any]:
    """The stored overrides of one scope ({} when none)."""
    row = session.exec(
        select(ReminderPolicy).where(
            ReminderPolicy.scope == scope, ReminderPolicy.scope_id == scope_id
        )
    ).first()
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
        raise InvalidInput(
            "policy.scope", "Phạm vi phải là global, plan hoặc task", field="scope"
        ) from None
    if scope == PolicyScope.GLOBAL:
        if scope_id not in (None, 0):
            raise InvalidInput(
                "policy.scope_id", "Chính sách chung không có mã phạm vi", field="scope_id"
            )
        scope_id = 0
    else:
        if scope_id is None:
            raise InvalidInput("policy.scope_id", "Cần mã kế hoạch hoặc nhiệm vụ", field="scope_id")
        target = session.get(Plan if scope == PolicyScope.PLAN else Task, scope_id)
        if target is None:
            raise NotFound(
                "policy.scope_not_found",
                "Không tìm thấy kế hoạch"
                if scope == PolicyScope.PLAN
                else "Không tìm thấy nhiệm vụ",
                field="scope_id",
            )
    if not isinstance(rules, dict):
        raise InvalidInput(INVALID, "Chính sách nhắc phải là một đối tượng JSON", field="rules")
    to_rules(merge(default_rules(), rules))  # the overrides over the defaults must hold
    row = session.exec(
        select(ReminderPolicy).where(
            ReminderPolicy.scope == scope, ReminderPolicy.scope_id == scope_id
        )
    ).first()
    before = dict(row.rules) if row else None
    if row is None:
        row = ReminderPolicy(scope=scope, scope_id=scope_id, rules=dict(rules))
    else:
        row.rules = dict(rules)
        row.updated_at = utc_now()
    session.add(row)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="reminder_policy.set",
        entity="reminderpolicy",
        entity_id=row.id,
        before=before,
        after={"scope": scope.value, "scope_id": scope_id, "rules": rules},
    )
    return row
