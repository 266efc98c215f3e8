"""The demo's fortnight of reminders (notifications.demo), read back from its Maildir: every
kind of reminder reaches Lý Sơn's officers and the province's, each as a well-formed message,
and the seed report's figures are untouched by the tasks that make them."""

from __future__ import annotations

import mailbox
import re
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from notifications import demo
from reports import demo as report_demo
from reports.snapshot import ReportSnapshot
from tracking import demo as demo_world
from tracking import units
from tracking.queries import count_by_category
from tracking.status import Category

# How the digest words each kind (its "Tình trạng" and "Lý do nhận nhắc" lines).
KINDS = {
    "còn 3 ngày": "Tình trạng: còn 3 ngày làm việc",
    "còn 1 ngày": "Tình trạng: còn 1 ngày làm việc",
    "đến hạn": "Tình trạng: đến hạn hôm nay",
    "quá hạn": "Tình trạng: quá hạn",
    "báo lên cấp trên": "Lý do nhận nhắc: nhiệm vụ quá hạn lâu do cơ quan anh/chị giao",
}
LY_SON = "@lyson.quangngai.gov.vn"


def _part(message: Message, content_type: str) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == content_type]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def _build(engine: Engine) -> int:
    with Session(engine) as session:
        demo_world.build(session=session)
        demo.add_contacts(session=session)
        added = demo.add_fortnight_tasks(session=session)
        session.commit()
    return added


def test_the_fortnight_mails_every_kind_of_reminder_to_ly_son_and_the_province(
    engine: Engine, tmp_path: Path
) -> None:
    assert _build(engine) == 4
    folder = tmp_path / "demo-mail"
    result = demo.send_demo_reminders(engine=engine, mail_folder=folder)
    messages = list(mailbox.Maildir(folder, create=False))
    assert result.received == len(messages) == 20

    kinds_to: dict[str, set[str]] = {"Lý Sơn": set(), "tỉnh": set()}
    for message in messages:
        # One plain-text and one HTML alternative, from the province's office, to one person.
        assert message.get_content_type() == "multipart/alternative"
        parts = message.get_payload()
        assert isinstance(parts, list)
        assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
        sender = str(make_header(decode_header(message["From"])))
        assert sender.startswith("Văn phòng UBND tỉnh Quảng Ngãi <")
        subject = str(make_header(decode_header(message["Subject"])))
        assert re.fullmatch(
            r"\[Nhắc việc\] \d nhiệm vụ cần xử lý( \(\d quá hạn\))? - ngày .+", subject
        )
        text = _part(message, "text/plain")
        assert text.startswith("Kính gửi: ")
        assert "<html" in _part(message, "text/html")
        side = "Lý Sơn" if message["To"].endswith(LY_SON) else "tỉnh"
        kinds_to[side] |= {kind for kind, words in KINDS.items() if words in text}
    assert kinds_to["Lý Sơn"] == kinds_to["tỉnh"] == set(KINDS)

    # The summary the demo prints counts the same messages by kind and recipient.
    assert result.mailbox == demo.MailboxSummary(
        messages=20,
        by_kind={
            "còn 3 ngày làm việc": 4,
            "còn 1 ngày làm việc": 4,
            "đến hạn hôm nay": 3,
            "quá hạn": 7,
            "báo lên cấp trên": 4,
        },
        to_district=13,
    )
    assert sum(message["To"].endswith(LY_SON) for message in messages) == 13
    assert result.mailbox.lines("UBND huyện Lý Sơn")[1] == (
        "  Tới UBND huyện Lý Sơn và các phòng: 13 thư; tới các cơ quan cấp tỉnh: 7 thư."
    )

    # A second demo adds no task and sends nothing; the mailbox is summed up the same.
    assert _build(engine) == 0
    again = demo.send_demo_reminders(engine=engine, mail_folder=folder)
    assert again.received == 0 and sum(p.notifications_added for p in again.plans) == 0
    assert again.mailbox == result.mailbox
    assert len(list(mailbox.Maildir(folder, create=False))) == 20


def test_the_fortnights_tasks_leave_the_seed_reports_figures_alone(engine: Engine) -> None:
    _build(engine)
    with Session(engine) as session:
        district = units.get_by_code(session=session, code=demo_world.DISTRICT_CODE)
        # The demo's sentence: Lý Sơn's tasks of 2021 (the district's own plan is of 2020).
        year = count_by_category(
            session=session,
            as_of=demo_world.REPORT_DATE,
            unit=district,
            assigned_from=demo_world.YEAR_START,
        )
        assert (year.total, year.completed, year.counts[Category.IN_PROGRESS]) == (5, 3, 2)
        # Everything Lý Sơn leads as of that day: its own three tasks are overdue by then.
        everything = count_by_category(session=session, as_of=demo_world.REPORT_DATE, unit=district)
        assert (everything.total, everything.counts[Category.OVERDUE]) == (8, 3)
        # The report on Plan 61 counts the province's five, none of the fortnight's.
        report = report_demo.issue_seed_report(session=session)
        assert report.symbol == "555/BC-UBND" and report.snapshot is not None
        figures = ReportSnapshot.from_stored(report.snapshot).figures
        totals = figures.totals
        assert (totals.total, totals.completed, totals.counts[Category.IN_PROGRESS]) == (5, 3, 2)
        fortnight = {title for title, _, _ in demo.DISTRICT_TASKS} | {demo.PROVINCE_TASK[0]}
        assert len(figures.tasks) == 5 and not fortnight & {t.title for t in figures.tasks}
