"""The append-only audit log: who changed what, when, and how it looked before and after."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import AuditEvent, Role


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (with their unit and role) or the system itself."""

    name: str
    user_id: int | None = None
    unit_id: int | None = None
    role: Role | None = None


SYSTEM = Actor(name="system")


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def snapshot(row: SQLModel, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A JSON-safe copy of a row's fields, for the before/after of an audit event."""
    data = row.model_dump(include=set(fields) if fields else None)
    return {key: _json_safe(value) for key, value in data.items()}


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.user_id,
        actor=actor.name,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def history(*, session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(col(AuditEvent.id))
    )
    return list(session.exec(statement).all())
