"""the outbox by the day a message was sent: an index on notification.sent_at

Revision ID: 0012_outbox_sent_at
Revises: 0011_attachments
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_outbox_sent_at"
down_revision: str | None = "0011_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_sent_at", ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_sent_at")
