"""A user's private calendar subscription: their unit's open tasks as an iCalendar feed.

The feed URL carries a random token (256 bits); only its SHA-256 is stored, so the table
cannot hand out a working URL. A user has at most one active feed (CalendarFeed's unique
`active_user_id`): creating one revokes the one before. The feed's events come from the task
list itself (tracking.task_queries.list_tasks as of today, as the user would see their unit's
list), so the date shown is the deadline the list shows, extensions included.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from sqlalchemy import exc, update
from sqlmodel import Session, col, select

from models import CalendarFeed, Unit, User
from models.db import rows_changed
from tracking import clock
from tracking.access import Principal
from tracking.audit import Actor, add_created, record
from tracking.errors import Conflict, NotFound
from tracking.status import Category
from tracking.task_queries import MAX_PAGE, ListedTask, TaskFilter, TaskSort, list_tasks

ENTITY = "calendar_feed"
# The categories of a task whose deadline still runs; a task done, cancelled or paused leaves
# the feed (a calendar client drops an event missing from the next fetch).
OPEN_CATEGORIES = (Category.IN_PROGRESS, Category.OVERDUE)
PRODUCT_ID = "-//nhiemvu//Lich han nhiem vu//VI"
ZONE = "Asia/Ho_Chi_Minh"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def _revoke_active(*, session: Session, actor: Actor, user_id: int) -> bool:
    """Revoke the user's active feed, if any (one conditional UPDATE: two requests cannot
    both revoke it), and audit it."""
    active = session.exec(
        select(CalendarFeed).where(col(CalendarFeed.active_user_id) == user_id)
    ).first()
    if active is None:
        return False
    revoked = rows_changed(
        session,
        update(CalendarFeed)
        .where(col(CalendarFeed.id) == active.id, col(CalendarFeed.active_user_id) == user_id)
        .values(active_user_id=None, revoked_at=clock.now_utc()),
    )
    if not revoked:
        return False
    record(
        session=session,
        actor=actor,
        action=f"{ENTITY}.revoke",
        entity=ENTITY,
        entity_id=active.id,
        before={"user_id": user_id, "active": True},
        after={"user_id": user_id, "active": False},
    )
    return True


def create(*, session: Session, actor: Actor, user_id: int) -> str:
    """A new feed for the user (the old one, if any, stops working); returns the token, which
    is shown once and never stored. Two creations at once: one wins, the other is a 409."""
    _revoke_active(session=session, actor=actor, user_id=user_id)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user_id, active_user_id=user_id, token_digest=token_digest(token))
    try:
        with session.begin_nested():
            add_created(
                session=session,
                actor=actor,
                row=feed,
                entity=ENTITY,
                fields=("user_id", "created_at"),
            )
    except exc.IntegrityError as error:
        raise Conflict(
            f"{ENTITY}.concurrent",
            "Một địa chỉ lịch khác vừa được tạo cùng lúc; hãy tải lại rồi thử lại",
            field=None,
        ) from error
    return token


def revoke(*, session: Session, actor: Actor, user_id: int) -> None:
    """Stop the user's feed; NotFound when there is none."""
    if not _revoke_active(session=session, actor=actor, user_id=user_id):
        raise NotFound(f"{ENTITY}.not_found", "Bạn chưa có địa chỉ lịch nào đang dùng", field=None)


def active_since(*, session: Session, user_id: int) -> datetime | None:
    """When the user's active feed was created; None when they have none."""
    return session.exec(
        select(CalendarFeed.created_at).where(col(CalendarFeed.active_user_id) == user_id)
    ).first()


def user_of_token(*, session: Session, token: str) -> User | None:
    """The active user whose active feed this token opens; None for a revoked, unknown or
    malformed token. The lookup is by the token's digest (an index search that reveals
    nothing about the token), then the digests are compared in constant time."""
    wanted = token_digest(token)
    feed = session.exec(
        select(CalendarFeed).where(
            col(CalendarFeed.token_digest) == wanted,
            col(CalendarFeed.active_user_id).is_not(None),
        )
    ).first()
    if feed is None or not hmac.compare_digest(feed.token_digest, wanted):
        return None
    user = session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def _open_tasks(*, session: Session, principal: Principal, as_of: date) -> Iterator[ListedTask]:
    """The unit's open tasks (led or coordinated) with a deadline, page by page."""
    offset = 0
    while True:
        page = list_tasks(
            session=session,
            principal=principal,
            flt=TaskFilter(
                as_of=as_of,
                categories=OPEN_CATEGORIES,
                unit=principal.unit,
                sort=TaskSort.ID,
                limit=MAX_PAGE,
                offset=offset,
            ),
        )
        yield from page.items
        if len(page.items) < MAX_PAGE:
            return
        offset += MAX_PAGE


def _event(item: ListedTask, *, base_url: str, host: str, stamp: datetime) -> icalendar.Event:
    task, due = item.task, item.due_on_as_of
    assert due is not None  # the open categories have a deadline
    link = f"{base_url}/tasks/{task.id}"
    event = icalendar.Event()
    event.add("uid", f"task-{task.id}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", due)  # a date: an all-day event, the same day in every zone
    event.add("dtend", due + timedelta(days=1))
    event.add("summary", f"Hạn: {task.title}")
    overdue = " (đã quá hạn)" if item.category == Category.OVERDUE else ""
    event.add("description", f"Hạn hoàn thành {due:%d/%m/%Y}{overdue}.\n{link}")
    event.add("url", link)
    # Every change to a task bumps its version (an extension too): the calendar replaces the
    # event it holds when SEQUENCE grows.
    event.add("sequence", task.version)
    event.add("last-modified", task.updated_at)
    event.add("transp", "TRANSPARENT")  # a deadline does not make the officer busy
    return event


def render(*, session: Session, user: User, base_url: str, as_of: date | None = None) -> bytes:
    """The user's unit's open tasks as an RFC 5545 calendar (bytes, CRLF-folded)."""
    unit = session.get(Unit, user.unit_id)
    if unit is None:
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị #{user.unit_id}", field=None)
    parent = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    principal = Principal.of(user=user, unit=unit, parent=parent)
    base = base_url.rstrip("/")
    host = urlsplit(base).hostname or "nhiemvu"
    stamp = clock.now_utc().replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Hạn nhiệm vụ — {unit.name}")
    calendar.add("x-wr-timezone", ZONE)
    calendar.add("x-published-ttl", "PT1H")
    for item in _open_tasks(session=session, principal=principal, as_of=as_of or clock.today()):
        calendar.add_component(_event(item, base_url=base, host=host, stamp=stamp))
    body: bytes = calendar.to_ical()
    return body
