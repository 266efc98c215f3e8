"""The one way a message enters the outbox (table notification).

Every message carries a unique key that says what it is about (a digest's items, a dead
notification, a drafted report and its recipient); the insert ignores a key already there, so
planning, alerting or drafting twice sends nothing twice. Delivery (notifications.delivery)
takes the pending rows from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from models import Notification, NotificationKind, NotificationState
from models.db import insert_ignore
from models.types import utc_now


@dataclass(frozen=True)
class OutboxMessage:
    """One message to one channel; `recipient_user_id` and `channel_id` are None for an
    address outside the directory (an administrator's mailbox from the settings)."""

    key: str
    kind: NotificationKind
    channel_url: str
    subject: str
    body: str
    recipient_user_id: int | None = None
    channel_id: int | None = None
    digest_on: date | None = None  # the day a digest was planned for


def enqueue(
    *, session: Session, messages: Sequence[OutboxMessage], send_at: datetime | None = None
) -> int:
    """Put the messages in the outbox, pending, first sent at `send_at` (default: now); a key
    already there is left as it is. Returns how many messages were new."""
    now = utc_now()
    pending = NotificationState.PENDING.value
    rows = [
        {
            "key": message.key,
            "kind": message.kind.value,
            "recipient_user_id": message.recipient_user_id,
            "channel_id": message.channel_id,
            "channel_url": message.channel_url,
            "digest_on": message.digest_on,
            "subject": message.subject,
            "body": message.body,
            "state": pending,
            "attempts": 0,
            "next_attempt_at": send_at or now,
            "last_error": "",
            "created_at": now,
            "updated_at": now,
        }
        for message in messages
    ]
    return insert_ignore(session, Notification, rows, key="key")
