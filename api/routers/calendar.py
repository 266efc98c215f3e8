"""Calendar overrides (decided days off and làm bù days): everyone reads, admins change."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentUser, DayPath, DayQuery, SessionDep
from api.errors import COMMON_RESPONSES
from api.schemas.acts import CalendarOverridePublic, CalendarOverrideSet
from models import CalendarOverride
from tracking import calendar as calendar_service
from tracking.access import authorize_admin

router = APIRouter(prefix="/calendar", tags=["calendar"], responses=COMMON_RESPONSES)


@router.get(
    "/overrides",
    response_model=list[CalendarOverridePublic],
    summary="Ngày nghỉ, ngày làm bù đã quyết định",
)
def list_overrides(
    _principal: CurrentUser,
    session: SessionDep,
    start: DayQuery = None,
    end: DayQuery = None,
) -> list[CalendarOverride]:
    return calendar_service.list_overrides(session=session, start=start, end=end)


@router.put(
    "/overrides/{day}",
    response_model=CalendarOverridePublic,
    summary="Đặt một ngày là ngày làm việc hoặc ngày nghỉ (quản trị viên)",
)
def set_override(
    day: DayPath, body: CalendarOverrideSet, principal: CurrentUser, session: SessionDep
) -> CalendarOverride:
    authorize_admin(principal=principal)
    override = calendar_service.set_override(
        session=session,
        actor=principal.actor,
        day=day,
        is_working_day=body.is_working_day,
        note=body.note,
        legal_source=body.legal_source,
    )
    session.commit()
    return override


@router.delete(
    "/overrides/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Bỏ điều chỉnh của một ngày (quản trị viên)",
)
def delete_override(day: DayPath, principal: CurrentUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    calendar_service.delete_override(session=session, actor=principal.actor, day=day)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
