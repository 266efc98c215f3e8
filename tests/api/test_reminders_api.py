"""Reminders over HTTP: the outbox by state and reach, retrying a dead message, a test
message through a real local SMTP server, contact channels, and a task's reminder policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from models import AuditEvent, Notification, NotificationState, Role
from notifications.planner import plan_reminders
from settings import get_settings
from tests.api.conftest import World
from tests.notifications.conftest import smtp, smtp_port  # noqa: F401
from tests.servers import SmtpServer
from tracking import clock
from tracking.calendar import load_calendar
from tracking.deadlines import DeadlineRule

SECRET = "AAHsecretBotToken"


@pytest.fixture
def mail(smtp: SmtpServer) -> Iterator[SmtpServer]:  # noqa: F811
    yield smtp
    get_settings.cache_clear()  # drop the settings that point at this test's SMTP port


def _message(
    world: World,
    *,
    user_key: tuple[str, Role] | None,
    state: NotificationState,
    url: str = "mailto:canbo@example.vn",
) -> int:
    user = world.users[user_key] if user_key else None
    with world.session() as session:
        row = Notification(
            key=f"test:outbox:{world.next()}",
            recipient_user_id=user.id if user else None,
            channel_url=url,
            subject="Nhắc việc: sắp đến hạn",
            body="Nội dung nhắc việc",
            state=state,
            attempts=5 if state == NotificationState.DEAD else 0,
            last_error="550 hộp thư không tồn tại" if state == NotificationState.DEAD else "",
        )
        session.add(row)
        session.commit()
        return row.id or 0


def test_outbox_by_state_within_reach_and_retrying_a_dead_message(world: World) -> None:
    dead = _message(
        world,
        user_key=("lead_child", Role.OFFICER),
        state=NotificationState.DEAD,
        url=f"tgram://123456789:{SECRET}/-100123",
    )
    sent = _message(world, user_key=("lead", Role.OFFICER), state=NotificationState.SENT)
    alert = _message(world, user_key=None, state=NotificationState.DEAD)
    client = world.client

    def ids(unit: str, role: Role, state: str | None = None) -> set[int]:
        params = {"limit": 200} | ({"state": state} if state else {})
        response = client.get("/api/v1/outbox", params=params, headers=world.headers(unit, role))
        assert response.status_code == 200, response.text
        assert SECRET not in response.text
        return {item["id"] for item in response.json()["items"]}

    # Administrators see everything; the state filter keeps only that state.
    assert {dead, alert} <= ids("other", Role.ADMIN, "dead")
    assert sent not in ids("other", Role.ADMIN, "dead")
    # Others see the messages to users of their unit and below, never the admins' alerts.
    assert {dead, sent} <= ids("lead", Role.LEADER)
    assert alert not in ids("lead", Role.LEADER)
    assert ids("lead_child", Role.VIEWER, "dead") >= {dead}
    assert dead not in ids("other", Role.LEADER) and sent not in ids("coord", Role.OFFICER)
    bad = client.get(
        "/api/v1/outbox", params={"state": "lost"}, headers=world.headers("lead", Role.LEADER)
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "state"
    page = client.get(
        "/api/v1/outbox",
        params={"limit": 1, "offset": 0},
        headers=world.headers("other", Role.ADMIN),
    ).json()
    assert page["limit"] == 1 and len(page["items"]) == 1

    # Retrying: administrators only; the message is queued again, with an audit event.
    retry = f"/api/v1/outbox/{dead}/retry"
    refused = client.post(retry, headers=world.headers("lead", Role.LEADER))
    assert refused.status_code == 403
    retried = client.post(retry, headers=world.headers("other", Role.ADMIN))
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["state"] == "pending" and body["attempts"] == 0 and SECRET not in body["channel"]
    with world.session() as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "notification.retry", AuditEvent.entity_id == dead
            )
        ).one()
        assert event.actor == "other.admin"
    again = client.post(retry, headers=world.headers("other", Role.ADMIN))
    assert again.status_code == 409 and again.json()["detail"][0]["code"] == "outbox.not_dead"
    missing = client.post(
        "/api/v1/outbox/2000000000/retry", headers=world.headers("other", Role.ADMIN)
    )
    assert missing.status_code == 404


def test_channels_are_validated_masked_and_a_test_message_arrives(
    world: World, mail: SmtpServer
) -> None:
    client = world.client
    me = world.users[("coord", Role.OFFICER)]
    headers = world.headers("coord", Role.OFFICER)
    url = f"/api/v1/users/{me.id}/channels"

    bad = client.put(
        url, json={"urls": ["canbo@stc.example.vn", "khong-phai-url"]}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "urls[1]"
    assert bad.json()["detail"][0]["code"] == "channel.invalid_url"
    assert client.get(url, headers=headers).json() == []  # nothing was stored

    # An officer may add an email address or a Zalo recipient (here with a fixed token).
    saved = client.put(
        url,
        json={"urls": ["canbo@stc.example.vn", f"zalo://{SECRET}@4318270000000000001/7001"]},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    assert SECRET not in saved.text and SECRET not in client.get(url, headers=headers).text
    email = next(c for c in saved.json() if c["kind"] == "email")
    added = client.post(url, json={"urls": ["truongphong@stc.example.vn"]}, headers=headers)
    assert added.status_code == 201 and len([c for c in added.json() if c["active"]]) == 3

    response = client.post(
        "/api/v1/reminders/test", json={"channel_id": email["id"]}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True, response.json()
    [received] = mail.to("canbo@stc.example.vn")
    assert received.subject == "[Nhắc việc] Thử kênh nhắc việc"
    assert "Đây là tin nhắn thử của hệ thống theo dõi nhiệm vụ" in received.text
    assert "kênh liên lạc đã hoạt động" in received.text

    # Someone else's channel: visible to their unit's leader but not theirs to use; answered
    # as if it did not exist (issue 9: the test message must not tell which ids exist).
    other = client.post(
        "/api/v1/reminders/test",
        json={"channel_id": email["id"]},
        headers=world.headers("coord", Role.LEADER),
    )
    assert other.status_code == 404
    # Any address: administrators only.
    refused = client.post(
        "/api/v1/reminders/test", json={"channel_url": "x@stc.example.vn"}, headers=headers
    )
    assert refused.status_code == 403 and refused.json()["detail"][0]["field"] == "channel_url"
    by_admin = client.post(
        "/api/v1/reminders/test",
        json={"channel_url": "qt@stc.example.vn"},
        headers=world.headers("other", Role.ADMIN),
    )
    assert by_admin.json()["ok"] is True and mail.to("qt@stc.example.vn")
    both = client.post(
        "/api/v1/reminders/test",
        json={"channel_id": email["id"], "channel_url": "qt@stc.example.vn"},
        headers=world.headers("other", Role.ADMIN),
    )
    assert both.status_code == 422

    gone = client.delete(f"{url}/{email['id']}", headers=headers)
    assert gone.status_code == 204
    after = {c["id"]: c["active"] for c in client.get(url, headers=headers).json()}
    assert after[email["id"]] is False and sum(after.values()) == 2


def test_a_task_policy_set_by_the_issuer_leader_takes_effect(world: World) -> None:
    client = world.client
    with world.session() as session:
        calendar = load_calendar(session)
    as_of = clock.today()
    while not calendar.is_working_day(as_of):
        as_of += timedelta(days=1)
    due = calendar.add_working_days(as_of, 7)
    task_id = world.new_task(deadline=DeadlineRule.fixed(due), assigned_on=as_of - timedelta(3))
    officer = world.users[("lead", Role.OFFICER)]
    assert (
        client.put(
            f"/api/v1/users/{officer.id}/channels",
            json={"urls": ["cv@snv.example.vn"]},
            headers=world.headers("lead", Role.OFFICER),
        ).status_code
        == 200
    )

    def planned_steps() -> set[str]:
        with world.session() as session:
            result = plan_reminders(session=session, as_of=as_of, dry_run=True)
        return {r.step for r in result.reminders if r.task_id == task_id}

    assert planned_steps() == set()  # 7 working days ahead: not a default step (3, 1)
    url = f"/api/v1/tasks/{task_id}/reminder-policy"
    rules = {"before_working_days": [7, 2], "on_due_day": False}
    refused = client.put(url, json={"rules": rules}, headers=world.headers("issuer", Role.OFFICER))
    assert refused.status_code == 403
    invalid = client.put(
        url, json={"rules": {"overdue_every": 0}}, headers=world.headers("issuer", Role.LEADER)
    )
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["field"] == "rules.overdue_every"
    saved = client.put(url, json={"rules": rules}, headers=world.headers("issuer", Role.LEADER))
    assert saved.status_code == 200, saved.text

    seen = client.get(url, headers=world.headers("lead", Role.OFFICER)).json()
    assert seen["rules"] == rules
    assert seen["effective"]["before_working_days"] == [7, 2]
    assert seen["effective"]["on_due_day"] is False
    assert seen["effective"]["overdue_every"] == 5  # the rest comes from the defaults
    assert planned_steps() == {"before:7"}
    assert client.get(url, headers=world.headers("other", Role.LEADER)).status_code == 404
