"""Recurring duties (issue 6): define, list, read, stop and restart a duty; the tasks of its
periods (tracking.obligations). The daily flow creates one task per period; once the period's
cut-off has passed the report is drafted (reports.duty_drafts) and the office told
(notifications.report_ready).

Who may do what (tracking/access.py): a duty is required by its issuing unit, whose leaders
(or an administrator) define, stop and restart it; the issuing unit, the obliged unit and
their ancestors read it and the tasks of its periods; anyone else gets 404. A body naming a
unit, report kind, plan or document that does not exist is bad input: 422 naming that field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import Session

from api.deps import CurrentUser, IdQuery, PathId, SessionDep, issuer_of
from api.errors import COMMON_RESPONSES, body_references
from api.schemas.obligations import (
    ObligationActivate,
    ObligationCreate,
    ObligationPublic,
    ObligationUpdate,
    OccurrenceTaskPublic,
)
from models import Obligation, Task
from tracking import obligations as service
from tracking import units as units_service
from tracking.access import (
    Principal,
    authorize_define_obligation,
    authorize_obligation,
    authorize_unit_data,
)

router = APIRouter(prefix="/obligations", tags=["obligations"], responses=COMMON_RESPONSES)

CREATE_FIELDS = {
    "unit_id": "lead_unit_id",
    "kind": "report_kind",
    "plan_id": "plan_id",
    "document_id": "source_document_id",
}


def _obligation(
    session: Session, principal: Principal, obligation_id: int, *, manage: bool = False
) -> Obligation:
    obligation = service.get(session=session, obligation_id=obligation_id)
    authorize_obligation(
        principal=principal,
        obligation_id=obligation_id,
        issuer=units_service.get(session=session, unit_id=obligation.issuer_unit_id),
        lead=units_service.get(session=session, unit_id=obligation.lead_unit_id),
        manage=manage,
    )
    return obligation


@router.get(
    "",
    response_model=list[ObligationPublic],
    summary="Nghĩa vụ báo cáo định kỳ trong phạm vi đơn vị, cũ nhất trước",
    description=(
        "Với `unit_id`: các nghĩa vụ của đơn vị phải báo cáo đó (trong phạm vi của mình). "
        "Không có `unit_id`: mọi nghĩa vụ mà đơn vị yêu cầu hoặc đơn vị phải báo cáo thuộc "
        "đơn vị của mình hoặc các đơn vị trực thuộc (quản trị viên: tất cả)."
    ),
)
def list_obligations(
    principal: CurrentUser,
    session: SessionDep,
    unit_id: IdQuery = None,
    active: Annotated[bool | None, Query(description="true: đang áp dụng; false: đã dừng")] = None,
) -> list[Obligation]:
    if unit_id is not None:
        unit = units_service.get(session=session, unit_id=unit_id)
        authorize_unit_data(principal=principal, unit=unit)
    return service.list_obligations(
        session=session,
        lead_unit_id=unit_id,
        active=active,
        unit_path=None if principal.is_admin else principal.reach.path,
    )


@router.post(
    "",
    response_model=ObligationPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Đặt nghĩa vụ báo cáo định kỳ cho một đơn vị (lãnh đạo đơn vị yêu cầu báo cáo)",
    description=(
        "Mỗi kỳ của loại báo cáo tạo một nhiệm vụ cho đơn vị phải báo cáo, hạn gửi tính theo "
        "ngày làm việc sau ngày chốt số liệu; hết kỳ thì tự soạn dự thảo báo cáo."
    ),
)
def create_obligation(
    body: ObligationCreate, principal: CurrentUser, session: SessionDep
) -> Obligation:
    with body_references({"unit_id": "issuer_unit_id"}):
        issuer = issuer_of(session=session, principal=principal, unit_id=body.issuer_unit_id)
    authorize_define_obligation(principal=principal, issuer=issuer)
    with body_references(CREATE_FIELDS):
        obligation = service.create(
            session=session,
            actor=principal.actor,
            title=body.title,
            report_kind=body.report_kind,
            issuer_unit_id=issuer.id or 0,
            lead_unit_id=body.lead_unit_id,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            recipient=body.recipient,
            send_deadline_working_days=body.send_deadline_working_days,
            plan_id=body.plan_id,
            source_document_id=body.source_document_id,
            report_issuer_code=body.report_issuer_code,
            draft_report=body.draft_report,
            note=body.note,
            active=body.active,
        )
    session.commit()
    return obligation


@router.get(
    "/{obligation_id}", response_model=ObligationPublic, summary="Một nghĩa vụ báo cáo định kỳ"
)
def get_obligation(
    obligation_id: PathId, principal: CurrentUser, session: SessionDep
) -> Obligation:
    return _obligation(session, principal, obligation_id)


@router.patch(
    "/{obligation_id}",
    response_model=ObligationPublic,
    summary="Sửa nghĩa vụ báo cáo (lãnh đạo đơn vị yêu cầu báo cáo)",
    description=(
        "Sửa tên, nơi nhận, chữ viết tắt cơ quan, hạn gửi, ngày kết thúc, tự soạn dự thảo, ghi "
        "chú; gửi `version` đang xem (409 khi đã có người sửa trước). Nhiệm vụ các kỳ đã tạo "
        "giữ nguyên; các kỳ sau theo giá trị mới."
    ),
)
def update_obligation(
    obligation_id: PathId, body: ObligationUpdate, principal: CurrentUser, session: SessionDep
) -> Obligation:
    _obligation(session, principal, obligation_id, manage=True)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    obligation = service.update(
        session=session,
        actor=principal.actor,
        obligation_id=obligation_id,
        expected_version=body.version,
        **changes,
    )
    session.commit()
    return obligation


def _set_active(
    session: Session,
    principal: Principal,
    obligation_id: int,
    body: ObligationActivate,
    *,
    active: bool,
) -> Obligation:
    _obligation(session, principal, obligation_id, manage=True)
    obligation = service.set_active(
        session=session,
        actor=principal.actor,
        obligation_id=obligation_id,
        expected_version=body.version,
        active=active,
        ends_on=body.ends_on,
    )
    session.commit()
    return obligation


@router.post(
    "/{obligation_id}/stop",
    response_model=ObligationPublic,
    summary="Dừng nghĩa vụ báo cáo (lãnh đạo đơn vị yêu cầu báo cáo)",
    description="Không tạo thêm nhiệm vụ, dự thảo; các nhiệm vụ đã tạo giữ nguyên.",
)
def stop_obligation(
    obligation_id: PathId, body: ObligationActivate, principal: CurrentUser, session: SessionDep
) -> Obligation:
    return _set_active(session, principal, obligation_id, body, active=False)


@router.post(
    "/{obligation_id}/restart",
    response_model=ObligationPublic,
    summary="Áp dụng lại nghĩa vụ báo cáo đã dừng (lãnh đạo đơn vị yêu cầu báo cáo)",
    description=(
        "Lần quét tiếp theo tạo nhiệm vụ cho các kỳ chưa có (nhìn lại đến đầu năm trước), "
        "trừ khi đã đặt ngày kết thúc."
    ),
)
def restart_obligation(
    obligation_id: PathId, body: ObligationActivate, principal: CurrentUser, session: SessionDep
) -> Obligation:
    return _set_active(session, principal, obligation_id, body, active=True)


@router.get(
    "/{obligation_id}/tasks",
    response_model=list[OccurrenceTaskPublic],
    summary="Các nhiệm vụ đã tạo theo từng kỳ của nghĩa vụ, cũ nhất trước",
)
def list_occurrence_tasks(
    obligation_id: PathId, principal: CurrentUser, session: SessionDep
) -> list[Task]:
    _obligation(session, principal, obligation_id)
    return service.occurrence_tasks(session=session, obligation_id=obligation_id)
