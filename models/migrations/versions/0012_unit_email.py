"""the unit's official mailbox (hộp thư công vụ), as imported with the unit tree

Revision ID: 0012_unit_email
Revises: 0009_listing
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_unit_email"
down_revision: str | None = "0009_listing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite has ADD and DROP COLUMN since 3.35): a batch
# operation would copy the unit table, and SQLite refuses to drop a table other rows refer to.
def upgrade() -> None:
    op.add_column(
        "unit", sa.Column("email", sa.String(length=254), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("unit", "email")
