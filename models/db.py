"""Engine and sessions for SQLite (embedded default) and PostgreSQL (a province)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from settings import get_settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().sqlalchemy_url)


def is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_ignore(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *, key: str
) -> int:
    """INSERT … ON CONFLICT (key) DO NOTHING on SQLite and PostgreSQL: the idempotent write of
    the outbox and of planned reminders. Returns how many rows were new (by RETURNING, since
    psycopg reports -1 as the rowcount of a multi-row insert)."""
    if not rows:
        return 0
    table: Table = model.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if is_postgres(session.get_bind()) else sqlite.insert
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=[key])
    return len(session.execute(statement.returning(table.c[key])).all())
