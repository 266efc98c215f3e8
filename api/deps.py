"""Request dependencies: a database session, the signed-in user, common parameter types."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import AfterValidator, Field, StringConstraints
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import MAX_ID, claims_from_token
from models import Unit, User
from settings import Settings
from tracking.access import Principal

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit what they change, anything else rolls back."""
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="not authenticated",
        headers={"WWW-Authenticate": "Bearer"},
    )


def principal_of(*, session: Session, user_id: int, token_version: int) -> Principal | None:
    """The principal of an active user whose token (or web session) carries their current
    token_version; None otherwise. A bumped token_version (password changed, account
    (de)activated) revokes every older token and session."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.token_version != token_version:
        return None
    unit = session.get(Unit, user.unit_id)
    if unit is None:
        return None
    parent = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    return Principal.of(user=user, unit=unit, parent=parent)


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise _unauthorized()
    claims = claims_from_token(token=token, settings=settings)
    principal = (
        principal_of(session=session, user_id=claims.user_id, token_version=claims.token_version)
        if claims is not None
        else None
    )
    if principal is None:
        raise _unauthorized()
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]

# Ids fit PostgreSQL's integer; anything else is a 422, never a database error.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="Phiên bản nhiệm vụ đang xem")]
# Dates people can mean; far years would overflow calendar arithmetic.
Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2099, 12, 31))]
NO_NUL = r"^[^\x00]*$"


def text(max_length: int, *, min_length: int = 0) -> object:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


Text4000 = Annotated[str, text(4000)]
Text1000 = Annotated[str, text(1000)]
Text500 = Annotated[str, text(500)]
Text255 = Annotated[str, text(255)]
Text120 = Annotated[str, text(120)]
Required4000 = Annotated[str, text(4000, min_length=1)]
Required1000 = Annotated[str, text(1000, min_length=1)]
Required255 = Annotated[str, text(255, min_length=1)]


def _aware(value: datetime) -> datetime:
    """Stored instants are UTC; SQLite hands them back without a zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Instant = Annotated[datetime, AfterValidator(_aware)]
