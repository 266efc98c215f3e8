"""Log in with a password, get a bearer token; read who is signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import authenticate_throttled, create_access_token
from api.deps import CurrentUser, ReadSessionDep, SessionDep, SettingsDep
from api.errors import COMMON_RESPONSES, ErrorResponse
from api.login_throttle import LoginRefused
from api.schemas.directory import Token, UserPublic
from models import User

router = APIRouter(prefix="/auth", tags=["auth"], responses=COMMON_RESPONSES)


@router.post(
    "/token",
    response_model=Token,
    summary="Đăng nhập, nhận mã truy cập",
    responses={
        429: {"model": ErrorResponse, "description": "Sai quá nhiều lần; chờ Retry-After giây"},
        503: {"model": ErrorResponse, "description": "Đang bận kiểm tra các lần đăng nhập khác"},
    },
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
) -> Token:
    try:
        user = authenticate_throttled(
            request=request, session=session, username=form.username, password=form.password
        )
    except LoginRefused as refusal:
        raise HTTPException(
            status_code=refusal.http_status,
            detail=f"nhiemvu:{refusal.code}|{refusal.message}",
            headers={"Retry-After": str(refusal.retry_after)},
        ) from refusal
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="nhiemvu:auth.bad_credentials|Sai tên đăng nhập hoặc mật khẩu",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token, seconds = create_access_token(user=user, settings=settings)
    return Token(access_token=token, expires_in=seconds)


@router.get("/me", response_model=UserPublic, summary="Người dùng đang đăng nhập")
def me(principal: CurrentUser, session: SessionDep) -> User:
    user = session.get(User, principal.actor.user_id)
    assert user is not None
    return user
