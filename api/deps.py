"""Request dependencies: a database session, the signed-in user, common parameter types."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from annotated_types import GroupedMetadata
from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import AfterValidator, Field, StringConstraints
from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from api.auth import claims_from_token
from models import Unit, User
from models.db import writer
from settings import Settings
from tracking import units as units_service
from tracking.access import Principal
from tracking.documents import ISSUER_CODE_MAX, check_issuer_code
from tracking.task_queries import MAX_PAGE
from tracking.validation import EARLIEST_DAY, LATEST_DAY, MAX_ID, TEXT_RULE, as_pydantic_check

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Requests that may change data: their transaction is a writer's (models.db.writer).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _request_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; handlers commit what they change, anything else rolls back.
    Changing requests write as one transaction at a time on SQLite; reads stay concurrent."""
    engine: Engine = request.app.state.engine
    yield from _request_session(writer(engine) if request.method in WRITE_METHODS else engine)


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for a POST that only reads (signing in): it must not hold SQLite's write lock
    while a password hash is checked."""
    yield from _request_session(request.app.state.engine)


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
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
    # One statement (every request asks it): the user, their unit and the unit's parent.
    parent_unit = aliased(Unit)
    row = session.execute(
        select(User, Unit, parent_unit)
        .join(Unit, col(Unit.id) == col(User.unit_id))
        .outerjoin(parent_unit, col(parent_unit.id) == col(Unit.parent_id))
        .where(col(User.id) == user_id)
    ).one_or_none()
    if row is None:
        return None
    user, unit, parent = row
    if not user.active or user.token_version != token_version:
        return None
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
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="Phiên bản nhiệm vụ đang xem")]
# Dates people can mean (the importers and the command line use the same range).
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
DayPath = Annotated[date, Path(ge=EARLIEST_DAY, le=LATEST_DAY, description="Ngày, YYYY-MM-DD")]
DayQuery = Annotated[date | None, Query(ge=EARLIEST_DAY, le=LATEST_DAY)]
# One page of a list: at most MAX_PAGE rows, from an offset.
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def issuer_of(*, session: Session, principal: Principal, unit_id: int | None) -> Unit:
    """The unit a request names as the issuer of what it creates, else the caller's own unit
    (NotFound when it does not exist; the caller authorises)."""
    return units_service.get(session=session, unit_id=unit_id or principal.unit.id or 0)


def _issuer_code(value: str) -> str:
    # Empty means "not given": the service then uses its default (or refuses).
    return check_issuer_code(value) if value else value


@dataclass(frozen=True)
class _FreeText(GroupedMetadata):
    """Free text: tracking.validation's rule, then the length bounds. The rule runs before
    pydantic's own str check, which would answer a lone surrogate with a generic error."""

    min_length: int
    max_length: int

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(min_length=self.min_length, max_length=self.max_length)
        yield TEXT_RULE  # outermost: runs first


def text(max_length: int, *, min_length: int = 0) -> object:
    return _FreeText(min_length=min_length, max_length=max_length)


Text4000 = Annotated[str, text(4000)]
Text1000 = Annotated[str, text(1000)]
Text500 = Annotated[str, text(500)]
Text255 = Annotated[str, text(255)]
Text120 = Annotated[str, text(120)]
Required4000 = Annotated[str, text(4000, min_length=1)]
Required1000 = Annotated[str, text(1000, min_length=1)]
Required255 = Annotated[str, text(255, min_length=1)]
# Its length too is checked by check_issuer_code, so one code answers every bad value.
IssuerCode = Annotated[
    str,
    AfterValidator(as_pydantic_check(_issuer_code)),
    Field(description=f"Tối đa {ISSUER_CODE_MAX} ký tự: chữ cái (kể cả Đ), chữ số, - & ."),
]


def _aware(value: datetime) -> datetime:
    """Stored instants are UTC; SQLite hands them back without a zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Instant = Annotated[datetime, AfterValidator(_aware)]
