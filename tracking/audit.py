"""The append-only audit log: who changed what, when, and how it looked before and after.

Each event is chained to the previous one: `hash` is the SHA-256 of `prev_hash` and a canonical
serialisation of the event's content, so a row changed, removed or inserted behind the
application's back (by someone who can bypass the triggers) breaks the chain at that row, and
`verify_chain` names it. Appends are serialised (one writer at a time, until it commits), so
the chain follows the id order even when transactions commit out of order.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from models import AuditEvent, Role
from models.db import is_postgres
from models.search import SEARCH_COLUMNS
from models.types import utc_now

GENESIS_HASH = "0" * 64
"""The `prev_hash` of the first event."""

HASHED_FIELDS = ("at", "actor_id", "actor", "action", "entity", "entity_id", "before", "after")

# The key of the PostgreSQL advisory lock that serialises appends: the ASCII bytes of
# "nhiemvu1" read as a (positive) bigint. Any constant works if every writer uses it.
CHAIN_LOCK_KEY = int.from_bytes(b"nhiemvu1", "big")


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
    """A JSON-safe copy of a row's fields, for the before/after of an audit event (without
    the folded search columns: derived, and filled only when the row is flushed)."""
    data = row.model_dump(include=set(fields) if fields else None, exclude=set(SEARCH_COLUMNS))
    return {key: _json_safe(value) for key, value in data.items()}


def _canonical_instant(at: datetime) -> str:
    # SQLite gives the stored UTC instant back naive, PostgreSQL aware: one form for both.
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_hash(*, prev_hash: str, content: Mapping[str, Any] | sa.RowMapping) -> str:
    """The SHA-256 (hex) of `prev_hash` and the event's HASHED_FIELDS, serialised as JSON with
    sorted keys, no spaces and a fixed instant format: the same bytes whether the event was
    just built or read back from SQLite or PostgreSQL."""
    document = {name: content[name] for name in HASHED_FIELDS}
    document["at"] = _canonical_instant(content["at"])
    document["prev_hash"] = prev_hash
    canonical = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_chain_head(session: Session) -> str:
    """Become the only writer of the audit log until this transaction ends, then return the
    hash of the last event (the previous row by id, now that nobody else can append)."""
    if is_postgres(session.connection()):
        # Released at commit or rollback. Under READ COMMITTED (the default) the next
        # statement sees the last event committed by the writer that held the lock before.
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        # A write that matches no row: it takes SQLite's database write lock (held until
        # commit) even when the transaction has only read so far, or has not begun.
        session.execute(sa.text("UPDATE auditevent SET id = id WHERE 0"))
    last = session.execute(
        select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS_HASH


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
    """Append an event, chained to the last one. From here to the end of the transaction the
    session is the audit log's only writer: use cases record once their changes are made."""
    content: dict[str, Any] = {
        "at": utc_now(),
        "actor_id": actor.user_id,
        "actor": actor.name,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }
    prev_hash = _lock_chain_head(session)
    event = AuditEvent(
        **content, prev_hash=prev_hash, hash=content_hash(prev_hash=prev_hash, content=content)
    )
    session.add(event)
    # Inserted now, inside the lock: its id comes after every chained event's.
    session.flush()
    return event


RowT = TypeVar("RowT", bound=SQLModel)


def add_created(
    *,
    session: Session,
    actor: Actor,
    row: RowT,
    entity: str,
    fields: tuple[str, ...] | None = None,
) -> RowT:
    """Insert a new row and record "<entity>.create" with its snapshot (of `fields` only, when
    given): the last step of every create use case."""
    session.add(row)
    session.flush()  # the row gets its id
    (row_id,) = sa.inspect(row).identity
    record(
        session=session,
        actor=actor,
        action=f"{entity}.create",
        entity=entity,
        entity_id=row_id,
        after=snapshot(row, fields),
    )
    return row


def history(*, session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(col(AuditEvent.id))
    )
    return list(session.exec(statement).all())


@dataclass(frozen=True)
class BrokenLink:
    """The first event where the chain does not hold, and what differs."""

    event_id: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    """`events` verified in id order (all of them when `broken` is None); `head_hash` is the
    hash of the last verified event: kept elsewhere, it also reveals a removed tail."""

    events: int
    head_hash: str
    broken: BrokenLink | None


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def verify_chain(*, session: Session, batch_size: int = 1000) -> ChainReport:
    """Walk the audit log in id order, `batch_size` rows at a time (memory stays bounded
    however long the log), recomputing every hash; stop at the first broken link."""
    columns = [col(AuditEvent.id), col(AuditEvent.prev_hash), col(AuditEvent.hash)] + [
        getattr(AuditEvent, name) for name in HASHED_FIELDS
    ]
    expected_prev, last_id, checked = GENESIS_HASH, 0, 0
    while True:
        rows = session.execute(
            select(*columns)
            .where(col(AuditEvent.id) > last_id)
            .order_by(col(AuditEvent.id))
            .limit(batch_size)
        ).all()
        if not rows:
            return ChainReport(events=checked, head_hash=expected_prev, broken=None)
        for row in rows:
            event = row._mapping
            if event["prev_hash"] != expected_prev:
                previous = f"mã băm của sự kiện id {last_id}" if checked else "giá trị đầu chuỗi"
                problem = (
                    f"prev_hash {_short(event['prev_hash'])} không khớp {previous} "
                    f"({_short(expected_prev)}): có sự kiện bị xóa, chèn thêm hoặc sửa mã băm"
                )
                return ChainReport(checked, expected_prev, BrokenLink(event["id"], problem))
            computed = content_hash(prev_hash=expected_prev, content=event)
            if computed != event["hash"]:
                problem = (
                    f"nội dung đã bị sửa: mã băm tính lại {_short(computed)} khác mã băm "
                    f"đã lưu {_short(event['hash'])}"
                )
                return ChainReport(checked, expected_prev, BrokenLink(event["id"], problem))
            expected_prev, last_id, checked = event["hash"], event["id"], checked + 1
