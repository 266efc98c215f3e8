"""reminder policies, outbox and channel tokens

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reminderpolicy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "scope_id"),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("channel_url", sa.String(1000), nullable=False),
        sa.Column("digest_on", sa.Date(), nullable=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", False),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        _ts("lease_expires_at", True),
        sa.Column("last_error", sa.String(2000), nullable=False),
        _ts("sent_at", True),
        _ts("created_at", False),
        _ts("updated_at", False),
        sa.ForeignKeyConstraint(["recipient_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["channel_id"], ["contactchannel.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        # Delivery claims by (state, next_attempt_at): the hot index of the outbox.
        batch_op.create_index("ix_notification_state_next", ["state", "next_attempt_at"])
        batch_op.create_index("ix_notification_recipient_user_id", ["recipient_user_id"])
        batch_op.create_index("ix_notification_digest_on", ["digest_on"])

    op.create_table(
        "reminderitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("audience", sa.String(40), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("dropped_reason", sa.String(200), nullable=False),
        _ts("created_at", False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.ForeignKeyConstraint(["recipient_user_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["channel_id"], ["contactchannel.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("reminderitem", schema=None) as batch_op:
        batch_op.create_index("ix_reminderitem_task_id", ["task_id"])
        batch_op.create_index("ix_reminderitem_planned_on", ["planned_on"])
        batch_op.create_index("ix_reminderitem_notification_id", ["notification_id"])

    op.create_table(
        "zalotoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("oa_id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("access_token", sa.String(2000), nullable=False),
        sa.Column("refresh_token", sa.String(2000), nullable=False),
        _ts("access_expires_at", True),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("oa_id"),
    )


def downgrade() -> None:
    op.drop_table("zalotoken")
    with op.batch_alter_table("reminderitem", schema=None) as batch_op:
        batch_op.drop_index("ix_reminderitem_notification_id")
        batch_op.drop_index("ix_reminderitem_planned_on")
        batch_op.drop_index("ix_reminderitem_task_id")
    op.drop_table("reminderitem")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_digest_on")
        batch_op.drop_index("ix_notification_recipient_user_id")
        batch_op.drop_index("ix_notification_state_next")
    op.drop_table("notification")
    op.drop_table("reminderpolicy")
