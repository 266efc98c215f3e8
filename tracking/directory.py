"""Users within a principal's reach: the listing the API's GET /users and the web's user
page share (the reach rule is tracking.access.user_reach_filter)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import Unit, User
from tracking.access import Principal, authorize_unit_data, user_reach_filter


def list_users(
    *,
    session: Session,
    principal: Principal,
    unit: Unit | None = None,
    include_subtree: bool = False,
) -> list[User]:
    statement = select(User).order_by(col(User.username))
    reach = user_reach_filter(principal)
    if reach is not None:
        statement = statement.where(reach)
    if unit is not None:
        authorize_unit_data(principal=principal, unit=unit)
        if include_subtree:
            ids = select(col(Unit.id)).where(col(Unit.path).startswith(unit.path))
            statement = statement.where(col(User.unit_id).in_(ids))
        else:
            statement = statement.where(User.unit_id == unit.id)
    return list(session.exec(statement).all())
