"""Planning a day's reminders on request (the API's `POST /reminders/plan`): the day checked,
the planner run, the run audited, and a preview kept to the caller's reach.

Which days: a run that writes plans today or a past day no further back than the setting
`backdate_max_days` (a catch-up after a stop); a future day would be planned with today's
state and sent before its time, so only a dry run may look ahead, up to PREVIEW_DAYS_AHEAD
days. Planning a day twice adds nothing (notifications.planner).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models import User
from notifications.planner import PlannedReminder, PlanResult, plan_reminders
from settings import get_settings
from tracking import clock
from tracking.access import Principal, user_reach_filter
from tracking.audit import Actor, record
from tracking.errors import InvalidInput
from tracking.formatting import long_date

PREVIEW_DAYS_AHEAD = 31


def check_plan_day(*, as_of: date, dry_run: bool) -> None:
    """Refuse a day too far back for any run, or after today for a run that writes (after
    PREVIEW_DAYS_AHEAD days for a dry run)."""
    today = clock.today()
    days_back = get_settings().backdate_max_days
    if as_of < today - timedelta(days=days_back):
        raise InvalidInput(
            "reminder.plan_too_far_back",
            f"Chỉ lập nhắc việc cho ngày trong vòng {days_back} ngày trước hôm nay; "
            f"{long_date(as_of)} đã quá xa",
            field="as_of",
        )
    if not dry_run and as_of > today:
        raise InvalidInput(
            "reminder.plan_in_future",
            f"Không thể lập nhắc việc cho {long_date(as_of)}, sau hôm nay: tình hình nhiệm vụ "
            "còn thay đổi; hãy chạy thử (dry_run) để xem trước",
            field="as_of",
        )
    if as_of > today + timedelta(days=PREVIEW_DAYS_AHEAD):
        raise InvalidInput(
            "reminder.plan_too_far_ahead",
            f"Chỉ xem trước nhắc việc trong vòng {PREVIEW_DAYS_AHEAD} ngày tới",
            field="as_of",
        )


def plan_day(*, session: Session, actor: Actor, as_of: date, dry_run: bool) -> PlanResult:
    """Plan (or preview) the reminders of as_of; a run that writes is audited with its counts.
    Flushes; the caller commits."""
    check_plan_day(as_of=as_of, dry_run=dry_run)
    result = plan_reminders(session=session, as_of=as_of, dry_run=dry_run)
    if not dry_run:
        record(
            session=session,
            actor=actor,
            action="reminder.plan",
            entity="reminder_day",
            entity_id=None,
            after={
                "as_of": as_of.isoformat(),
                "is_working_day": result.is_working_day,
                "tasks_in_window": result.tasks_in_window,
                "reminders_planned": result.reminders_planned,
                "items_added": result.items_added,
                "notifications_added": result.notifications_added,
            },
        )
    return result


def reminders_in_reach(
    *, session: Session, principal: Principal, reminders: Sequence[PlannedReminder]
) -> list[PlannedReminder]:
    """The reminders to people the principal may see (their reach's users, as the outbox
    shows); all of them for an administrator."""
    reach = user_reach_filter(principal)
    if reach is None:
        return list(reminders)
    visible = set(session.execute(select(col(User.id)).where(reach)).scalars())
    return [reminder for reminder in reminders if reminder.recipient_user_id in visible]
