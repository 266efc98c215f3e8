"""Recurring duties (nghĩa vụ báo cáo định kỳ): each period of a report kind creates one task."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import instant_field


class Obligation(SQLModel, table=True):
    """A duty such as "Báo cáo kết quả thực hiện Kế hoạch 61, hằng năm, gửi Sở TT&TT".

    Its periods follow the report kind's rule (table reporttype, NĐ 09/2019 Điều 12); each
    period becomes one task (task.obligation_id, task.occurrence_key = the period's code), due
    `send_deadline_working_days` working days after the cut-off (None: the report kind's own).
    """

    __tablename__ = "obligation"
    __table_args__ = (
        UniqueConstraint("lead_unit_id", "report_kind", "title"),
        Index("ix_obligation_active_kind", "active", "report_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=1000)
    report_kind: str = Field(foreign_key="reporttype.code", max_length=20)
    issuer_unit_id: int = Field(foreign_key="unit.id", index=True)  # who requires the report
    lead_unit_id: int = Field(foreign_key="unit.id", index=True)  # who must send it
    recipient: str = Field(default="", max_length=500)  # "Sở Thông tin và Truyền thông"
    # The sending body's code in the report's number ("UBND" in "555/BC-UBND"); "" = the one
    # of the unit's latest registered document.
    report_issuer_code: str = Field(default="", max_length=40)
    plan_id: int | None = Field(default=None, foreign_key="plan.id")
    source_document_id: int | None = Field(default=None, foreign_key="document.id")
    send_deadline_working_days: int | None = None
    starts_on: date
    ends_on: date | None = None
    # Draft the unit's report for the period once its cut-off has passed.
    draft_report: bool = True
    active: bool = True
    note: str = Field(default="", max_length=2000)
    version: int = 1
    created_at: datetime = instant_field()
    updated_at: datetime = instant_field()


class ObligationDraft(SQLModel, table=True):
    """The report drafted for one occurrence: the primary key makes drafting happen once."""

    __tablename__ = "obligationdraft"

    obligation_id: int = Field(foreign_key="obligation.id", primary_key=True)
    occurrence_key: str = Field(primary_key=True, max_length=20)
    report_id: int = Field(foreign_key="report.id")
    drafted_on: date
    created_at: datetime = instant_field()
