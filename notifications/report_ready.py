"""The notice "the draft report is ready": once a duty's period report is drafted
(reports.duty_drafts), the people who prepare the unit's reports are told through the outbox,
one message per person and channel, each under a key naming the duty, the period, the person
and the channel, so a second run adds nothing.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlmodel import Session, col, select

from models import NotificationKind, Obligation, Role, User
from notifications import contacts, outbox
from notifications.digest import SUBJECT_PREFIX, salutation, status_text
from notifications.outbox import OutboxMessage
from settings import get_settings
from tracking import clock, units
from tracking.calendar import load_calendar
from tracking.formatting import long_date
from tracking.obligations import Occurrence

log = logging.getLogger(__name__)


def responsible_people(*, session: Session, unit_id: int) -> list[User]:
    """Who prepares a unit's reports: the officers of its office (Văn phòng UBND) when it has
    one, else its own officers; a unit without officers: its leaders."""
    offices = units.offices_of(session=session, unit_ids=[unit_id]).get(unit_id, [])
    for unit_ids in (offices, [unit_id]):
        if not unit_ids:
            continue
        users = list(
            session.exec(
                select(User)
                .where(col(User.unit_id).in_(unit_ids), col(User.active).is_(True))
                .order_by(col(User.id))
            ).all()
        )
        for roles in ((Role.OFFICER,), (Role.LEADER,)):
            chosen = [u for u in users if u.role in roles]
            if chosen:
                return chosen
    return []


def ready_notice(
    *,
    obligation: Obligation,
    occurrence: Occurrence,
    report_id: int,
    recipient_name: str,
    recipient_title: str = "",
    as_of: date,
    working_days_left: int,
) -> tuple[str, str]:
    """The subject and body telling the office on `as_of` that the draft is waiting, the
    sending deadline `working_days_left` working days away (negative: missed)."""
    period = occurrence.period
    link = f"{get_settings().public_base_url.rstrip('/')}/reports/{report_id}"
    if as_of <= occurrence.due_on:
        subject = f"{SUBJECT_PREFIX} Dự thảo báo cáo {period.name} đã sẵn sàng"
        when = f" ({status_text(working_days_left)})"
        request = (
            "Đề nghị anh/chị bổ sung phần tồn tại, hạn chế, kiến nghị và trình lãnh đạo ký "
            "ban hành đúng hạn."
        )
    else:
        # Drafted after the deadline (a late import, a server that was down): the deadline
        # is told as missed, and the request is to send it now.
        subject = f"{SUBJECT_PREFIX} Dự thảo báo cáo {period.name} đã sẵn sàng (đã quá hạn gửi)"
        missed = f", {status_text(working_days_left)}" if working_days_left < 0 else ""
        when = f" (đã qua{missed})"
        request = (
            "Báo cáo đã quá hạn gửi. Đề nghị anh/chị khẩn trương bổ sung phần tồn tại, hạn chế, "
            "kiến nghị và trình lãnh đạo ký ban hành, gửi ngay."
        )
    lines = [
        salutation(name=recipient_name, title=recipient_title),
        "",
        f"Kỳ báo cáo {period.name} đã chốt số liệu ({period.start:%d/%m/%Y} – "
        f"{period.end:%d/%m/%Y}). Hệ thống đã soạn sẵn dự thảo:",
        f"  {obligation.title} {period.name}",
        f"  Hạn gửi: {long_date(occurrence.due_on)}"
        + (f", gửi {obligation.recipient}" if obligation.recipient else "")
        + when,
        f"  Xem và hoàn thiện: {link}",
        "",
        request,
        "",
        "Đây là thông báo tự động, vui lòng không trả lời thư này.",
    ]
    return subject, "\n".join(lines)


def enqueue_report_ready(
    *,
    session: Session,
    obligation: Obligation,
    occurrence: Occurrence,
    report_id: int,
    as_of: date | None = None,
) -> int:
    """Put the notice about the drafted report `report_id` in the outbox for every channel of
    the responsible people (responsible_people), written as of `as_of` (default today).
    Returns how many messages were new."""
    as_of = as_of or clock.today()
    working_days_left = load_calendar(session).working_days_between(as_of, occurrence.due_on)
    people = responsible_people(session=session, unit_id=obligation.lead_unit_id)
    channels = contacts.active_channels_of(session=session, user_ids=[p.id for p in people])
    messages = []
    for person in people:
        subject, body = ready_notice(
            obligation=obligation,
            occurrence=occurrence,
            report_id=report_id,
            recipient_name=person.full_name,
            recipient_title=person.title,
            as_of=as_of,
            working_days_left=working_days_left,
        )
        for channel in channels.get(person.id or 0, []):
            messages.append(
                OutboxMessage(
                    key=f"report-ready:{obligation.id}:{occurrence.key}:{person.id}:{channel.id}",
                    kind=NotificationKind.REPORT_READY,
                    recipient_user_id=person.id,
                    channel_id=channel.id,
                    channel_url=channel.url,
                    subject=subject,
                    body=body,
                )
            )
    if not messages:
        log.warning("nobody to tell about report %s (unit %s)", report_id, obligation.lead_unit_id)
        return 0
    return outbox.enqueue(session=session, messages=messages)
