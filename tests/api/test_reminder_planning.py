"""Issue 13 over HTTP, on both databases: planning a day's reminders on request (who may, the
preview within reach, audited runs, days refused), the outbox filtered by task, recipient,
digest day, send day and state, and changing a task's lead and coordinators, after which the
next day's reminders reach the new lead's officers only (real planning, real delivery to a
local SMTP server)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from models import (
    AuditEvent,
    Notification,
    NotificationState,
    ReminderItem,
    Role,
    Task,
    TaskAssignment,
    UnitKind,
    User,
)
from notifications.delivery import deliver
from settings import get_settings
from tests.api.conftest import World
from tests.notifications.conftest import smtp, smtp_port  # noqa: F401
from tests.servers import SmtpServer
from tests.world import SETUP, WorldBuilder
from tracking import clock
from tracking.calendar import load_calendar
from tracking.deadlines import DeadlineRule

PLAN = "/api/v1/reminders/plan"
OUTBOX = "/api/v1/outbox"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Days:
    """The last two working days up to today: plans for them may be written."""

    yesterday: date  # the working day before `today`
    today: date  # the latest working day on or before today


@pytest.fixture(scope="module")
def days(world: World) -> Days:
    """Also: a ward with its office (an office of a People's Committee below the root), and an
    email channel for the officers of the lead, coordinating and other units."""
    world.add_units(
        [
            ("ward", "root", UnitKind.WARD, "Ủy ban nhân dân phường Cẩm Thành"),
            ("ward_office", "ward", UnitKind.OFFICE, "Văn phòng HĐND và UBND phường Cẩm Thành"),
        ]
    )
    world.add_users([("ward_office", Role.OFFICER)])
    with world.session() as session:
        build = WorldBuilder(session, actor=SETUP)
        for key in ("lead", "coord", "other"):
            build.email(world.users[(key, Role.OFFICER)], f"{key}.officer@example.vn")
        assert world.target is not None
        build.email(world.target, "lead.target@example.vn")
        session.commit()
        calendar = load_calendar(session)
    today = clock.today()
    while not calendar.is_working_day(today):
        today -= timedelta(days=1)
    yesterday = today - timedelta(days=1)
    while not calendar.is_working_day(yesterday):
        yesterday -= timedelta(days=1)
    return Days(yesterday=yesterday, today=today)


@pytest.fixture
def mail(smtp: SmtpServer) -> Iterator[SmtpServer]:  # noqa: F811
    yield smtp
    get_settings.cache_clear()  # drop the settings that point at this test's SMTP port


def _items(world: World, task_id: int, planned_on: date | None = None) -> list[ReminderItem]:
    with world.session() as session:
        statement = select(ReminderItem).where(ReminderItem.task_id == task_id)
        if planned_on is not None:
            statement = statement.where(ReminderItem.planned_on == planned_on)
        return list(session.exec(statement).all())


def _user_id(world: World, key: str, role: Role = Role.OFFICER) -> int:
    return world.users[(key, role)].id or 0


def test_planning_a_day_by_request(world: World, days: Days) -> None:
    client = world.client
    with world.session() as session:
        due = load_calendar(session).add_working_days(days.today, 3)
    task_id = world.new_task(
        deadline=DeadlineRule.fixed(due), assigned_on=days.yesterday - timedelta(days=7)
    )
    dry = {"as_of": days.today.isoformat(), "dry_run": True}

    # Administrators and the writers of an office of a People's Committee only.
    for unit, role in [("lead", Role.LEADER), ("lead", Role.OFFICER), ("issuer", Role.VIEWER)]:
        refused = client.post(PLAN, json=dry, headers=world.headers(unit, role))
        assert refused.status_code == 403, (unit, role, refused.text)
        assert refused.json()["detail"][0]["code"] == "reminder.plan_forbidden"

    # A dry run by the province's office: the reminders, who gets them and why; nothing
    # written, nothing audited.
    events = world.audit_count()
    preview = client.post(PLAN, json=dry, headers=world.headers("issuer", Role.OFFICER))
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] is True and body["is_working_day"] is True
    assert body["as_of"] == days.today.isoformat() and body["items_added"] == 0
    mine = [r for r in body["reminders"] if r["task_id"] == task_id]
    recipients = {r["recipient_user_id"]: r for r in mine}
    assert set(recipients) == {
        _user_id(world, "lead"),
        world.target.id if world.target else 0,
        _user_id(world, "coord"),
    }
    lead_reminder = recipients[_user_id(world, "lead")]
    assert lead_reminder["step"] == "before:3" and lead_reminder["audience"] == "lead"
    assert lead_reminder["channel"] == "mailto:lead.officer@example.vn"  # emails are no secret
    assert lead_reminder["due_on"] == due.isoformat() and lead_reminder["new"] is True
    assert "còn 3 ngày làm việc" in lead_reminder["reason"]
    assert recipients[_user_id(world, "coord")]["audience"] == "coordinators"
    assert body["reminders_total"] == len(body["reminders"]) <= body["reminders_planned"]
    assert _items(world, task_id) == [] and world.audit_count() == events

    # A page at a time.
    page = client.post(
        PLAN,
        json=dry,
        params={"limit": 1, "offset": 1},
        headers=world.headers("issuer", Role.LEADER),
    ).json()
    assert (page["limit"], page["offset"], len(page["reminders"])) == (1, 1, 1)
    assert page["reminders"][0] == body["reminders"][1]
    # A ward's office previews the same day, but sees only the reminders to its own people.
    ward = client.post(PLAN, json=dry, headers=world.headers("ward_office", Role.OFFICER)).json()
    assert ward["reminders_planned"] == body["reminders_planned"]
    assert ward["reminders_total"] == 0 and ward["reminders"] == []

    # A real run: written, audited with its counts; the reminders are not listed.
    real = {"as_of": days.today.isoformat(), "dry_run": False}
    first = client.post(PLAN, json=real, headers=world.headers("other", Role.ADMIN)).json()
    assert first["items_added"] >= 3 and first["notifications_added"] >= 3
    assert first["reminders"] == [] and first["reminders_total"] == 0
    assert {i.recipient_user_id for i in _items(world, task_id)} == set(recipients)
    with world.session() as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "reminder.plan")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert event is not None and event.actor == "other.admin"
    assert event.after is not None and event.after["as_of"] == days.today.isoformat()
    assert event.after["items_added"] == first["items_added"]
    # Planning the day again adds nothing (and is audited again).
    again = client.post(PLAN, json=real, headers=world.headers("issuer", Role.OFFICER)).json()
    assert (again["items_added"], again["notifications_added"]) == (0, 0)
    assert again["reminders_planned"] == first["reminders_planned"]
    assert len(_items(world, task_id)) == 3

    # Days refused, each naming the field, with nothing written.
    events = world.audit_count()
    today = clock.today()
    refusals = [
        ({"as_of": (today + timedelta(days=1)).isoformat()}, "reminder.plan_in_future"),
        (
            {"as_of": (today + timedelta(days=40)).isoformat(), "dry_run": True},
            "reminder.plan_too_far_ahead",
        ),
        ({"as_of": (today - timedelta(days=31)).isoformat()}, "reminder.plan_too_far_back"),
    ]
    for payload, code in refusals:
        refused = client.post(PLAN, json=payload, headers=world.headers("other", Role.ADMIN))
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["detail"]
        assert (error["code"], error["field"]) == (code, "as_of") and error["message"]
    malformed = client.post(
        PLAN, json={"as_of": "2026-02-30"}, headers=world.headers("other", Role.ADMIN)
    )
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["field"] == "as_of"
    assert world.audit_count() == events


def test_the_outbox_filtered_by_task_recipient_day_and_state(world: World, days: Days) -> None:
    client = world.client
    with world.session() as session:
        due = load_calendar(session).add_working_days(days.today, 1)
    task_id = world.new_task(
        deadline=DeadlineRule.fixed(due), assigned_on=days.yesterday - timedelta(days=7)
    )
    planned = client.post(
        PLAN,
        json={"as_of": days.today.isoformat()},
        headers=world.headers("other", Role.ADMIN),
    )
    assert planned.status_code == 200, planned.text
    # Two messages sent around midnight, local time, of a day far from the others.
    sent_day = date(2031, 5, 5)
    late, early = (
        Notification(
            key=f"test:sent:{world.next()}",
            recipient_user_id=_user_id(world, "lead"),
            channel_url="mailto:lead.officer@example.vn",
            state=NotificationState.SENT,
            # Stored in UTC, as every instant is (16:30 and 17:30 UTC of the 5th).
            sent_at=datetime.combine(day, clock_time, tzinfo=LOCAL).astimezone(UTC),
        )
        for day, clock_time in [(sent_day, time(23, 30)), (sent_day + timedelta(1), time(0, 30))]
    )
    with world.session() as session:
        session.add_all([late, early])
        session.commit()
        rows = list(session.exec(select(Notification)).all())
        carrying = {
            i.notification_id
            for i in session.exec(select(ReminderItem).where(ReminderItem.task_id == task_id))
        }

    def ids(unit: str, role: Role, **filters: object) -> set[int]:
        response = client.get(
            OUTBOX, params={"limit": 200, **filters}, headers=world.headers(unit, role)
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    lead_officer = _user_id(world, "lead")
    admin = ("other", Role.ADMIN)
    assert carrying and ids(*admin, task=task_id) == carrying
    assert ids(*admin, recipient=lead_officer, digest_on=days.today.isoformat()) == {
        r.id for r in rows if r.recipient_user_id == lead_officer and r.digest_on == days.today
    }
    assert ids(*admin, task=task_id, state="sent") == set()
    assert ids(*admin, task=task_id, state="pending") == carrying
    assert ids(*admin, sent_on=sent_day.isoformat()) == {late.id}
    assert ids(*admin, sent_on=(sent_day + timedelta(1)).isoformat()) == {early.id}
    # Within reach: the lead unit's leader sees its officers' digests of the task only.
    with world.session() as session:
        lead_people = set(
            session.exec(select(User.id).where(User.unit_id == world.unit_id("lead"))).all()
        )
    assert ids("lead", Role.LEADER, task=task_id) == {
        r.id for r in rows if r.id in carrying and r.recipient_user_id in lead_people
    }
    # A task or a recipient out of reach is not found; a bad filter names its field.
    outside = client.get(
        OUTBOX, params={"task": task_id}, headers=world.headers("ward_office", Role.OFFICER)
    )
    assert outside.status_code == 404 and outside.json()["detail"][0]["code"] == "task.not_found"
    stranger = client.get(
        OUTBOX,
        params={"recipient": lead_officer},
        headers=world.headers("ward_office", Role.OFFICER),
    )
    assert stranger.status_code == 404
    for name, value in [("digest_on", "05/05/2031"), ("recipient", 0), ("sent_on", "1900-01-01")]:
        bad = client.get(OUTBOX, params={name: value}, headers=world.headers(*admin))
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == name, bad.text


def test_change_of_lead_the_next_days_reminders_go_to_the_new_leads_officers_only(
    world: World, days: Days, mail: SmtpServer
) -> None:
    client = world.client
    title = f"Nhiệm vụ đổi đơn vị chủ trì {world.next()}"
    # Due on the latest working day: reminded the day before (lead and coordinators, one
    # working day left) and on the day (the lead).
    task_id = world.new_task(
        title=title,
        deadline=DeadlineRule.fixed(days.today),
        assigned_on=days.yesterday - timedelta(days=7),
    )
    admin = world.headers("other", Role.ADMIN)
    first = client.post(PLAN, json={"as_of": days.yesterday.isoformat()}, headers=admin)
    assert first.status_code == 200, first.text
    lead_people = {_user_id(world, "lead"), world.target.id if world.target else 0}
    coord_officer = _user_id(world, "coord")
    assert {i.recipient_user_id for i in _items(world, task_id, days.yesterday)} == {
        *lead_people,
        coord_officer,
    }
    with world.session() as session:
        coord_row = session.exec(
            select(TaskAssignment).where(
                TaskAssignment.task_id == task_id,
                TaskAssignment.unit_id == world.unit_id("coord"),
            )
        ).one()
    task = client.get(f"/api/v1/tasks/{task_id}", headers=admin).json()
    url = f"/api/v1/tasks/{task_id}/assignments"
    change: dict[str, object] = {
        "version": task["version"],
        "lead_unit_id": world.unit_id("other"),
        "coordinating_unit_ids": [world.unit_id("coord")],
    }

    # Refused, with nothing changed: not the issuer's side; stale; against the rules.
    events = world.audit_count()
    not_issuer = client.put(url, json=change, headers=world.headers("lead", Role.LEADER))
    assert not_issuer.status_code == 403
    assert (
        client.put(url, json=change, headers=world.headers("ward_office", Role.OFFICER)).status_code
        == 404
    )
    stale = client.put(
        url,
        json=change | {"version": task["version"] + 1},
        headers=world.headers("issuer", Role.OFFICER),
    )
    assert stale.status_code == 409 and stale.json()["detail"][0]["code"] == "task.stale_version"
    refusals: list[tuple[dict[str, object], str, str]] = [
        ({"lead_unit_id": world.unit_id("root")}, "assignment.to_issuer", "lead_unit_id"),
        ({"lead_unit_id": world.unit_id("issuer")}, "assignment.to_issuer", "lead_unit_id"),
        (
            {"coordinating_unit_ids": [world.unit_id("other")]},
            "task.lead_also_coordinating",
            "coordinating_unit_ids",
        ),
    ]
    for bad, code, field in refusals:
        refused = client.put(url, json=change | bad, headers=world.headers("issuer", Role.OFFICER))
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["code"] == code
        assert refused.json()["detail"][0]["field"] == field
    assert world.audit_count() == events
    assert (
        client.get(f"/api/v1/tasks/{task_id}", headers=admin).json()["version"] == task["version"]
    )

    # The issuer's officer changes the lead; the coordinator stays, with its assignment row.
    changed = client.put(url, json=change, headers=world.headers("issuer", Role.OFFICER))
    assert changed.status_code == 200, changed.text
    assert changed.json()["lead_unit_id"] == world.unit_id("other")
    assert changed.json()["coordinating_unit_ids"] == [world.unit_id("coord")]
    assert changed.json()["version"] == task["version"] + 1
    with world.session() as session:
        rows = session.exec(select(TaskAssignment).where(TaskAssignment.task_id == task_id)).all()
        assert {(r.unit_id, r.role.value) for r in rows} == {
            (world.unit_id("other"), "lead"),
            (world.unit_id("coord"), "coordinate"),
        }
        assert coord_row.id in {r.id for r in rows}
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "task.reassign", AuditEvent.entity_id == task_id
            )
        ).one()
        assert event.actor == "issuer.officer"
        assert event.before == {
            "lead_unit_id": world.unit_id("lead"),
            "coordinating_unit_ids": [world.unit_id("coord")],
            "version": task["version"],
        }
        assert event.after == {
            "lead_unit_id": world.unit_id("other"),
            "coordinating_unit_ids": [world.unit_id("coord")],
            "version": task["version"] + 1,
        }
        stored = session.get(Task, task_id)
        assert stored is not None and stored.lead_unit_id == world.unit_id("other")
    # The same units again change nothing.
    same = client.put(
        url,
        json=change | {"version": task["version"] + 1},
        headers=world.headers("issuer", Role.OFFICER),
    )
    assert same.status_code == 200 and same.json()["version"] == task["version"] + 1
    assert world.audit_count() == events + 1

    # The next day: the new lead's officer only (on the deadline, the lead alone is told).
    second = client.post(PLAN, json={"as_of": days.today.isoformat()}, headers=admin)
    assert second.status_code == 200, second.text
    assert {i.recipient_user_id for i in _items(world, task_id, days.today)} == {
        _user_id(world, "other")
    }
    # What was planned for the old lead stays in the log.
    assert {i.recipient_user_id for i in _items(world, task_id, days.yesterday)} >= lead_people

    # Delivery: the old lead's digest, not sent yet, drops the task (here: nothing left, so
    # it is skipped); the coordinator's and the new lead's carry it.
    # As at the latest first sending time (an opening of the send window: planned outside
    # the window, the digests wait for the next one).
    with world.session() as session:
        opening = max(
            session.exec(
                select(Notification.next_attempt_at).where(
                    Notification.state == NotificationState.PENDING
                )
            ).all()
        )
    delivered = deliver(engine=world.engine, at=opening)
    assert delivered.sent >= 3 and not delivered.deferred, delivered
    with world.session() as session:
        for item in session.exec(
            select(ReminderItem).where(
                ReminderItem.task_id == task_id,
                col(ReminderItem.recipient_user_id).in_(lead_people),
            )
        ):
            assert item.dropped_reason == (
                "đơn vị của người nhận không còn chủ trì hoặc phối hợp nhiệm vụ"
            )
            digest = session.get(Notification, item.notification_id)
            assert digest is not None
            assert digest.state == NotificationState.SKIPPED or title not in digest.body
    assert not any(
        title in m.text for a in ("lead.officer", "lead.target") for m in mail.to(f"{a}@example.vn")
    )
    assert any(title in m.text for m in mail.to("other.officer@example.vn"))
    assert any(title in m.text for m in mail.to("coord.officer@example.vn"))


def test_swapping_lead_and_coordinator_keeps_both_rows_and_a_finished_task_is_refused(
    world: World,
) -> None:
    client = world.client
    task_id = world.new_task()  # led by `lead`, coordinated by `coord`
    with world.session() as session:
        before = {
            row.unit_id: row.id
            for row in session.exec(
                select(TaskAssignment).where(TaskAssignment.task_id == task_id)
            ).all()
        }
    url = f"/api/v1/tasks/{task_id}/assignments"
    swapped = client.put(
        url,
        json={
            "version": 1,
            "lead_unit_id": world.unit_id("coord"),
            "coordinating_unit_ids": [world.unit_id("lead"), world.unit_id("lead_child")],
        },
        headers=world.headers("issuer", Role.LEADER),
    )
    assert swapped.status_code == 200, swapped.text
    assert swapped.json()["coordinating_unit_ids"] == [
        world.unit_id("lead"),
        world.unit_id("lead_child"),
    ]
    with world.session() as session:
        rows = {
            row.unit_id: row
            for row in session.exec(
                select(TaskAssignment).where(TaskAssignment.task_id == task_id)
            ).all()
        }
    assert rows[world.unit_id("coord")].id == before[world.unit_id("coord")]
    assert rows[world.unit_id("coord")].role.value == "lead"
    assert rows[world.unit_id("lead")].id == before[world.unit_id("lead")]
    assert rows[world.unit_id("lead")].role.value == "coordinate"
    assert rows[world.unit_id("lead_child")].assigned_on == clock.today()
    # A cancelled task keeps its units.
    assert (
        client.post(
            f"/api/v1/tasks/{task_id}/cancel",
            json={"version": 2, "reason": "Không còn phù hợp"},
            headers=world.headers("issuer", Role.LEADER),
        ).status_code
        == 200
    )
    finished = client.put(
        url,
        json={"version": 3, "lead_unit_id": world.unit_id("lead"), "coordinating_unit_ids": []},
        headers=world.headers("issuer", Role.LEADER),
    )
    assert finished.status_code == 409
    assert finished.json()["detail"][0]["code"] == "task.invalid_state"
