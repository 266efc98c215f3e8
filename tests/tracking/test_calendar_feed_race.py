"""Two clerks' browsers creating a calendar address for the same user at the same moment:
one active feed remains, whichever way the databases order them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import CalendarFeed, Role, UnitKind
from models.db import writer
from tests.world import SETUP, WorldBuilder
from tracking import calendar_feed
from tracking.errors import Conflict


def test_concurrent_creations_leave_one_active_feed(engine: Engine) -> None:
    with Session(engine) as session:
        build = WorldBuilder(session, actor=SETUP)
        unit = build.unit("QN", "UBND tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        user_id = build.user("vp.hoa", unit=unit, role=Role.OFFICER).id or 0
        session.commit()

    first = Session(writer(engine))
    calendar_feed.create(session=first, actor=SETUP, user_id=user_id)  # not committed yet
    outcome: list[object] = []

    def second_request() -> None:
        with Session(writer(engine)) as second:
            try:
                outcome.append(calendar_feed.create(session=second, actor=SETUP, user_id=user_id))
                second.commit()
            except Conflict as refused:
                outcome.append(refused)

    racing = threading.Thread(target=second_request)
    racing.start()
    racing.join(timeout=1)
    assert racing.is_alive()  # the second waits for the first (row or database lock)
    first.commit()
    first.close()
    racing.join(timeout=30)
    assert not racing.is_alive()

    with Session(engine) as session:
        active = session.exec(
            select(func.count()).where(col(CalendarFeed.active_user_id) == user_id)
        ).one()
        feeds = session.exec(select(func.count()).select_from(CalendarFeed)).one()
    assert active == 1
    if engine.dialect.name == "postgresql":
        # It read "no active feed" before the first committed: its insert hits the unique
        # constraint, and the clerk is asked to reload.
        assert isinstance(outcome[0], Conflict) and feeds == 1
    else:
        # SQLite's writers run one after the other: the second revokes the first's feed.
        assert isinstance(outcome[0], str) and feeds == 2


@pytest.mark.parametrize("token", ["", "x" * 43, "không-phải-mã"])
def test_an_unknown_token_opens_no_calendar(engine: Engine, token: str) -> None:
    with Session(engine) as session:
        assert calendar_feed.user_of_token(session=session, token=token) is None
