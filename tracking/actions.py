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

from models import ExtensionRequest, ExtensionStatus, Task, TaskState
from tracking.access import Principal, TaskAction, TaskUnits, can_act_on_task
from tracking.audit import Actor


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


# The access action each command needs and the states tracking.tasks accepts it in.
RULES: dict[TaskCommand, tuple[TaskAction, frozenset[TaskState]]] = {
    TaskCommand.EDIT: (
        TaskAction.EDIT,
        frozenset({TaskState.OPEN, TaskState.SUBMITTED, TaskState.PAUSED}),
    ),
    TaskCommand.PROGRESS: (TaskAction.CONTRIBUTE, frozenset({TaskState.OPEN, TaskState.SUBMITTED})),
    TaskCommand.REPORT_COMPLETION: (TaskAction.REPORT, frozenset({TaskState.OPEN})),
    TaskCommand.CONFIRM_COMPLETION: (TaskAction.DECIDE, frozenset({TaskState.SUBMITTED})),
    TaskCommand.RETURN_COMPLETION: (TaskAction.DECIDE, frozenset({TaskState.SUBMITTED})),
    TaskCommand.REQUEST_EXTENSION: (TaskAction.REPORT, frozenset({TaskState.OPEN})),
    # A pending request is decided whatever the task's state (tracking.tasks does not limit it).
    TaskCommand.DECIDE_EXTENSION: (TaskAction.DECIDE, frozenset(TaskState)),
    TaskCommand.PAUSE: (TaskAction.DECIDE, frozenset({TaskState.OPEN})),
    TaskCommand.RESUME: (TaskAction.DECIDE, frozenset({TaskState.PAUSED})),
    TaskCommand.CANCEL: (
        TaskAction.DECIDE,
        frozenset({TaskState.OPEN, TaskState.SUBMITTED, TaskState.PAUSED}),
    ),
    # notifications.policy.set_policy takes a task's overrides whatever its state.
    TaskCommand.REMINDER_POLICY: (TaskAction.DECIDE, frozenset(TaskState)),
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
