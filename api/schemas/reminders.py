"""The outbox, test messages and reminder policies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from api.deps import Id, Instant, text
from api.schemas.base import Body, FromRow
from models import NotificationState, PolicyScope


class OutboxEntryPublic(FromRow):
    id: int
    key: str
    kind: str
    recipient_user_id: int | None
    channel: str = Field(description="Kênh nhận, đã che các thông tin bí mật")
    subject: str
    state: NotificationState
    attempts: int
    next_attempt_at: Instant
    last_error: str
    sent_at: Instant | None
    digest_on: date | None


class OutboxPage(BaseModel):
    limit: int
    offset: int
    items: list[OutboxEntryPublic]


class TestMessage(Body):
    """Exactly one of channel_id (a stored channel) and channel_url (any address: admins)."""

    channel_id: Id | None = Field(default=None, description="Một kênh đã lưu của chính mình")
    channel_url: Annotated[str, text(2000, min_length=1)] | None = Field(
        default=None, description="Địa chỉ email hoặc URL Apprise bất kỳ (chỉ quản trị viên)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> TestMessage:
        if (self.channel_id is None) == (self.channel_url is None):
            raise ValueError("Cần đúng một trong hai trường channel_id hoặc channel_url")
        return self


class TestMessageResult(BaseModel):
    ok: bool = Field(description="Máy chủ nhận tin đã chấp nhận tin nhắn")
    channel: str = Field(description="Kênh đã gửi, đã che các thông tin bí mật")
    error: str = Field(
        description="Thông báo chung khi gửi không thành công (lý do cụ thể chỉ ghi trong nhật "
        "ký máy chủ), rỗng khi thành công"
    )
    code: str = Field(
        default="", description="Mã ổn định khi gửi không thành công (reminder.test_failed)"
    )


class PolicySet(Body):
    rules: dict[str, Any] = Field(
        description=(
            "Các khóa muốn ghi đè: before_working_days, on_due_day, overdue_first, "
            "overdue_every, escalation, coordinators_before_deadline, send_window. "
            "Đối tượng rỗng xóa phần ghi đè."
        )
    )


class PolicyPublic(BaseModel):
    scope: PolicyScope
    scope_id: int
    rules: dict[str, Any] = Field(description="Phần ghi đè đã lưu ở phạm vi này")
    effective: dict[str, Any] = Field(description="Chính sách đang có hiệu lực sau khi gộp")
