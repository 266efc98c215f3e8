"""The unit tree: everyone signed in reads it; administrators change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from api.deps import CurrentUser, IdQuery, PathId, SessionDep, text
from api.errors import COMMON_RESPONSES, body_references
from api.schemas.directory import UnitCreate, UnitPublic, UnitUpdate
from models import Unit
from tracking import importing, unit_import
from tracking import units as units_service
from tracking.access import authorize_admin
from tracking.errors import InvalidInput

router = APIRouter(prefix="/units", tags=["units"], responses=COMMON_RESPONSES)


@router.get("", response_model=list[UnitPublic], summary="Danh sách đơn vị")
def list_units(
    _principal: CurrentUser,
    session: SessionDep,
    parent_id: IdQuery = None,
    roots: Annotated[bool, Query(description="Chỉ các đơn vị gốc")] = False,
    q: Annotated[
        str | None,
        text(200),
        Query(
            description="Tìm trong tên đơn vị, không phân biệt dấu và hoa thường; ít nhất 3 ký tự"
        ),
    ] = None,
) -> list[Unit]:
    return units_service.list_units(session=session, parent_id=parent_id, roots=roots, text=q)


@router.get("/{unit_id}", response_model=UnitPublic, summary="Một đơn vị")
def get_unit(unit_id: PathId, _principal: CurrentUser, session: SessionDep) -> Unit:
    return units_service.get(session=session, unit_id=unit_id)


@router.get(
    "/{unit_id}/subtree",
    response_model=list[UnitPublic],
    summary="Đơn vị và mọi đơn vị trực thuộc",
)
def get_subtree(unit_id: PathId, _principal: CurrentUser, session: SessionDep) -> list[Unit]:
    unit = units_service.get(session=session, unit_id=unit_id)
    return units_service.subtree(session=session, unit=unit)


@router.post(
    "",
    response_model=UnitPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Thêm đơn vị (quản trị viên)",
)
def create_unit(body: UnitCreate, principal: CurrentUser, session: SessionDep) -> Unit:
    authorize_admin(principal=principal)
    parent = (
        units_service.get(session=session, unit_id=body.parent_id)
        if body.parent_id is not None
        else None
    )
    unit = units_service.create(
        session=session,
        actor=principal.actor,
        code=body.code,
        name=body.name,
        kind=body.kind,
        parent=parent,
        short_name=body.short_name,
        place_name=body.place_name,
        parent_body_name=body.parent_body_name,
        email=body.email,
    )
    session.commit()
    return unit


@router.post(
    "/import",
    response_model=list[UnitPublic],
    status_code=status.HTTP_201_CREATED,
    summary="Nhập cây đơn vị từ tệp .xlsx hoặc .csv (quản trị viên)",
    description=(
        "Cột (tiêu đề tiếng Việt hoặc tiếng Anh): mã đơn vị (code), tên đơn vị (name), loại đơn "
        "vị (kind: giá trị như `ward` hoặc tên như «Phường», «Đặc khu», «Xã»), mã đơn vị cấp "
        "trên (parent code: một đơn vị trong tệp, ở dòng bất kỳ, hoặc đã có), thư điện tử "
        "(email, không bắt buộc: hộp thư công vụ của đơn vị). Tệp có dòng lỗi thì không tạo "
        "đơn vị nào; câu trả lời 422 liệt kê mọi dòng lỗi (trường `row`, cột ở `field`)."
    ),
)
def import_units(
    file: Annotated[UploadFile, File(description="Tệp .xlsx hoặc .csv (UTF-8)")],
    principal: CurrentUser,
    session: SessionDep,
) -> list[Unit]:
    authorize_admin(principal=principal)
    content = file.file.read(importing.MAX_BYTES + 1)
    if len(content) > importing.MAX_BYTES:
        raise InvalidInput("import.file_too_large", "Tệp lớn quá 5 MB", field="file")
    created = unit_import.import_units(
        session=session, actor=principal.actor, content=content, filename=file.filename or ""
    )
    session.commit()
    return created


@router.patch(
    "/{unit_id}",
    response_model=UnitPublic,
    summary="Sửa đơn vị, chuyển đơn vị sang đơn vị cấp trên khác (quản trị viên)",
)
def update_unit(
    unit_id: PathId, body: UnitUpdate, principal: CurrentUser, session: SessionDep
) -> Unit:
    authorize_admin(principal=principal)
    unit = units_service.get(session=session, unit_id=unit_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    parent_id = changes.pop("parent_id", None)
    if parent_id is not None:
        with body_references({"unit_id": "parent_id"}):
            parent = units_service.get(session=session, unit_id=parent_id)
        units_service.move(session=session, actor=principal.actor, unit=unit, parent=parent)
    if changes:
        units_service.update(session=session, actor=principal.actor, unit=unit, **changes)
    session.commit()
    return unit
