"""Report tables: indicators (chỉ tiêu) and their values, report types, reports, number counters."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import EnumText, instant_field, optional_instant_field


class IndicatorAggregation(enum.StrEnum):
    """How the values of the units of a subtree combine into one figure."""

    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"


class ReportState(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


class Indicator(SQLModel, table=True):
    """A chỉ tiêu of a plan: '100% dịch vụ công trực tuyến mức độ 2', 'hồ sơ tiếp nhận'.

    `sentence` is how section I of a report states it, a template with `{value}`, `{target}`,
    `{note}` and `{CODE}` of any indicator of the same plan; None means the default sentence,
    an empty string means the indicator is only quoted inside other indicators' sentences.
    """

    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=1000)
    unit_of_measure: str = Field(default="", max_length=40)  # "%", "hồ sơ", "thủ tục"
    target: float | None = None
    aggregation: IndicatorAggregation = Field(
        default=IndicatorAggregation.SUM, sa_type=EnumText(IndicatorAggregation)
    )
    ordinal: int = 0
    sentence: str | None = Field(default=None, max_length=4000)


class IndicatorValue(SQLModel, table=True):
    """The value a unit reported for a period; a later report for the same period corrects it."""

    __table_args__ = (
        UniqueConstraint("indicator_id", "unit_id", "period_kind", "period_code", "reported_on"),
        Index("ix_indicatorvalue_period", "indicator_id", "period_kind", "period_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period_kind: str = Field(max_length=20)
    period_code: str = Field(max_length=20)
    value: float
    reported_on: date
    note: str = Field(default="", max_length=2000)
    created_at: datetime = instant_field()


class ReportType(SQLModel, table=True):
    """A periodic report kind and its period rule (NĐ 09/2019 Điều 12), kept as data.

    A period ends the day before `cutoff_day` of its end month and starts on `cutoff_day` of the
    month `length_months` earlier. `periods` lists them: [{"code": "Q1", "end_month": 3,
    "name": "quý I"}, …]. The report is due `send_deadline_working_days` working days after the
    cut-off.
    """

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=255)
    length_months: int
    cutoff_day: int = 15
    send_deadline_working_days: int = 1
    periods: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    legal_source: str = Field(default="", max_length=500)
    active: bool = True


class Report(SQLModel, table=True):
    """A report of a unit for a period: a draft that can be regenerated, then issued and frozen."""

    __table_args__ = (
        Index("ix_report_unit_period", "unit_id", "kind", "period_code"),
        # One official number per issuing unit and year, whatever the code path; drafts have
        # no number (NULLs never collide).
        Index("uq_report_unit_year_number", "unit_id", "number_year", "number", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(foreign_key="reporttype.code", max_length=20)
    period_code: str = Field(max_length=20)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="plan.id")
    as_of: date
    document_date: date
    issuer_code: str = Field(max_length=40)  # "UBND" in "555/BC-UBND"
    type_code: str = Field(default="BC", max_length=10)
    state: ReportState = Field(default=ReportState.DRAFT, sa_type=EnumText(ReportState))
    number: int | None = None
    number_year: int | None = None
    symbol: str | None = Field(default=None, max_length=80)
    texts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    snapshot_sha256: str | None = Field(default=None, max_length=64)
    issued_at: datetime | None = optional_instant_field()
    version: int = 1
    created_at: datetime = instant_field()
    updated_at: datetime = instant_field()


class ReportNumberCounter(SQLModel, table=True):
    """The last number an issuing unit gave in a calendar year (NĐ 30: restarts at 01 each year).

    Only ever moved by one UPDATE … RETURNING (reports.service), never read-then-written."""

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    year: int = Field(primary_key=True)
    last_number: int = 0
