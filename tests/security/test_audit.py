"""Issue 9, item 11: an audit log nobody can rewrite.

The attacks: change, delete or truncate audit rows through SQL; bypass the triggers (as a
superuser can) and rewrite history quietly; drop or disable the triggers with the
application's own database role; race several writers so the chain forks. Each must fail, or
be named by `nhiemvu audit verify`, with nothing changed.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from cli import app
from models import AuditEvent
from models.db import is_postgres, make_engine
from models.migrate import alembic_config, upgrade
from tests.conftest import REQUIRE_POSTGRES, scratch_postgres
from tests.world import make_task, make_world
from tracking.audit import GENESIS_HASH, SYSTEM, content_hash, record, verify_chain

ROLES_SQL = Path(__file__).resolve().parents[2] / "docs" / "postgres-roles.sql"
POSTGRES_ONLY = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
runner = CliRunner()


def _record_events(engine: Engine, count: int) -> list[int]:
    """`count` events through the real use-case path, committed; their ids in order."""
    ids = []
    with Session(engine) as session:
        for number in range(count):
            event = record(
                session=session,
                actor=SYSTEM,
                action="task.update",
                entity="task",
                entity_id=number,
                before={"title": f"Nhiệm vụ số {number}", "due_on": "2026-03-12"},
                after={"title": f"Nhiệm vụ số {number} (sửa)", "due_on": "2026-03-19"},
            )
            ids.append(event.id or 0)
        session.commit()
    return ids


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(sa.text("SELECT * FROM auditevent ORDER BY id"))
        ]


def _as_superuser_bypassing_triggers(engine: Engine, statement: str, **values: Any) -> None:
    """What someone with full control of the database server can do: PostgreSQL's replica mode
    (superuser only) skips the triggers; on SQLite, whoever holds the file drops them."""
    with engine.begin() as connection:
        if is_postgres(connection):
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(sa.text("DROP TRIGGER IF EXISTS auditevent_no_update"))
            connection.execute(sa.text("DROP TRIGGER IF EXISTS auditevent_no_delete"))
        connection.execute(sa.text(statement), values)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditevent SET action = 'task.cancel'",
        "UPDATE auditevent SET hash = prev_hash",
        "DELETE FROM auditevent",
        "DELETE FROM auditevent WHERE id = (SELECT MAX(id) FROM auditevent)",
    ],
)
def test_changing_or_deleting_an_event_is_refused(engine: Engine, statement: str) -> None:
    _record_events(engine, 3)
    before = _rows(engine)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert _rows(engine) == before
    with Session(engine) as session:
        report = verify_chain(session=session)
    assert (report.events, report.broken) == (3, None)


@POSTGRES_ONLY
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE auditevent",
        "TRUNCATE ONLY auditevent RESTART IDENTITY",
        "TRUNCATE app_user CASCADE",
    ],
)
def test_truncating_the_audit_log_is_refused_on_postgresql(engine: Engine, statement: str) -> None:
    _record_events(engine, 3)
    before = _rows(engine)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert _rows(engine) == before


def _run_threads(target: Callable[[int], None], count: int) -> None:
    """Run target(0…count-1) in real threads; re-raise the first error any of them met."""
    errors: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            target(number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    if errors:
        raise errors[0]


def test_concurrent_writers_keep_a_single_chain(engine: Engine) -> None:
    """8 threads, each with its own connection, append at once: transactions of one or two
    events that hold the append a few milliseconds before committing (so commits would come
    out of id order without the lock), and one rolled back per thread (a gap in the ids on
    PostgreSQL). The chain must hold and contain exactly the committed events."""
    writers, rounds = 8, 5
    start = threading.Barrier(writers)

    def writer(number: int) -> None:
        pause = random.Random(number)
        start.wait()
        for round_number in range(rounds):
            with Session(engine) as session:
                for _ in range(1 + round_number % 2):
                    record(
                        session=session,
                        actor=SYSTEM,
                        action="test.concurrent",
                        entity="writer",
                        entity_id=number,
                        after={"round": round_number},
                    )
                    time.sleep(pause.uniform(0, 0.004))
                if round_number == 2:
                    session.rollback()
                else:
                    session.commit()

    _run_threads(writer, writers)

    committed_per_writer = 1 + 2 + 2 + 1  # rounds 0, 1, 3, 4 (round 2 rolled back)
    with Session(engine) as session:
        report = verify_chain(session=session, batch_size=7)
        per_writer = session.exec(
            select(AuditEvent.entity_id, func.count()).group_by(col(AuditEvent.entity_id))
        ).all()
    assert report.broken is None
    assert report.events == writers * committed_per_writer
    assert dict(per_writer) == {n: committed_per_writer for n in range(writers)}


def test_a_writer_waits_until_the_previous_one_commits(engine: Engine) -> None:
    """The append is serialised up to the commit: a second writer blocks behind the first
    one's open transaction, then chains onto its event."""
    first_recorded, release_first, second_committed = (threading.Event() for _ in range(3))

    def writer(number: int) -> None:
        if number == 1:
            assert first_recorded.wait(30)
        with Session(engine) as session:
            record(
                session=session,
                actor=SYSTEM,
                action=f"test.writer{number}",
                entity="writer",
                entity_id=number,
            )
            if number == 0:
                first_recorded.set()
                assert release_first.wait(30)
            session.commit()
        if number == 1:
            second_committed.set()

    def release_after_checking() -> None:
        assert first_recorded.wait(30)
        blocked = not second_committed.wait(0.7)
        release_first.set()
        assert blocked, "the second writer appended while the first held the chain"

    releaser = threading.Thread(target=release_after_checking)
    releaser.start()
    _run_threads(writer, 2)
    releaser.join(timeout=30)
    assert release_first.is_set() and second_committed.is_set()

    with Session(engine) as session:
        first, second = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        report = verify_chain(session=session)
    assert (first.action, second.action) == ("test.writer0", "test.writer1")
    assert (first.prev_hash, second.prev_hash) == (GENESIS_HASH, first.hash)
    assert (report.events, report.broken) == (2, None)


def test_verify_reports_an_intact_log(engine: Engine) -> None:
    _record_events(engine, 5)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Nhật ký toàn vẹn: 5 sự kiện" in result.output
    # The hashes do not depend on the time zone the database hands instants back in.
    with Session(engine) as session:
        if is_postgres(engine):
            session.execute(sa.text("SET TIME ZONE 'Asia/Ho_Chi_Minh'"))
        report = verify_chain(session=session)
    assert (report.events, report.broken) == (5, None)


def _edit_content(engine: Engine, event_id: int) -> None:
    _as_superuser_bypassing_triggers(
        engine, "UPDATE auditevent SET action = 'task.cancel' WHERE id = :id", id=event_id
    )


def _delete_event(engine: Engine, event_id: int) -> None:
    _as_superuser_bypassing_triggers(engine, "DELETE FROM auditevent WHERE id = :id", id=event_id)


def _edit_and_rehash(engine: Engine, event_id: int) -> None:
    """A careful forger: changes the event and recomputes its own hash with the published
    algorithm. Only rewriting every later event too would hide it (hence the head hash)."""
    with Session(engine) as session:
        event = session.get_one(AuditEvent, event_id)
        content = event.model_dump() | {"after": {"title": "Đã hoàn thành"}}
    forged = content_hash(prev_hash=event.prev_hash, content=content)
    _as_superuser_bypassing_triggers(
        engine,
        "UPDATE auditevent SET after = :after, hash = :hash WHERE id = :id",
        after='{"title": "Đã hoàn thành"}',
        hash=forged,
        id=event_id,
    )


@pytest.mark.parametrize(
    ("tamper", "reported_offset", "intact_before", "problem"),
    [
        (_edit_content, 0, 2, "nội dung đã bị sửa"),
        (_delete_event, 1, 2, "có sự kiện bị xóa"),
        # The forged event is consistent in itself: the link from the next one breaks.
        (_edit_and_rehash, 1, 3, "có sự kiện bị xóa, chèn thêm hoặc sửa mã băm"),
    ],
    ids=["edited", "deleted", "edited-and-rehashed"],
)
def test_verify_names_the_first_event_tampered_with_behind_the_triggers(
    engine: Engine,
    tamper: Callable[[Engine, int], None],
    reported_offset: int,
    intact_before: int,
    problem: str,
) -> None:
    ids = _record_events(engine, 6)
    tamper(engine, ids[2])
    broken_id = ids[2 + reported_offset]
    tampered = _rows(engine)

    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"không toàn vẹn tại sự kiện id {broken_id}: " in result.output
    assert problem in result.output
    assert f"({intact_before} sự kiện trước đó khớp chuỗi)" in result.output
    assert "Nhật ký toàn vẹn" not in result.output
    # The service says the same, however small its batches.
    with Session(engine) as session:
        report = verify_chain(session=session, batch_size=2)
    assert report.broken is not None and report.broken.event_id == broken_id
    assert report.events == intact_before
    assert _rows(engine) == tampered  # verifying only reads


@pytest.fixture
def unmigrated_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as db_url, not migrated: a new SQLite file, or a new
    PostgreSQL database (dropped afterwards)."""
    if not db_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with scratch_postgres("nhiemvu_audit") as [url]:
        yield url


def test_the_migration_chains_the_events_already_logged(unmigrated_url: str) -> None:
    engine = make_engine(unmigrated_url)
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
        old_audit = sa.table(
            "auditevent",
            sa.column("at", sa.DateTime(timezone=True)),
            sa.column("actor"),
            sa.column("action"),
            sa.column("entity"),
            sa.column("entity_id"),
            sa.column("before", sa.JSON()),
            sa.column("after", sa.JSON()),
        )
        with engine.begin() as connection:
            connection.execute(
                old_audit.insert(),
                [
                    {
                        "at": datetime(2021, 11, 2, 1, 30, 0, 123456, tzinfo=UTC),
                        "actor": "cli",
                        "action": "unit.create",
                        "entity": "unit",
                        "entity_id": 1,
                        "before": None,
                        "after": {"name": "Ủy ban nhân dân huyện Lý Sơn", "kind": "district"},
                    },
                    {
                        "at": datetime(2021, 11, 2, 1, 31, tzinfo=UTC),
                        "actor": "cli",
                        "action": "task.assign",
                        "entity": "task",
                        "entity_id": 7,
                        "before": {"due_on": None},
                        "after": {"due_on": "2021-12-31", "ratio": 0.5},
                    },
                ],
            )
        upgrade(engine)
        with Session(engine) as session:
            record(session=session, actor=SYSTEM, action="task.done", entity="task", entity_id=7)
            session.commit()
            report = verify_chain(session=session)
        assert (report.events, report.broken) == (3, None)
        before = _rows(engine)
        # The migration put the append-only triggers back.
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("UPDATE auditevent SET actor = 'x'"))
        assert _rows(engine) == before
    finally:
        engine.dispose()


def _psql_url(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def app_role(engine: Engine) -> Iterator[str]:
    """A uniquely named login role given the application's rights by docs/postgres-roles.sql,
    run with psql as the operator would. Roles belong to the whole cluster: it is dropped
    afterwards even when the test fails."""
    if shutil.which("psql") is None:
        reason = "psql (PostgreSQL client) không có trên máy: cần để chạy docs/postgres-roles.sql"
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    role = f"nhiemvu_app_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(
            sa.text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        )
    try:
        subprocess.run(
            [
                "psql",
                _psql_url(engine.url),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                f"app_role={role}",
                "-f",
                str(ROLES_SQL),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        yield role
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE "{role}"'))


def _triggers(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        return {
            (row.tgname, row.tgenabled)
            for row in connection.execute(
                sa.text(
                    "SELECT tgname, tgenabled FROM pg_trigger "
                    "WHERE tgrelid = 'auditevent'::regclass AND NOT tgisinternal"
                )
            )
        }


@POSTGRES_ONLY
def test_the_application_role_cannot_touch_the_audit_log(
    engine: Engine, session: Session, app_role: str
) -> None:
    world = make_world(session)  # as the owner
    _record_events(engine, 2)
    app_engine = make_engine(engine.url.set(username=app_role).render_as_string())
    try:
        # The application's own work succeeds under the role: the start-up schema check (at
        # head, so nothing to do) and a use case that writes an audit event.
        upgrade(app_engine)
        with Session(app_engine, expire_on_commit=False) as app_session:
            task = make_task(app_session, world)
            last = app_session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
            assert last is not None
            assert (last.action, last.entity_id) == ("task.assign", task.id)
            assert verify_chain(session=app_session).broken is None

        rows, triggers = _rows(engine), _triggers(engine)
        assert triggers == {("auditevent_append_only", "O"), ("auditevent_no_truncate", "O")}
        attacks = [
            ("DROP TRIGGER auditevent_append_only ON auditevent", "must be owner"),
            ("ALTER TABLE auditevent DISABLE TRIGGER ALL", "must be owner"),
            ("ALTER TABLE auditevent DISABLE TRIGGER auditevent_no_truncate", "must be owner"),
            ("DROP TABLE auditevent", "must be owner"),
            ("TRUNCATE auditevent", "permission denied"),
            ("UPDATE auditevent SET action = 'task.cancel'", "permission denied"),
            ("DELETE FROM auditevent", "permission denied"),
            ("SET session_replication_role = replica", "permission denied"),
            ("UPDATE alembic_version SET version_num = '0001'", "permission denied"),
        ]
        for statement, refusal in attacks:
            with (
                pytest.raises(sa.exc.ProgrammingError, match=refusal),
                app_engine.begin() as connection,
            ):
                connection.execute(sa.text(statement))
        assert (_rows(engine), _triggers(engine)) == (rows, triggers)
    finally:
        app_engine.dispose()
