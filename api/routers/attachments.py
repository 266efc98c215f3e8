"""Attachments of a task: upload (multipart), list, download; within the task's reach only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, UploadFile, status
from fastapi.responses import StreamingResponse

from api.deps import CurrentUser, PathId, SessionDep, SettingsDep
from api.downloads import attachment_response
from api.errors import COMMON_RESPONSES, body_references
from api.schemas.attachments import AttachmentPublic
from models import Attachment, AttachmentKind
from tracking import attachments as attachments_service
from tracking.access import TaskAction, task_for
from tracking.validation import MAX_ID

router = APIRouter(prefix="/tasks", tags=["attachments"], responses=COMMON_RESPONSES)

FormId = Annotated[int | None, Form(ge=1, le=MAX_ID)]


@router.post(
    "/{task_id}/attachments",
    response_model=AttachmentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Đính kèm tệp vào báo cáo tiến độ, báo cáo hoàn thành hoặc đề nghị gia hạn",
    description=(
        "Biểu mẫu multipart: `kind` (progress, completion, extension), `progress_id` hoặc "
        "`extension_id` theo `kind`, và `file`. Nhận PDF, DOCX, XLSX, PNG, JPEG, kiểm tra theo "
        "nội dung (tệp có macro bị từ chối), tối đa `NHIEMVU_ATTACHMENT_MAX_BYTES`. Người được "
        "gửi báo cáo hoặc đề nghị đó mới được đính kèm; hồ sơ hoàn thành khi nhiệm vụ đang chờ "
        "xác nhận, tệp của đề nghị gia hạn khi đề nghị chưa được quyết định."
    ),
)
def upload_attachment(
    task_id: PathId,
    kind: Annotated[AttachmentKind, Form()],
    file: UploadFile,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    progress_id: FormId = None,
    extension_id: FormId = None,
) -> Attachment:
    attachments_service.authorize_attach(
        session=session, principal=principal, task_id=task_id, kind=kind
    )
    with attachments_service.Uploads.of(settings) as uploads:
        staged = uploads.receive(source=file.file, filename=file.filename or "")
        with body_references({"progress_id": "progress_id", "extension_id": "extension_id"}):
            attachment = attachments_service.attach(
                session=session,
                actor=principal.actor,
                uploads=uploads,
                staged=staged,
                task_id=task_id,
                kind=kind,
                progress_id=progress_id,
                extension_id=extension_id,
            )
        uploads.commit(session)
    return attachment


@router.get(
    "/{task_id}/attachments",
    response_model=list[AttachmentPublic],
    summary="Các tệp đính kèm của nhiệm vụ",
)
def list_attachments(
    task_id: PathId, principal: CurrentUser, session: SessionDep
) -> list[Attachment]:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    return attachments_service.for_task(session=session, task_id=task_id)


@router.get(
    "/{task_id}/attachments/{attachment_id}",
    response_class=StreamingResponse,
    summary="Tải một tệp đính kèm",
    responses={200: {"description": "Nội dung tệp, với loại nội dung đã kiểm tra"}},
)
def download_attachment(
    task_id: PathId,
    attachment_id: PathId,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> StreamingResponse:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    attachment = attachments_service.get(
        session=session, task_id=task_id, attachment_id=attachment_id
    )
    source = attachments_service.open_content(
        session=session, settings=settings, attachment=attachment
    )
    return attachment_response(source=source, attachment=attachment)
