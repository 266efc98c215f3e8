"""Reminder policies, planned reminder items, the notification outbox, and Zalo OA tokens."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.encryption import EncryptedText
from models.types import EnumText, instant_field, optional_instant_field


class PolicyScope(enum.StrEnum):
    GLOBAL = "global"
    PLAN = "plan"
    TASK = "task"


class NotificationState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # will be retried at next_attempt_at
    DEAD = "dead"  # gave up: the maximum attempts, or a URL that can never work; retried by hand
    SKIPPED = "skipped"  # every item it carried went stale (task done, paused, extended…)


class NotificationKind(enum.StrEnum):
    DIGEST = "digest"
    ALERT = "alert"  # to the administrators, e.g. about a dead notification
    TEST = "test"
    REPORT_READY = "report_ready"  # a drafted periodic report is waiting for the office


class ReminderPolicy(SQLModel, table=True):
    """Reminder rules as data; scope_id is 0 for the global row, else a plan or task id."""

    __tablename__ = "reminderpolicy"
    __table_args__ = (UniqueConstraint("scope", "scope_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: PolicyScope = Field(sa_type=EnumText(PolicyScope))
    scope_id: int = 0
    rules: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = instant_field()


class Notification(SQLModel, table=True):
    """The outbox: one row per message to one channel; key makes planning idempotent."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_state_next", "state", "next_attempt_at"),
        # The outbox by the day it was sent.
        Index("ix_notification_sent_at", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    kind: NotificationKind = Field(
        default=NotificationKind.DIGEST, sa_type=EnumText(NotificationKind)
    )
    recipient_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    channel_id: int | None = Field(default=None, foreign_key="contactchannel.id")
    channel_url: str = Field(sa_type=EncryptedText)  # a copy of the channel's URL
    digest_on: date | None = Field(default=None, index=True)
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_type=Text)
    state: NotificationState = Field(
        default=NotificationState.PENDING, sa_type=EnumText(NotificationState)
    )
    attempts: int = 0
    next_attempt_at: datetime = instant_field()
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = optional_instant_field()
    last_error: str = Field(default="", max_length=2000)
    sent_at: datetime | None = optional_instant_field()
    created_at: datetime = instant_field()
    updated_at: datetime = instant_field()


class ReminderItem(SQLModel, table=True):
    """One planned reminder: exactly one per (task, rule step, recipient, channel, deadline)."""

    __tablename__ = "reminderitem"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    step: str = Field(max_length=40)  # "before:3", "due", "overdue:6"
    audience: str = Field(max_length=40)  # "lead", "coordinator", "lead_leaders", …
    recipient_user_id: int = Field(foreign_key="app_user.id")
    channel_id: int = Field(foreign_key="contactchannel.id")
    due_on: date
    planned_on: date = Field(index=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id", index=True)
    # Set when the task changed before sending (done, paused, cancelled, extended).
    dropped_reason: str = Field(default="", max_length=200)
    created_at: datetime = instant_field()


class ZaloToken(SQLModel, table=True):
    """The Official Account's access/refresh pair; replaced together, in one transaction."""

    __tablename__ = "zalotoken"

    id: int | None = Field(default=None, primary_key=True)
    oa_id: str = Field(max_length=64, unique=True)
    app_id: str = Field(default="", max_length=64)
    access_token: str = Field(sa_type=EncryptedText)
    refresh_token: str = Field(sa_type=EncryptedText)
    access_expires_at: datetime | None = optional_instant_field()
    version: int = 1
    updated_at: datetime = instant_field()
