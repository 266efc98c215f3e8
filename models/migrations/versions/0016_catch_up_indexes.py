"""catch-up planning: index the original deadline and the approved extension deadline

A past day's reminders are planned with each task's deadline as of that day: its original
one or an extension's approved by then, looked up by these indexes.

Revision ID: 0016_catch_up_indexes
Revises: 0015_listing_open_tasks
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_catch_up_indexes"
down_revision: str | None = "0015_listing_open_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_original_due_on"), ["original_due_on"])
    with op.batch_alter_table("extensionrequest", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_extensionrequest_approved_due_on"), ["approved_due_on"]
        )


def downgrade() -> None:
    with op.batch_alter_table("extensionrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extensionrequest_approved_due_on"))
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_original_due_on"))
