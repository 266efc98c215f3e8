"""recurring duties (obligations) and the occurrence key on tasks

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("report_kind", sa.String(length=20), nullable=False),
        sa.Column("issuer_unit_id", sa.Integer(), nullable=False),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column("report_issuer_code", sa.String(length=40), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("source_document_id", sa.Integer(), nullable=True),
        sa.Column("send_deadline_working_days", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("draft_report", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_kind"], ["reporttype.code"]),
        sa.ForeignKeyConstraint(["issuer_unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["lead_unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["source_document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_unit_id", "report_kind", "title"),
    )
    op.create_index("ix_obligation_issuer_unit_id", "obligation", ["issuer_unit_id"])
    op.create_index("ix_obligation_lead_unit_id", "obligation", ["lead_unit_id"])
    op.create_index("ix_obligation_active_kind", "obligation", ["active", "report_kind"])
    op.create_table(
        "obligationdraft",
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sa.String(length=20), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("drafted_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["obligation_id"], ["obligation.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("obligation_id", "occurrence_key"),
    )
    # Plain ADD COLUMN with an inline REFERENCES works on SQLite without rebuilding the table.
    op.add_column(
        "task",
        sa.Column("obligation_id", sa.Integer(), sa.ForeignKey("obligation.id"), nullable=True),
        inline_references=True,
    )
    op.add_column("task", sa.Column("occurrence_key", sa.String(length=20), nullable=True))
    op.create_index(
        "uq_task_obligation_occurrence",
        "task",
        ["obligation_id", "occurrence_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_task_obligation_occurrence", table_name="task")
    with op.batch_alter_table("task") as batch:
        batch.drop_column("occurrence_key")
        batch.drop_column("obligation_id")
    op.drop_table("obligationdraft")
    op.drop_index("ix_obligation_active_kind", table_name="obligation")
    op.drop_index("ix_obligation_lead_unit_id", table_name="obligation")
    op.drop_index("ix_obligation_issuer_unit_id", table_name="obligation")
    op.drop_table("obligation")
