"""Recurring duties (nghĩa vụ báo cáo định kỳ), and the tasks of their periods."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from api.deps import Day, Id, Instant, IssuerCode, Text500, Version, text
from api.schemas.base import Body, FromRow, VersionedBody
from api.schemas.reports import Code20, Text2000
from models import TaskState

Title = Annotated[str, text(1000, min_length=1)]
SendDays = Annotated[int, Field(ge=1, le=60)]


class ObligationCreate(Body):
    title: Title = Field(description="Tên báo cáo, ví dụ «Báo cáo kết quả thực hiện KH 61»")
    report_kind: Code20 = Field(
        description="Loại kỳ báo cáo, xem GET /report-kinds (month, quarter, half_year, year…)"
    )
    lead_unit_id: Id = Field(description="Đơn vị phải báo cáo")
    issuer_unit_id: Id | None = Field(
        default=None, description="Đơn vị yêu cầu báo cáo; mặc định là đơn vị của người dùng"
    )
    recipient: Text500 = Field(default="", description="Nơi nhận, ví dụ «Sở Nội vụ»")
    report_issuer_code: IssuerCode = Field(
        default="",
        description="Chữ viết tắt cơ quan ban hành trong số ký hiệu («UBND» trong «555/BC-UBND»)",
    )
    send_deadline_working_days: SendDays | None = Field(
        default=None,
        description="Hạn gửi: số ngày làm việc sau ngày chốt số liệu (1–60); mặc định theo loại kỳ",
    )
    plan_id: Id | None = Field(default=None, description="Kế hoạch được báo cáo, nếu có")
    source_document_id: Id | None = Field(default=None, description="Văn bản yêu cầu báo cáo")
    starts_on: Day | None = Field(default=None, description="Áp dụng từ ngày; mặc định hôm nay")
    ends_on: Day | None = Field(default=None, description="Áp dụng đến ngày, nếu có")
    draft_report: bool = Field(default=True, description="Tự soạn dự thảo khi hết kỳ")
    active: bool = Field(default=True, description="Đang áp dụng")
    note: Text2000 = ""


class ObligationUpdate(VersionedBody):
    """The wording and the sending of the next periods; issuer, obliged unit, report kind and
    start are fixed (stop the duty and define another to change them)."""

    title: Title | None = None
    recipient: Text500 | None = None
    report_issuer_code: IssuerCode | None = None
    send_deadline_working_days: SendDays | None = Field(
        default=None, description="null: theo loại kỳ báo cáo"
    )
    ends_on: Day | None = Field(default=None, description="null: không có ngày kết thúc")
    draft_report: bool | None = None
    note: Text2000 | None = None


class ObligationActivate(Body):
    version: Version = Field(description="Phiên bản nghĩa vụ báo cáo đang xem")
    ends_on: Day | None = Field(default=None, description="Đặt ngày kết thúc áp dụng, nếu cần")


class ObligationPublic(FromRow):
    id: int
    title: str
    report_kind: str
    issuer_unit_id: int
    lead_unit_id: int
    recipient: str
    report_issuer_code: str
    send_deadline_working_days: int | None
    plan_id: int | None
    source_document_id: int | None
    starts_on: date
    ends_on: date | None
    draft_report: bool
    active: bool
    note: str
    version: int
    created_at: Instant
    updated_at: Instant


class OccurrenceTaskPublic(FromRow):
    """The task of one period of a duty; GET /tasks/{id} gives the whole task."""

    id: int
    occurrence_key: str | None = Field(description="Mã kỳ báo cáo, ví dụ 2026-M03")
    title: str
    lead_unit_id: int
    assigned_on: date
    due_on: date | None = Field(description="Hạn gửi báo cáo (sau gia hạn, nếu có)")
    state: TaskState
    completed_on: date | None
    version: int
