"""the officer in charge (cán bộ theo dõi) of each unit's part of a task

Revision ID: 0010_assignment_officer
Revises: 0009_listing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_assignment_officer"
down_revision: str | None = "0009_listing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN with an inline REFERENCES works on SQLite without rebuilding the table.
    op.add_column(
        "taskassignment",
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        inline_references=True,
    )


def downgrade() -> None:
    with op.batch_alter_table("taskassignment") as batch:
        batch.drop_column("officer_id")
