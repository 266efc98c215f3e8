"""Counts per status category and the completion rate for a unit's subtree, as of a date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from api.errors import COMMON_RESPONSES
from api.schemas.acts import StatsPublic
from tracking import clock
from tracking import units as units_service
from tracking.access import authorize_unit_data
from tracking.queries import count_by_category
from tracking.status import CATEGORY_LABELS
from tracking.validation import MAX_ID

router = APIRouter(tags=["stats"], responses=COMMON_RESPONSES)


@router.get("/stats", response_model=StatsPublic, summary="Thống kê nhiệm vụ theo nhóm")
def stats(
    principal: CurrentUser,
    session: SessionDep,
    as_of: Annotated[
        date | None,
        Query(ge=date(1990, 1, 1), le=date(2099, 12, 31), description="Mặc định hôm nay"),
    ] = None,
    unit: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Đơn vị; mặc định đơn vị của người dùng"),
    ] = None,
) -> StatsPublic:
    target = units_service.get(session=session, unit_id=unit or principal.unit.id or 0)
    authorize_unit_data(principal=principal, unit=target)
    day = as_of or clock.today()
    counts = count_by_category(session=session, as_of=day, unit=target, include_subtree=True)
    return StatsPublic(
        as_of=day,
        unit_id=target.id or 0,
        counts={c.value: n for c, n in counts.counts.items()},
        labels={c.value: label for c, label in CATEGORY_LABELS.items()},
        total=counts.total,
        completed=counts.completed,
        completion_rate=counts.completion_rate,
        due_soon=counts.due_soon,
        due_soon_until=counts.due_soon_until,
        awaiting_confirmation=counts.awaiting_confirmation,
    )
