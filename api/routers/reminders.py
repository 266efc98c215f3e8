"""Reminders (issue 4 §6, issue 13): the outbox and its filters, retrying a dead message, test
messages, planning a day on request, and the reminder policy of the whole system, of a plan
and of a task.

Who sees the outbox: administrators see every message; anybody else sees the messages to
users of their unit and the units below it (the same reach as user lists), so a leader can
check that their officers are being reminded. Alerts to the administrators' addresses belong
to no user and are shown to administrators only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import Session

from api.deps import CurrentUser, DayQuery, IdQuery, Limit, Offset, PathId, SessionDep
from api.errors import COMMON_RESPONSES
from api.schemas.reminders import (
    OutboxEntryPublic,
    OutboxPage,
    PlannedReminderPublic,
    PlanPublic,
    PlanRequest,
    PolicyPublic,
    PolicySet,
    TestMessage,
    TestMessageResult,
)
from models import NotificationState, PolicyScope
from notifications import contacts, delivery, planning, policy
from tracking import directory
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.access import (
    Principal,
    TaskAction,
    authorize_admin,
    authorize_plan_policy,
    authorize_plan_reminders,
    task_for,
)
from tracking.errors import Forbidden

router = APIRouter(tags=["reminders"], responses=COMMON_RESPONSES)


@router.get(
    "/outbox",
    response_model=OutboxPage,
    summary="Hộp thư đi: các tin nhắc việc theo trạng thái, mới nhất trước",
    description=(
        "Quản trị viên thấy mọi tin; người dùng khác thấy các tin gửi tới người dùng của đơn "
        "vị mình và các đơn vị trực thuộc. Kênh nhận được che các thông tin bí mật. Lọc theo "
        "trạng thái, người nhận, nhiệm vụ, ngày của bản tin, ngày gửi; các bộ lọc cộng dồn."
    ),
)
def list_outbox(
    principal: CurrentUser,
    session: SessionDep,
    state: NotificationState | None = None,
    recipient: Annotated[IdQuery, Query(description="Người nhận (mã người dùng)")] = None,
    task: Annotated[
        IdQuery, Query(description="Nhiệm vụ: các bản tin nhắc việc có nhắc nhiệm vụ này")
    ] = None,
    digest_on: Annotated[DayQuery, Query(description="Ngày của bản tin nhắc việc")] = None,
    sent_on: Annotated[
        DayQuery, Query(description="Ngày đã gửi, theo giờ địa phương (NHIEMVU_TIMEZONE)")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> OutboxPage:
    # A recipient or a task out of reach is not found, as everywhere else.
    if recipient is not None:
        directory.user_for(session=session, principal=principal, user_id=recipient, manage=False)
    if task is not None:
        task_for(session=session, principal=principal, task_id=task, action=TaskAction.READ)
    entries = delivery.list_outbox(
        session=session,
        state=state,
        recipient_user_id=recipient,
        task_id=task,
        digest_on=digest_on,
        sent_on=sent_on,
        limit=limit,
        offset=offset,
        recipient_unit_path=None if principal.is_admin else principal.reach.path,
    )
    return OutboxPage(
        limit=limit,
        offset=offset,
        items=[OutboxEntryPublic.model_validate(entry) for entry in entries],
    )


@router.post(
    "/outbox/{notification_id}/retry",
    response_model=OutboxEntryPublic,
    summary="Gửi lại một tin đã dừng (dead) (quản trị viên)",
)
def retry_dead(
    notification_id: PathId, principal: CurrentUser, session: SessionDep
) -> OutboxEntryPublic:
    authorize_admin(principal=principal)
    row = delivery.retry_dead(
        session=session, notification_id=notification_id, actor=principal.actor
    )
    session.commit()
    return OutboxEntryPublic.model_validate(delivery.OutboxEntry.of(row))


@router.post(
    "/reminders/test",
    response_model=TestMessageResult,
    summary="Gửi ngay một tin thử tới một kênh của mình (quản trị viên: kênh bất kỳ)",
    description=(
        "Gửi trực tiếp, không qua hộp thư đi. `ok` cho biết máy chủ nhận tin đã chấp nhận; "
        "khi không thành công, `error` là một thông báo chung (lý do cụ thể chỉ ghi trong "
        "nhật ký máy chủ). Kênh không tồn tại và kênh của người khác đều trả lời 404."
    ),
)
def send_test(
    body: TestMessage, principal: CurrentUser, session: SessionDep, request: Request
) -> TestMessageResult:
    if body.channel_id is not None:
        url = contacts.managed_channel_url(
            session=session, principal=principal, channel_id=body.channel_id
        )
    else:
        if not principal.is_admin:
            raise Forbidden(
                "reminder.test_any_channel",
                "Chỉ quản trị viên mới được gửi thử tới một địa chỉ bất kỳ; hãy chọn một kênh "
                "của mình (channel_id)",
                field="channel_url",
            )
        url = body.channel_url or ""
    session.rollback()  # nothing to keep; the send may take a while
    result = delivery.send_test(
        channel_url=url, actor=principal.actor, engine=request.app.state.engine
    )
    return TestMessageResult(
        ok=result.ok, channel=result.channel, error=result.error, code=result.code
    )


@router.post(
    "/reminders/plan",
    response_model=PlanPublic,
    summary="Lập hoặc xem trước nhắc việc của một ngày (quản trị viên, văn phòng UBND)",
    description=(
        "Chạy như việc lập nhắc việc hằng ngày: lập lại một ngày không thêm gì. Chạy thật: "
        "hôm nay hoặc một ngày đã qua trong giới hạn lùi ngày (`backdate_max_days`), được ghi "
        "nhật ký. Chạy thử (`dry_run`): thêm tới "
        f"{planning.PREVIEW_DAYS_AHEAD} ngày tới, trả về các lượt nhắc (nhiệm "
        "vụ, bước, đối tượng, người nhận, kênh đã che, lý do) gửi tới người trong phạm vi "
        "của bạn, theo trang `limit`/`offset`."
    ),
)
def plan_reminders(
    body: PlanRequest,
    principal: CurrentUser,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PlanPublic:
    authorize_plan_reminders(principal=principal)
    result = planning.plan_day(
        session=session, actor=principal.actor, as_of=body.as_of, dry_run=body.dry_run
    )
    if body.dry_run:
        session.rollback()  # nothing was written: let go of the transaction, then filter
        shown = planning.reminders_in_reach(
            session=session, principal=principal, reminders=result.reminders
        )
    else:
        session.commit()
        shown = []
    return PlanPublic(
        **PlanPublic.counts_of(result),
        reminders_total=len(shown),
        limit=limit,
        offset=offset,
        reminders=[
            PlannedReminderPublic.model_validate(reminder)
            for reminder in shown[offset : offset + limit]
        ],
    )


def _policy(session: Session, scope: PolicyScope, scope_id: int = 0) -> PolicyPublic:
    """A scope's own overrides and the rules in force there."""
    stored = policy.get_policy(session=session, scope=scope, scope_id=scope_id)
    if scope == PolicyScope.TASK:
        effective = policy.effective_policy(session=session, task_id=scope_id)
    elif scope == PolicyScope.PLAN:
        effective = policy.plan_effective_policy(session=session, plan_id=scope_id)
    else:
        effective = policy.merge(policy.default_rules(), stored)
    return PolicyPublic(scope=scope, scope_id=scope_id, rules=stored, effective=effective)


def _set_policy(
    session: Session, principal: Principal, scope: PolicyScope, scope_id: int, body: PolicySet
) -> PolicyPublic:
    """Store a scope's overrides (the caller has authorised the principal) and answer them."""
    policy.set_policy(
        session=session, scope=scope, scope_id=scope_id, rules=body.rules, actor=principal.actor
    )
    session.commit()
    return _policy(session, scope, scope_id)


@router.get(
    "/reminder-policy",
    response_model=PolicyPublic,
    summary="Chính sách nhắc việc chung",
)
def get_global_policy(_principal: CurrentUser, session: SessionDep) -> PolicyPublic:
    return _policy(session, PolicyScope.GLOBAL)


@router.put(
    "/reminder-policy",
    response_model=PolicyPublic,
    summary="Đặt chính sách nhắc việc chung (quản trị viên)",
)
def set_global_policy(body: PolicySet, principal: CurrentUser, session: SessionDep) -> PolicyPublic:
    authorize_admin(principal=principal)
    return _set_policy(session, principal, PolicyScope.GLOBAL, 0, body)


@router.get(
    "/plans/{plan_id}/reminder-policy",
    response_model=PolicyPublic,
    summary="Chính sách nhắc việc của một kế hoạch",
)
def get_plan_policy(plan_id: PathId, _principal: CurrentUser, session: SessionDep) -> PolicyPublic:
    plans_service.get(session=session, plan_id=plan_id)
    return _policy(session, PolicyScope.PLAN, plan_id)


@router.put(
    "/plans/{plan_id}/reminder-policy",
    response_model=PolicyPublic,
    summary="Đặt chính sách nhắc việc của một kế hoạch (lãnh đạo đơn vị ban hành)",
)
def set_plan_policy(
    plan_id: PathId, body: PolicySet, principal: CurrentUser, session: SessionDep
) -> PolicyPublic:
    plan = plans_service.get(session=session, plan_id=plan_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    authorize_plan_policy(principal=principal, issuer=issuer)
    return _set_policy(session, principal, PolicyScope.PLAN, plan_id, body)


@router.get(
    "/tasks/{task_id}/reminder-policy",
    response_model=PolicyPublic,
    summary="Chính sách nhắc việc đang áp dụng cho một nhiệm vụ",
)
def get_task_policy(task_id: PathId, principal: CurrentUser, session: SessionDep) -> PolicyPublic:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    return _policy(session, PolicyScope.TASK, task_id)


@router.put(
    "/tasks/{task_id}/reminder-policy",
    response_model=PolicyPublic,
    summary="Đặt chính sách nhắc việc của một nhiệm vụ (lãnh đạo đơn vị giao)",
)
def set_task_policy(
    task_id: PathId, body: PolicySet, principal: CurrentUser, session: SessionDep
) -> PolicyPublic:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.DECIDE)
    return _set_policy(session, principal, PolicyScope.TASK, task_id, body)
