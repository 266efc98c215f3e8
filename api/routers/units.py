"""The unit tree: everyone signed in reads it; administrators change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, IdQuery, PathId, SessionDep
from api.errors import COMMON_RESPONSES
from api.schemas.directory import UnitCreate, UnitPublic, UnitUpdate
from models import Unit
from tracking import units as units_service
from tracking.access import authorize_admin

router = APIRouter(prefix="/units", tags=["units"], responses=COMMON_RESPONSES)


@router.get("", response_model=list[UnitPublic], summary="Danh sách đơn vị")
def list_units(
    _principal: CurrentUser,
    session: SessionDep,
    parent_id: IdQuery = None,
    roots: Annotated[bool, Query(description="Chỉ các đơn vị gốc")] = False,
) -> list[Unit]:
    return units_service.list_units(session=session, parent_id=parent_id, roots=roots)


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
    )
    session.commit()
    return unit


@router.patch("/{unit_id}", response_model=UnitPublic, summary="Sửa đơn vị (quản trị viên)")
def update_unit(
    unit_id: PathId, body: UnitUpdate, principal: CurrentUser, session: SessionDep
) -> Unit:
    authorize_admin(principal=principal)
    unit = units_service.get(session=session, unit_id=unit_id)
    units_service.update(
        session=session,
        actor=principal.actor,
        unit=unit,
        **body.model_dump(exclude_unset=True, exclude_none=True),
    )
    session.commit()
    return unit
