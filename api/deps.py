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

from api.auth import MAX_ID, user_id_from_token
from models import Unit, User
from models.db import writer
from settings import Settings
from tracking.access import Principal

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Requests that may change data: their transaction is a writer's (models.db.writer).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit what they change, anything else rolls back.
    Changing requests write as one transaction at a time on SQLite; reads stay concurrent."""
    engine: Engine = request.app.state.engine
    if request.method in WRITE_METHODS:
        engine = writer(engine)
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


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise _unauthorized()
    user_id = user_id_from_token(token=token, settings=settings)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        raise _unauthorized()
    unit = session.get(Unit, user.unit_id)
    if unit is None:
        raise _unauthorized()
    parent = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    return Principal.of(user=user, unit=unit, parent=parent)


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
