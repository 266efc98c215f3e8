"""The outbox, test messages and reminder policies."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, model_validator

from api.deps import Day, Id, Instant, text
from api.schemas.base import Body, FromRow
from models import NotificationState, PolicyScope

if TYPE_CHECKING:
    from notifications.planner import PlanResult


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


class PlanRequest(Body):
    as_of: Day = Field(description="Ngày lập nhắc việc (YYYY-MM-DD)")
    dry_run: bool = Field(
        default=False, description="Chạy thử: chỉ liệt kê các lượt nhắc, không ghi gì"
    )


class PlannedReminderPublic(FromRow):
    """One reminder of the day: which task, which step, to whom, on which channel, why."""

    key: str
    task_id: int
    task_title: str
    step: str = Field(description="before:3, due, overdue:6 …")
    audience: str = Field(description="lead, lead_leaders, coordinators, issuer_office")
    recipient_user_id: int
    recipient_name: str
    channel_id: int
    channel: str = Field(description="Kênh nhận, đã che các thông tin bí mật")
    due_on: date
    working_days_left: int = Field(description="Số ngày làm việc còn lại; âm khi quá hạn")
    reason: str
    new: bool = Field(description="Chưa được lập trước đó")


class PlanCounts(BaseModel):
    """What a planning run did (notifications.planner.PlanResult without its reminders)."""

    as_of: date
    is_working_day: bool
    dry_run: bool
    tasks_in_window: int = Field(description="Số nhiệm vụ trong khung nhắc của ngày")
    reminders_planned: int = Field(description="Số lượt nhắc của ngày (cả những lượt đã lập)")
    items_added: int = Field(description="Số lượt nhắc mới được ghi (0 khi chạy thử)")
    notifications_added: int = Field(description="Số thông báo mới vào hộp thư đi")

    @classmethod
    def counts_of(cls, result: PlanResult) -> dict[str, Any]:
        return {name: getattr(result, name) for name in PlanCounts.model_fields}


class PlanListing(PlanCounts):
    """`nhiemvu remind --json`: the counts and every reminder of a dry run."""

    reminders: list[PlannedReminderPublic] = Field(description="Rỗng khi chạy thật")

    @classmethod
    def of(cls, result: PlanResult) -> PlanListing:
        shown = result.reminders if result.dry_run else []
        return cls(
            **cls.counts_of(result),
            reminders=[PlannedReminderPublic.model_validate(r) for r in shown],
        )


class PlanPublic(PlanCounts):
    """The answer of `POST /reminders/plan`: the counts and a page of a dry run's reminders."""

    reminders_total: int = Field(
        description="Chạy thử: số lượt nhắc gửi tới người trong phạm vi của bạn; 0 khi chạy thật"
    )
    limit: int
    offset: int
    reminders: list[PlannedReminderPublic] = Field(
        description="Chạy thử: một trang các lượt nhắc trong phạm vi của bạn; rỗng khi chạy thật"
    )
