"""Users and their contact channels, within the caller's reach."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Response, status
from sqlmodel import Session

from api.auth import hash_password
from api.deps import CurrentUser, IdQuery, PathId, SessionDep
from api.errors import COMMON_RESPONSES
from api.schemas.directory import (
    ChannelPublic,
    ChannelsSet,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from models import User
from notifications import contacts
from notifications.contacts import ChannelView
from tracking import directory
from tracking import units as units_service
from tracking.access import Principal, authorize_admin
from tracking.audit import Actor

router = APIRouter(prefix="/users", tags=["users"], responses=COMMON_RESPONSES)


def _user(session: Session, principal: Principal, user_id: int, *, manage: bool) -> User:
    return directory.user_for(session=session, principal=principal, user_id=user_id, manage=manage)


@router.get("", response_model=list[UserPublic], summary="Người dùng trong phạm vi")
def list_users(
    principal: CurrentUser,
    session: SessionDep,
    unit_id: IdQuery = None,
    include_subtree: bool = False,
) -> list[User]:
    unit = units_service.get(session=session, unit_id=unit_id) if unit_id is not None else None
    return directory.list_users(
        session=session, principal=principal, unit=unit, include_subtree=include_subtree
    )


@router.get("/{user_id}", response_model=UserPublic, summary="Một người dùng")
def get_user(user_id: PathId, principal: CurrentUser, session: SessionDep) -> User:
    return _user(session, principal, user_id, manage=False)


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Thêm người dùng (quản trị viên)",
)
def create_user(body: UserCreate, principal: CurrentUser, session: SessionDep) -> User:
    authorize_admin(principal=principal)
    unit = units_service.get(session=session, unit_id=body.unit_id)
    user = units_service.create_user(
        session=session,
        actor=principal.actor,
        username=body.username,
        full_name=body.full_name,
        unit=unit,
        role=body.role,
        title=body.title,
        password_hash=hash_password(password=body.password, username=body.username),
    )
    session.commit()
    return user


@router.patch("/{user_id}", response_model=UserPublic, summary="Sửa người dùng (quản trị viên)")
def update_user(
    user_id: PathId, body: UserUpdate, principal: CurrentUser, session: SessionDep
) -> User:
    authorize_admin(principal=principal)
    user = _user(session, principal, user_id, manage=True)
    unit = (
        units_service.get(session=session, unit_id=body.unit_id)
        if body.unit_id is not None
        else None
    )
    units_service.update_user(
        session=session,
        actor=principal.actor,
        user=user,
        full_name=body.full_name,
        unit=unit,
        role=body.role,
        title=body.title,
        active=body.active,
        password_hash=(
            hash_password(password=body.password, username=user.username)
            if body.password is not None
            else None
        ),
    )
    session.commit()
    return user


def _channels(user_id: int, views: list[ChannelView]) -> list[ChannelPublic]:
    return [
        ChannelPublic(
            id=v.id, user_id=user_id, kind=v.kind, url=v.url, label=v.label, active=v.active
        )
        for v in views
    ]


class _ChannelsChange(Protocol):
    def __call__(
        self, *, session: Session, user_id: int, urls: list[str], actor: Actor
    ) -> list[ChannelView]: ...


def _change_channels(
    session: Session,
    principal: Principal,
    user_id: int,
    body: ChannelsSet,
    change: _ChannelsChange,
) -> list[ChannelPublic]:
    _user(session, principal, user_id, manage=True)
    views = change(session=session, user_id=user_id, urls=body.urls, actor=principal.actor)
    session.commit()
    return _channels(user_id, views)


@router.get(
    "/{user_id}/channels",
    response_model=list[ChannelPublic],
    summary="Kênh liên lạc của người dùng (chính họ hoặc quản trị viên); bí mật được che",
)
def list_channels(
    user_id: PathId, principal: CurrentUser, session: SessionDep
) -> list[ChannelPublic]:
    _user(session, principal, user_id, manage=True)
    return _channels(user_id, contacts.list_contact_channels(session=session, user_id=user_id))


@router.put(
    "/{user_id}/channels",
    response_model=list[ChannelPublic],
    summary="Đặt lại toàn bộ kênh liên lạc đang dùng (kênh không có trong danh sách bị ngừng)",
)
def set_channels(
    user_id: PathId, body: ChannelsSet, principal: CurrentUser, session: SessionDep
) -> list[ChannelPublic]:
    return _change_channels(session, principal, user_id, body, contacts.set_contact_channels)


@router.post(
    "/{user_id}/channels",
    response_model=list[ChannelPublic],
    status_code=status.HTTP_201_CREATED,
    summary="Thêm kênh liên lạc (email, Zalo, ZNS; URL Apprise khác: quản trị viên), giữ các kênh "
    "đang có",
)
def add_channels(
    user_id: PathId, body: ChannelsSet, principal: CurrentUser, session: SessionDep
) -> list[ChannelPublic]:
    return _change_channels(session, principal, user_id, body, contacts.add_contact_channels)


@router.delete(
    "/{user_id}/channels/{channel_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Ngừng dùng một kênh liên lạc (giữ lại cho lịch sử gửi)",
)
def remove_channel(
    user_id: PathId, channel_id: PathId, principal: CurrentUser, session: SessionDep
) -> Response:
    _user(session, principal, user_id, manage=True)
    contacts.deactivate_contact_channel(
        session=session, user_id=user_id, channel_id=channel_id, actor=principal.actor
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
