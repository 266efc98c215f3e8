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
