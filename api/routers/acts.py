"""Documents (văn bản), plans and their sections, importing a plan's tasks from a file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from sqlmodel import Session

from api.deps import (
    CurrentUser,
    IdQuery,
    Limit,
    Offset,
    PathId,
    SessionDep,
    issuer_of,
    text,
)
from api.errors import COMMON_RESPONSES
from api.schemas.acts import (
    DocumentCreate,
    DocumentPublic,
    DocumentUpdate,
    ImportErrorPublic,
    ImportPreviewPublic,
    ImportResultPublic,
    ImportRowPublic,
    PlanCreate,
    PlanPublic,
    PlanUpdate,
    SectionCreate,
    SectionPublic,
    SectionUpdate,
)
from models import Document, Plan, PlanSection
from tracking import documents as documents_service
from tracking import importing
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.access import Principal, authorize_admin, authorize_issue

documents = APIRouter(prefix="/documents", tags=["documents"], responses=COMMON_RESPONSES)
plans = APIRouter(prefix="/plans", tags=["plans"], responses=COMMON_RESPONSES)


@documents.get("", response_model=list[DocumentPublic], summary="Danh sách văn bản")
def list_documents(
    _principal: CurrentUser,
    session: SessionDep,
    issuer_unit_id: IdQuery = None,
    q: Annotated[
        str | None,
        text(200),
        Query(
            description="Tìm theo số, ký hiệu văn bản (61/kh tìm thấy 61/KH-UBND); ít nhất 3 ký tự"
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Document]:
    return documents_service.list_documents(
        session=session, issuer_unit_id=issuer_unit_id, text=q, limit=limit, offset=offset
    )


@documents.get("/{document_id}", response_model=DocumentPublic, summary="Một văn bản")
def get_document(document_id: PathId, _principal: CurrentUser, session: SessionDep) -> Document:
    return documents_service.get(session=session, document_id=document_id)


@documents.post(
    "",
    response_model=DocumentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Thêm văn bản nhân danh đơn vị của mình",
)
def create_document(body: DocumentCreate, principal: CurrentUser, session: SessionDep) -> Document:
    issuer = issuer_of(session=session, principal=principal, unit_id=body.issuer_unit_id)
    authorize_issue(principal=principal, issuer=issuer)
    document = documents_service.create(
        session=session,
        actor=principal.actor,
        symbol=body.symbol,
        issued_on=body.issued_on,
        summary=body.summary,
        issuer=issuer,
        issuer_name=body.issuer_name,
        signer=body.signer,
    )
    session.commit()
    return document


@documents.patch(
    "/{document_id}",
    response_model=DocumentPublic,
    summary="Sửa trích yếu, người ký, tên cơ quan ban hành của văn bản",
    description=(
        "Đơn vị ban hành (văn bản của cơ quan ngoài hệ thống: quản trị viên); gửi `version` "
        "đang xem. Số, ký hiệu và ngày ban hành không sửa được: sai là một văn bản khác."
    ),
)
def update_document(
    document_id: PathId, body: DocumentUpdate, principal: CurrentUser, session: SessionDep
) -> Document:
    document = documents_service.get(session=session, document_id=document_id)
    if document.issuer_unit_id is None:
        authorize_admin(principal=principal)
    else:
        issuer = units_service.get(session=session, unit_id=document.issuer_unit_id)
        authorize_issue(principal=principal, issuer=issuer)
    updated = documents_service.update(
        session=session,
        actor=principal.actor,
        document_id=document_id,
        expected_version=body.version,
        **body.model_dump(exclude_unset=True, exclude_none=True, exclude={"version"}),
    )
    session.commit()
    return updated


def _plan_public(plan: Plan, sections: list[PlanSection]) -> PlanPublic:
    return PlanPublic(
        id=plan.id or 0,
        title=plan.title,
        issuer_unit_id=plan.issuer_unit_id,
        document_id=plan.document_id,
        version=plan.version,
        sections=[SectionPublic.model_validate(s) for s in sections],
    )


def _plan_with_sections(session: Session, plan: Plan) -> PlanPublic:
    return _plan_public(plan, plans_service.sections(session=session, plan_id=plan.id or 0))


def _own_plan(session: Session, principal: Principal, plan_id: int) -> Plan:
    plan = plans_service.get(session=session, plan_id=plan_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    authorize_issue(principal=principal, issuer=issuer)
    return plan


@plans.get("", response_model=list[PlanPublic], summary="Danh sách kế hoạch")
def list_plans(
    _principal: CurrentUser,
    session: SessionDep,
    issuer_unit_id: IdQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[PlanPublic]:
    rows = plans_service.list_plans(
        session=session, issuer_unit_id=issuer_unit_id, limit=limit, offset=offset
    )
    return [
        _plan_public(plan, sections)
        for plan, sections in plans_service.with_sections(session=session, plans=rows)
    ]


@plans.get("/{plan_id}", response_model=PlanPublic, summary="Một kế hoạch và các mục")
def get_plan(plan_id: PathId, _principal: CurrentUser, session: SessionDep) -> PlanPublic:
    return _plan_with_sections(session, plans_service.get(session=session, plan_id=plan_id))


@plans.post(
    "",
    response_model=PlanPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Thêm kế hoạch nhân danh đơn vị của mình",
)
def create_plan(body: PlanCreate, principal: CurrentUser, session: SessionDep) -> PlanPublic:
    issuer = issuer_of(session=session, principal=principal, unit_id=body.issuer_unit_id)
    authorize_issue(principal=principal, issuer=issuer)
    document = (
        documents_service.get(session=session, document_id=body.document_id)
        if body.document_id is not None
        else None
    )
    plan = plans_service.create(
        session=session,
        actor=principal.actor,
        title=body.title,
        issuer=issuer,
        document=document,
        section_titles=body.sections,
    )
    session.commit()
    return _plan_with_sections(session, plan)


@plans.post(
    "/{plan_id}/sections",
    response_model=SectionPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Thêm mục vào kế hoạch",
)
def add_section(
    plan_id: PathId, body: SectionCreate, principal: CurrentUser, session: SessionDep
) -> SectionPublic:
    plan = _own_plan(session, principal, plan_id)
    section = plans_service.add_section(
        session=session, actor=principal.actor, plan_id=plan.id or 0, title=body.title
    )
    session.commit()
    return SectionPublic.model_validate(section)


@plans.patch(
    "/{plan_id}",
    response_model=PlanPublic,
    summary="Đổi tên kế hoạch (đơn vị ban hành)",
)
def update_plan(
    plan_id: PathId, body: PlanUpdate, principal: CurrentUser, session: SessionDep
) -> PlanPublic:
    _own_plan(session, principal, plan_id)
    plan = plans_service.update(
        session=session,
        actor=principal.actor,
        plan_id=plan_id,
        expected_version=body.version,
        title=body.title,
    )
    session.commit()
    return _plan_with_sections(session, plan)


@plans.patch(
    "/{plan_id}/sections/{section_id}",
    response_model=PlanPublic,
    summary="Đổi tên một mục của kế hoạch (đơn vị ban hành)",
    description="`version` là phiên bản của kế hoạch; sửa mục làm tăng phiên bản kế hoạch.",
)
def update_section(
    plan_id: PathId,
    section_id: PathId,
    body: SectionUpdate,
    principal: CurrentUser,
    session: SessionDep,
) -> PlanPublic:
    _own_plan(session, principal, plan_id)
    plans_service.update_section(
        session=session,
        actor=principal.actor,
        plan_id=plan_id,
        section_id=section_id,
        expected_version=body.version,
        title=body.title,
    )
    session.commit()
    return _plan_with_sections(session, plans_service.get(session=session, plan_id=plan_id))


ExpandGroups = Annotated[
    bool,
    Query(
        description="Đơn vị chủ trì là một nhóm («Các sở, ban, ngành», «UBND các huyện»): "
        "true giao mỗi đơn vị của nhóm một nhiệm vụ; false (mặc định) báo lỗi dòng đó"
    ),
]
IMPORT_RULES = (
    "Tệp .xlsx, .csv, hoặc .docx (bảng phụ lục của kế hoạch). Cột (tiêu đề tiếng Việt, các "
    "cách ghi thường gặp): STT, nội dung nhiệm vụ, đơn vị chủ trì, đơn vị phối hợp, thời hạn "
    "(thời gian hoàn thành), sản phẩm, ghi chú. Dòng «I. Xây dựng thể chế» mở một mục của kế "
    "hoạch. Đơn vị ghi theo mã, tên, tên viết tắt quen dùng («Sở TT&TT», «UBND huyện …»). "
    "Thời hạn: dd/mm/yyyy, «Trước dd/mm/yyyy», «Tháng m/yyyy», «Quý III/yyyy», «Năm yyyy», "
    "«6 tháng đầu năm», «Hằng năm» (31/12 năm giao), «n ngày làm việc», «n ngày», hoặc để "
    "trống / «thường xuyên»."
)


def _upload(file: UploadFile) -> tuple[bytes, str]:
    return file.file.read(importing.MAX_BYTES + 1), file.filename or ""


@plans.post(
    "/{plan_id}/tasks/import/preview",
    response_model=ImportPreviewPublic,
    summary="Xem trước việc nhập nhiệm vụ từ tệp: mọi dòng và mọi lỗi, không lưu gì",
    description=IMPORT_RULES,
)
def preview_import(
    plan_id: PathId,
    file: Annotated[UploadFile, File(description="Tệp .xlsx, .csv (UTF-8) hoặc .docx")],
    principal: CurrentUser,
    session: SessionDep,
    expand_groups: ExpandGroups = False,
) -> ImportPreviewPublic:
    plan = importing.plan_to_import_into(session=session, principal=principal, plan_id=plan_id)
    content, filename = _upload(file)
    parsed, errors = importing.preview(
        session=session,
        plan=plan,
        content=content,
        filename=filename,
        expand_groups=expand_groups,
    )
    return ImportPreviewPublic(
        rows=[
            ImportRowPublic(
                row=item.row,
                title=item.content,
                section=item.section,
                lead_unit_id=item.lead.id or 0,
                lead_unit_name=item.lead.name,
                coordinating_unit_ids=[unit.id or 0 for unit in item.coordinators],
                deadline_kind=item.deadline.kind,
                due_on=item.deadline.due_on,
                deadline_amount=item.deadline.amount,
                note=item.note,
            )
            for item in parsed
        ],
        errors=[
            ImportErrorPublic(row=e.row, field=e.field, code=e.code, message=e.message)
            for e in errors
        ],
    )


@plans.post(
    "/{plan_id}/tasks/import",
    response_model=ImportResultPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Nhập nhiệm vụ của kế hoạch từ tệp .xlsx, .csv hoặc phụ lục .docx",
    description=IMPORT_RULES
    + " Tệp có dòng lỗi thì không nhập dòng nào; câu trả lời 422 liệt kê mọi dòng lỗi "
    "(trường `row`).",
)
def import_tasks(
    plan_id: PathId,
    file: Annotated[UploadFile, File(description="Tệp .xlsx, .csv (UTF-8) hoặc .docx")],
    principal: CurrentUser,
    session: SessionDep,
    expand_groups: ExpandGroups = False,
) -> ImportResultPublic:
    plan = importing.plan_to_import_into(session=session, principal=principal, plan_id=plan_id)
    content, filename = _upload(file)
    result = importing.import_tasks(
        session=session,
        actor=principal.actor,
        plan=plan,
        content=content,
        filename=filename,
        expand_groups=expand_groups,
    )
    session.commit()
    return ImportResultPublic(plan_id=result.plan_id, count=result.count, task_ids=result.task_ids)
