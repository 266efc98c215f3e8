"""a unit's tasks not yet confirmed on a day: an index led by lead unit and confirmed_on

Revision ID: 0015_listing_open_tasks
Revises: 0014_calendar_feed

A list of a unit's (or a subtree's) overdue or open tasks searched ix_task_lead_due over the
unit's whole history, done tasks included; this index holds the tasks still unconfirmed on
any day as two ranges (confirmed_on null, confirmed_on after the day), with every column the
status rule reads (tracking.task_queries._lead_branches).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_listing_open_tasks"
down_revision: str | None = "0014_calendar_feed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "lead_unit_id",
    "confirmed_on",
    "due_on",
    "extended_on",
    "assigned_on",
    "completed_on",
    "cancelled_on",
    "paused_on",
    "completion_reported_on",
    "original_due_on",
    "id",  # PostgreSQL's index-only scan needs it too (SQLite's rows carry it anyway)
]


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_lead_confirmed", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_lead_confirmed")
