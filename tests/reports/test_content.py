"""The report's text: figures the office's texts place, the by-unit part, groups without a plan."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from models import UnitKind
from models.reports import Report
from reports import service
from reports.content import PLACEHOLDER, TASK_FIELDS
from reports.demo import DEMO_ACTOR, TEXTS
from reports.snapshot import ReportSnapshot
from tests.world import WorldBuilder, seed_world
from tracking import tasks, units
from tracking.deadlines import DeadlineRule
from tracking.errors import InvalidInput

AS_OF = date(2021, 11, 2)


def _draft(session: Session, *, unit_code: str, plan_id: int | None, texts: dict[str, Any],
           as_of: date = AS_OF) -> Report:  # fmt: skip
    unit = units.get_by_code(session=session, code=unit_code)
    return service.create_draft(
        session=session,
        actor=DEMO_ACTOR,
        kind="year",
        period_code="2021",
        unit_id=unit.id or 0,
        plan_id=plan_id,
        as_of=as_of,
        issuer_code="UBND",
        texts=texts,
    )


def _paragraphs(report: Report) -> list[str]:
    assert report.snapshot is not None
    return [block.text for block in ReportSnapshot.from_stored(report.snapshot).blocks]


def test_the_office_text_places_task_figures_and_indicator_values(session: Session) -> None:
    world = seed_world(session)
    results = (
        "Mở đầu {ghi chú} và {abc}, dấu { lẻ, {nhiem_vu và {chi_tieu.}x.\n"
        "{chi_tieu}\n"
        "Đã tiếp nhận {chi_tieu.HS_TIEP_NHAN}; {nhiem_vu.da_hoan_thanh}/{nhiem_vu.tong_so}"
        " nhiệm vụ, {nhiem_vu.den_han} đến hạn ({nhiem_vu.ty_le_hoan_thanh}), do"
        " {nhiem_vu.co_quan_giao} giao."
    )
    texts: dict[str, Any] = {
        "results": results,
        "sections": {"2": "Ký số đạt {chi_tieu.VB_KY_SO}."},
        # Every name has a value (the tasks' sentence aside: placed, section II would omit it).
        "closing": " ".join(f"{{nhiem_vu.{n}}}" for n in TASK_FIELDS if n != "tinh_hinh"),
    }
    # "{chi_tieu.}" has no code: refused; without it the rest is ordinary text.
    with pytest.raises(InvalidInput) as refused:
        _draft(session, unit_code="QNG-LYSON", plan_id=world.plan.id, texts=texts)
    assert refused.value.code == "report.placeholder_unknown"
    assert refused.value.field == "texts.results"
    session.rollback()
    texts["results"] = results.replace(" và {chi_tieu.}x", "")
    paragraphs = _paragraphs(
        _draft(session, unit_code="QNG-LYSON", plan_id=world.plan.id, texts=texts)
    )

    start = paragraphs.index("I. Kết quả thực hiện mục tiêu, chỉ tiêu")
    # Braces that are not the two names stay as typed; the plan's sentences go where the line
    # {chi_tieu} stands, except those of the indicators the office quotes itself.
    assert paragraphs[start + 1] == "Mở đầu {ghi chú} và {abc}, dấu { lẻ, {nhiem_vu."
    stated = paragraphs[start + 2 : start + 4]
    assert stated[0].startswith("- Đã cung cấp 100% dịch vụ công trực tuyến mức độ 2")
    assert stated[1].startswith(
        "- Đã thực hiện cung cấp 87 thủ tục dịch vụ công trực tuyến mức độ 3"
    )
    assert paragraphs[start + 4] == (
        "Đã tiếp nhận 12.269 hồ sơ; 03/05 nhiệm vụ, 03 đến hạn (100%), do UBND tỉnh, Chủ tịch"
        " UBND tỉnh giao."
    )
    assert not any(p.startswith("- Tổng số hồ sơ") or "Tỷ lệ gửi" in p for p in paragraphs)
    assert "Ký số đạt 99,5%." in paragraphs
    assert not any(PLACEHOLDER.search(p) for p in paragraphs)
    # The office did not place the tasks' sentence: section II opens with it.
    second = paragraphs.index(next(p for p in paragraphs if p.startswith("II. ")))
    assert paragraphs[second + 1] == (
        "Từ đầu năm 2021 đến nay, qua theo dõi trên hệ thống có 05 nhiệm vụ do UBND tỉnh, Chủ"
        " tịch UBND tỉnh giao, đã hoàn thành 03 nhiệm vụ, còn 02 nhiệm vụ chưa đến hạn đang tích"
        " cực triển khai thực hiện."
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sections": {"2": "Có {nhiem_vu.tongso} nhiệm vụ."}}, "texts.sections.2"),
        ({"results": "Đạt {chi_tieu.KHONG_CO}."}, "texts.results"),
        ({"shortcomings": "{chi_tieu}"}, "texts.shortcomings"),
        ({"results": "Trước {chi_tieu} sau."}, "texts.results"),
        ({"results": "{chi_tieu}\n{chi_tieu}"}, "texts.results"),
    ],
)
def test_an_unknown_or_misplaced_placeholder_is_refused_and_nothing_changes(
    session: Session, changes: dict[str, Any], field: str
) -> None:
    world = seed_world(session)
    draft = _draft(session, unit_code="QNG-LYSON", plan_id=world.plan.id, texts=TEXTS)
    session.commit()
    before = (draft.version, dict(draft.texts), draft.snapshot_sha256)
    with pytest.raises(InvalidInput) as refused:
        service.edit_texts(
            session=session,
            actor=DEMO_ACTOR,
            report_id=draft.id or 0,
            expected_version=draft.version,
            changes=changes,
        )
    assert refused.value.code == "report.placeholder_unknown"
    assert refused.value.field == field
    assert "Trường số liệu «{" in refused.value.message
    session.rollback()
    again = service.get(session=session, report_id=draft.id or 0)
    assert (again.version, again.texts, again.snapshot_sha256) == before


def test_by_unit_lines_say_none_done_and_none_due_in_words(session: Session) -> None:
    seed_world(session)
    paragraphs = _paragraphs(_draft(session, unit_code="QNG", plan_id=None, texts={}))
    lead_in = paragraphs.index("Kết quả thực hiện nhiệm vụ đến hạn của từng đơn vị chủ trì:")
    assert paragraphs[lead_in - 1] == "2. Tình hình thực hiện nhiệm vụ theo đơn vị chủ trì:"
    assert paragraphs[lead_in + 1 : lead_in + 3] == [
        "- Sở TT&TT: chưa hoàn thành nhiệm vụ nào trong 01 nhiệm vụ đến hạn;",
        "- UBND huyện Lý Sơn: 03/03 nhiệm vụ đến hạn đã hoàn thành (100%).",
    ]
    early = _paragraphs(
        _draft(session, unit_code="QNG-LYSON", plan_id=None, texts={}, as_of=date(2021, 5, 1))
    )
    assert "- UBND huyện Lý Sơn: chưa có nhiệm vụ đến hạn." in early


def test_without_a_plan_tasks_are_grouped_by_who_gave_them_and_ordered_by_deadline(
    session: Session,
) -> None:
    build = WorldBuilder(session)
    province = build.unit("T", "Ủy ban nhân dân tỉnh T", UnitKind.PROVINCE, short_name="UBND tỉnh")
    district = build.unit(
        "T-H",
        "Ủy ban nhân dân huyện H",
        UnitKind.DISTRICT,
        parent=province,
        short_name="UBND huyện H",
    )
    commune = build.unit(
        "T-H-X", "Ủy ban nhân dân xã X", UnitKind.COMMUNE, parent=district, short_name="UBND xã X"
    )
    for title, issuer, lead, due, leader in [
        ("Nhiệm vụ hạn tháng 9", province, district, date(2021, 9, 30), "Chủ tịch UBND tỉnh"),
        ("Nhiệm vụ hạn tháng 6", province, district, date(2021, 6, 30), ""),
        ("Nhiệm vụ của xã", district, commune, date(2021, 12, 31), ""),
    ]:
        tasks.assign(
            session=session,
            actor=DEMO_ACTOR,
            title=title,
            issuer_unit_id=issuer.id or 0,
            lead_unit_id=lead.id or 0,
            deadline=DeadlineRule.fixed(due),
            assigned_on=date(2021, 3, 1),
            directing_leader=leader,
        )
    session.commit()
    paragraphs = _paragraphs(_draft(session, unit_code="T", plan_id=None, texts={}))
    second = paragraphs.index("II. Kết quả thực hiện các nhiệm vụ, giải pháp được giao")
    assert paragraphs[second + 1].startswith(
        "Từ đầu năm 2021 đến nay, qua theo dõi trên hệ thống có 03 nhiệm vụ do UBND tỉnh, Chủ"
        " tịch UBND tỉnh, UBND huyện H giao, 02 nhiệm vụ quá hạn đang thực hiện, còn 01 nhiệm"
        " vụ chưa đến hạn"
    )
    assert paragraphs[second + 2 : second + 9] == [
        "1. Nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao:",
        "Có 02 nhiệm vụ được giao, 02 nhiệm vụ quá hạn đang thực hiện, cụ thể:",
        "- Nhiệm vụ hạn tháng 6: quá hạn 87 ngày làm việc (hạn 30/6/2021).",
        "- Nhiệm vụ hạn tháng 9: quá hạn 23 ngày làm việc (hạn 30/9/2021).",
        "2. Nhiệm vụ do UBND huyện H giao:",
        "Có 01 nhiệm vụ được giao, còn 01 nhiệm vụ chưa đến hạn đang tích cực triển khai thực"
        " hiện, cụ thể:",
        "- Nhiệm vụ của xã: đang thực hiện, chưa đến hạn (hạn 31/12/2021).",
    ]
    assert paragraphs[second + 9] == "3. Tình hình thực hiện nhiệm vụ theo đơn vị chủ trì:"
