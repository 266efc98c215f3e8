"""The demo's reminders: the seed world's officers get email addresses, a few tasks fall due in
the fortnight before the 2021 report, its reminders are planned and delivered to a local mail
server, and the mailbox is summed up by kind of reminder and by who received it.

The seed world's tasks alone remind nobody in Lý Sơn in that fortnight (the district's open tasks
are due 30/11 and 15/12: the security task's 01/11 deadline was extended on 28/10, so its
reminders go stale) and only remind, overdue, the department's task of 30/9. The fortnight's
tasks (add_fortnight_tasks) give every kind of reminder: three tasks of UBND huyện Lý Sơn's
own 2021 plan for its offices and one of the province's for Sở TT&TT with the district
coordinating. The district's were assigned in December 2020, so the seed report's figures
(UBND huyện Lý Sơn's tasks of 2021, in Plan 61) do not count them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import (
    ContactChannel,
    Notification,
    NotificationKind,
    NotificationState,
    ReminderItem,
    Unit,
    User,
)
from notifications.contacts import set_contact_channels
from notifications.delivery import DeliverResult, deliver, next_window_opening
from notifications.digest import status_text
from notifications.mailsink import local_mail_server
from notifications.planner import PlanResult, plan_reminders
from settings import overridden
from tracking import demo as demo_world
from tracking import documents, tasks, units
from tracking.audit import Actor
from tracking.deadlines import DeadlineRule

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


# UBND huyện Lý Sơn's own plan for 2021, issued at the end of 2020: its tasks for the district's
# offices fall due in the fortnight (see the module's doc).
DISTRICT_PLAN = (
    "176/KH-UBND",
    date(2020, 12, 28),
    "Ứng dụng công nghệ thông tin trong hoạt động của cơ quan nhà nước huyện Lý Sơn năm 2021",
)
# The province's letter giving Sở TT&TT a task the district coordinates.
PROVINCE_LETTER = (
    "4620/UBND-KGVX",
    date(2021, 10, 8),
    "Về việc triển khai hệ thống hội nghị truyền hình trực tuyến từ tỉnh đến cấp huyện",
)
# (title, lead unit's code, deadline). The deadlines, against the working days 20/10–02/11
# (the default rules: 3 and 1 working days before, on the day, overdue on the 1st working
# day after and every 5th, the issuer's office told from the 10th): 26/10 and 29/10 give each
# a 'còn 3 ngày', 'còn 1 ngày', 'đến hạn hôm nay' and 'quá hạn 1 ngày'; 07/10 is 11 and 16
# working days overdue on 22/10 and 29/10, so Văn phòng HĐND và UBND huyện is told. None is
# reminded on 02/11, the day `demo --flows` runs the daily sweep for.
DISTRICT_TASKS = [
    (
        "Cập nhật thông tin về di tích, lễ hội của huyện lên Cổng thông tin điện tử huyện",
        "QNG-LYSON-VHTT",
        date(2021, 10, 26),
    ),
    (
        "Rà soát, cập nhật danh mục hồ sơ điện tử năm 2021 trên phần mềm quản lý văn bản và"
        " điều hành",
        "QNG-LYSON-VP",
        date(2021, 10, 29),
    ),
    (
        "Xây dựng chuyên mục Chuyển đổi số trên Cổng thông tin điện tử huyện",
        "QNG-LYSON-VHTT",
        date(2021, 10, 7),
    ),
]
# Due 27/10: Sở TT&TT (and UBND huyện Lý Sơn, coordinating) told 3 and 1 working days before.
PROVINCE_TASK = (
    "Kết nối hệ thống hội nghị truyền hình trực tuyến của UBND tỉnh đến UBND huyện Lý Sơn",
    date(2021, 10, 27),
)

# The kinds of reminder the mailbox summary counts, after the 'còn N ngày' ones.
DUE_TODAY = status_text(0)
OVERDUE = "quá hạn"
ESCALATED = "báo lên cấp trên"


@dataclass(frozen=True)
class MailboxSummary:
    """The reminders of the fortnight sent to the mailbox: how many messages carry each kind
    of reminder (one digest may carry several), and how many went to the district's people."""

    messages: int
    by_kind: dict[str, int]
    to_district: int

    def lines(self, district_name: str) -> list[str]:
        kinds = "; ".join(f"{kind}: {count} thư" for kind, count in self.by_kind.items())
        return [
            f"  Hộp thư có {self.messages} thư nhắc việc của hai tuần ({kinds}).",
            f"  Tới {district_name} và các phòng: {self.to_district} thư; "
            f"tới các cơ quan cấp tỉnh: {self.messages - self.to_district} thư.",
        ]


@dataclass
class DemoReminders:
    plans: list[PlanResult] = field(default_factory=list)
    delivery: DeliverResult | None = None
    mail_folder: Path | None = None
    received: int = 0
    sent_at: datetime | None = None
    mailbox: MailboxSummary | None = None


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


def add_fortnight_tasks(*, session: Session) -> int:
    """Add, once, the tasks that fall due in DEMO_DAYS (module doc); returns how many."""
    symbol, issued_on, summary = DISTRICT_PLAN
    if documents.find(session=session, symbol=symbol, issued_on=issued_on) is not None:
        return 0
    actor = DEMO_ACTOR
    province = units.get_by_code(session=session, code=demo_world.PROVINCE_CODE)
    district = units.get_by_code(session=session, code=demo_world.DISTRICT_CODE)
    department = units.get_by_code(session=session, code="QNG-STTTT")
    district_plan = documents.create(
        session=session,
        actor=actor,
        symbol=symbol,
        issued_on=issued_on,
        issuer=district,
        signer="Chủ tịch UBND huyện",
        summary=summary,
    )
    for title, lead_code, due_on in DISTRICT_TASKS:
        tasks.assign(
            session=session,
            actor=actor,
            title=title,
            issuer_unit_id=district.id or 0,
            lead_unit_id=units.get_by_code(session=session, code=lead_code).id or 0,
            assigned_on=issued_on,
            deadline=DeadlineRule.fixed(due_on),
            source_document_id=district_plan.id,
            directing_leader="Chủ tịch UBND huyện",
        )
    symbol, issued_on, summary = PROVINCE_LETTER
    letter = documents.create(
        session=session,
        actor=actor,
        symbol=symbol,
        issued_on=issued_on,
        issuer=province,
        signer="Chủ tịch UBND tỉnh",
        summary=summary,
    )
    title, due_on = PROVINCE_TASK
    tasks.assign(
        session=session,
        actor=actor,
        title=title,
        issuer_unit_id=province.id or 0,
        lead_unit_id=department.id or 0,
        coordinating_unit_ids=[district.id or 0],
        assigned_on=issued_on,
        deadline=DeadlineRule.fixed(due_on),
        source_document_id=letter.id,
        directing_leader="Chủ tịch UBND tỉnh",
    )
    return len(DISTRICT_TASKS) + 1


def _kind(step: str, audience: str) -> tuple[int, str]:
    """The kind of reminder an item is, in the words of the digest's 'Tình trạng', with its
    place in the summary: 'còn N ngày' from the furthest, then on the day, overdue, escalated."""
    name, _, days = step.partition(":")
    if name == "before":
        return -int(days), status_text(int(days))
    if name == "due":
        return 0, DUE_TODAY
    return (1, OVERDUE) if audience == "lead" else (2, ESCALATED)


def mailbox_summary(*, session: Session) -> MailboxSummary:
    """The digests of DEMO_DAYS sent so far, by the kinds of the reminders they carry (the
    items delivery kept) and by whether they went to someone of the district's subtree."""
    first, last = DEMO_DAYS
    district = units.get_by_code(session=session, code=demo_world.DISTRICT_CODE)
    rows = session.execute(
        select(
            col(Notification.id),
            col(ReminderItem.step),
            col(ReminderItem.audience),
            units.subtree_condition(root=district),
        )
        .join(ReminderItem, col(ReminderItem.notification_id) == col(Notification.id))
        .join(User, col(User.id) == col(Notification.recipient_user_id))
        .join(Unit, col(Unit.id) == col(User.unit_id))
        .where(
            col(Notification.kind) == NotificationKind.DIGEST,
            col(Notification.state) == NotificationState.SENT,
            col(Notification.digest_on) >= first,
            col(Notification.digest_on) <= last,
            col(ReminderItem.dropped_reason) == "",
        )
    ).all()
    kinds_of: dict[int, set[tuple[int, str]]] = {}
    to_district: set[int] = set()
    for message_id, step, audience, in_district in rows:
        kinds_of.setdefault(message_id, set()).add(_kind(step, audience))
        if in_district:
            to_district.add(message_id)
    counted = Counter(kind for kinds in kinds_of.values() for kind in kinds)
    return MailboxSummary(
        messages=len(kinds_of),
        by_kind={label: counted[(rank, label)] for rank, label in sorted(counted)},
        to_district=len(to_district),
    )


def send_demo_reminders(*, engine: Engine, mail_folder: Path) -> DemoReminders:
    """Plan every working day of DEMO_DAYS (planning twice adds nothing) and deliver what is
    pending, as at the next opening of the send window, to a mail server started for the
    purpose, which files the messages in mail_folder; then sum up the fortnight's mailbox.
    add_contacts() and add_fortnight_tasks() must have run."""
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
    with Session(engine) as session:
        result.mailbox = mailbox_summary(session=session)
    return result
