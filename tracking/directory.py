"""Users within a principal's reach: the listing the API's GET /users and the web's user
page share (the reach rule is tracking.access.user_reach_filter)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import Unit, User
from tracking import units as units_service
from tracking.access import (
    Principal,
    authorize_unit_data,
    authorize_user,
    user_reach_filter,
)
from tracking.errors import get_or_not_found


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
            statement = statement.where(
                units_service.subtree_condition(root=unit, unit_id=col(User.unit_id))
            )
        else:
            statement = statement.where(User.unit_id == unit.id)
    return list(session.exec(statement).all())


def user_for(*, session: Session, principal: Principal, user_id: int, manage: bool) -> User:
    """A user the principal may see (or, with `manage`, change); NotFound or Forbidden
    otherwise, as tracking.access.authorize_user decides."""
    user = get_or_not_found(session, User, user_id, entity="user", noun="người dùng")
    unit = units_service.get(session=session, unit_id=user.unit_id)
    authorize_user(principal=principal, user=user, unit=unit, manage=manage)
    return user
