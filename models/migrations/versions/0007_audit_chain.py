"""audit log: hash chain (prev_hash, hash) and, on PostgreSQL, no TRUNCATE

Revision ID: 0007
Revises: 0004

Existing events are chained in id order. Writing their hashes is an UPDATE, which the
append-only trigger refuses; so, inside this migration's transaction only (run by the owner
role, which alone may alter the table), the trigger is set aside and put back before commit:
on PostgreSQL it is disabled and re-enabled (ALTER TABLE locks the table, so nobody appends
meanwhile); on SQLite the UPDATE trigger is dropped, and both triggers are created again after
the table is rebuilt for NOT NULL (rebuilding a SQLite table drops its triggers).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracking.audit import GENESIS_HASH, HASHED_FIELDS, content_hash

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000

_audit = sa.table(
    "auditevent",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_sqlite_triggers() -> None:
    # As in 0001: the rebuilt table has lost them.
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER auditevent_no_{verb.lower()} BEFORE {verb} ON auditevent "
            "BEGIN SELECT RAISE(ABORT, 'auditevent is append-only'); END"
        )


def _backfill_chain() -> None:
    """Chain the existing events in id order, a batch at a time."""
    connection = op.get_bind()
    columns = [_audit.c.id, *(_audit.c[name] for name in HASHED_FIELDS)]
    prev_hash, last_id = GENESIS_HASH, 0
    while True:
        rows = connection.execute(
            sa.select(*columns).where(_audit.c.id > last_id).order_by(_audit.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            digest = content_hash(prev_hash=prev_hash, content=row._mapping)
            connection.execute(
                _audit.update()
                .where(_audit.c.id == row.id)
                .values(prev_hash=prev_hash, hash=digest)
            )
            prev_hash, last_id = digest, row.id


def upgrade() -> None:
    postgres = _is_postgres()
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    if postgres:
        op.execute("ALTER TABLE auditevent DISABLE TRIGGER auditevent_append_only")
    else:
        op.execute("DROP TRIGGER auditevent_no_update")
    _backfill_chain()
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_auditevent_prev_hash", ["prev_hash"])
    if postgres:
        op.execute("ALTER TABLE auditevent ENABLE TRIGGER auditevent_append_only")
        # TRUNCATE fires no row trigger: a statement-level one refuses it.
        op.execute(
            "CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION auditevent_append_only()"
        )
    else:
        _create_sqlite_triggers()


def downgrade() -> None:
    postgres = _is_postgres()
    if postgres:
        op.execute("DROP TRIGGER auditevent_no_truncate ON auditevent")
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_constraint("uq_auditevent_prev_hash", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    if not postgres:
        _create_sqlite_triggers()
