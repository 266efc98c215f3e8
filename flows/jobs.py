"""What the flows do, as plain functions: each opens its own transaction, calls the services and
returns a JSON-safe summary. Testable without Prefect; every one is idempotent for a date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from models.db import get_engine, session_scope
from notifications.delivery import deliver
from notifications.planner import plan_with_engine
from notifications.report_ready import enqueue_report_ready
from reports.duty_drafts import DraftRun, draft_due_reports
from tracking import obligations
from tracking.audit import SYSTEM, Actor


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
        "reminders": result.reminders_planned,
        "reminders_new": result.items_added,
        "messages_new": result.notifications_added,
    }


def deliver_outbox(*, at: datetime | None = None) -> dict[str, Any]:
    """Send what is due in the outbox, until nothing is due; `at` (the demo) delivers as if
    at that instant instead of now."""
    return deliver(engine=get_engine(), at=at).counts()


def draft_and_notify(*, session: Session, as_of: date, actor: Actor = SYSTEM) -> DraftRun:
    """The draft of every report whose period's cut-off has passed (reports), each with its
    notice to the office (notifications), in the caller's transaction."""
    run = draft_due_reports(session=session, as_of=as_of, actor=actor)
    for drafted in run.reports:
        run.notices += enqueue_report_ready(
            session=session,
            obligation=drafted.obligation,
            occurrence=drafted.occurrence,
            report_id=drafted.report_id,
            as_of=as_of,
        )
    return run


def draft_reports(*, as_of: date) -> dict[str, Any]:
    """The draft of every report whose period's cut-off has passed, and the notices."""
    with session_scope() as session:
        return draft_and_notify(session=session, as_of=as_of).as_json()
