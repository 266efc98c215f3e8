"""the unit's official mailbox (hộp thư công vụ), as imported with the unit tree; a version
on documents and plans, which can now be edited (tracking.versioning)

Revision ID: 0013_unit_email
Revises: 0012_outbox_sent_at
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_unit_email"
down_revision: str | None = "0012_outbox_sent_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite has ADD and DROP COLUMN since 3.35): a batch
# operation would copy the unit table, and SQLite refuses to drop a table other rows refer to.
def upgrade() -> None:
    op.add_column(
        "unit", sa.Column("email", sa.String(length=254), nullable=False, server_default="")
    )
    for table in ("document", "plan"):
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in ("plan", "document"):
        op.drop_column(table, "version")
    op.drop_column("unit", "email")
