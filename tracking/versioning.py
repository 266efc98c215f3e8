"""Optimistic locking of every versioned row (tasks, recurring duties, reports).

A client sends the version it saw. The use case refuses a different one up front (a clear
message before any validation), and its write is one conditional statement:
``UPDATE … SET version = version + 1 WHERE id = :id AND version = :seen``. A concurrent writer
that committed in between leaves that statement matching no row, so the use case answers 409
and its transaction rolls back: every change to a versioned row or to anything that hangs off
it (progress, extensions, completion, snapshots) bumps the version, so the version guards
everything the use case read. On PostgreSQL the UPDATE also holds the row lock until commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from models.db import table_of
from tracking import clock
from tracking.errors import Conflict


class Versioned(Protocol):
    id: int | None
    version: int


@dataclass(frozen=True)
class VersionedKind:
    """How a versioned entity is named to people and in error codes."""

    code: str  # the code clients already know: "task.stale_version"
    label: str  # the entity in a Vietnamese sentence: "Nhiệm vụ"


TASK = VersionedKind("task.stale_version", "Nhiệm vụ")
OBLIGATION = VersionedKind("obligation.stale_version", "Nghĩa vụ báo cáo")
REPORT = VersionedKind("report.version_conflict", "Báo cáo")
DOCUMENT = VersionedKind("document.stale_version", "Văn bản")
PLAN = VersionedKind("plan.stale_version", "Kế hoạch")


def stale_version(kind: VersionedKind, *, current: int | None, sent: int) -> Conflict:
    """The one error every versioned entity answers when the caller's version is not current."""
    now = f"phiên bản hiện tại {current}" if current is not None else "đã bị xóa"
    return Conflict(
        kind.code,
        f"{kind.label} đã được người khác cập nhật ({now}, bạn gửi {sent}); "
        "hãy tải lại rồi thử lại",
        field="version",
    )


def check_version(kind: VersionedKind, row: Versioned, *, expected_version: int) -> None:
    """Refuse early, before validating anything, when the caller saw another version."""
    if row.version != expected_version:
        raise stale_version(kind, current=row.version, sent=expected_version)


def bump_version(kind: VersionedKind, *, session: Session, row: Versioned) -> None:
    """Atomically move `row` from the version it was loaded at to the next one, or raise.

    The conditional UPDATE is the row's first write of the transaction: autoflush is off so
    changes already made to the object are written after it, under the lock it holds.
    """
    table = table_of(cast(type[SQLModel], type(row)))
    seen = row.version
    now = clock.now_utc()
    # Documents and plans carry no updated_at: the audit log says when they changed.
    stamped = "updated_at" in table.c
    statement = (
        table.update()
        .where(table.c.id == row.id, table.c.version == seen)
        .values(version=table.c.version + 1, **({"updated_at": now} if stamped else {}))
        .returning(table.c.version)
    )
    with session.no_autoflush:
        bumped = session.execute(statement).scalar_one_or_none()
        if bumped is None:
            current = session.execute(
                select(table.c.version).where(table.c.id == row.id)
            ).scalar_one_or_none()
            raise stale_version(kind, current=current, sent=seen)
    # The database already holds these values: the ORM must not write them again.
    set_committed_value(row, "version", bumped)
    if stamped:
        set_committed_value(row, "updated_at", now)
