"""The demo's reminders: the seed world's officers get email addresses, the reminders of the
fortnight before the 2021 report are planned, and delivered to a local mail server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import ContactChannel, User
from notifications.contacts import set_contact_channels
from notifications.delivery import DeliverResult, deliver, next_window_opening
from notifications.mailsink import local_mail_server
from notifications.planner import PlanResult, plan_reminders
from settings import overridden
from tracking.audit import Actor

DEMO_ACTOR = Actor(name="demo")
DEMO_EMAILS = {
    "admin": "quantri@quangngai.gov.vn",
    "vp.tinh": "hoa.tt@quangngai.gov.vn",
    "stttt": "binh.nv@stttt.quangngai.gov.vn",
    "ninh.lv": "ninh.lv@lyson.quangngai.gov.vn",
    "vp.lyson": "lan.pt@lyson.quangngai.gov.vn",
    "vhtt.lyson": "tam.vm@lyson.quangngai.gov.vn",
}
# The working days of the fortnight before report 555/BC-UBND (02/11/2021).
DEMO_DAYS = (date(2021, 10, 20), date(2021, 11, 2))
# The body the demo's mail comes from (the province's office sends the reminders).
DEMO_SENDER = "Văn phòng UBND tỉnh Quảng Ngãi"


@dataclass
class DemoReminders:
    plans: list[PlanResult] = field(default_factory=list)
    delivery: DeliverResult | None = None
    mail_folder: Path | None = None
    received: int = 0
    sent_at: datetime | None = None


def add_contacts(*, session: Session) -> int:
    """Give the demo's users an email channel, once; returns how many users got one."""
    added = 0
    for username, address in DEMO_EMAILS.items():
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None or user.id is None:
            continue
        has_channel = session.exec(
            select(ContactChannel).where(ContactChannel.user_id == user.id)
        ).first()
        if has_channel is None:
            set_contact_channels(
                session=session, user_id=user.id, urls=[f"mailto:{address}"], actor=DEMO_ACTOR
            )
            added += 1
    return added


def send_demo_reminders(*, engine: Engine, mail_folder: Path) -> DemoReminders:
    """Plan every working day of DEMO_DAYS (planning twice adds nothing) and deliver what is
    pending, as at the next opening of the send window, to a mail server started for the
    purpose, which files the messages in mail_folder. add_contacts() must have run."""
    result = DemoReminders(mail_folder=mail_folder)
    with Session(engine) as session:
        day, last = DEMO_DAYS
        while day <= last:
            planned = plan_reminders(session=session, as_of=day)
            if planned.is_working_day:
                result.plans.append(planned)
            day += timedelta(days=1)
        session.commit()
    with (
        local_mail_server(mail_folder) as sink,
        overridden(
            smtp_host=sink.host,
            smtp_port=str(sink.port),
            smtp_tls="false",
            smtp_from_name=DEMO_SENDER,
        ),
    ):
        result.sent_at = next_window_opening(engine)
        result.delivery = deliver(engine=engine, at=result.sent_at)
        result.received = sink.handler.received
    return result
