"""Tasks: assign, read, list, edit; progress, completion, extensions, pause, cancel, history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import Session

from api.deps import (
    CurrentUser,
    DayQuery,
    IdQuery,
    Limit,
    Offset,
    PathId,
    SessionDep,
    issuer_of,
    text,
)
from api.errors import COMMON_RESPONSES, ErrorResponse
from api.schemas.tasks import (
    AssignmentPublic,
    AuditEventPublic,
    CompletionConfirm,
    CompletionReport,
    ExtensionApprove,
    ExtensionCreate,
    ExtensionPublic,
    ExtensionReject,
    OfficerAssign,
    OfficerPublic,
    ProgressCreate,
    ProgressPublic,
    Reason,
    TaskAssignmentsUpdate,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskUpdate,
    VersionOnly,
    to_rule,
)
from models import AssignmentRole, AuditEvent, ExtensionRequest, ProgressUpdate, Task
from models import TaskAssignment as Assignment
from tracking import clock, task_queries
from tracking import tasks as tasks_service
from tracking import units as units_service
from tracking.access import Principal, TaskAction, authorize_assign_as, task_for
from tracking.actions import Change, change_by
from tracking.audit import history
from tracking.errors import NotFound
from tracking.status import Category

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=COMMON_RESPONSES)


def _assignments(views: Sequence[tasks_service.AssignmentView]) -> list[AssignmentPublic]:
    return [
        AssignmentPublic(
            unit_id=view.unit_id,
            role=view.role,
            officer=OfficerPublic(id=view.officer_id, full_name=view.officer_name or "")
            if view.officer_id is not None
            else None,
        )
        for view in views
    ]


def _shown(
    item: task_queries.ListedTask,
    as_of: date,
    assignments: Sequence[tasks_service.AssignmentView],
) -> TaskPublic:
    return TaskPublic.model_validate(
        {
            **item.task.model_dump(),
            "coordinating_unit_ids": item.coordinating_unit_ids,
            "assignments": _assignments(assignments),
            "as_of": as_of,
            "category": item.category,
            "due_on_as_of": item.due_on_as_of,
            "due_soon": item.due_soon,
            "awaiting_confirmation": item.awaiting_confirmation,
        }
    )


def _public(
    session: Session,
    task: Task,
    assignments: Sequence[Assignment] | None = None,
    *,
    as_of: date | None = None,
) -> TaskPublic:
    """The task with its status as of a date (the Python form of the rule; the list's SQL
    form gives the same)."""
    day = as_of or clock.today()
    task_id = task.id or 0
    views = tasks_service.assignment_views(session=session, task_ids=[task_id])
    return _shown(
        task_queries.task_status(session=session, task=task, as_of=day, assignments=assignments),
        day,
        views[task_id],
    )


@router.get("", response_model=TaskPage, summary="Danh sách nhiệm vụ, có lọc, sắp xếp, phân trang")
def list_tasks(
    principal: CurrentUser,
    session: SessionDep,
    as_of: Annotated[
        DayQuery, Query(description="Tính trạng thái tại ngày; mặc định hôm nay")
    ] = None,
    category: Annotated[list[Category] | None, Query(description="Nhóm trạng thái")] = None,
    due_soon: bool | None = None,
    awaiting_confirmation: bool | None = None,
    unit: Annotated[IdQuery, Query(description="Đơn vị chủ trì hoặc phối hợp")] = None,
    include_subtree: Annotated[bool, Query(description="Tính cả đơn vị trực thuộc")] = False,
    unit_role: Annotated[AssignmentRole | None, Query(description="Vai trò của đơn vị")] = None,
    issuer: IdQuery = None,
    plan: IdQuery = None,
    section: IdQuery = None,
    due_from: DayQuery = None,
    due_to: DayQuery = None,
    q: Annotated[
        str | None,
        text(200),
        Query(
            description="Tìm trong nội dung, ghi chú, số ký hiệu văn bản và tên đơn vị chủ trì, "
            "phối hợp; không phân biệt dấu và hoa thường; ít nhất 3 ký tự"
        ),
    ] = None,
    sort: task_queries.TaskSort = task_queries.TaskSort.DUE_ON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TaskPage:
    unit_row = units_service.get(session=session, unit_id=unit) if unit is not None else None
    day = as_of or clock.today()
    page = task_queries.list_tasks(
        session=session,
        principal=principal,
        flt=task_queries.TaskFilter(
            as_of=day,
            categories=category or (),
            due_soon=due_soon,
            awaiting_confirmation=awaiting_confirmation,
            unit=unit_row,
            include_subtree=include_subtree,
            unit_role=unit_role,
            issuer_unit_id=issuer,
            plan_id=plan,
            section_id=section,
            due_from=due_from,
            due_to=due_to,
            text=q,
            sort=sort,
            limit=limit,
            offset=offset,
        ),
    )
    views = tasks_service.assignment_views(
        session=session, task_ids=[item.task.id or 0 for item in page.items]
    )
    items = [_shown(item, day, views[item.task.id or 0]) for item in page.items]
    return TaskPage(total=page.total, limit=limit, offset=offset, items=items)


@router.post(
    "",
    response_model=TaskPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Giao nhiệm vụ cho đơn vị chủ trì và các đơn vị phối hợp",
)
def create_task(body: TaskCreate, principal: CurrentUser, session: SessionDep) -> TaskPublic:
    issuer = issuer_of(session=session, principal=principal, unit_id=body.issuer_unit_id)
    authorize_assign_as(principal=principal, issuer=issuer)
    task = tasks_service.assign(
        session=session,
        actor=principal.actor,
        title=body.title,
        issuer_unit_id=issuer.id or 0,
        lead_unit_id=body.lead_unit_id,
        coordinating_unit_ids=body.coordinating_unit_ids,
        deadline=to_rule(body.deadline),
        assigned_on=body.assigned_on,
        plan_id=body.plan_id,
        section_id=body.section_id,
        source_document_id=body.source_document_id,
        directing_leader=body.directing_leader,
        note=body.note,
    )
    session.commit()
    return _public(session, task)


@router.get(
    "/{task_id}",
    response_model=TaskPublic,
    summary="Một nhiệm vụ",
    description=(
        "Tình trạng tính đến ngày `as_of` (mặc định hôm nay). Ngày trước ngày giao nhiệm vụ "
        "trả lời 404 với mã `task.not_yet_assigned`: khi đó nhiệm vụ chưa có, như danh sách "
        "và thống kê."
    ),
    responses={
        404: {
            "model": ErrorResponse,
            "description": "Không tìm thấy nhiệm vụ, nằm ngoài phạm vi đơn vị của người dùng "
            "(`task.not_found`), hoặc chưa được giao vào ngày `as_of` (`task.not_yet_assigned`)",
        }
    },
)
def get_task(
    task_id: PathId,
    principal: CurrentUser,
    session: SessionDep,
    as_of: DayQuery = None,
) -> TaskPublic:
    task, assignments, _ = task_for(
        session=session, principal=principal, task_id=task_id, action=TaskAction.READ
    )
    return _public(session, task, assignments, as_of=as_of)


@router.patch("/{task_id}", response_model=TaskPublic, summary="Sửa nội dung (đơn vị giao)")
def update_task(
    task_id: PathId, body: TaskUpdate, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.EDIT, body.version)
    task = tasks_service.update(
        **change,
        task_id=task_id,
        title=body.title,
        note=body.note,
        directing_leader=body.directing_leader,
    )
    session.commit()
    return _public(session, task)


@router.put(
    "/{task_id}/assignments",
    response_model=TaskPublic,
    summary="Đổi đơn vị chủ trì và các đơn vị phối hợp (đơn vị giao)",
    description=(
        "Gửi cả danh sách: đơn vị chủ trì và mọi đơn vị phối hợp từ nay, với `version` đang "
        "xem. Cùng quy tắc như khi giao (trong phạm vi của đơn vị giao, không giao cho chính "
        "mình, chủ trì không đồng thời phối hợp). Ghi nhật ký (cũ → mới). Nhắc việc từ lần "
        "lập sau gửi tới đơn vị mới; tin đã gửi giữ nguyên trong nhật ký, bản tin chưa gửi "
        "bỏ các nhiệm vụ mà đơn vị người nhận không còn chủ trì hoặc phối hợp."
    ),
)
def reassign_task(
    task_id: PathId, body: TaskAssignmentsUpdate, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.EDIT, body.version)
    task = tasks_service.reassign(
        **change,
        task_id=task_id,
        lead_unit_id=body.lead_unit_id,
        coordinating_unit_ids=body.coordinating_unit_ids,
    )
    session.commit()
    return _public(session, task)


@router.get(
    "/{task_id}/progress", response_model=list[ProgressPublic], summary="Các lần báo cáo tiến độ"
)
def list_progress(
    task_id: PathId, principal: CurrentUser, session: SessionDep
) -> list[ProgressPublic]:
    _, assignments, _ = task_for(
        session=session, principal=principal, task_id=task_id, action=TaskAction.READ
    )
    roles = {a.unit_id: a.role for a in assignments}
    return [
        ProgressPublic.model_validate({**update.model_dump(), "role": roles.get(update.unit_id)})
        for update in tasks_service.progress_updates(session=session, task_id=task_id)
    ]


def _change_of(
    session: Session, principal: Principal, task_id: int, action: TaskAction, version: int
) -> Change:
    """A change of the task, once the principal may take the action on it."""
    task_for(session=session, principal=principal, task_id=task_id, action=action)
    return change_by(session=session, principal=principal, version=version)


def _progress_unit(principal: Principal, task: Task, requested: int | None) -> int:
    if requested is not None and (principal.is_admin or requested == principal.unit.id):
        return requested
    if principal.is_admin:
        return task.lead_unit_id
    return principal.unit.id or 0


@router.post(
    "/{task_id}/progress",
    response_model=ProgressPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Báo cáo tiến độ (đơn vị chủ trì) hoặc đóng góp (đơn vị phối hợp)",
)
def add_progress(
    task_id: PathId, body: ProgressCreate, principal: CurrentUser, session: SessionDep
) -> ProgressUpdate:
    task, _, _ = task_for(
        session=session, principal=principal, task_id=task_id, action=TaskAction.CONTRIBUTE
    )
    update = tasks_service.add_progress(
        **change_by(session=session, principal=principal, version=body.version),
        task_id=task_id,
        unit_id=_progress_unit(principal, task, body.unit_id),
        content=body.content,
        percent=body.percent,
        reported_on=body.reported_on,
    )
    session.commit()
    return update


@router.post(
    "/{task_id}/completion",
    response_model=TaskPublic,
    summary="Báo cáo hoàn thành (đơn vị chủ trì)",
)
def report_completion(
    task_id: PathId, body: CompletionReport, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.REPORT, body.version)
    task = tasks_service.report_completion(
        **change,
        task_id=task_id,
        completed_on=body.completed_on,
        result=body.result,
        reported_on=body.reported_on,
    )
    session.commit()
    return _public(session, task)


@router.post(
    "/{task_id}/completion/confirm",
    response_model=TaskPublic,
    summary="Xác nhận hoàn thành (lãnh đạo đơn vị giao)",
)
def confirm_completion(
    task_id: PathId, body: CompletionConfirm, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.DECIDE, body.version)
    task = tasks_service.confirm_completion(
        **change, task_id=task_id, confirmed_on=body.confirmed_on
    )
    session.commit()
    return _public(session, task)


@router.post(
    "/{task_id}/completion/return",
    response_model=TaskPublic,
    summary="Trả lại báo cáo hoàn thành (lãnh đạo đơn vị giao)",
)
def return_completion(
    task_id: PathId, body: Reason, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.DECIDE, body.version)
    task = tasks_service.return_completion(**change, task_id=task_id, reason=body.reason)
    session.commit()
    return _public(session, task)


@router.get(
    "/{task_id}/extensions", response_model=list[ExtensionPublic], summary="Các đề nghị gia hạn"
)
def list_extensions(
    task_id: PathId, principal: CurrentUser, session: SessionDep
) -> list[ExtensionRequest]:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    return tasks_service.extensions(session=session, task_id=task_id)


@router.post(
    "/{task_id}/extensions",
    response_model=ExtensionPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Xin gia hạn (đơn vị chủ trì)",
)
def request_extension(
    task_id: PathId, body: ExtensionCreate, principal: CurrentUser, session: SessionDep
) -> ExtensionRequest:
    change = _change_of(session, principal, task_id, TaskAction.REPORT, body.version)
    request = tasks_service.request_extension(
        **change,
        task_id=task_id,
        proposed_due_on=body.proposed_due_on,
        reason=body.reason,
        requested_on=body.requested_on,
    )
    session.commit()
    return request


def _extension_of(session: Session, task_id: int, extension_id: int) -> None:
    request = session.get(ExtensionRequest, extension_id)
    if request is None or request.task_id != task_id:
        raise NotFound(
            "extension.not_found",
            f"Không tìm thấy đề nghị gia hạn #{extension_id}",
            field="extension_id",
        )


@router.post(
    "/{task_id}/extensions/{extension_id}/approve",
    response_model=ExtensionPublic,
    summary="Đồng ý gia hạn (lãnh đạo đơn vị giao)",
)
def approve_extension(
    task_id: PathId,
    extension_id: PathId,
    body: ExtensionApprove,
    principal: CurrentUser,
    session: SessionDep,
) -> ExtensionRequest:
    change = _change_of(session, principal, task_id, TaskAction.DECIDE, body.version)
    _extension_of(session, task_id, extension_id)
    request = tasks_service.approve_extension(
        **change,
        extension_id=extension_id,
        approved_due_on=body.approved_due_on,
        decided_on=body.decided_on,
        note=body.note,
    )
    session.commit()
    return request


@router.post(
    "/{task_id}/extensions/{extension_id}/reject",
    response_model=ExtensionPublic,
    summary="Không đồng ý gia hạn (lãnh đạo đơn vị giao)",
)
def reject_extension(
    task_id: PathId,
    extension_id: PathId,
    body: ExtensionReject,
    principal: CurrentUser,
    session: SessionDep,
) -> ExtensionRequest:
    change = _change_of(session, principal, task_id, TaskAction.DECIDE, body.version)
    _extension_of(session, task_id, extension_id)
    request = tasks_service.reject_extension(
        **change, extension_id=extension_id, note=body.note, decided_on=body.decided_on
    )
    session.commit()
    return request


@router.post("/{task_id}/pause", response_model=TaskPublic, summary="Tạm dừng (đơn vị giao)")
def pause_task(
    task_id: PathId, body: Reason, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.DECIDE, body.version)
    task = tasks_service.pause(**change, task_id=task_id, reason=body.reason, paused_on=body.on)
    session.commit()
    return _public(session, task)


@router.post("/{task_id}/resume", response_model=TaskPublic, summary="Tiếp tục (đơn vị giao)")
def resume_task(
    task_id: PathId, body: VersionOnly, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.DECIDE)
    task = tasks_service.resume(
        **change_by(session=session, principal=principal, version=body.version), task_id=task_id
    )
    session.commit()
    return _public(session, task)


@router.post("/{task_id}/cancel", response_model=TaskPublic, summary="Hủy (đơn vị giao)")
def cancel_task(
    task_id: PathId, body: Reason, principal: CurrentUser, session: SessionDep
) -> TaskPublic:
    change = _change_of(session, principal, task_id, TaskAction.DECIDE, body.version)
    task = tasks_service.cancel(**change, task_id=task_id, reason=body.reason, cancelled_on=body.on)
    session.commit()
    return _public(session, task)


@router.put(
    "/{task_id}/assignments/{unit_id}/officer",
    response_model=TaskPublic,
    summary="Phân công cán bộ theo dõi phần việc của một đơn vị (lãnh đạo đơn vị đó)",
    description=(
        "Lãnh đạo của đơn vị chủ trì hoặc phối hợp chọn một cán bộ (hoặc lãnh đạo) đang làm "
        "việc tại đơn vị theo dõi phần việc của đơn vị; `officer_id: null` bỏ phân công (các "
        "cán bộ của đơn vị cùng theo dõi). Nhắc việc của phần việc đó chỉ gửi cho người được "
        "phân công. Phiên bản nhiệm vụ tăng lên."
    ),
    responses={
        403: {
            "model": ErrorResponse,
            "description": "Không phải lãnh đạo của đơn vị (`assignment.not_unit_leader`)",
        },
        404: {
            "model": ErrorResponse,
            "description": "Không tìm thấy nhiệm vụ (`task.not_found`) hoặc đơn vị không chủ "
            "trì, phối hợp nhiệm vụ (`assignment.not_found`)",
        },
        409: {
            "model": ErrorResponse,
            "description": "Nhiệm vụ đã hoàn thành hoặc đã hủy (`task.invalid_state`), hoặc "
            "phiên bản đã cũ (`task.stale_version`)",
        },
        422: {
            "model": ErrorResponse,
            "description": "Người được chọn không phải cán bộ, lãnh đạo đang làm việc tại đơn "
            "vị (`assignment.officer_not_in_unit`, trường `officer_id`)",
        },
    },
)
def assign_officer(
    task_id: PathId,
    unit_id: PathId,
    body: OfficerAssign,
    principal: CurrentUser,
    session: SessionDep,
) -> TaskPublic:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    tasks_service.assign_officer(
        session=session,
        actor=principal.actor,
        task_id=task_id,
        unit_id=unit_id,
        officer_id=body.officer_id,
        expected_version=body.version,
    )
    session.commit()
    return _public(session, tasks_service.get(session=session, task_id=task_id))


@router.get(
    "/{task_id}/history",
    response_model=list[AuditEventPublic],
    summary="Nhật ký thay đổi của nhiệm vụ",
)
def task_history(task_id: PathId, principal: CurrentUser, session: SessionDep) -> list[AuditEvent]:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    return history(session=session, entity="task", entity_id=task_id)
