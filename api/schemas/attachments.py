"""Files attached to progress reports, completion reports and extension requests."""

from __future__ import annotations

from pydantic import Field

from api.deps import Instant
from api.schemas.base import FromRow
from models import AttachmentKind


class AttachmentPublic(FromRow):
    id: int
    task_id: int
    kind: AttachmentKind
    progress_id: int | None
    extension_id: int | None
    name: str = Field(description="Tên tệp đã làm sạch, đuôi theo loại nội dung")
    content_type: str = Field(description="Loại nội dung đã kiểm tra (không theo tên tệp)")
    size: int = Field(description="Số byte")
    sha256: str
    unit_id: int = Field(description="Đơn vị của báo cáo hoặc đề nghị có tệp này")
    uploaded_by_id: int | None
    created_at: Instant
