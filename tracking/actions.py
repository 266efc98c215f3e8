"""What a user may do next with a task: the access rule (tracking.access) and the task's state
(tracking.tasks) together, so a page offers only the actions the services would accept.

The services still check both on every change; this only saves people forms that would be
refused.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TypedDict

from sqlmodel import Session

from models import ExtensionRequest, ExtensionStatus, Task, Unit
from tracking.access import (
    Principal,
    TaskAction,
    TaskUnits,
    can_act_on_task,
    may_assign_officer,
)
from tracking.audit import Actor
from tracking.tasks import STATE_RULES, TaskChange


class TaskCommand(enum.StrEnum):
    EDIT = "edit"
    PROGRESS = "progress"
    REPORT_COMPLETION = "completion"
    CONFIRM_COMPLETION = "confirm"
    RETURN_COMPLETION = "return"
    REQUEST_EXTENSION = "extension"
    DECIDE_EXTENSION = "decide_extension"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    REMINDER_POLICY = "reminder_policy"
    ASSIGN_OFFICER = "officer"


# The access action each command needs, and the change whose states it is accepted in
# (tracking.tasks.STATE_RULES); None: accepted whatever the task's state.
RULES: dict[TaskCommand, tuple[TaskAction, TaskChange | None]] = {
    TaskCommand.EDIT: (TaskAction.EDIT, TaskChange.EDIT),
    TaskCommand.PROGRESS: (TaskAction.CONTRIBUTE, TaskChange.PROGRESS),
    TaskCommand.REPORT_COMPLETION: (TaskAction.REPORT, TaskChange.REPORT_COMPLETION),
    TaskCommand.CONFIRM_COMPLETION: (TaskAction.DECIDE, TaskChange.CONFIRM_COMPLETION),
    TaskCommand.RETURN_COMPLETION: (TaskAction.DECIDE, TaskChange.RETURN_COMPLETION),
    TaskCommand.REQUEST_EXTENSION: (TaskAction.REPORT, TaskChange.REQUEST_EXTENSION),
    # A pending request is decided whatever the task's state.
    TaskCommand.DECIDE_EXTENSION: (TaskAction.DECIDE, None),
    TaskCommand.PAUSE: (TaskAction.DECIDE, TaskChange.PAUSE),
    TaskCommand.RESUME: (TaskAction.DECIDE, TaskChange.RESUME),
    TaskCommand.CANCEL: (TaskAction.DECIDE, TaskChange.CANCEL),
    # notifications.policy.set_policy takes a task's overrides whatever its state.
    TaskCommand.REMINDER_POLICY: (TaskAction.DECIDE, None),
    # Any reader who leads the lead or a coordinating unit (tracking.access.may_assign_officer
    # decides per unit; available_commands below checks there is such a unit).
    TaskCommand.ASSIGN_OFFICER: (TaskAction.READ, TaskChange.ASSIGN_OFFICER),
}


class Change(TypedDict):
    """The arguments every change of a task or of its extension request in tracking.tasks
    takes (the session, who, and the version they saw), passed as one by the API and the
    pages: `tasks.pause(**change, task_id=..., reason=...)`."""

    session: Session
    actor: Actor
    expected_version: int


def change_by(*, session: Session, principal: Principal, version: int) -> Change:
    return Change(session=session, actor=principal.actor, expected_version=version)


def pending_extension(extensions: Sequence[ExtensionRequest]) -> ExtensionRequest | None:
    return next((e for e in extensions if e.status == ExtensionStatus.REQUESTED), None)


def officer_units(*, principal: Principal, units: TaskUnits) -> list[Unit]:
    """The task's lead and coordinating units whose officer in charge the principal chooses."""
    return [
        unit
        for unit in (units.lead, *units.coordinators)
        if may_assign_officer(actor=principal.actor, unit_id=unit.id or 0)
    ]


def available_commands(
    *,
    principal: Principal,
    task: Task,
    units: TaskUnits,
    extensions: Sequence[ExtensionRequest],
) -> frozenset[TaskCommand]:
    pending = pending_extension(extensions) is not None
    allowed: set[TaskCommand] = set()
    for command, (action, change) in RULES.items():
        if change is not None and task.state not in STATE_RULES[change].states:
            continue
        if not can_act_on_task(principal=principal, units=units, action=action):
            continue
        if command == TaskCommand.REQUEST_EXTENSION and (task.due_on is None or pending):
            continue
        if command == TaskCommand.DECIDE_EXTENSION and not pending:
            continue
        if command == TaskCommand.ASSIGN_OFFICER and not officer_units(
            principal=principal, units=units
        ):
            continue
        allowed.add(command)
    return frozenset(allowed)
