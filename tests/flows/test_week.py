"""A working week replayed day by day through Prefect (test harness), with frozen time, on
SQLite and PostgreSQL: the reminders arrive at a real SMTP server, the monthly duty's task and
draft report appear on the right days, and replaying the same days changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from flows.daily import daily_sweep, delivery, report_drafting
from models import Notification, NotificationState, Report, Task
from tests.flows.conftest import (
    DUTY_TITLE,
    TASK_TITLE,
    WeekWorld,
    build_week_world,
    local,
)
from tests.servers import SmtpServer

pytestmark = pytest.mark.usefixtures("prefect_harness")

MONDAY = date(2026, 3, 9)
WEEK = [MONDAY + timedelta(days=n) for n in range(8)]  # Mon 09/03 → Mon 16/03
MARCH_TASK = f"{DUTY_TITLE} tháng 3 năm 2026"


def replay(days: list[date]) -> list[dict[str, Any]]:
    """Each day as the schedules run it: drafting 06:30, sweep 07:00, delivery 09:00."""
    results = []
    for day in days:
        with time_machine.travel(local(day, 6, 30), tick=True) as traveller:
            drafted = report_drafting(as_of=day)
            traveller.move_to(local(day, 7))
            swept = daily_sweep(as_of=day)
            traveller.move_to(local(day, 9))
            delivered = delivery(as_of=day)
        results.append({"day": day, "drafted": drafted, "swept": swept, "delivered": delivered})
    return results


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_week_of_flows_sends_each_reminder_once_and_drafts_the_report(
    engine: Engine, mail_server: SmtpServer
) -> None:
    world: WeekWorld = build_week_world(engine)
    first = replay(WEEK)

    by_day = {r["day"]: r for r in first}
    # The duty's March task is created on the first morning (its period began on 15/02),
    # April's on 15/03 when that period begins; each its own task.
    assert [c["occurrence_key"] for c in by_day[MONDAY]["swept"]["occurrences"]["created"]] == [
        "2026-M03"
    ]
    created = [c["occurrence_key"] for r in first for c in r["swept"]["occurrences"]["created"]]
    assert created == ["2026-M03", "2026-M04"]
    # Cut-off 14/03 (Saturday): drafted on Sunday morning, once.
    drafted = [(r["day"], d["occurrence_key"]) for r in first for d in r["drafted"]["drafted"]]
    assert drafted == [(date(2026, 3, 15), "2026-M03")]
    # Weekends plan nothing; Sunday's notice waits for Monday's send window.
    assert not by_day[date(2026, 3, 14)]["swept"]["reminders"]["working_day"]
    assert by_day[date(2026, 3, 15)]["delivered"]["deferred"].startswith("ngoài khung giờ gửi")

    # What the mail server received, day by day (working days before the deadline 3 and 1,
    # on the day, then overdue with the leader told; the duty's task due Monday 16/03).
    for r in first:
        assert r["delivered"]["failed"] == 0 and r["delivered"]["dead"] == 0
    mails = mail_server.received
    assert [r["delivered"]["sent"] for r in first] == [1, 0, 1, 1, 2, 0, 0, 2]
    assert len(mails) == 7

    def seen(address: str) -> list[tuple[str, list[str]]]:
        return [
            (
                "notice" if "Dự thảo" in m.subject else "digest",
                [t for t in (TASK_TITLE, MARCH_TASK) if t in m.text],
            )
            for m in mails
            if m.to == [address]
        ]

    officer = seen("an@skhcn.example.vn")
    assert officer[:4] == [
        ("digest", [TASK_TITLE]),  # Mon 09/03: 3 working days left
        ("digest", [TASK_TITLE, MARCH_TASK]),  # Wed 11/03: 1 left / 3 left
        ("digest", [TASK_TITLE]),  # Thu 12/03: due today
        ("digest", [TASK_TITLE, MARCH_TASK]),  # Fri 13/03: 1 day overdue / 1 left
    ]
    # Mon 16/03: the duty's task is due today, and the draft report is ready.
    assert sorted(officer[4:]) == [("digest", [MARCH_TASK]), ("notice", [MARCH_TASK])]
    assert seen("binh@skhcn.example.vn") == [("digest", [TASK_TITLE])]  # Fri: overdue, leader
    (notice,) = [m for m in mails if "Dự thảo" in m.subject]
    assert notice.subject == "[Nhắc việc] Dự thảo báo cáo tháng 3 năm 2026 đã sẵn sàng"
    assert "Hạn gửi: ngày 16 tháng 3 năm 2026, gửi Văn phòng UBND tỉnh" in notice.text
    assert len({m.message_id for m in mails}) == 7

    with Session(engine) as session:
        reports = session.exec(select(Report)).all()
        assert [(r.kind, r.period_code, r.unit_id, r.state) for r in reports] == [
            ("month", "2026-M03", world.department.id, "draft")
        ]
        states = set(session.exec(select(Notification.state)).all())
        assert states == {NotificationState.SENT}
    counts = {m: _count(engine, m) for m in (Task, Report, Notification)}

    # Replaying the same days: nothing is created, nothing is sent again.
    second = replay(WEEK)
    assert len(mail_server.received) == 7
    assert {m: _count(engine, m) for m in (Task, Report, Notification)} == counts
    for r in second:
        assert r["swept"]["occurrences"]["created"] == []
        assert r["swept"]["reminders"]["reminders_new"] == 0
        assert r["swept"]["reminders"]["messages_new"] == 0
        assert r["drafted"]["drafted"] == [] and r["drafted"]["notices"] == 0
        assert r["delivered"]["sent"] == 0
