"""Engine and sessions for SQLite (embedded default) and PostgreSQL (a province)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Executable,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlmodel import Session, SQLModel

from settings import get_settings

SQLITE_MMAP_BYTES = 2**31  # SQLite's own ceiling


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Reads map the file instead of copying each page through a 2 MB page cache per
    # connection: at a million tasks a subtree's list or counts touch tens of megabytes.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


# The execution option that marks a connection's transactions as writers (see _sqlite_begin).
WRITES = "nhiemvu_writes"


def _sqlite_begin(connection: Connection) -> None:
    """A writer's transaction takes SQLite's write lock at BEGIN (BEGIN IMMEDIATE).

    Otherwise two writers can both read a row, and the second, upgrading its read snapshot to
    a write, fails at once with "database is locked" (busy_timeout cannot help a stale
    snapshot) or, worse, writes after checking stale data. Writers queue on busy_timeout
    instead; readers keep the driver's own handling and run concurrently under WAL.
    SQLAlchemy's pysqlite recipe: the driver must not emit BEGIN itself (isolation_level None)
    and the "begin" event emits it.
    """
    # pysqlite's connection (typed by SQLAlchemy as any DB-API connection, possibly None).
    driver_connection: Any = connection.connection.driver_connection
    if connection.get_execution_options().get(WRITES):
        driver_connection.isolation_level = None
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        driver_connection.isolation_level = ""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No JIT: the status rule's CASE makes the planner's cost estimate of a count large enough
    # to compile it, which took seconds where the query itself takes milliseconds.
    return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c jit=off"})


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().sqlalchemy_url)


def is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


def writer(engine: Engine) -> Engine:
    """The same engine (and pool) for sessions that write: on SQLite their transactions begin
    IMMEDIATE; on PostgreSQL nothing changes (READ COMMITTED, conditional UPDATEs lock rows)."""
    return engine.execution_options(**{WRITES: True})


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A writing session (CLI, flows) that commits on success and rolls back on any error."""
    with Session(writer(engine or get_engine()), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# PostgreSQL refuses a statement with more than 65,535 parameters and SQLite (3.32 on) more than
# 32,766: a large batch (a province's day of reminders) is written in statements below both.
MAX_STATEMENT_PARAMETERS = 30_000


# The most values one `column IN (…)` lookup sends: a list of ids the size of a province's
# workload (every task, unit or person of the day's window) goes in several lookups instead,
# each well below both databases' limits (MAX_STATEMENT_PARAMETERS).
IN_CHUNK_SIZE = 10_000

Value = TypeVar("Value", bound=Hashable)


def in_chunks(*, values: Iterable[Value], size: int | None = None) -> Iterator[list[Value]]:
    """The distinct `values`, in first-seen order, in lists of at most `size` (IN_CHUNK_SIZE
    by default, read at call time): one IN lookup per list keeps every statement's parameter
    count bounded, whatever the number of values. Nothing is yielded for no values."""
    limit = size or IN_CHUNK_SIZE
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), limit):
        yield distinct[start : start + limit]


def table_of(model: type[SQLModel]) -> Table:
    """The table a SQLModel class is mapped to."""
    return cast(Table, inspect(model).local_table)


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


def insert_ignore(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    *,
    key: str | Sequence[str],
) -> int:
    """INSERT … ON CONFLICT (key) DO NOTHING on SQLite and PostgreSQL: the idempotent write of
    the outbox, of planned reminders and of report number counters; `key` is the unique
    column or columns. Returns how many rows were new. The rows (dicts with the same keys) go
    in a few statements of the same transaction whatever their number, each under the
    databases' parameter limits: on PostgreSQL one INSERT … SELECT FROM unnest(one array per
    column), on SQLite one executemany of the driver. A multi-row VALUES built per call (the
    earlier way) cost more to compile than the database took to write."""
    if not rows:
        return 0
    table = table_of(model)
    columns = [key] if isinstance(key, str) else list(key)
    if is_postgres(session.get_bind()):
        names = list(rows[0])
        # psycopg's dialect casts each array to its column's type (…::INTEGER[]).
        arrays = [
            bindparam(f"column_{n}", [row[name] for row in rows], type_=ARRAY(table.c[name].type))
            for n, name in enumerate(names)
        ]
        source = func.unnest(*arrays).table_valued(*names).render_derived()
        statement = (
            postgresql.insert(table)
            .from_select(names, select(*(source.c[name] for name in names)))
            .on_conflict_do_nothing(index_elements=columns)
            .returning(table.c[columns[0]])
        )
        # RETURNING: psycopg reports -1 as the rowcount of a multi-row insert.
        return len(session.execute(statement).all())
    names = list(rows[0])
    sql, order, processors = _sqlite_insert_ignore(
        session.get_bind().dialect, table, tuple(names), tuple(columns)
    )
    if set(order) != set(names):
        # Columns the rows leave to their defaults: SQLAlchemy's executemany fills them.
        insert = sqlite.insert(table).on_conflict_do_nothing(index_elements=columns)
        return cast(CursorResult[Any], session.execute(insert, rows)).rowcount
    # The values go to the driver as tuples, converted a column at a time by the column's
    # type: SQLAlchemy's own executemany builds and converts a dict per row, which took as
    # long as SQLite's writing them.
    values_by_column = []
    for name in order:
        values = [row[name] for row in rows]
        process = processors[name]
        if process is not None:
            # Once per distinct value: a batch repeats its dates, enums and instants.
            stored = {value: process(value) for value in set(values) if value is not None}
            values = [None if value is None else stored[value] for value in values]
        values_by_column.append(values)
    values = list(zip(*values_by_column, strict=True))
    connection = session.connection()
    rows_per_statement = max(1, MAX_STATEMENT_PARAMETERS // len(names))
    added = 0
    for start in range(0, len(values), rows_per_statement):
        # SQLite counts the rows an executemany inserted (a conflict inserts none).
        chunk = values[start : start + rows_per_statement]
        added += connection.exec_driver_sql(sql, chunk).rowcount
    return added


def update_by_id(
    session: Session, model: type[SQLModel], column: str, values: list[tuple[int, Any]]
) -> None:
    """Set `column` of each row (id, value) of the model's table, in one statement on
    PostgreSQL (UPDATE … FROM unnest(ids, values)) and one driver executemany on SQLite."""
    if not values:
        return
    table = table_of(model)
    if is_postgres(session.get_bind()):
        pairs = (
            func.unnest(
                bindparam("ids", [i for i, _ in values], type_=ARRAY(table.c.id.type)),
                bindparam("values", [v for _, v in values], type_=ARRAY(table.c[column].type)),
            )
            .table_valued("id", "value")
            .render_derived()
        )
        session.execute(
            update(table).where(table.c.id == pairs.c.id).values({column: pairs.c.value})
        )
        return
    dialect = session.get_bind().dialect
    process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    quote = dialect.identifier_preparer.quote
    sql = f"UPDATE {quote(table.name)} SET {quote(column)} = ? WHERE id = ?"
    session.connection().exec_driver_sql(
        sql,
        [
            (value if value is None or process is None else process(value), row_id)
            for row_id, value in values
        ],
    )


@lru_cache(maxsize=64)
def _sqlite_insert_ignore(
    dialect: Dialect, table: Table, names: tuple[str, ...], key: tuple[str, ...]
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The SQL of an INSERT … ON CONFLICT DO NOTHING of these columns for SQLite's driver,
    the columns in the order of its placeholders, and each column's value converter."""
    compiled = (
        sqlite.insert(table)
        .on_conflict_do_nothing(index_elements=list(key))
        .compile(dialect=dialect, column_keys=list(names))
    )
    order = tuple(compiled.positiontup or ())
    processors = {
        name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
    }
    return compiled.string, order, processors
