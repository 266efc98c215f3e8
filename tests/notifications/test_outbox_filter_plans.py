"""The outbox's filters (issue 13) search their indexes, on SQLite and PostgreSQL: a task's
digests through the reminder items' task index, the digest day, the send day and the
recipient each by their own index (tests/tracking/test_query_plans.py explains how plans are
read)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from models import (
    DeadlineKind,
    Notification,
    NotificationState,
    ReminderItem,
    Role,
    Task,
    UnitKind,
)
from models.db import is_postgres, table_of
from notifications.delivery import list_outbox
from tests.tracking.test_query_plans import _searched, _searches_of, _statements
from tests.world import WorldBuilder

FIRST_DAY = date(2026, 1, 5)
# A recipient has few of the messages, a day or a task a few in a hundred, as in a real outbox.
PEOPLE, DAYS, TASKS = 300, 100, 3000


@pytest.fixture
def outbox(session: Session) -> dict[str, int]:
    """PEOPLE people, TASKS tasks, DAYS days of digests (one per person and day), each
    carrying a reminder of 2 tasks; a third of them sent."""
    build = WorldBuilder(session)
    province = build.unit("T", "Tỉnh", UnitKind.PROVINCE)
    department = build.unit("T-S", "Sở", UnitKind.DEPARTMENT, parent=province)
    people = [build.user(f"u{n}", unit=department, role=Role.OFFICER) for n in range(PEOPLE)]
    build.email(people[0], "u0@example.vn")  # the channel every item names
    now = datetime(2026, 1, 5, tzinfo=UTC)
    session.execute(
        insert(table_of(Task)),
        [
            {
                "id": number,
                "title": f"Nhiệm vụ {number}",
                "issuer_unit_id": province.id,
                "lead_unit_id": department.id,
                "assigned_on": FIRST_DAY - timedelta(days=10),
                "deadline_kind": DeadlineKind.DATE.value,
                "original_due_on": FIRST_DAY,
                "due_on": FIRST_DAY,
                "state": "open",
                "result": "",
                "note": "",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for number in range(1, TASKS + 1)
        ],
    )
    session.flush()
    notifications: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for day in range(DAYS):
        digest_on = FIRST_DAY + timedelta(days=day)
        for person in people:
            number = len(notifications) + 1
            sent = number % 3 == 0
            notifications.append(
                {
                    "id": number,
                    "key": f"d:{number}",
                    "kind": "digest",
                    "recipient_user_id": person.id,
                    "channel_url": "mailto:x@example.vn",
                    "digest_on": digest_on,
                    "subject": "",
                    "body": "",
                    "state": (NotificationState.SENT if sent else NotificationState.PENDING).value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": "",
                    "sent_at": datetime.combine(digest_on, datetime.min.time(), UTC)
                    + timedelta(hours=2)
                    if sent
                    else None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for k in range(2):
                items.append(
                    {
                        "key": f"i:{number}:{k}",
                        "task_id": (number * 2 + k) % TASKS + 1,
                        "step": "due",
                        "audience": "lead",
                        "recipient_user_id": person.id,
                        "channel_id": 1,
                        "due_on": FIRST_DAY,
                        "planned_on": digest_on,
                        "notification_id": number,
                        "dropped_reason": "",
                        "created_at": now,
                    }
                )
    # The channel ids must exist: the first person's channel stands for every item's.
    channel_id = session.execute(text("SELECT min(id) FROM contactchannel")).scalar_one()
    for item in items:
        item["channel_id"] = channel_id
    session.execute(insert(table_of(Notification)), notifications)
    session.execute(insert(table_of(ReminderItem)), items)
    session.commit()
    if is_postgres(session.get_bind()):
        with session.get_bind().connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    return {"task": 17, "recipient": people[9].id or 0}


# Each filter and the index that must serve it (the column its search condition names).
FILTER_INDEXES = {
    "task_id": ("ix_reminderitem_task_id", "task_id"),
    "digest_on": ("ix_notification_digest_on", "digest_on"),
    "sent_on": ("ix_notification_sent_at", "sent_at"),
    "recipient_user_id": ("ix_notification_recipient_user_id", "recipient_user_id"),
}


def test_each_outbox_filter_searches_its_index(
    session: Session, engine: Engine, outbox: dict[str, int]
) -> None:
    values: dict[str, object] = {
        "task_id": outbox["task"],
        "digest_on": FIRST_DAY + timedelta(days=DAYS // 2),
        "sent_on": FIRST_DAY + timedelta(days=DAYS // 2 + 1),
        "recipient_user_id": outbox["recipient"],
    }
    for name, (index, column) in FILTER_INDEXES.items():
        with _statements(engine) as sent:
            found = list_outbox(session=session, limit=20, **{name: values[name]})
        assert found, name
        searches = _searches_of(session, sent, "notification")
        session.rollback()  # the plans were taken with sequential scans off
        assert _searched(searches, index, column), (name, searches)
