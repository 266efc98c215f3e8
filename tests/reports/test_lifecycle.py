"""Issuing freezes a report: later changes to the data never change what it renders."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from models import Task
from models.reports import ReportState
from reports import demo as report_demo
from reports import indicators as indicators_service
from reports import service
from reports.render_docx import docx_text
from tests.world import issued_seed_report, seed_world
from tracking import tasks as task_service
from tracking.errors import Conflict, InvalidInput

ACTOR = report_demo.DEMO_ACTOR


def _files(session: Session, report_id: int) -> dict[str, bytes]:
    return {
        fmt: service.render(session=session, report_id=report_id, fmt=fmt).content
        for fmt in ("docx", "md", "xlsx")
    }


def test_issued_report_renders_identically_after_the_data_changed(session: Session) -> None:
    report = issued_seed_report(session)
    assert report.state == ReportState.ISSUED
    before = _files(session, report.id or 0)
    assert _files(session, report.id or 0) == before  # deterministic: same bytes twice

    # The data changes after issue: the open task is completed and confirmed (dated before
    # 02/11/2021, so a new report as of that day would count it) and an indicator is corrected.
    open_task = session.exec(
        select(Task).where(Task.title.startswith("Xây dựng, ban hành Kế hoạch chuyển đổi số"))
    ).one()
    task_service.report_completion(
        session=session,
        actor=ACTOR,
        task_id=open_task.id or 0,
        expected_version=open_task.version,
        completed_on=date(2021, 10, 20),
        reported_on=date(2021, 10, 21),
        result="Đã ban hành kế hoạch.",
    )
    task_service.confirm_completion(
        session=session,
        actor=ACTOR,
        task_id=open_task.id or 0,
        expected_version=open_task.version,
        confirmed_on=date(2021, 10, 22),
    )
    signed = indicators_service.find_indicator(
        session=session, plan_id=report.plan_id or 0, code="VB_KY_SO"
    )
    assert signed is not None
    indicators_service.record_value(
        session=session,
        actor=ACTOR,
        indicator_id=signed.id or 0,
        unit_id=report.unit_id,
        period_kind="year",
        period_code="2021",
        value=97.25,
        reported_on=date(2021, 11, 1),
    )
    session.commit()

    after = _files(session, report.id or 0)
    assert after == before
    assert service.verify_snapshot(session=session, report_id=report.id or 0)

    # A new draft from the same data as of the same day does see the changes.
    fresh = report_demo.draft_seed_report(session=session)
    fresh_text = docx_text(_files(session, fresh.id or 0)["docx"])
    assert "đã hoàn thành 04 nhiệm vụ, còn 01 nhiệm vụ chưa đến hạn" in fresh_text
    assert "đạt khoảng 97,25%." in fresh_text
    assert fresh.snapshot_sha256 != report.snapshot_sha256

    # An issued report cannot be edited, regenerated or issued again.
    with pytest.raises(Conflict):
        service.regenerate(
            session=session, actor=ACTOR, report_id=report.id or 0, expected_version=report.version
        )
    with pytest.raises(Conflict):
        service.edit_texts(
            session=session,
            actor=ACTOR,
            report_id=report.id or 0,
            expected_version=report.version,
            changes={"intro": "x"},
        )


def test_draft_texts_edit_regenerate_and_refusals(session: Session) -> None:
    world = seed_world(session)
    draft = service.create_draft(
        session=session,
        actor=ACTOR,
        kind="quarter",
        period_code="2021-Q4",
        unit_id=world.district.id or 0,
        plan_id=world.plan.id,
        as_of=date(2021, 11, 2),
        issuer_code="UBND",
    )
    text = docx_text(_files(session, draft.id or 0)["docx"])
    # Q4 runs from 15/9/2021: only the tasks assigned since then, or still open then, count.
    assert "Từ ngày 15/9/2021 đến nay, qua theo dõi trên hệ thống có 03 nhiệm vụ" in text
    assert "(Chưa có nội dung)" in text  # the office has not written sections III–V yet

    # Issuing needs the office's texts and a signer; refused without changing anything.
    with pytest.raises(InvalidInput) as missing:
        service.issue(
            session=session,
            actor=ACTOR,
            report_id=draft.id or 0,
            expected_version=draft.version,
            issued_on=date(2021, 11, 3),
        )
    assert "Tồn tại" in missing.value.message and "Người ký" in missing.value.message
    assert draft.state == ReportState.DRAFT and draft.number is None

    with pytest.raises(InvalidInput):
        service.edit_texts(
            session=session,
            actor=ACTOR,
            report_id=draft.id or 0,
            expected_version=draft.version,
            changes={"unknown": "x"},
        )
    with pytest.raises(Conflict):
        service.edit_texts(
            session=session,
            actor=ACTOR,
            report_id=draft.id or 0,
            expected_version=draft.version - 1,
            changes={"intro": "x"},
        )
    version = draft.version
    draft = service.edit_texts(
        session=session,
        actor=ACTOR,
        report_id=draft.id or 0,
        expected_version=version,
        changes={
            "shortcomings": "Thiếu trang thiết bị.",
            "recommendations": "Bổ sung kinh phí.",
            "orientation": "Tiếp tục triển khai.",
            "addressee": "Ủy ban nhân dân tỉnh Quảng Ngãi",
            "signature": {
                "authority": "TM. ỦY BAN NHÂN DÂN",
                "deputy": "KT. CHỦ TỊCH",
                "title": "PHÓ CHỦ TỊCH",
                "name": "Lê Văn Ninh",
            },
        },
    )
    assert draft.version == version + 1
    text = docx_text(_files(session, draft.id or 0)["docx"])
    assert "Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi" in text
    assert "Thiếu trang thiết bị." in text

    # Regenerated as of the quarter's cut-off, the open tasks are still counted as not due.
    draft = service.regenerate(
        session=session,
        actor=ACTOR,
        report_id=draft.id or 0,
        expected_version=draft.version,
        as_of=date(2021, 12, 14),
    )
    text = docx_text(_files(session, draft.id or 0)["docx"])
    assert "Trong quý IV năm 2021 (từ ngày 15/9/2021 đến ngày 14/12/2021)," in text

    # Numbers restart each year with a leading zero below 10.
    issued = service.issue(
        session=session,
        actor=ACTOR,
        report_id=draft.id or 0,
        expected_version=draft.version,
        issued_on=date(2022, 1, 5),
    )
    assert issued.symbol == "01/BC-UBND"
    assert "Lý Sơn, ngày 05 tháng 01 năm 2022" in docx_text(_files(session, issued.id or 0)["docx"])


def test_bad_draft_input_is_refused(session: Session) -> None:
    world = seed_world(session)
    common = {"session": session, "actor": ACTOR, "kind": "year", "unit_id": world.district.id or 0}
    with pytest.raises(InvalidInput) as early:
        service.create_draft(
            **common, period_code="2021", as_of=date(2020, 12, 1), issuer_code="UBND"
        )
    assert early.value.field == "as_of"
    with pytest.raises(InvalidInput) as no_code:
        service.create_draft(**common, period_code="2021", as_of=date(2021, 11, 2))
    assert no_code.value.field == "issuer_code"
    with pytest.raises(InvalidInput) as texts:
        service.create_draft(
            **common,
            period_code="2021",
            as_of=date(2021, 11, 2),
            issuer_code="UBND",
            texts={"recipients": "not a list"},
        )
    assert texts.value.field == "texts.recipients"
    with pytest.raises(InvalidInput):
        service.render(session=session, report_id=1, fmt="odt")
    assert service.list_reports(session=session, unit_id=world.district.id or 0) == []
