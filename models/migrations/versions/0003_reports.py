"""indicators, report types and reports

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SOURCE = "NĐ 09/2019/NĐ-CP Điều 12 (thời gian chốt số liệu)"
_SEND = " Hạn gửi: tối thiểu 01 ngày làm việc sau ngày chốt (Điều 8); tỉnh quy định cụ thể."


def _months() -> list[dict[str, object]]:
    return [
        {"code": f"M{m:02d}", "end_month": m, "name": f"tháng {m:02d} năm {{year}}"}
        if m <= 2
        else {"code": f"M{m:02d}", "end_month": m, "name": f"tháng {m} năm {{year}}"}
        for m in range(1, 13)
    ]


# The shipped period rules; an administrator edits these rows, the code reads them.
REPORT_TYPES: list[dict[str, object]] = [
    {
        "code": "month",
        "name": "Báo cáo định kỳ hằng tháng",
        "length_months": 1,
        "cutoff_day": 15,
        "send_deadline_working_days": 1,
        "periods": _months(),
        "legal_source": _SOURCE + _SEND,
        "active": True,
    },
    {
        "code": "quarter",
        "name": "Báo cáo định kỳ hằng quý",
        "length_months": 3,
        "cutoff_day": 15,
        "send_deadline_working_days": 1,
        "periods": [
            {"code": f"Q{q}", "end_month": 3 * q, "name": f"quý {roman} năm {{year}}"}
            for q, roman in ((1, "I"), (2, "II"), (3, "III"), (4, "IV"))
        ],
        "legal_source": _SOURCE + _SEND,
        "active": True,
    },
    {
        "code": "half_year",
        "name": "Báo cáo định kỳ 6 tháng",
        "length_months": 6,
        "cutoff_day": 15,
        "send_deadline_working_days": 1,
        "periods": [
            {"code": "H1", "end_month": 6, "name": "6 tháng đầu năm {year}"},
            {"code": "H2", "end_month": 12, "name": "6 tháng cuối năm {year}"},
        ],
        "legal_source": _SOURCE + _SEND,
        "active": True,
    },
    {
        "code": "nine_months",
        "name": "Báo cáo 9 tháng",
        "length_months": 9,
        "cutoff_day": 15,
        "send_deadline_working_days": 1,
        "periods": [{"code": "9M", "end_month": 9, "name": "9 tháng năm {year}"}],
        "legal_source": "Không có trong NĐ 09/2019; một số tỉnh quy định thêm." + _SEND,
        "active": True,
    },
    {
        "code": "year",
        "name": "Báo cáo định kỳ hằng năm",
        "length_months": 12,
        "cutoff_day": 15,
        "send_deadline_working_days": 1,
        "periods": [{"code": "", "end_month": 12, "name": "năm {year}"}],
        "legal_source": _SOURCE + _SEND,
        "active": True,
    },
]


def upgrade() -> None:
    report_type = op.create_table(
        "reporttype",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("length_months", sa.Integer(), nullable=False),
        sa.Column("cutoff_day", sa.Integer(), nullable=False),
        sa.Column("send_deadline_working_days", sa.Integer(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=True),
        sa.Column("legal_source", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("unit_of_measure", sa.String(length=40), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("aggregation", sa.String(length=20), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("sentence", sa.String(length=4000), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "code"),
    )
    op.create_index("ix_indicator_plan_id", "indicator", ["plan_id"])
    op.create_table(
        "indicatorvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=20), nullable=False),
        sa.Column("period_code", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("indicator_id", "unit_id", "period_kind", "period_code", "reported_on"),
    )
    op.create_index("ix_indicatorvalue_indicator_id", "indicatorvalue", ["indicator_id"])
    op.create_index("ix_indicatorvalue_unit_id", "indicatorvalue", ["unit_id"])
    op.create_index(
        "ix_indicatorvalue_period",
        "indicatorvalue",
        ["indicator_id", "period_kind", "period_code"],
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_code", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("issuer_code", sa.String(length=40), nullable=False),
        sa.Column("type_code", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("number_year", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=80), nullable=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kind"], ["reporttype.code"]),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_unit_id", "report", ["unit_id"])
    op.create_index("ix_report_unit_period", "report", ["unit_id", "kind", "period_code"])
    op.create_table(
        "reportnumbercounter",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("unit_id", "year"),
    )
    op.bulk_insert(report_type, REPORT_TYPES)


def downgrade() -> None:
    op.drop_table("reportnumbercounter")
    op.drop_index("ix_report_unit_period", table_name="report")
    op.drop_index("ix_report_unit_id", table_name="report")
    op.drop_table("report")
    op.drop_index("ix_indicatorvalue_period", table_name="indicatorvalue")
    op.drop_index("ix_indicatorvalue_unit_id", table_name="indicatorvalue")
    op.drop_index("ix_indicatorvalue_indicator_id", table_name="indicatorvalue")
    op.drop_table("indicatorvalue")
    op.drop_index("ix_indicator_plan_id", table_name="indicator")
    op.drop_table("indicator")
    op.drop_table("reporttype")
