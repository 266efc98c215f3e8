import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from models import AuditEvent


def test_audit_log_refuses_update_and_delete(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(AuditEvent(action="test", entity="task", entity_id=1))
        session.commit()
    for statement in ("UPDATE auditevent SET action = 'x'", "DELETE FROM auditevent"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT action FROM auditevent")).scalar_one() == "test"
