"""Reports (báo cáo), report kinds and periods, indicators (chỉ tiêu) and their values."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from api.deps import (
    Day,
    Id,
    Instant,
    IssuerCode,
    Text500,
    Text1000,
    Text4000,
    text,
)
from api.schemas.base import Body, FromRow, VersionedBody
from models.reports import IndicatorAggregation, ReportState

CODE = r"^[A-Za-z0-9_-]+$"

Code20 = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=CODE)]
Text40 = Annotated[str, text(40)]
Text200 = Annotated[str, text(200)]
Text2000 = Annotated[str, text(2000)]
Text5000 = Annotated[str, text(5000)]
Text20000 = Annotated[str, text(20000)]
SectionKey = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}$")]
Amount = Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)]


class Signature(Body):
    authority: Text200 = Field(default="", description="Ví dụ: TM. ỦY BAN NHÂN DÂN")
    deputy: Text200 = Field(default="", description="Ví dụ: KT. CHỦ TỊCH")
    title: Text200 = Field(default="", description="Ví dụ: PHÓ CHỦ TỊCH")
    name: Text200 = Field(default="", description="Họ tên người ký")


class ReportTextsIn(Body):
    """What the office writes; each multi-line text is one paragraph per line. In an edit,
    only the sections sent are replaced."""

    summary: Text1000 = Field(default="", description="Trích yếu; để trống thì tự tạo")
    addressee: Text500 = Field(default="", description="Kính gửi (khi báo cáo lên cấp trên)")
    intro: Text5000 = Field(default="", description="Phần mở đầu")
    results: Text20000 = Field(
        default="",
        description="Kết quả (mục I). Một dòng chỉ có {chi_tieu} là chỗ đặt các câu chỉ tiêu"
        " (mặc định: trước nội dung này). Mọi phần viết chèn được số liệu, ví dụ"
        " {nhiem_vu.tinh_hinh}, {chi_tieu.MA} (docs/domain.md).",
    )
    sections: dict[SectionKey, Text20000] = Field(
        default_factory=dict, max_length=50, description="Số thứ tự mục của kế hoạch → nội dung"
    )
    shortcomings: Text20000 = Field(default="", description="Tồn tại, hạn chế, khó khăn")
    recommendations: Text20000 = Field(default="", description="Kiến nghị, đề xuất")
    orientation_title: Text500 = Field(default="", description="Tiêu đề phần định hướng")
    orientation: Text20000 = Field(default="", description="Định hướng nhiệm vụ, giải pháp")
    closing: Text5000 = Field(default="", description="Đoạn kết")
    recipients: list[Text500] = Field(default_factory=list, max_length=50, description="Nơi nhận")
    signature: Signature = Field(default_factory=Signature)


class ReportCreate(Body):
    kind: Code20 = Field(description="Loại báo cáo, xem GET /report-kinds (ví dụ year)")
    period: Code20 = Field(description="Kỳ báo cáo, ví dụ 2021, 2021-Q1, 2021-M03")
    unit_id: Id = Field(description="Đơn vị báo cáo (số liệu của đơn vị và các đơn vị trực thuộc)")
    plan_id: Id | None = Field(default=None, description="Kế hoạch được báo cáo, nếu có")
    as_of: Day = Field(description="Ngày lấy số liệu")
    issuer_code: IssuerCode | None = Field(
        default=None, description="Chữ viết tắt cơ quan ban hành, «UBND» trong «555/BC-UBND»"
    )
    document_date: Day | None = Field(default=None, description="Ngày tháng của văn bản")
    texts: ReportTextsIn = Field(default_factory=ReportTextsIn)


class ReportTextsEdit(VersionedBody):
    texts: ReportTextsIn


class ReportRegenerate(VersionedBody):
    as_of: Day | None = Field(default=None, description="Ngày lấy số liệu mới, nếu đổi")


class ReportIssue(VersionedBody):
    issued_on: Day | None = Field(default=None, description="Ngày ban hành; mặc định hôm nay")


class ReportPublic(FromRow):
    id: int
    kind: str
    period_code: str
    unit_id: int
    plan_id: int | None
    as_of: date
    document_date: date
    issuer_code: str
    type_code: str
    state: ReportState
    number: int | None
    number_year: int | None
    symbol: str | None = Field(description="Số, ký hiệu sau khi ban hành, ví dụ 555/BC-UBND")
    texts: dict[str, Any]
    snapshot_sha256: str | None
    issued_at: Instant | None
    version: int
    created_at: Instant
    updated_at: Instant


class ReportKindPublic(FromRow):
    code: str
    name: str
    length_months: int
    cutoff_day: int
    send_deadline_working_days: int
    legal_source: str


class PeriodPublic(BaseModel):
    kind: str
    code: str
    year: int
    name: str
    start: date
    end: date = Field(description="Ngày chốt số liệu")
    send_by: date = Field(description="Hạn gửi báo cáo")


class IndicatorCreate(Body):
    code: Annotated[str, text(40, min_length=1)]
    name: Annotated[str, text(1000, min_length=1)]
    unit_of_measure: Text40 = Field(default="", description="Ví dụ: %, hồ sơ, thủ tục")
    target: Amount | None = None
    aggregation: IndicatorAggregation = IndicatorAggregation.SUM
    ordinal: Annotated[int, Field(ge=0, le=10_000)] | None = None
    sentence: Text4000 | None = Field(
        default=None,
        description="Mẫu câu trong báo cáo, dùng {value}, {target}, {note}, {name}, {MÃ}",
    )


class IndicatorPublic(FromRow):
    id: int
    plan_id: int
    code: str
    name: str
    unit_of_measure: str
    target: float | None
    aggregation: IndicatorAggregation
    ordinal: int
    sentence: str | None


class ValueCreate(Body):
    unit_id: Id
    period_kind: Code20 = Field(description="Loại kỳ, ví dụ year")
    period_code: Code20 = Field(description="Kỳ, ví dụ 2021")
    value: Amount
    reported_on: Day
    note: Text2000 = ""


class ValuePublic(FromRow):
    id: int
    indicator_id: int
    unit_id: int
    period_kind: str
    period_code: str
    value: float
    reported_on: date
    note: str
    created_at: Instant


class ImportedPublic(BaseModel):
    plan_id: int
    count: int
    ids: list[int]


class ReportNumberSet(Body):
    next_number: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        description="Số sẽ cấp cho báo cáo ban hành tiếp theo trong năm"
    )


class ReportNumberPublic(BaseModel):
    unit_id: int
    year: int
    last_number: int = Field(description="Số đã cấp gần nhất (0: chưa cấp số nào)")
    next_number: int = Field(description="Số sẽ cấp cho báo cáo ban hành tiếp theo")
