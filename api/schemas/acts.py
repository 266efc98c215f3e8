"""Documents (văn bản), plans and sections, calendar overrides, statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from api.deps import Day, Id, Required1000, Text255, Text500, text
from api.schemas.base import Body, FromRow, VersionedBody
from models import DeadlineKind

Symbol = Annotated[str, text(80, min_length=1)]


class DocumentCreate(Body):
    symbol: Symbol = Field(description="Số, ký hiệu, ví dụ 61/KH-UBND")
    issued_on: Day
    summary: Annotated[str, text(2000, min_length=1)] = Field(description="Trích yếu")
    issuer_unit_id: Id | None = Field(
        default=None, description="Đơn vị ban hành; mặc định là đơn vị của người dùng"
    )
    issuer_name: Text255 = ""
    signer: Text255 = ""


class DocumentPublic(FromRow):
    id: int
    symbol: str
    number: int
    year: int | None
    type_code: str | None
    issuer_code: str
    issued_on: date
    issuer_unit_id: int | None
    issuer_name: str
    summary: str
    signer: str
    version: int


class DocumentUpdate(VersionedBody):
    """The trích yếu, signer and issuing body's name; the symbol and day identify it."""

    summary: Annotated[str, text(2000, min_length=1)] | None = Field(
        default=None, description="Trích yếu"
    )
    signer: Text255 | None = None
    issuer_name: Text255 | None = None


class SectionCreate(Body):
    title: Required1000


class PlanUpdate(VersionedBody):
    title: Required1000


class SectionUpdate(VersionedBody):
    """The plan's version: a section's edit bumps its plan's."""

    title: Required1000


class SectionPublic(FromRow):
    id: int
    plan_id: int
    ordinal: int
    title: str


class PlanCreate(Body):
    title: Required1000
    issuer_unit_id: Id | None = Field(
        default=None, description="Đơn vị ban hành; mặc định là đơn vị của người dùng"
    )
    document_id: Id | None = None
    sections: list[Required1000] = Field(default_factory=list, max_length=200)


class PlanPublic(FromRow):
    id: int
    title: str
    issuer_unit_id: int
    document_id: int | None
    version: int
    sections: list[SectionPublic] = Field(default_factory=list)


class ImportResultPublic(BaseModel):
    plan_id: int
    count: int
    task_ids: list[int]


class ImportRowPublic(BaseModel):
    """One task the import would create (a row naming a group gives one per unit)."""

    row: int = Field(description="Dòng trong tệp (bảng phụ lục), kể cả dòng tiêu đề")
    title: str
    section: str | None = Field(description="Mục của kế hoạch (dòng «I. …» phía trên)")
    lead_unit_id: int
    lead_unit_name: str
    coordinating_unit_ids: list[int]
    deadline_kind: DeadlineKind
    due_on: date | None
    deadline_amount: int | None
    note: str


class ImportErrorPublic(BaseModel):
    row: int
    field: str | None
    code: str
    message: str


class ImportPreviewPublic(BaseModel):
    """Everything the import would save, and every bad row; nothing is saved."""

    rows: list[ImportRowPublic]
    errors: list[ImportErrorPublic]


class CalendarOverrideSet(Body):
    is_working_day: bool
    note: Annotated[str, text(500, min_length=1)]
    legal_source: Text500 = ""


class CalendarOverridePublic(FromRow):
    day: date
    is_working_day: bool
    note: str
    legal_source: str


class StatsPublic(BaseModel):
    as_of: date
    unit_id: int
    counts: dict[str, int] = Field(
        description="Số nhiệm vụ theo nhóm: done_on_time, done_late, in_progress, overdue, "
        "no_deadline (năm nhóm chính thức), và paused, cancelled"
    )
    labels: dict[str, str] = Field(description="Tên tiếng Việt của từng nhóm")
    total: int = Field(description="Tổng số nhiệm vụ thuộc năm nhóm chính thức")
    completed: int
    completion_rate: float | None = Field(
        description="Tỷ lệ hoàn thành trên số nhiệm vụ đã đến hạn (0–1); null khi chưa có"
    )
    due_soon: int
    due_soon_until: date
    awaiting_confirmation: int
