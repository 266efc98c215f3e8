"""Core tables: units, users, documents, plans, tasks and their history, calendar, audit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from models.encryption import EncryptedText, digest
from models.search import (
    document_default,
    fill_document,
    fill_task,
    fill_unit,
    task_default,
    unit_default,
)
from models.types import EnumText, instant_field


class UnitKind(enum.StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    WARD = "ward"  # phường
    SPECIAL_ZONE = "special_zone"  # đặc khu
    OFFICE = "office"
    AGENCY = "agency"
    OTHER = "other"

    @property
    def is_commune_level(self) -> bool:
        """A commune, a ward or a special zone (xã, phường, đặc khu): the level directly below a
        province since 01/7/2025. The three behave alike everywhere; the rules name this
        property (or COMMUNE_LEVEL_KINDS), never one of the three."""
        return self in COMMUNE_LEVEL_KINDS


# Stored as text (types.EnumText, at most 20 characters): a new kind needs no migration.
COMMUNE_LEVEL_KINDS = frozenset({UnitKind.COMMUNE, UnitKind.WARD, UnitKind.SPECIAL_ZONE})


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEADER = "leader"
    OFFICER = "officer"
    VIEWER = "viewer"


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    ZALO = "zalo"
    ZNS = "zns"
    APPRISE = "apprise"


class DeadlineKind(enum.StrEnum):
    """How a task's deadline is set: a date, n working days, n calendar days, or none."""

    DATE = "date"
    WORKING_DAYS = "working_days"
    DAYS = "days"
    NONE = "none"


class TaskState(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class AssignmentRole(enum.StrEnum):
    LEAD = "lead"
    COORDINATE = "coordinate"


class ExtensionStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class Unit(SQLModel, table=True):
    """A body in the tree (province, department, commune, office…); depth is free."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=50, unique=True, index=True)
    name: str = Field(max_length=255)
    short_name: str = Field(default="", max_length=120)
    kind: UnitKind = Field(default=UnitKind.OTHER, sa_type=EnumText(UnitKind))
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # Materialised path "/1/4/9/": a unit's subtree is the range of paths from its own to the
    # same with the last "/" raised to "0" (tracking.units.subtree_condition), one search of
    # this index. A range, not LIKE 'prefix%': SQLite's LIKE ignores case and PostgreSQL's
    # needs a pattern operator class, so neither used the index. The range needs a binary
    # order: SQLite's default; on PostgreSQL the column's collation is "C" (the default,
    # glibc's, ignores punctuation when it sorts).
    path: str = Field(
        default="/",
        sa_type=String(1000).with_variant(String(1000, collation="C"), "postgresql"),
        index=True,
    )
    place_name: str = Field(default="", max_length=120)
    parent_body_name: str = Field(default="", max_length=255)
    # The unit's official mailbox (hộp thư công vụ, e.g. vanphong@quangngai.gov.vn): an address
    # of the body, shown with it; reminders still go to people's own channels.
    email: str = Field(default="", max_length=254)
    # name and short_name folded (models.search): searched by the task list's text filter.
    search_name: str = Field(default="", max_length=400, sa_column_kwargs={"default": unit_default})


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    full_name: str = Field(max_length=255)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: Role = Field(default=Role.OFFICER, sa_type=EnumText(Role))
    title: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    # Carried by every token; bumping it revokes the tokens issued before.
    token_version: int = 0


class ContactChannel(SQLModel, table=True):
    """One way to reach a user, as an Apprise URL (mailto://, zalo://, zns://, tgram://…)."""

    # The URL is stored encrypted (a new ciphertext each time), so uniqueness is on a keyed
    # digest of it, filled in by the listener below.
    __table_args__ = (UniqueConstraint("user_id", "url_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    kind: ChannelKind = Field(sa_type=EnumText(ChannelKind))
    url: str = Field(sa_type=EncryptedText)
    url_digest: str = Field(default="", max_length=64)
    label: str = Field(default="", max_length=120)
    active: bool = True


@event.listens_for(ContactChannel, "before_insert")
@event.listens_for(ContactChannel, "before_update")
def _fill_url_digest(_mapper: Any, _connection: Any, channel: ContactChannel) -> None:
    channel.url_digest = digest(channel.url)


class Document(SQLModel, table=True):
    """A văn bản: plan, decision, official letter, report."""

    __table_args__ = (UniqueConstraint("symbol", "issued_on"),)

    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(max_length=80, index=True)  # "61/KH-UBND", "1412/STTTT"
    number: int
    year: int | None = None  # only legal normative documents carry it
    type_code: str | None = Field(default=None, max_length=10)  # None for a công văn
    issuer_code: str = Field(max_length=40)
    issued_on: date
    issuer_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    issuer_name: str = Field(default="", max_length=255)
    summary: str = Field(default="", max_length=2000)  # trích yếu
    signer: str = Field(default="", max_length=255)
    version: int = 1  # tracking.versioning: edits name the version they saw
    # The symbol folded (models.search): "61/kh-ubnd".
    search_text: str = Field(
        default="", max_length=80, sa_column_kwargs={"default": document_default}
    )


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    title: str = Field(max_length=1000)
    issuer_unit_id: int = Field(foreign_key="unit.id", index=True)
    version: int = 1  # bumped by an edit of the plan or of one of its sections


class PlanSection(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "ordinal"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    ordinal: int
    title: str = Field(max_length=1000)


class Task(SQLModel, table=True):
    __table_args__ = (
        # A unit's tasks by deadline (the list) and everything the status rule reads (and the
        # id, which PostgreSQL's index-only scan needs), so a unit's or a subtree's counts per
        # category (/stats) read this index alone.
        Index(
            "ix_task_lead_due",
            "lead_unit_id",
            "due_on",
            "extended_on",
            "assigned_on",
            "confirmed_on",
            "completed_on",
            "cancelled_on",
            "paused_on",
            "completion_reported_on",
            "original_due_on",
            "id",
        ),
        # The few tasks whose deadline on an earlier day differs from due_on (status.py).
        Index("ix_task_lead_extended", "lead_unit_id", "extended_on"),
        # A unit's tasks not yet confirmed complete on a day (confirmed_on null or later):
        # the open ones, without the done history, and again all the status rule reads, so
        # a list of overdue or open tasks reads this index alone.
        Index(
            "ix_task_lead_confirmed",
            "lead_unit_id",
            "confirmed_on",
            "due_on",
            "extended_on",
            "assigned_on",
            "completed_on",
            "cancelled_on",
            "paused_on",
            "completion_reported_on",
            "original_due_on",
            "id",
        ),
        Index("ix_task_state_due", "state", "due_on"),
        # One task per occurrence of a recurring duty (migration 0004).
        Index("uq_task_obligation_occurrence", "obligation_id", "occurrence_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=4000)
    plan_id: int | None = Field(default=None, foreign_key="plan.id", index=True)
    section_id: int | None = Field(default=None, foreign_key="plansection.id", index=True)
    # Indexed for the text search: the tasks of the documents whose number matches.
    source_document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    issuer_unit_id: int = Field(foreign_key="unit.id", index=True)
    directing_leader: str = Field(default="", max_length=255)
    # Denormalised from the lead assignment so lists and sweeps use one index.
    lead_unit_id: int = Field(foreign_key="unit.id")  # indexed first in ix_task_lead_due
    assigned_on: date = Field(index=True)
    deadline_kind: DeadlineKind = Field(sa_type=EnumText(DeadlineKind))
    deadline_amount: int | None = None
    original_due_on: date | None = Field(default=None, index=True)  # catch-up planning
    due_on: date | None = Field(default=None, index=True)  # effective (after extensions)
    # The decision day of the latest approved extension (None: never extended), kept with
    # due_on by tracking.tasks.approve_extension. On that day or after, the deadline as of
    # the day is due_on; only an earlier day needs the extension history (tracking.status).
    extended_on: date | None = None
    state: TaskState = Field(default=TaskState.OPEN, sa_type=EnumText(TaskState))
    completion_reported_on: date | None = None
    completed_on: date | None = None  # the day the work was finished, as reported
    confirmed_on: date | None = None  # the day the issuer accepted it; counts from then
    paused_on: date | None = None
    cancelled_on: date | None = None
    result: str = Field(default="", max_length=4000)
    note: str = Field(default="", max_length=4000)
    version: int = 1
    created_at: datetime = instant_field()
    updated_at: datetime = instant_field()
    # Set on the tasks a recurring duty creates: the duty and the period ("2026-M03").
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    occurrence_key: str | None = Field(default=None, max_length=20)
    # Title and note folded (models.search), for the text search and its index.
    search_text: str = Field(default="", sa_type=Text, sa_column_kwargs={"default": task_default})


class TaskAssignment(SQLModel, table=True):
    """Which unit leads and which units coordinate a task, and who follows each part."""

    __table_args__ = (
        UniqueConstraint("task_id", "unit_id"),
        # A unit's (or each subtree unit's) coordinated tasks: one range, not all its tasks.
        Index("ix_taskassignment_unit_role", "unit_id", "role", "task_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    role: AssignmentRole = Field(sa_type=EnumText(AssignmentRole))
    assigned_on: date
    # The officer in charge of this unit's part (cán bộ theo dõi), chosen by its leaders
    # (tracking.assignments); None: the unit's officers follow it together.
    officer_id: int | None = Field(default=None, foreign_key="app_user.id")


class ProgressUpdate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    reported_on: date
    percent: int | None = None
    content: str = Field(max_length=4000)
    created_at: datetime = instant_field()


class ExtensionRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    requested_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    requested_on: date
    old_due_on: date
    proposed_due_on: date
    reason: str = Field(max_length=4000)
    status: ExtensionStatus = Field(
        default=ExtensionStatus.REQUESTED, sa_type=EnumText(ExtensionStatus)
    )
    decided_on: date | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approved_due_on: date | None = Field(default=None, index=True)  # catch-up planning
    decision_note: str = Field(default="", max_length=4000)


class CalendarOverride(SQLModel, table=True):
    """A decided working day or day off; wins over weekends and the holidays package."""

    day: date = Field(primary_key=True)
    is_working_day: bool
    note: str = Field(max_length=500)
    legal_source: str = Field(default="", max_length=500)


class AuditEvent(SQLModel, table=True):
    """Append-only: the migrations install triggers that refuse UPDATE, DELETE and (on
    PostgreSQL) TRUNCATE. Each row is chained to the previous one by `prev_hash` and `hash`
    (tracking.audit computes them); `prev_hash` is unique, so the chain cannot fork."""

    __table_args__ = (
        Index("ix_audit_entity", "entity", "entity_id"),
        UniqueConstraint("prev_hash", name="uq_auditevent_prev_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = instant_field()
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str = Field(default="system", max_length=120)
    action: str = Field(max_length=80)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # SHA-256 hex digests: of the previous event (64 zeros for the first), and of this one.
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


# The folded search columns follow every ORM write of the text they fold (models.search).
for _model, _fill in ((Unit, fill_unit), (Document, fill_document), (Task, fill_task)):
    event.listen(_model, "before_insert", _fill)
    event.listen(_model, "before_update", _fill)
