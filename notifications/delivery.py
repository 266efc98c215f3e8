"""Delivery from the outbox: claim with a lease, send (email on one SMTP connection per
server for a batch, notifications.smtp; other channels through Apprise), record the outcome.

Guarantee: a message is never lost (failures are retried with backoff and end `dead`,
visible, with the administrators told) and, barring one window, never sent twice. A row is
claimed with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite),
the attempt is counted and the lease renewed just before sending, and the result is
committed right after the remote end accepts. The window left is a crash between the remote
end accepting and that commit: the row is sent again after its lease expires. Emails carry a
Message-ID derived from the outbox key, so such a resend is recognisable as the same message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import apprise
from sqlalchemy import ColumnElement, Engine, Update, and_, or_, update
from sqlmodel import Session, col, select

from models import (
    AssignmentRole,
    ContactChannel,
    Notification,
    NotificationKind,
    NotificationState,
    ReminderItem,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    User,
)
from models.db import get_engine, is_postgres, rows_changed
from models.types import utc_now
from notifications import channels, outbox, smtp, zalo
from notifications.digest import SUBJECT_PREFIX, render_dead_alert, render_digest
from notifications.outbox import OutboxMessage
from notifications.planner import digest_lines
from notifications.policy import global_rules
from notifications.tokens import DbTokenStore
from settings import get_settings
from tracking import clock
from tracking.audit import SYSTEM, Actor, record
from tracking.calendar import load_calendar
from tracking.errors import Conflict, InvalidInput, NotFound
from tracking.units import subtree_condition

log = logging.getLogger(__name__)

RETRYABLE = (NotificationState.PENDING, NotificationState.FAILED)


@dataclass
class DeliverResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    lost_lease: int = 0
    deferred: str = ""  # why nothing was sent (outside the send window), else ""
    sent_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int | str]:
        """What a flow run or a benchmark reports of it (the ids left out)."""
        return {
            "claimed": self.claimed,
            "sent": self.sent,
            "failed": self.failed,
            "dead": self.dead,
            "skipped": self.skipped,
            "lost_lease": self.lost_lease,
            "deferred": self.deferred,
        }


# The outbox's reason for a Zalo message refused because the person has not messaged the
# Official Account recently (zalo.NOT_INTERACTING_CODES): its code starts the text, so the
# outbox listing can be filtered by it and the administrators' alert says what to do.
OA_INTERACTION_CODE = "zalo.oa_interaction_needed"
OA_INTERACTION_NEEDED = (
    f"[{OA_INTERACTION_CODE}] Zalo từ chối vì người nhận chưa quan tâm hoặc 7 ngày qua chưa "
    "nhắn tin cho Official Account: người nhận cần nhắn một tin bất kỳ cho Official Account, "
    "sau đó quản trị viên gửi lại thông báo này"
)


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    error: str = ""
    permanent: bool = False  # retrying cannot help (the URL itself is unusable)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def message_id_for(key: str) -> str:
    domain = get_settings().smtp_from.rpartition("@")[2] or "nhiemvu.local"
    return f"<nv-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def send_one(
    *,
    channel_url: str,
    subject: str,
    body: str,
    key: str | None = None,
    mail: smtp.Connections | None = None,
) -> SendOutcome:
    """Send one message: email on `mail`'s SMTP connections (a batch's; default: its own
    connection), any other channel through a fresh Apprise object.

    One object per send: Apprise throttles a plugin object to one request per 5.5 s, which
    only matters for repeated sends on the same object. Apprise never raises; add() and
    notify() report failure by their return values, and the reason is in the result's logs.
    """
    headers = {"X-Nhiemvu-Key": key} if key else None
    try:
        plugin = channels.sendable_plugin(channel_url, headers=headers)
    except channels.RefusedTarget as error:
        # Checked again here, not only when the URL was added: a name can resolve elsewhere
        # later, and rows stored before the rule existed must not be sent either.
        log.warning("refused to send to %s: %s", channels.mask(channel_url), error)
        return SendOutcome(False, f"Không gửi tới kênh này: {error}", permanent=True)
    invalid = SendOutcome(
        False, "Địa chỉ kênh không hợp lệ: " + channels.mask(channel_url), permanent=True
    )
    if smtp.is_plain_email(plugin):
        with channels.stable_message_id(message_id_for(key) if key else None):
            if mail is not None:
                sent = mail.send(plugin, subject=subject, body=body)
            else:
                with smtp.Connections() as own:
                    sent = own.send(plugin, subject=subject, body=body)
        return SendOutcome(sent.ok, sent.error[:2000])
    sender = apprise.Apprise(asset=channels.make_asset())
    if plugin is None or not sender.add(plugin):
        return invalid
    with channels.stable_message_id(message_id_for(key) if key else None):
        # Bodies are plain text; without saying so Apprise takes them as HTML for email
        # and collapses the line breaks of the text part.
        result = sender.notify(body=body, title=subject, body_format=apprise.NotifyFormat.TEXT)
    if result:
        return SendOutcome(True)
    reasons = [
        entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")
    ]
    if any(zalo.NOT_INTERACTING_MARK in reason for reason in reasons):
        # Final for this message at once: the person's other channels carry their own copy.
        return SendOutcome(False, OA_INTERACTION_NEEDED, permanent=True)
    return SendOutcome(False, ("; ".join(reasons) or "Gửi không thành công")[:2000])


def _update_outbox() -> Update:
    # Without matching the updated rows against objects in the session (none is read after
    # an update here): that matching costs more than the statement itself.
    return update(Notification).execution_options(synchronize_session=False)


def _due_clause(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(Notification.state).in_(RETRYABLE), col(Notification.next_attempt_at) <= now),
        # A worker that died holding a lease: the row is taken over once the lease expires.
        and_(
            col(Notification.state) == NotificationState.SENDING,
            col(Notification.lease_expires_at) < now,
        ),
    )


def claim(*, engine: Engine, owner: str, limit: int, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` due rows to `owner`; committed before anything is sent."""
    now = now or utc_now()
    lease = now + timedelta(seconds=get_settings().notify_lease_seconds)
    values = {
        "state": NotificationState.SENDING,
        "lease_owner": owner,
        "lease_expires_at": lease,
        "updated_at": now,
    }
    order = (col(Notification.next_attempt_at), col(Notification.id))
    with Session(engine) as session:
        if is_postgres(engine):
            ids = list(
                session.exec(
                    select(Notification.id)
                    .where(_due_clause(now))
                    .order_by(*order)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).all()
            )
            if ids:
                session.execute(
                    _update_outbox().where(col(Notification.id).in_(ids)).values(**values)
                )
            session.commit()
            return [i for i in ids if i is not None]
        # SQLite has one writer at a time: each conditional UPDATE re-checks the row is
        # still due, so two workers that read the same candidates cannot both claim one.
        candidates = list(
            session.exec(
                select(Notification.id).where(_due_clause(now)).order_by(*order).limit(limit)
            ).all()
        )
        claimed = []
        for notification_id in candidates:
            done = rows_changed(
                session,
                _update_outbox()
                .where(col(Notification.id) == notification_id, _due_clause(now))
                .values(**values),
            )
            if done == 1:
                claimed.append(notification_id)
        session.commit()
        return [i for i in claimed if i is not None]


def _backoff(attempts: int) -> timedelta:
    settings = get_settings()
    seconds = settings.notify_backoff_seconds * (2 ** max(0, attempts - 1))
    return timedelta(seconds=min(seconds, settings.notify_backoff_max_seconds))


# The role a recipient's unit must still hold in a task for its reminder to go out (the
# issuer's office follows the issuer, which does not change).
_ROLE_OF_AUDIENCE = {
    "lead": AssignmentRole.LEAD,
    "lead_leaders": AssignmentRole.LEAD,
    "coordinators": AssignmentRole.COORDINATE,
}


def _prepare(session: Session, row: Notification) -> str:
    """Drop items whose task changed since planning; '' if something is left to send."""
    if row.kind != NotificationKind.DIGEST:
        return ""
    kept_items = and_(
        col(ReminderItem.notification_id) == row.id, col(ReminderItem.dropped_reason) == ""
    )
    items = list(session.exec(select(ReminderItem).where(kept_items)).all())
    # The items' tasks by a subquery, not a list of ids: one digest (an office's long-overdue
    # tasks of a province) can name more tasks than a statement may carry parameters.
    tasks = {
        t.id: t
        for t in session.exec(
            select(Task).where(
                col(Task.id).in_(select(col(ReminderItem.task_id)).where(kept_items))
            )
        ).all()
    }
    # The role the recipient's unit holds in each task now: the lead or coordinators may
    # have changed since planning (tracking.tasks.reassign).
    roles = dict(
        session.execute(
            select(col(TaskAssignment.task_id), col(TaskAssignment.role))
            .join(User, col(User.unit_id) == col(TaskAssignment.unit_id))
            .where(
                col(User.id) == row.recipient_user_id,
                col(TaskAssignment.task_id).in_(
                    select(col(ReminderItem.task_id)).where(kept_items)
                ),
            )
        ).all()
    )
    keep = []
    for item in items:
        task = tasks.get(item.task_id)
        needed = _ROLE_OF_AUDIENCE.get(item.audience)
        if task is None or task.state != TaskState.OPEN:
            item.dropped_reason = f"nhiệm vụ đã chuyển sang {task.state if task else 'xóa'}"
        elif task.due_on != item.due_on:
            item.dropped_reason = "hạn xử lý đã thay đổi (gia hạn)"
        elif needed is not None and roles.get(item.task_id) != needed:
            item.dropped_reason = "đơn vị của người nhận không còn chủ trì hoặc phối hợp nhiệm vụ"
        else:
            keep.append(item)
            continue
        session.add(item)
    if not keep:
        return "mọi nhiệm vụ trong thông báo đã hoàn thành, tạm dừng, hủy hoặc gia hạn"
    if len(keep) != len(items):  # re-render without the stale items
        user = session.get(User, row.recipient_user_id)
        as_of = row.digest_on or clock.today()
        row.subject, row.body = render_digest(
            lines=digest_lines(session, keep, as_of, load_calendar(session)),
            as_of=as_of,
            recipient_name=user.full_name if user else "",
            recipient_title=user.title if user else "",
        )
    return ""


def _alert_admins(session: Session, row: Notification) -> None:
    """Tell the administrators through the outbox itself (so the alert is retried too)."""
    if row.kind == NotificationKind.ALERT:
        return  # an alert about an alert would loop
    user = session.get(User, row.recipient_user_id) if row.recipient_user_id else None
    subject, body = render_dead_alert(
        notification_id=row.id or 0,
        recipient=user.full_name if user else "",
        channel=channels.mask(row.channel_url),
        attempts=row.attempts,
        last_error=row.last_error,
        oa_interaction_needed=row.last_error.startswith(f"[{OA_INTERACTION_CODE}]"),
    )
    addresses = [a.strip() for a in get_settings().admin_emails.split(",") if a.strip()]
    # One alert per death: a notification retried by hand and dead again is told again.
    death = row.updated_at.isoformat() if row.updated_at else ""
    outbox.enqueue(
        session=session,
        messages=[
            OutboxMessage(
                key=f"alert:dead:{row.id}:{death}:{address}",
                kind=NotificationKind.ALERT,
                channel_url=f"mailto:{address}",
                subject=subject,
                body=body,
            )
            for address in addresses
        ],
    )


def _mine(notification_id: int, owner: str) -> ColumnElement[bool]:
    return and_(
        col(Notification.id) == notification_id,
        col(Notification.lease_owner) == owner,
        col(Notification.state) == NotificationState.SENDING,
    )


@dataclass(frozen=True)
class _Attempt:
    """A claimed row about to be sent: its attempt counted, its lease renewed."""

    notification_id: int
    attempts: int
    url: str
    subject: str
    body: str
    key: str


def _take(session: Session, notification_id: int, owner: str) -> _Attempt | str:
    """Make a claimed row ready to send, in `session` (not committed): the _Attempt, or why
    it is not sent ("skipped": nothing left in the digest; "lost_lease")."""
    row = session.get(Notification, notification_id)
    if row is None or row.lease_owner != owner or row.state != NotificationState.SENDING:
        return "lost_lease"
    stale = _prepare(session, row)
    now = utc_now()
    if stale:
        row.state, row.last_error = NotificationState.SKIPPED, stale
        row.lease_owner, row.lease_expires_at, row.updated_at = None, None, now
        session.add(row)
        return "skipped"
    # Count the attempt and renew the lease right before sending, still conditional on
    # holding it: a worker that lost its lease must not send.
    attempt = _Attempt(
        notification_id, row.attempts + 1, row.channel_url, row.subject, row.body, row.key
    )
    renewed = rows_changed(
        session,
        _update_outbox()
        .where(_mine(notification_id, owner))
        .values(
            attempts=attempt.attempts,
            subject=attempt.subject,
            body=attempt.body,
            lease_expires_at=now + timedelta(seconds=get_settings().notify_lease_seconds),
            updated_at=now,
        ),
    )
    return attempt if renewed == 1 else "lost_lease"


def _record(
    session: Session, attempt: _Attempt, outcome: SendOutcome, owner: str
) -> NotificationState | None:
    """Record a send's outcome in `session` (not committed) while still holding the lease;
    the state it ends in, None if the lease was lost."""
    settings = get_settings()
    now = utc_now()
    values: dict[str, Any]
    if outcome.ok:
        values = {"state": NotificationState.SENT, "sent_at": now, "last_error": ""}
    elif outcome.permanent or attempt.attempts >= settings.notify_max_attempts:
        values = {"state": NotificationState.DEAD, "last_error": outcome.error}
    else:
        values = {
            "state": NotificationState.FAILED,
            "last_error": outcome.error,
            "next_attempt_at": now + _backoff(attempt.attempts),
        }
    done = rows_changed(
        session,
        _update_outbox()
        .where(_mine(attempt.notification_id, owner))
        .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values),
    )
    if done != 1:
        # Our lease ran out while sending and another worker took the row over.
        log.warning("notification %s: lease lost while sending", attempt.notification_id)
        return None
    if values["state"] == NotificationState.DEAD:
        row = session.get(Notification, attempt.notification_id)
        assert row is not None
        _alert_admins(session, row)
    state: NotificationState = values["state"]
    return state


def _tally(result: DeliverResult, notification_id: int, state: NotificationState | None) -> None:
    if state is None:
        result.lost_lease += 1
    elif state == NotificationState.SENT:
        result.sent += 1
        result.sent_ids.append(notification_id)
    elif state == NotificationState.DEAD:
        result.dead += 1
    else:
        result.failed += 1


def process_batch(
    *,
    engine: Engine,
    notification_ids: list[int],
    owner: str,
    result: DeliverResult,
    mail: smtp.Connections | None = None,
) -> None:
    """Send claimed rows one by one (email on `mail`, the batch's SMTP connections) and
    record what happened to each.

    Each row is made ready (attempt counted, lease renewed) and committed before it is sent,
    and its outcome recorded right after; the outcome of one row and the readiness of the
    next share one commit, so the database holds exactly what a commit after each would, at
    every send, for half the commits (each one a disk flush)."""
    sent: tuple[_Attempt, SendOutcome] | None = None
    for next_id in [*notification_ids, None]:
        with Session(engine, expire_on_commit=False) as session:
            state = _record(session, *sent, owner) if sent else None
            try:
                taken = _take(session, next_id, owner) if next_id is not None else None
                session.commit()
            except BaseException:
                # What was sent is recorded even when making the next row ready fails.
                session.rollback()
                if sent:
                    _record(session, *sent, owner)
                    session.commit()
                raise
        if sent:
            _tally(result, sent[0].notification_id, state)
        sent = None
        if taken == "skipped":
            result.skipped += 1
        elif taken == "lost_lease":
            result.lost_lease += 1
        elif isinstance(taken, _Attempt):
            outcome = send_one(
                channel_url=taken.url,
                subject=taken.subject,
                body=taken.body,
                key=taken.key,
                mail=mail,
            )
            sent = (taken, outcome)


def process(*, engine: Engine, notification_id: int, owner: str, result: DeliverResult) -> None:
    """Send one claimed row and record what happened."""
    with smtp.Connections() as mail:
        process_batch(
            engine=engine,
            notification_ids=[notification_id],
            owner=owner,
            result=result,
            mail=mail,
        )


def window_closed_reason(engine: Engine, at: datetime | None = None) -> str:
    """Why sending must wait at `at` (default now): quiet hours, a day off; '' if open."""
    with Session(engine) as session:
        rules = global_rules(session)
        calendar = load_calendar(session)
    moment = at.astimezone(clock.local_zone()) if at else clock.now_local()
    if rules.send_window.is_open(moment, calendar):
        return ""
    opening = rules.send_window.next_opening(moment, calendar)
    return f"ngoài khung giờ gửi; lần gửi tiếp theo từ {opening:%H:%M %d/%m/%Y}"


def next_window_opening(engine: Engine) -> datetime:
    """Now if the send window is open, else when it next opens (local time)."""
    with Session(engine) as session:
        rules = global_rules(session)
        calendar = load_calendar(session)
    return rules.send_window.next_opening(clock.now_local(), calendar)


def deliver(
    *,
    engine: Engine | None = None,
    owner: str | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    at: datetime | None = None,
) -> DeliverResult:
    """Send what is due, batch by batch, until nothing is due (or max_batches).

    `at` delivers as if at that instant (what is due then, if the window is open then); the
    demo uses the next opening of the window rather than wait for it. Default: now."""
    engine = engine or get_engine()
    owner = owner or worker_name()
    batch_size = batch_size or get_settings().notify_batch_size
    result = DeliverResult()
    reason = window_closed_reason(engine, at)
    if reason:
        result.deferred = reason
        return result
    zalo.set_token_store(DbTokenStore(engine))
    batches = 0
    while max_batches is None or batches < max_batches:
        ids = claim(engine=engine, owner=owner, limit=batch_size, now=at)
        if not ids:
            break
        batches += 1
        result.claimed += len(ids)
        # One SMTP connection per server for the batch, not one per message.
        with smtp.Connections() as mail:
            process_batch(
                engine=engine, notification_ids=ids, owner=owner, result=result, mail=mail
            )
    return result


# --- service functions for the API --------------------------------------------------------


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    key: str
    kind: str
    recipient_user_id: int | None
    channel: str  # masked
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    sent_at: datetime | None
    digest_on: object

    @classmethod
    def of(cls, row: Notification) -> OutboxEntry:
        """What may be shown of an outbox row: the channel URL masked, never the body."""
        return cls(
            id=row.id or 0,
            key=row.key,
            kind=row.kind,
            recipient_user_id=row.recipient_user_id,
            channel=channels.mask(row.channel_url),
            subject=row.subject,
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            sent_at=row.sent_at,
            digest_on=row.digest_on,
        )


def list_outbox(
    *,
    session: Session,
    state: NotificationState | str | None = None,
    recipient_user_id: int | None = None,
    task_id: int | None = None,
    digest_on: date | None = None,
    sent_on: date | None = None,
    limit: int = 100,
    offset: int = 0,
    recipient_unit_path: str | None = None,
) -> list[OutboxEntry]:
    """Newest first; the channel URL is masked. Filters, each an index search: the state, the
    recipient, a task (the digests carrying a reminder item of it), the digest's day, the
    local day it was sent. `recipient_unit_path` keeps the messages to users of that unit and
    the units below it (messages to no user, such as alerts to the administrators'
    addresses, are then left out)."""
    if state is not None:
        try:
            state = NotificationState(state)
        except ValueError:
            raise InvalidInput("outbox.state", "Trạng thái không hợp lệ", field="state") from None
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput(
            "outbox.page", "Giới hạn phải từ 1 đến 1000, vị trí không âm", field="limit"
        )
    statement = select(Notification)
    if state is not None:
        statement = statement.where(Notification.state == state)
    if recipient_user_id is not None:
        statement = statement.where(Notification.recipient_user_id == recipient_user_id)
    if task_id is not None:
        carrying = select(col(ReminderItem.notification_id)).where(
            col(ReminderItem.task_id) == task_id
        )
        statement = statement.where(col(Notification.id).in_(carrying))
    if digest_on is not None:
        statement = statement.where(Notification.digest_on == digest_on)
    if sent_on is not None:
        start = datetime.combine(sent_on, time(), tzinfo=clock.local_zone())
        statement = statement.where(
            col(Notification.sent_at) >= start.astimezone(UTC),
            col(Notification.sent_at) < (start + timedelta(days=1)).astimezone(UTC),
        )
    if recipient_unit_path is not None:
        users = (
            select(User.id)
            .join(Unit, col(Unit.id) == col(User.unit_id))
            .where(subtree_condition(root=recipient_unit_path))
        )
        statement = statement.where(col(Notification.recipient_user_id).in_(users))
    rows = session.exec(
        statement.order_by(col(Notification.id).desc()).offset(offset).limit(limit)
    ).all()
    return [OutboxEntry.of(row) for row in rows]


@dataclass(frozen=True)
class OaContactNeeded:
    """A Zalo message given up because its recipient must first message the Official
    Account (OA_INTERACTION_CODE); retry_dead sends it again once they have."""

    notification_id: int
    recipient: str
    channel: str  # masked


def oa_contact_needed(*, session: Session, limit: int = 100) -> list[OaContactNeeded]:
    """The dead Zalo messages waiting for their recipient to message the Official Account,
    newest first: who the administrator must ask to do so."""
    rows = session.execute(
        select(col(Notification.id), col(User.full_name), col(Notification.channel_url))
        .join(User, col(User.id) == col(Notification.recipient_user_id))
        .where(
            col(Notification.state) == NotificationState.DEAD,
            col(Notification.last_error).startswith(f"[{OA_INTERACTION_CODE}]"),
        )
        .order_by(col(Notification.id).desc())
        .limit(limit)
    ).all()
    return [OaContactNeeded(row[0], row[1], channels.mask(row[2])) for row in rows]


def retry_dead(*, session: Session, notification_id: int, actor: Actor = SYSTEM) -> Notification:
    """Put a dead notification back in the queue (with the channel's current URL)."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound("outbox.not_found", "Không tìm thấy thông báo", field="notification_id")
    if row.state != NotificationState.DEAD:
        raise Conflict(
            "outbox.not_dead", "Chỉ gửi lại được thông báo đã dừng (dead)", field="notification_id"
        )
    before = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
    if row.channel_id is not None:
        channel = session.get(ContactChannel, row.channel_id)
        if channel is not None and channel.active:
            row.channel_url = channel.url
    now = utc_now()
    row.state, row.attempts, row.next_attempt_at, row.updated_at = (
        NotificationState.PENDING,
        0,
        now,
        now,
    )
    session.add(row)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="notification.retry",
        entity="notification",
        entity_id=row.id,
        before=before,
        after={"state": row.state},
    )
    return row


@dataclass(frozen=True)
class TestResult:
    ok: bool
    channel: str
    error: str
    code: str = ""


# What a caller is told when a test message fails, whatever the reason: the reason itself
# ("connection refused", "timeout", the host's answer) would make the test a port scanner.
TEST_FAILED = "Gửi tin thử không thành công; chi tiết được ghi trong nhật ký máy chủ"
TEST_FAILED_CODE = "reminder.test_failed"


def send_test(
    *,
    channel_url: str,
    actor: Actor,
    subject: str = f"{SUBJECT_PREFIX} Thử kênh nhắc việc",
    body: str = "Đây là tin nhắn thử của hệ thống theo dõi nhiệm vụ. "
    "Nếu anh/chị nhận được, kênh liên lạc đã hoạt động.",
    engine: Engine | None = None,
) -> TestResult:
    """Send a test message now, outside the outbox. A URL `actor` may not use raises
    (InvalidInput, Forbidden); a failed send answers TEST_FAILED, the reason is logged."""
    url = channels.validate(channel_url, actor=actor, field="channel_url")
    zalo.set_token_store(DbTokenStore(engine or get_engine()))
    outcome = send_one(
        channel_url=url, subject=subject, body=body, key=f"test:{datetime.now(UTC).isoformat()}"
    )
    if outcome.ok:
        return TestResult(True, channels.mask(url), "")
    log.warning(
        "test message by %s to %s failed: %s", actor.name, channels.mask(url), outcome.error
    )
    return TestResult(False, channels.mask(url), TEST_FAILED, TEST_FAILED_CODE)
