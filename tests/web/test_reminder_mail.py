"""A reminder e-mail as the officer receives it, at the real SMTP server of the site: both
alternatives carry the same text and links, and every link opens its page in the running app
(the task, and the forms to report progress, report completion and ask for an extension)."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import col, select

from models import Notification, NotificationState, Plan, User
from notifications.delivery import deliver
from notifications.planner import plan_reminders
from tests.servers import Mail
from tests.web.conftest import COMMUNE_OFFICER, Browsing, Site
from tests.world import SETUP, WorldBuilder
from tracking import clock
from tracking.calendar import load_calendar

URL = re.compile(r"https?://\S+")
HREF = re.compile(r'href="([^"]+)"')
TITLE = "Rà soát thủ tục hành chính lĩnh vực đất đai & xây dựng"


def _reminder_mail(site: Site) -> Mail:
    """The digest that reminds the commune officer of a task due the next working day."""
    with site.session() as session:
        calendar = load_calendar(session)
        day = calendar.on_or_next_working_day(clock.today())
        plan = session.exec(select(Plan).where(col(Plan.title) == site.plan_title)).one()
        WorldBuilder(session, actor=SETUP).task(
            TITLE,
            issuer=site.units["office"],
            lead=site.units["commune"],
            due=calendar.next_working_day(day),
            assigned_on=clock.today().replace(month=1, day=5),
            plan_id=plan.id,
        )
        plan_reminders(session=session, as_of=day)
        session.commit()
        # Planned after the day's send window has closed, it goes at the next opening.
        officer = session.exec(
            select(User).where(col(User.username) == COMMUNE_OFFICER.username)
        ).one()
        send_at = session.exec(
            select(func.max(col(Notification.next_attempt_at))).where(
                col(Notification.recipient_user_id) == officer.id,
                col(Notification.state) == NotificationState.PENDING,
            )
        ).one()
    assert send_at is not None
    before = len(site.mailbox.to(COMMUNE_OFFICER.email))
    deliver(engine=site.engine, at=send_at)
    mails = [m for m in site.mailbox.to(COMMUNE_OFFICER.email)[before:] if TITLE in m.text]
    assert len(mails) == 1
    return mails[0]


def test_every_link_of_a_reminder_opens_its_page(site: Site, browsing: Browsing) -> None:
    mail = _reminder_mail(site)
    text, html = mail.text, mail.html
    assert text.startswith("Kính gửi: Công chức Văn phòng - Thống kê Lê Thị Thu,\n")
    assert "   - Văn bản giao: Kế hoạch số 215/KH-UBND ngày 02/01/" in text
    assert "   - Tình trạng: còn 1 ngày làm việc" in text
    # The HTML says the same, escaped ("&" of the title), with the same links.
    assert "đất đai &amp; xây dựng" in html and "Kế hoạch số 215/KH-UBND" in html
    links = URL.findall(text)
    assert sorted(set(HREF.findall(html))) == sorted(set(links))
    fragments = {link.partition("#")[2] for link in links}
    assert {"bao-cao-tien-do", "bao-cao-hoan-thanh", "xin-gia-han"} <= fragments

    page = browsing.signed_in(COMMUNE_OFFICER)
    for link in links:
        page.goto("about:blank")  # else a link differing by its #fragment only loads nothing
        response = page.goto(link)
        assert response is not None and response.status == 200, link
        address, _, fragment = link.partition("#")
        assert page.url.partition("#")[0] == address, f"{link} led to {page.url}"
        if fragment:
            # The form the link names is on the page, for this officer.
            assert page.locator(f"form#{fragment}").count() == 1, link
