from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from tracking.audit import SYSTEM, record


def test_audit_log_refuses_update_and_delete(engine: Engine) -> None:
    with Session(engine) as session:
        record(session=session, actor=SYSTEM, action="test", entity="task", entity_id=1)
        session.commit()
    for statement in ("UPDATE auditevent SET action = 'x'", "DELETE FROM auditevent"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT action FROM auditevent")).scalar_one() == "test"


def test_migrations_match_the_models(engine: Engine) -> None:
    """A migrated database has exactly the tables, columns and indexes the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from models.search import outside_the_models

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": outside_the_models}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_the_head_read_without_alembic_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from models.db import make_engine
    from models.migrate import alembic_config, head_revision

    config = alembic_config(make_engine("sqlite://"))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_at_0016(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to the revision before 0017_search."""
    from alembic import command

    from models.db import make_engine
    from models.migrate import alembic_config
    from tests.conftest import scratch_postgres

    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'old.db'}"
        else:
            [url] = cleanup.enter_context(scratch_postgres("nhiemvu_search"))
        engine = make_engine(url)
        cleanup.callback(engine.dispose)
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0016_catch_up_indexes")
        yield engine


def _migrate(engine: Engine, step: str, revision: str) -> None:
    from alembic import command

    from models.migrate import alembic_config

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)


def test_the_search_migration_folds_the_rows_already_there(database_at_0016: Engine) -> None:
    from sqlmodel import col

    from models import Task
    from tracking.search import task_text_condition

    with database_at_0016.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO unit (id, code, name, short_name, kind, path, place_name, "
                "parent_body_name, email) VALUES (1, 'LS', 'Đặc khu Lý Sơn', 'Lý Sơn', "
                "'special_zone', '/1/', '', '', '')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO document (id, symbol, number, type_code, issuer_code, issued_on, "
                "issuer_name, summary, signer, version) VALUES (1, '61/KH-UBND', 61, 'KH', "
                "'UBND', '2026-02-20', '', 'Kế hoạch', '', 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO task (id, title, note, source_document_id, issuer_unit_id, "
                "lead_unit_id, assigned_on, deadline_kind, state, result, directing_leader, "
                "version, created_at, updated_at) VALUES (7, 'Sửa ĐƯỜNG đảo', 'Ghi chú', 1, 1, "
                "1, '2026-03-02', 'none', 'open', '', '', 1, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )
    _migrate(database_at_0016, "upgrade", "head")
    postgres = database_at_0016.dialect.name == "postgresql"
    with database_at_0016.connect() as connection:
        folded = connection.execute(
            sa.text(
                "SELECT t.search_text, u.search_name, d.search_text FROM task t, unit u, document d"
            )
        ).one()
        assert tuple(folded) == ("sua duong dao\nghi chu", "dac khu ly son\nly son", "61/kh-ubnd")
        for query in ("duong dao", "ly son", "61/kh"):
            found = connection.execute(
                sa.select(col(Task.id)).where(
                    task_text_condition(query, postgres=postgres, row_test=False)
                )
            ).all()
            assert found == [(7,)], query
    # And back, then up again.
    _migrate(database_at_0016, "downgrade", "0016_catch_up_indexes")
    with database_at_0016.connect() as connection:
        assert "search_text" not in {c["name"] for c in sa.inspect(connection).get_columns("task")}
    _migrate(database_at_0016, "upgrade", "head")
