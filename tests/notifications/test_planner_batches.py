"""The planner writes a day's items with the digest that lists them (no second pass over the
day): an earlier run's items not in a digest yet still get one, and a run that meets another
run's items of the same day while writing adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event, update
from sqlmodel import Session, col, delete, func, select

from models import ContactChannel, Notification, ReminderItem
from models.encryption import decrypt
from notifications.planner import ConcurrentPlanning, plan_reminders, plan_with_engine
from tests.notifications.conftest import AS_OF, World


def _digests(session: Session) -> dict[str, tuple[int | None, int]]:
    """Each digest's key: its recipient and how many items it lists."""
    rows = session.exec(
        select(Notification.key, Notification.recipient_user_id, func.count(col(ReminderItem.id)))
        .join(ReminderItem, col(ReminderItem.notification_id) == col(Notification.id))
        .group_by(col(Notification.key), col(Notification.recipient_user_id))
    ).all()
    return {key: (user_id, items) for key, user_id, items in rows}


def test_an_earlier_runs_items_without_a_digest_get_one(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        first = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        planned = _digests(session)
        # As if a run had written the day's items and not their digests.
        session.exec(update(ReminderItem).values(notification_id=None))
        session.exec(delete(Notification))
        # Dung's channel is off now: her item is planned by no run, and still sent once.
        session.exec(
            update(ContactChannel)
            .where(col(ContactChannel.user_id) == world.office_officer.id)
            .values(active=False)
        )
        session.commit()
        again = plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        assert (first.items_added, again.items_added) == (9, 0)
        assert again.reminders_planned == 8  # Dung has no active channel
        assert again.notifications_added == 4
        assert _digests(session) == planned
        loose = select(func.count()).where(col(ReminderItem.notification_id).is_(None))
        assert session.exec(loose).one() == 0
        dung = session.exec(
            select(Notification).where(Notification.recipient_user_id == world.office_officer.id)
        ).one()
        assert dung.channel_url == "mailto:dung@vp.example.vn"
        stored = session.connection().exec_driver_sql(
            f"SELECT channel_url FROM notification WHERE id = {dung.id}"
        )
        assert decrypt(stored.scalar_one()) == "mailto:dung@vp.example.vn"


def test_a_run_meeting_another_runs_items_of_the_day_adds_nothing(
    engine: Engine, world: World
) -> None:
    """Two runs of a day at once: the other run writes the day between this run's look-up of
    the items and its insert of them; this run finds them there, fails and is rolled back, and
    each item is in one digest."""
    other: dict[str, Any] = {}

    def other_run_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATION") and not other:
            other["result"] = None  # once
            other["result"] = plan_with_engine(engine=engine, as_of=AS_OF)

    event.listen(engine, "before_cursor_execute", other_run_first)
    try:
        with Session(engine) as session, pytest.raises(ConcurrentPlanning):
            plan_reminders(session=session, as_of=AS_OF)
    finally:
        event.remove(engine, "before_cursor_execute", other_run_first)
    assert other["result"].items_added == 9 and other["result"].notifications_added == 4
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ReminderItem)).one() == 9
        assert sum(items for _, items in _digests(session).values()) == 9
        assert session.exec(select(func.count()).select_from(Notification)).one() == 4
