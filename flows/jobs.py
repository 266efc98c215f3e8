"""What the flows do, as plain functions: each opens its own transaction, calls a service and
returns a JSON-safe summary. Testable without Prefect; every one is idempotent for a date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from models.db import get_engine, session_scope
from notifications.delivery import deliver
from notifications.planner import plan_with_engine
from reports import obligations


def create_occurrences(*, as_of: date) -> dict[str, Any]:
    """The tasks of recurring duties whose period has begun."""
    with session_scope() as session:
        return obligations.create_due_occurrences(session=session, as_of=as_of).as_json()


def plan_reminders(*, as_of: date) -> dict[str, Any]:
    """The day's reminders into the outbox (insert-or-ignore)."""
    result = plan_with_engine(engine=get_engine(), as_of=as_of)
    return {
        "as_of": as_of.isoformat(),
        "working_day": result.is_working_day,
        "tasks_in_window": result.tasks_in_window,
        "reminders": len(result.reminders),
        "reminders_new": result.items_added,
        "messages_new": result.notifications_added,
    }


def deliver_outbox(*, at: datetime | None = None) -> dict[str, Any]:
    """Send what is due in the outbox, until nothing is due; `at` (the demo) delivers as if
    at that instant instead of now."""
    result = deliver(engine=get_engine(), at=at)
    return {
        "claimed": result.claimed,
        "sent": result.sent,
        "failed": result.failed,
        "dead": result.dead,
        "skipped": result.skipped,
        "lost_lease": result.lost_lease,
        "deferred": result.deferred,
    }


def draft_reports(*, as_of: date) -> dict[str, Any]:
    """The draft of every report whose period's cut-off has passed, and the notices."""
    with session_scope() as session:
        return obligations.draft_due_reports(session=session, as_of=as_of).as_json()
