"""The private calendar feed: created and revoked through the API, fetched with no login,
parsed back with the icalendar library; on SQLite and PostgreSQL (the `world` fixture)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuditEvent, CalendarFeed, Role
from tests.api.conftest import World
from tests.world import SETUP
from tracking import clock
from tracking import tasks as tasks_service

OFFICER = ("lead", Role.OFFICER)
FEED_API = "/api/v1/me/calendar-feed"


def _create_feed(world: World, member: tuple[str, Role] = OFFICER) -> str:
    """The feed's path, from the URL the API shows once."""
    response = world.client.post(FEED_API, headers=world.headers(*member))
    assert response.status_code == 201, response.text
    url = urlsplit(response.json()["url"])
    assert f"{url.scheme}://{url.netloc}" == world.settings.public_base_url.rstrip("/")
    return url.path


def _fetch(world: World, path: str) -> icalendar.Calendar:
    response = world.client.get(path)  # no Authorization: a calendar app has none
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    _check_rfc5545_lines(response.content)
    return icalendar.Calendar.from_ical(response.content)


def _check_rfc5545_lines(body: bytes) -> None:
    """RFC 5545 §3.1: lines end with CRLF and are folded at 75 octets."""
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and len(line) <= 75 for line in lines)
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"


def _events(calendar: icalendar.Calendar) -> dict[str, icalendar.Component]:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def _last_audit_id(world: World) -> int:
    with world.session() as session:
        return session.exec(select(sa.func.max(AuditEvent.id))).one() or 0


def _uid(task_id: int) -> str:
    return f"task-{task_id}@127.0.0.1"


def test_feed_lists_the_units_open_tasks_and_follows_their_deadlines(world: World) -> None:
    today = clock.today()
    led = world.new_task(title="Xây dựng Kho dữ liệu dùng chung của tỉnh, giai đoạn 2026–2030")
    coordinated = world.new_task(
        lead_unit_id=world.unit_id("coord"), coordinating_unit_ids=[world.unit_id("lead")]
    )
    another_units = world.new_task(lead_unit_id=world.unit_id("other"), coordinating_unit_ids=[])
    cancelled = world.new_task()
    path = _create_feed(world)

    calendar = _fetch(world, path)
    assert str(calendar["prodid"]) and str(calendar["version"]) == "2.0"
    assert str(calendar["method"]) == "PUBLISH"
    assert str(calendar["x-wr-calname"]) == "Hạn nhiệm vụ — Sở Nội vụ"
    assert str(calendar["x-wr-timezone"]) == "Asia/Ho_Chi_Minh"
    events = _events(calendar)
    assert {_uid(led), _uid(coordinated), _uid(cancelled)} <= set(events)
    assert _uid(another_units) not in events
    event = events[_uid(led)]
    due = today + timedelta(days=30)
    assert event.decoded("dtstart") == due and type(event.decoded("dtstart")) is date
    assert event["dtstart"].params["VALUE"] == "DATE"
    assert event.decoded("dtend") == due + timedelta(days=1)
    assert str(event["summary"]) == (
        "Hạn: Xây dựng Kho dữ liệu dùng chung của tỉnh, giai đoạn 2026–2030"
    )
    assert str(event["url"]) == f"http://127.0.0.1:8000/tasks/{led}"
    assert "dtstamp" in event and event.decoded("sequence") == 1
    first_modified = event.decoded("last-modified")

    # An approved extension moves the event, with a higher SEQUENCE; a cancelled task leaves.
    with world.session() as session:
        request = tasks_service.request_extension(
            session=session,
            actor=SETUP,
            task_id=led,
            expected_version=1,
            proposed_due_on=today + timedelta(days=60),
            reason="Chờ ý kiến của Bộ",
        )
        tasks_service.approve_extension(
            session=session, actor=SETUP, extension_id=request.id or 0, expected_version=2
        )
        tasks_service.cancel(
            session=session, actor=SETUP, task_id=cancelled, expected_version=1, reason="Trùng"
        )
        session.commit()
    events = _events(_fetch(world, path))
    moved = events[_uid(led)]
    assert moved.decoded("dtstart") == today + timedelta(days=60)
    assert moved.decoded("sequence") == 3
    assert moved.decoded("last-modified") >= first_modified
    assert _uid(cancelled) not in events
    assert _uid(coordinated) in events


def test_feeds_of_other_units_never_show_these_tasks(world: World) -> None:
    led = world.new_task()
    path = _create_feed(world, ("other", Role.VIEWER))
    assert _uid(led) not in _events(_fetch(world, path))


def test_rotating_and_revoking_the_url(world: World) -> None:
    member = ("lead", Role.VIEWER)
    last_event = _last_audit_id(world)
    first = _create_feed(world, member)
    second = _create_feed(world, member)
    assert world.client.get(first).status_code == 404
    _fetch(world, second)

    response = world.client.delete(FEED_API, headers=world.headers(*member))
    assert response.status_code == 204
    gone = world.client.get(second)
    assert gone.status_code == 404
    assert gone.json()["detail"][0]["code"] == "calendar_feed.not_found"
    again = world.client.delete(FEED_API, headers=world.headers(*member))
    assert again.status_code == 404
    assert again.json()["detail"][0]["code"] == "calendar_feed.not_found"
    for unknown in ("/calendar/" + "A" * 43 + ".ics", "/calendar/x.ics", "/calendar/%00.ics"):
        assert world.client.get(unknown).status_code == 404

    # create, create (+ revoke of the first), revoke: four events; the token is nowhere.
    with world.session() as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.id) > last_event)
            .order_by(col(AuditEvent.id))
        ).all()
        feeds = session.exec(
            select(CalendarFeed).where(CalendarFeed.user_id == world.users[member].id)
        ).all()
    assert actions == [
        "calendar_feed.create",
        "calendar_feed.revoke",
        "calendar_feed.create",
        "calendar_feed.revoke",
    ]
    tokens = {path.removeprefix("/calendar/").removesuffix(".ics") for path in (first, second)}
    assert len(feeds) == 2 and all(f.active_user_id is None for f in feeds)
    stored = " ".join(f"{f.token_digest} {f.model_dump()}" for f in feeds)
    assert not any(token in stored for token in tokens)


def test_one_active_feed_per_user_is_a_database_rule(world: World) -> None:
    """Two creations racing past the revoke step still cannot both leave an active feed."""
    user_id = world.users[("coord", Role.OFFICER)].id
    with world.session() as session:
        session.add(CalendarFeed(user_id=user_id, active_user_id=user_id, token_digest="a" * 64))
        session.commit()
    with pytest.raises(sa.exc.IntegrityError), Session(world.engine) as session:
        session.add(CalendarFeed(user_id=user_id, active_user_id=user_id, token_digest="b" * 64))
        session.commit()


def test_the_access_log_never_shows_a_feed_token() -> None:
    """uvicorn's access line is (client, method, path, version, status): the path is masked."""
    import logging

    from api.routers.me import RedactFeedTokens

    token = "Zk3" * 14
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/calendar/{token}.ics", "1.1", 200),
        None,
    )
    assert RedactFeedTokens().filter(record)
    assert token not in record.getMessage()
    assert '"GET /calendar/***.ics HTTP/1.1" 200' in record.getMessage()
