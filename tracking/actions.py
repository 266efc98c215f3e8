"""What a user may do next with a task: the access rule (tracking.access) and the task's state
(tracking.tasks) together, so a page offers only the actions the services would accept.

The services still check both on every change; this only saves people forms that would be
refused.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from models import ExtensionRequest, ExtensionStatus, Task, TaskState
from tracking.access import Principal, TaskAction, TaskUnits, can_act_on_task
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


# The access action each command needs and the states it is accepted in (tracking.tasks).
RULES: dict[TaskCommand, tuple[TaskAction, frozenset[TaskState]]] = {
    TaskCommand.EDIT: (TaskAction.EDIT, STATE_RULES[TaskChange.EDIT].states),
    TaskCommand.PROGRESS: (TaskAction.CONTRIBUTE, STATE_RULES[TaskChange.PROGRESS].states),
    TaskCommand.REPORT_COMPLETION: (
        TaskAction.REPORT,
        STATE_RULES[TaskChange.REPORT_COMPLETION].states,
    ),
    TaskCommand.CONFIRM_COMPLETION: (
        TaskAction.DECIDE,
        STATE_RULES[TaskChange.CONFIRM_COMPLETION].states,
    ),
    TaskCommand.RETURN_COMPLETION: (
        TaskAction.DECIDE,
        STATE_RULES[TaskChange.RETURN_COMPLETION].states,
    ),
    TaskCommand.REQUEST_EXTENSION: (
        TaskAction.REPORT,
        STATE_RULES[TaskChange.REQUEST_EXTENSION].states,
    ),
    # A pending request is decided whatever the task's state (tracking.tasks does not limit it).
    TaskCommand.DECIDE_EXTENSION: (TaskAction.DECIDE, frozenset(TaskState)),
    TaskCommand.PAUSE: (TaskAction.DECIDE, STATE_RULES[TaskChange.PAUSE].states),
    TaskCommand.RESUME: (TaskAction.DECIDE, STATE_RULES[TaskChange.RESUME].states),
    TaskCommand.CANCEL: (TaskAction.DECIDE, STATE_RULES[TaskChange.CANCEL].states),
    # notifications.policy.set_policy takes a task's overrides whatever its state.
    TaskCommand.REMINDER_POLICY: (TaskAction.DECIDE, frozenset(TaskState)),
}


def pending_extension(extensions: Sequence[ExtensionRequest]) -> ExtensionRequest | None:
    return next((e for e in extensions if e.status == ExtensionStatus.REQUESTED), None)


def available_commands(
    *,
    principal: Principal,
    task: Task,
    units: TaskUnits,
    extensions: Sequence[ExtensionRequest],
) -> frozenset[TaskCommand]:
    pending = pending_extension(extensions) is not None
    allowed: set[TaskCommand] = set()
    for command, (action, states) in RULES.items():
        if task.state not in states:
            continue
        if not can_act_on_task(principal=principal, units=units, action=action):
            continue
        if command == TaskCommand.REQUEST_EXTENSION and (task.due_on is None or pending):
            continue
        if command == TaskCommand.DECIDE_EXTENSION and not pending:
            continue
        allowed.add(command)
    return frozenset(allowed)
