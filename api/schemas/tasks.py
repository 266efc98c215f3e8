"""Tasks and what happens to them: progress, completion, extensions, pause, cancel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.deps import Day, Id, Instant, Required4000, Text255, Text4000, Version
from api.schemas.base import Body, FromRow, VersionedBody
from models import AssignmentRole, DeadlineKind, ExtensionStatus, TaskState
from tracking.deadlines import DeadlineRule
from tracking.status import Category
from tracking.validation import MAX_DEADLINE_DAYS

Amount = Annotated[int, Field(ge=1, le=MAX_DEADLINE_DAYS)]


class DeadlineDate(Body):
    kind: Literal["date"] = "date"
    due_on: Day


class DeadlineWorkingDays(Body):
    kind: Literal["working_days"] = "working_days"
    amount: Amount


class DeadlineDays(Body):
    kind: Literal["days"] = "days"
    amount: Amount


class DeadlineNone(Body):
    kind: Literal["none"] = "none"


Deadline = Annotated[
    DeadlineDate | DeadlineWorkingDays | DeadlineDays | DeadlineNone,
    Field(
        discriminator="kind",
        description="Thời hạn: một ngày, n ngày làm việc, n ngày, hoặc không có (thường xuyên)",
    ),
]


def to_rule(
    deadline: DeadlineDate | DeadlineWorkingDays | DeadlineDays | DeadlineNone,
) -> DeadlineRule:
    match deadline:
        case DeadlineDate():
            return DeadlineRule.fixed(deadline.due_on)
        case DeadlineWorkingDays():
            return DeadlineRule.working_days(deadline.amount)
        case DeadlineDays():
            return DeadlineRule.days(deadline.amount)
    return DeadlineRule.none()


class TaskCreate(Body):
    title: Required4000 = Field(description="Nội dung nhiệm vụ")
    lead_unit_id: Id = Field(description="Đơn vị chủ trì")
    coordinating_unit_ids: list[Id] = Field(
        default_factory=list, max_length=100, description="Đơn vị phối hợp"
    )
    deadline: Deadline
    issuer_unit_id: Id | None = Field(
        default=None, description="Đơn vị giao; mặc định là đơn vị của người dùng"
    )
    assigned_on: Day | None = Field(default=None, description="Ngày giao; mặc định hôm nay")
    plan_id: Id | None = None
    section_id: Id | None = None
    source_document_id: Id | None = None
    directing_leader: Text255 = ""
    note: Text4000 = ""


class TaskUpdate(VersionedBody):
    title: Required4000 | None = None
    note: Text4000 | None = None
    directing_leader: Text255 | None = None


class OfficerPublic(BaseModel):
    id: int
    full_name: str


class AssignmentPublic(BaseModel):
    unit_id: int
    role: AssignmentRole = Field(description="lead: chủ trì; coordinate: phối hợp")
    officer: OfficerPublic | None = Field(
        description="Cán bộ theo dõi phần việc của đơn vị; null: các cán bộ của đơn vị cùng "
        "theo dõi"
    )


class OfficerAssign(Body):
    officer_id: Id | None = Field(
        description="Cán bộ (hoặc lãnh đạo) đang làm việc tại đơn vị; null: bỏ phân công"
    )
    version: Version | None = Field(
        default=None,
        description="Phiên bản nhiệm vụ đang xem; nếu gửi mà đã cũ thì bị từ chối (409)",
    )


class TaskAssignmentsUpdate(VersionedBody):
    """The lead and coordinating units a task has from now on (the whole list)."""

    lead_unit_id: Id = Field(description="Đơn vị chủ trì")
    coordinating_unit_ids: list[Id] = Field(
        default_factory=list, max_length=100, description="Các đơn vị phối hợp; rỗng: không có"
    )


class TaskPublic(FromRow):
    id: int
    title: str
    plan_id: int | None
    section_id: int | None
    source_document_id: int | None
    issuer_unit_id: int
    directing_leader: str
    lead_unit_id: int
    coordinating_unit_ids: list[int]
    assignments: list[AssignmentPublic] = Field(
        description="Đơn vị chủ trì (đầu tiên) và các đơn vị phối hợp, kèm cán bộ theo dõi"
    )
    assigned_on: date
    deadline_kind: DeadlineKind
    deadline_amount: int | None
    original_due_on: date | None
    due_on: date | None
    state: TaskState
    completion_reported_on: date | None
    completed_on: date | None
    confirmed_on: date | None
    paused_on: date | None
    cancelled_on: date | None
    result: str
    note: str
    version: int
    created_at: Instant
    updated_at: Instant
    as_of: date = Field(description="Ngày tính nhóm trạng thái")
    category: Category = Field(description="Nhóm trạng thái tại ngày as_of")
    due_on_as_of: date | None = Field(description="Thời hạn có hiệu lực tại ngày as_of")
    due_soon: bool
    awaiting_confirmation: bool


class TaskPage(BaseModel):
    total: int = Field(description="Tổng số nhiệm vụ khớp bộ lọc")
    limit: int
    offset: int
    items: list[TaskPublic]


class ProgressCreate(VersionedBody):
    content: Required4000
    percent: Annotated[int, Field(ge=0, le=100)] | None = None
    reported_on: Day | None = None
    unit_id: Id | None = Field(
        default=None,
        description="Đơn vị báo cáo; mặc định là đơn vị của người dùng (quản trị viên: "
        "đơn vị chủ trì)",
    )


class ProgressPublic(FromRow):
    id: int
    task_id: int
    unit_id: int
    author_id: int | None
    reported_on: date
    percent: int | None
    content: str
    role: AssignmentRole | None = None


class CompletionReport(VersionedBody):
    completed_on: Day
    result: Required4000
    reported_on: Day | None = None


class CompletionConfirm(VersionedBody):
    confirmed_on: Day | None = None


class Reason(VersionedBody):
    """A decision that needs a reason: return a completion, pause, cancel."""

    reason: Required4000
    on: Day | None = Field(default=None, description="Ngày áp dụng; mặc định hôm nay")


class VersionOnly(VersionedBody):
    pass


class ExtensionCreate(VersionedBody):
    proposed_due_on: Day
    reason: Required4000
    requested_on: Day | None = None


class ExtensionApprove(VersionedBody):
    approved_due_on: Day | None = Field(
        default=None, description="Thời hạn được duyệt; mặc định là thời hạn đề xuất"
    )
    decided_on: Day | None = None
    note: Text4000 = ""


class ExtensionReject(VersionedBody):
    note: Required4000
    decided_on: Day | None = None


class ExtensionPublic(FromRow):
    id: int
    task_id: int
    requested_by_id: int | None
    requested_on: date
    old_due_on: date
    proposed_due_on: date
    reason: str
    status: ExtensionStatus
    decided_on: date | None
    decided_by_id: int | None
    approved_due_on: date | None
    decision_note: str


class AuditEventPublic(FromRow):
    id: int
    at: Instant
    actor_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
