"""one official number per issuing unit and year: counters caught up, unique index

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE_NUMBER = "uq_report_unit_year_number"


def upgrade() -> None:
    connection = op.get_bind()
    duplicates = connection.execute(
        sa.text(
            "SELECT unit_id, number_year, number, COUNT(*) FROM report "
            "WHERE number IS NOT NULL "
            "GROUP BY unit_id, number_year, number HAVING COUNT(*) > 1 "
            "ORDER BY unit_id, number_year, number"
        )
    ).all()
    if duplicates:
        # Official numbers cannot be renumbered by a program: people must decide.
        listed = "; ".join(
            f"đơn vị #{unit}, năm {year}, số {number}: {count} báo cáo"
            for unit, year, number, count in duplicates
        )
        raise RuntimeError(
            "Có báo cáo đã ban hành trùng số, cần xử lý trước khi nâng cấp: " + listed
        )
    # Every counter at least at the highest number issued, so the next one never collides.
    connection.execute(
        sa.text(
            "INSERT INTO reportnumbercounter (unit_id, year, last_number) "
            "SELECT unit_id, number_year, 0 FROM report "
            "WHERE number IS NOT NULL AND number_year IS NOT NULL "
            "GROUP BY unit_id, number_year "
            "ON CONFLICT (unit_id, year) DO NOTHING"
        )
    )
    connection.execute(
        sa.text(
            "UPDATE reportnumbercounter SET last_number = ("
            "SELECT MAX(report.number) FROM report "
            "WHERE report.unit_id = reportnumbercounter.unit_id "
            "AND report.number_year = reportnumbercounter.year) "
            "WHERE last_number < (SELECT MAX(report.number) FROM report "
            "WHERE report.unit_id = reportnumbercounter.unit_id "
            "AND report.number_year = reportnumbercounter.year)"
        )
    )
    op.create_index(UNIQUE_NUMBER, "report", ["unit_id", "number_year", "number"], unique=True)


def downgrade() -> None:
    op.drop_index(UNIQUE_NUMBER, table_name="report")
