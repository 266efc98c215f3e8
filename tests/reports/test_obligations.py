"""Recurring duties: one task per period with the deadline from the period rules and the
calendar, one draft report per period once its cut-off has passed; nothing twice."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlmodel import Session, select

from flows import jobs
from models import (
    AuditEvent,
    ChannelKind,
    ContactChannel,
    Notification,
    NotificationKind,
    Obligation,
    ObligationDraft,
    Report,
    Role,
    Task,
    TaskState,
    User,
)
from tests.world import ACTOR, World, make_world
from tracking import calendar, obligations, periods
from tracking.errors import Conflict, InvalidInput, NotFound


def _officer(session: Session, world: World) -> User:
    user = User(
        username="vp.huyen",
        full_name="Phạm Thị Lan",
        unit_id=world.district_office.id,
        role=Role.OFFICER,
        title="Chuyên viên Văn phòng",
    )
    session.add(user)
    session.flush()
    session.add(
        ContactChannel(user_id=user.id, kind=ChannelKind.EMAIL, url="mailto:lan@lyson.gov.vn")
    )
    session.commit()
    return user


def _monthly(session: Session, world: World, **changes: object):
    values: dict = dict(
        title="Báo cáo tình hình kinh tế - xã hội",
        report_kind="month",
        issuer_unit_id=world.province.id,
        lead_unit_id=world.district.id,
        starts_on=date(2026, 3, 2),
        recipient="Văn phòng UBND tỉnh",
        report_issuer_code="UBND",
    )
    values.update(changes)
    obligation = obligations.create(session=session, actor=ACTOR, **values)
    session.commit()
    return obligation


@time_machine.travel(date(2026, 4, 20), tick=False)
def test_one_task_per_period_with_the_deadline_from_the_rules(session: Session) -> None:
    world = make_world(session)
    duty = _monthly(session, world)

    first = obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))
    session.commit()
    # Only March's period (15/02 → 14/03) counts: February's was due on 23/02 (after Tết),
    # before the duty began on 02/03. The cut-off 14/03 is a Saturday: due Monday 16/03.
    assert [(c["occurrence_key"], c["due_on"]) for c in first.created] == [
        ("2026-M03", "2026-03-16")
    ]
    task = session.get(Task, first.created[0]["task_id"])
    assert task is not None
    assert task.title == "Báo cáo tình hình kinh tế - xã hội tháng 3 năm 2026"
    assert task.lead_unit_id == world.district.id and task.issuer_unit_id == world.province.id
    assert task.assigned_on == date(2026, 3, 2) and task.due_on == date(2026, 3, 16)
    assert task.state == TaskState.OPEN and "Gửi Văn phòng UBND tỉnh" in task.note

    again = obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))
    session.commit()
    assert again.created == [] and again.already == 1

    # A week later April's period has begun (15/03): a new task, its own history.
    later = obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 16))
    session.commit()
    assert [(c["occurrence_key"], c["due_on"]) for c in later.created] == [
        ("2026-M04", "2026-04-15")
    ]
    keys = [
        t.occurrence_key
        for t in obligations.occurrence_tasks(session=session, obligation_id=duty.id)
    ]
    assert keys == ["2026-M03", "2026-M04"]


@time_machine.travel(date(2026, 4, 20), tick=False)
def test_a_yearly_duty_follows_the_year_rule_and_its_own_send_deadline(session: Session) -> None:
    world = make_world(session)
    _monthly(
        session,
        world,
        title="Báo cáo kết quả thực hiện Kế hoạch 61",
        report_kind="year",
        lead_unit_id=world.department.id,
        recipient="Sở Thông tin và Truyền thông",
        send_deadline_working_days=3,
        starts_on=date(2026, 1, 1),
    )
    run = obligations.create_due_occurrences(session=session, as_of=date(2026, 4, 20))
    # Year 2026 = 15/12/2025 → 14/12/2026 (Monday); 3 working days later: Thursday 17/12.
    assert [(c["occurrence_key"], c["due_on"]) for c in run.created] == [("2026", "2026-12-17")]


def test_the_unique_key_refuses_a_second_task_for_an_occurrence(session: Session) -> None:
    world = make_world(session)
    duty = _monthly(session, world)
    with time_machine.travel(date(2026, 3, 9), tick=False):
        obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))
        session.commit()
        # Another process's run that did not see the first task (as if concurrent).
        occurrence = obligations.occurrences(
            obligation=duty,
            rule=periods.PeriodRule.of(periods.get_report_type(session=session, kind="month")),
            calendar=calendar.load_calendar(session),
            as_of=date(2026, 3, 9),
        )[0]
        assert obligations._create_task(session, ACTOR, duty, occurrence) is None
        session.commit()
    count = session.exec(select(Task).where(Task.obligation_id == duty.id)).all()
    assert len(count) == 1


@time_machine.travel(date(2026, 3, 20), tick=False)
def test_the_draft_waits_for_the_cut_off_then_comes_once_with_a_notice(session: Session) -> None:
    world = make_world(session)
    officer = _officer(session, world)
    duty = _monthly(session, world)
    obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))

    before = jobs.draft_and_notify(session=session, as_of=date(2026, 3, 14))
    assert before.drafted == [] and before.failed == []

    run = jobs.draft_and_notify(session=session, as_of=date(2026, 3, 15))
    session.commit()
    assert [(d["occurrence_key"], d["send_by"]) for d in run.drafted] == [
        ("2026-M03", "2026-03-16")
    ]
    report = session.get(Report, run.drafted[0]["report_id"])
    assert report is not None
    assert (report.kind, report.period_code, report.unit_id) == (
        "month",
        "2026-M03",
        world.district.id,
    )
    assert report.as_of == date(2026, 3, 14) and report.state == "draft"
    assert report.texts["addressee"] == "Kính gửi: Văn phòng UBND tỉnh"
    notices = session.exec(select(Notification)).all()
    assert [(n.recipient_user_id, n.kind, n.channel_url) for n in notices] == [
        (officer.id, NotificationKind.REPORT_READY, "mailto:lan@lyson.gov.vn")
    ]
    assert notices[0].subject == "[Nhắc việc] Dự thảo báo cáo tháng 3 năm 2026 đã sẵn sàng"
    assert "Hạn gửi: ngày 16 tháng 3 năm 2026, gửi Văn phòng UBND tỉnh" in notices[0].body
    assert "Phạm Thị Lan" in notices[0].body

    again = jobs.draft_and_notify(session=session, as_of=date(2026, 3, 16))
    session.commit()
    assert again.drafted == [] and again.already == 1 and again.notices == 0
    assert len(session.exec(select(Report)).all()) == 1
    assert len(session.exec(select(Notification)).all()) == 1
    drafts = session.exec(select(ObligationDraft)).all()
    assert [(d.obligation_id, d.occurrence_key) for d in drafts] == [(duty.id, "2026-M03")]


@time_machine.travel(date(2026, 3, 20), tick=False)
def test_a_refused_draft_is_reported_and_tried_again(session: Session) -> None:
    world = make_world(session)
    _monthly(session, world, report_issuer_code="")  # the unit has no document to take it from
    run = jobs.draft_and_notify(session=session, as_of=date(2026, 3, 15))
    assert run.drafted == [] and [f["code"] for f in run.failed] == ["report.issuer_code_required"]
    assert session.exec(select(Report)).all() == []
    assert len(jobs.draft_and_notify(session=session, as_of=date(2026, 3, 15)).failed) == 1


@time_machine.travel(date(2026, 3, 20), tick=False)
def test_bad_definitions_are_refused_and_a_stopped_duty_creates_nothing(session: Session) -> None:
    world = make_world(session)
    with pytest.raises(NotFound) as unknown:
        _monthly(session, world, report_kind="weekly")
    assert unknown.value.field == "kind"
    with pytest.raises(InvalidInput) as blank:
        _monthly(session, world, title="   ")
    assert blank.value.code == "obligation.title_required"
    with pytest.raises(InvalidInput) as days:
        _monthly(session, world, send_deadline_working_days=0)
    assert days.value.field == "send_deadline_working_days"
    session.rollback()
    duty = _monthly(session, world)
    with pytest.raises(Conflict):
        _monthly(session, world)
    session.rollback()
    obligations.set_active(
        session=session, actor=ACTOR, obligation_id=duty.id, expected_version=1, active=False
    )
    session.commit()
    run = obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))
    assert run.created == [] and run.already == 0
    with pytest.raises(InvalidInput) as future:
        obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 21))
    assert future.value.code == "obligation.as_of_in_future"


@time_machine.travel(date(2026, 4, 20), tick=False)
def test_a_duty_the_assignment_rules_now_refuse_is_reported_and_the_others_go_on(
    session: Session,
) -> None:
    world = make_world(session)
    good = _monthly(session, world)
    # A duty stored before the assignment rules existed: a department requiring a monthly
    # report from a district that is not below it (written directly, as an old row is).
    old = _monthly(session, world, lead_unit_id=world.other_district.id)
    old.issuer_unit_id = world.department.id
    session.add(old)
    session.commit()

    run = obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))
    session.commit()

    assert [c["obligation_id"] for c in run.created] == [good.id]
    assert [(r["obligation_id"], r["occurrence_key"]) for r in run.refused] == [
        (old.id, "2026-M03")
    ]
    assert run.refused[0]["code"].startswith("assignment.")
    assert run.as_json()["refused"] == run.refused
    tasks = session.exec(select(Task).where(Task.obligation_id == old.id)).all()
    assert tasks == []


@pytest.mark.parametrize(
    ("field", "value", "code", "label"),
    [
        ("recipient", "V" * 501, "obligation.recipient_too_long", "Nơi nhận"),
        ("note", "n" * 2001, "obligation.note_too_long", "Ghi chú"),
    ],
)
@time_machine.travel(date(2026, 3, 20), tick=False)
def test_a_recipient_or_note_too_long_is_refused_not_cut(
    session: Session, field: str, value: str, code: str, label: str
) -> None:
    world = make_world(session)
    audited = len(session.exec(select(AuditEvent)).all())
    with pytest.raises(InvalidInput) as refused:
        _monthly(session, world, **{field: value})
    assert (refused.value.code, refused.value.field) == (code, field)
    assert label in refused.value.message
    session.rollback()
    assert session.exec(select(Obligation)).all() == []
    assert len(session.exec(select(AuditEvent)).all()) == audited


@time_machine.travel(date(2026, 3, 20), tick=False)
def test_a_draft_made_after_the_sending_deadline_says_it_is_late(session: Session) -> None:
    """The server was down over the deadline: the notice must not ask to sign "đúng hạn"
    nor quote the past deadline as one to meet."""
    world = make_world(session)
    officer = _officer(session, world)
    _monthly(session, world)
    obligations.create_due_occurrences(session=session, as_of=date(2026, 3, 9))
    run = jobs.draft_and_notify(session=session, as_of=date(2026, 3, 18))
    session.commit()
    assert [(d["occurrence_key"], d["send_by"]) for d in run.drafted] == [
        ("2026-M03", "2026-03-16")
    ]
    [notice] = session.exec(select(Notification)).all()
    assert notice.recipient_user_id == officer.id
    assert notice.subject == (
        "[Nhắc việc] Dự thảo báo cáo tháng 3 năm 2026 đã sẵn sàng (đã quá hạn gửi)"
    )
    assert (
        "Hạn gửi: ngày 16 tháng 3 năm 2026, gửi Văn phòng UBND tỉnh "
        "(đã qua, quá hạn 2 ngày làm việc)" in notice.body
    )
    assert "đúng hạn" not in notice.body and "còn " not in notice.body
    assert "Báo cáo đã quá hạn gửi." in notice.body
