"""Delivery by email to a real SMTP server (aiosmtpd on 127.0.0.1), time frozen."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Notification, NotificationKind, NotificationState
from notifications.delivery import deliver, list_outbox, message_id_for, retry_dead
from notifications.planner import plan_reminders
from settings import get_settings
from tests.notifications.conftest import AS_OF, World
from tests.servers import SmtpServer

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VN)


def _plan(engine: Engine) -> None:
    with Session(engine) as session:
        plan_reminders(session=session, as_of=AS_OF)
        session.commit()


def test_vietnamese_digest_arrives_intact_and_grouped(
    engine: Engine, world: World, smtp: SmtpServer
) -> None:
    with time_machine.travel(_at(9, 8, 0)):
        _plan(engine)
        result = deliver(engine=engine)
    assert (result.sent, result.failed, result.dead) == (4, 0, 0)
    assert len(smtp.received) == 4
    an = smtp.to("an@skhcn.example.vn")
    assert len(an) == 1  # five tasks, one message
    mail = an[0]
    assert mail.subject == (
        "[Nhắc việc] 5 nhiệm vụ cần xử lý (2 quá hạn) - ngày 09 tháng 3 năm 2026"
    )
    base = get_settings().public_base_url
    t = world.tasks
    expected_body = f"""Kính gửi: Chuyên viên Nguyễn Văn An,

Hệ thống theo dõi nhiệm vụ xin nhắc 5 nhiệm vụ cần xử lý, tính đến ngày 09 tháng 3 năm 2026:

1. Đánh giá tiềm lực khoa học của tỉnh
   - Đơn vị chủ trì: Sở Khoa học và Công nghệ
   - Hạn xử lý: ngày 13 tháng 02 năm 2026
   - Tình trạng: quá hạn 11 ngày làm việc
   - Lý do nhận nhắc: đơn vị anh/chị chủ trì thực hiện
   - Xem nhiệm vụ: {base}/tasks/{t["overdue11"].id}
   - Báo cáo tiến độ: {base}/tasks/{t["overdue11"].id}#bao-cao-tien-do
   - Báo cáo hoàn thành: {base}/tasks/{t["overdue11"].id}#bao-cao-hoan-thanh
   - Xin gia hạn: {base}/tasks/{t["overdue11"].id}#xin-gia-han

2. Rà soát thủ tục hành chính lĩnh vực KH&CN
   - Đơn vị chủ trì: Sở Khoa học và Công nghệ
   - Hạn xử lý: ngày 06 tháng 3 năm 2026
   - Tình trạng: quá hạn 1 ngày làm việc
   - Lý do nhận nhắc: đơn vị anh/chị chủ trì thực hiện
   - Xem nhiệm vụ: {base}/tasks/{t["overdue1"].id}
   - Báo cáo tiến độ: {base}/tasks/{t["overdue1"].id}#bao-cao-tien-do
   - Báo cáo hoàn thành: {base}/tasks/{t["overdue1"].id}#bao-cao-hoan-thanh
   - Xin gia hạn: {base}/tasks/{t["overdue1"].id}#xin-gia-han

3. Tổng hợp ý kiến góp ý dự thảo Nghị quyết
   - Đơn vị chủ trì: Sở Khoa học và Công nghệ
   - Hạn xử lý: ngày 09 tháng 3 năm 2026
   - Tình trạng: đến hạn hôm nay
   - Lý do nhận nhắc: đơn vị anh/chị chủ trì thực hiện
   - Xem nhiệm vụ: {base}/tasks/{t["due"].id}
   - Báo cáo tiến độ: {base}/tasks/{t["due"].id}#bao-cao-tien-do
   - Báo cáo hoàn thành: {base}/tasks/{t["due"].id}#bao-cao-hoan-thanh
   - Xin gia hạn: {base}/tasks/{t["due"].id}#xin-gia-han

4. Báo cáo kết quả đề án đổi mới sáng tạo
   - Đơn vị chủ trì: Sở Khoa học và Công nghệ
   - Hạn xử lý: ngày 10 tháng 3 năm 2026
   - Tình trạng: còn 1 ngày làm việc
   - Lý do nhận nhắc: đơn vị anh/chị chủ trì thực hiện
   - Xem nhiệm vụ: {base}/tasks/{t["before1"].id}
   - Báo cáo tiến độ: {base}/tasks/{t["before1"].id}#bao-cao-tien-do
   - Báo cáo hoàn thành: {base}/tasks/{t["before1"].id}#bao-cao-hoan-thanh
   - Xin gia hạn: {base}/tasks/{t["before1"].id}#xin-gia-han

5. Xây dựng kế hoạch chuyển đổi số năm 2026
   - Đơn vị chủ trì: Sở Khoa học và Công nghệ
   - Hạn xử lý: ngày 12 tháng 3 năm 2026
   - Tình trạng: còn 3 ngày làm việc
   - Lý do nhận nhắc: đơn vị anh/chị chủ trì thực hiện
   - Xem nhiệm vụ: {base}/tasks/{t["before3"].id}
   - Báo cáo tiến độ: {base}/tasks/{t["before3"].id}#bao-cao-tien-do
   - Báo cáo hoàn thành: {base}/tasks/{t["before3"].id}#bao-cao-hoan-thanh
   - Xin gia hạn: {base}/tasks/{t["before3"].id}#xin-gia-han

Đây là thông báo tự động, vui lòng không trả lời thư này.
"""
    assert mail.text.strip() == expected_body.strip()
    # The coordinator hears only about the task it coordinates; the office only about the
    # long-overdue one; the leader about the two overdue ones.
    cuong = smtp.to("cuong@stc.example.vn")[0]
    assert cuong.subject.startswith("[Nhắc việc] 1 nhiệm vụ cần xử lý - ")
    assert "Xây dựng kế hoạch chuyển đổi số năm 2026" in cuong.text
    assert "đơn vị anh/chị phối hợp thực hiện" in cuong.text
    binh = smtp.to("binh@skhcn.example.vn")[0]
    assert binh.subject.startswith("[Nhắc việc] 2 nhiệm vụ cần xử lý (2 quá hạn)")
    dung = smtp.to("dung@vp.example.vn")[0]
    assert "Đánh giá tiềm lực khoa học của tỉnh" in dung.text and "1. " in dung.text
    assert "2. " not in dung.text
    # Message-IDs are derived from the outbox keys: stable and distinct.
    with Session(engine) as session:
        keys = {n.key for n in session.exec(select(Notification)).all()}
        assert all(
            n.state == NotificationState.SENT and n.sent_at is not None
            for n in session.exec(select(Notification)).all()
        )
    assert {m.message_id for m in smtp.received} == {message_id_for(k) for k in keys}
    # Delivering again sends nothing more.
    with time_machine.travel(_at(9, 9, 0)):
        assert deliver(engine=engine).sent == 0
    assert len(smtp.received) == 4


def test_quiet_hours_and_days_off_defer_sending(
    engine: Engine, world: World, smtp: SmtpServer
) -> None:
    # Planned Friday evening (13/3 is a Friday, but the world's dates are fixed on Monday 9/3:
    # plan Monday after hours instead).
    with time_machine.travel(_at(9, 18, 0)):
        _plan(engine)
        late = deliver(engine=engine)
    assert late.sent == 0 and "ngoài khung giờ gửi" in late.deferred
    with time_machine.travel(_at(10, 7, 29)):
        early = deliver(engine=engine)
    assert early.sent == 0 and "07:30 10/03/2026" in early.deferred
    assert smtp.received == []
    with time_machine.travel(_at(10, 7, 31)):
        on_time = deliver(engine=engine)
    assert on_time.sent == 4 and len(smtp.received) == 4


def test_weekend_waits_for_monday(engine: Engine, world: World, smtp: SmtpServer) -> None:
    with time_machine.travel(_at(9, 8, 0)):
        _plan(engine)
    with time_machine.travel(_at(14, 10, 0)):  # Saturday, inside the hours
        saturday = deliver(engine=engine)
    assert saturday.sent == 0 and "07:30 16/03/2026" in saturday.deferred
    assert smtp.received == []
    with time_machine.travel(_at(16, 7, 45)):
        assert deliver(engine=engine).sent == 4
    assert len(smtp.received) == 4


def test_server_down_then_back_loses_nothing_and_doubles_nothing(
    engine: Engine, world: World, smtp: SmtpServer
) -> None:
    smtp.stop()
    with time_machine.travel(_at(9, 8, 0)):
        _plan(engine)
        down = deliver(engine=engine)
    assert (down.sent, down.failed) == (0, 4)
    with Session(engine) as session:
        rows = session.exec(select(Notification)).all()
        assert {r.state for r in rows} == {NotificationState.FAILED}
        assert all(r.attempts == 1 and r.last_error for r in rows)
        first_retry = min(r.next_attempt_at for r in rows)
    # Before the backoff has passed nothing is tried again.
    with time_machine.travel(_at(9, 8, 0) + timedelta(seconds=30)):
        assert deliver(engine=engine).claimed == 0
    with time_machine.travel(first_retry + timedelta(seconds=1)):
        still_down = deliver(engine=engine)
    assert still_down.failed == 4
    smtp.start()
    with time_machine.travel(_at(9, 10, 0)):
        back = deliver(engine=engine)
    assert back.sent == 4
    assert len(smtp.received) == 4
    assert len({m.message_id for m in smtp.received}) == 4
    with Session(engine) as session:
        assert all(r.attempts == 3 for r in session.exec(select(Notification)).all())


def test_gives_up_as_dead_tells_admins_and_can_be_retried(
    engine: Engine, world: World, smtp: SmtpServer, monkeypatch
) -> None:
    monkeypatch.setenv("NHIEMVU_NOTIFY_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("NHIEMVU_NOTIFY_BACKOFF_SECONDS", "0")
    # The refusing server below is on 127.0.0.1, which an administrator's URL reaches only
    # when the setting allows it (else the send is refused at once, as final).
    monkeypatch.setenv("NHIEMVU_CHANNEL_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    get_settings.cache_clear()
    with time_machine.travel(_at(9, 8, 0)), Session(engine, expire_on_commit=False) as session:
        plan_reminders(session=session, as_of=AS_OF)
        session.commit()
        digest = session.exec(
            select(Notification).where(Notification.recipient_user_id == world.officer_b.id)
        ).one()
        # The coordinator's address is on a server that refuses connections.
        digest.channel_url = "mailto://127.0.0.1:9/?to=cuong%40stc.example.vn&from=a%40b.vn"
        session.add(digest)
        session.commit()
    with time_machine.travel(_at(9, 8, 1)):
        first = deliver(engine=engine)
    # No backoff: tried twice in the same run, then given up; the alert is sent right after.
    assert (first.sent, first.failed, first.dead) == (3 + 1, 1, 1)
    # The alert to the administrators went out through the outbox.
    admin = smtp.to("quantri@ubnd.example.vn")
    assert len(admin) == 1
    assert admin[0].subject == f"[Nhắc việc] Thông báo số {digest.id} không gửi được"
    assert "sau 2 lần thử" in admin[0].text
    with time_machine.travel(_at(9, 8, 30)), Session(engine) as session:
        dead = list_outbox(session=session, state="dead")
        assert [d.id for d in dead] == [digest.id] and dead[0].last_error
        assert dead[0].kind == NotificationKind.DIGEST
        # Retry by hand picks up the channel's current (fixed) URL.
        retry_dead(session=session, notification_id=digest.id or 0)
        session.commit()
    with time_machine.travel(_at(9, 9, 0)):
        assert deliver(engine=engine).sent == 1
    assert len(smtp.to("cuong@stc.example.vn")) == 1


def test_a_task_done_before_sending_is_left_out_of_the_digest(
    engine: Engine, world: World, smtp: SmtpServer
) -> None:
    from models import Task, TaskState

    with time_machine.travel(_at(9, 7, 0)):
        _plan(engine)  # before the window opens
        with Session(engine) as session:
            task = session.get(Task, world.tasks["due"].id)
            assert task is not None
            task.state, task.completed_on = TaskState.DONE, AS_OF
            session.add(task)
            session.commit()
    with time_machine.travel(_at(9, 8, 0)):
        deliver(engine=engine)
    mail = smtp.to("an@skhcn.example.vn")[0]
    assert mail.subject.startswith("[Nhắc việc] 4 nhiệm vụ cần xử lý (2 quá hạn)")
    assert "Tổng hợp ý kiến góp ý dự thảo Nghị quyết" not in mail.text
    assert "Xây dựng kế hoạch chuyển đổi số năm 2026" in mail.text
