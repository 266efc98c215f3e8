"""task lists and counts at a million tasks: extended_on on tasks, a covering index for the
status rule, and unit paths compared binary on PostgreSQL (a subtree is a range search)

Revision ID: 0009_listing
Revises: 0008

extended_on is the decision day of a task's latest approved extension (by decision day, then
id); due_on is set here to that extension's deadline, as tracking.tasks.settle_deadline keeps
it from now on (it differs only where a decision was entered back-dated before another).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_listing"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATEST_APPROVED = """
    FROM extensionrequest AS e
    WHERE e.task_id = task.id AND e.status = 'approved'
      AND e.approved_due_on IS NOT NULL AND e.decided_on IS NOT NULL
    ORDER BY e.decided_on DESC, e.id DESC
    LIMIT 1
"""
STATUS_COLUMNS = [
    "lead_unit_id",
    "due_on",
    "extended_on",
    "assigned_on",
    "confirmed_on",
    "completed_on",
    "cancelled_on",
    "paused_on",
    "completion_reported_on",
    "original_due_on",
    "id",  # PostgreSQL's index-only scan needs it too (SQLite's rows carry it anyway)
]


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extended_on", sa.Date(), nullable=True))
    with op.batch_alter_table("task", schema=None) as batch_op:
        # Led by the wider index below: SQLite preferred this one and read every task row.
        batch_op.drop_index("ix_task_lead_unit_id")
        batch_op.drop_index("ix_task_lead_due")
        batch_op.create_index("ix_task_lead_due", STATUS_COLUMNS, unique=False)
        batch_op.create_index(
            "ix_task_lead_extended", ["lead_unit_id", "extended_on"], unique=False
        )
    # After the indexes that hold extended_on: an index built after this update, while an
    # older transaction runs, would wait (PostgreSQL's indcheckxmin) until that one ends.
    op.execute(
        f"""
        UPDATE task SET
            extended_on = (SELECT e.decided_on {LATEST_APPROVED}),
            due_on = (SELECT e.approved_due_on {LATEST_APPROVED})
        WHERE EXISTS (SELECT 1 {LATEST_APPROVED})
        """
    )
    with op.batch_alter_table("taskassignment", schema=None) as batch_op:
        batch_op.drop_index("ix_taskassignment_unit_id")
        batch_op.create_index(
            "ix_taskassignment_unit_role", ["unit_id", "role", "task_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE unit ALTER COLUMN path TYPE VARCHAR(1000) COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE unit ALTER COLUMN path TYPE VARCHAR(1000) COLLATE "default"')
    with op.batch_alter_table("taskassignment", schema=None) as batch_op:
        batch_op.drop_index("ix_taskassignment_unit_role")
        batch_op.create_index("ix_taskassignment_unit_id", ["unit_id"], unique=False)
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_lead_extended")
        batch_op.drop_index("ix_task_lead_due")
        batch_op.create_index("ix_task_lead_due", ["lead_unit_id", "due_on"], unique=False)
        batch_op.create_index("ix_task_lead_unit_id", ["lead_unit_id"], unique=False)
        batch_op.drop_column("extended_on")
