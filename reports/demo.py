"""The reporting half of the demo world: Plan 61's indicators, Lý Sơn's 2021 values, and the
texts of report 555/BC-UBND of 02/11/2021 (the seed report), so that the demo can draft it.

`add_to_world` is idempotent: it does nothing when the plan already has its indicators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from models import Document, Plan, Unit
from models.reports import IndicatorAggregation, Report
from reports import indicators as indicators_service
from reports import service
from reports.pdf import libreoffice_binary
from tracking import units as units_service
from tracking.audit import Actor

DEMO_ACTOR = Actor(name="demo")
PLAN_SYMBOL = "61/KH-UBND"
DISTRICT_CODE = "QNG-LYSON"
REPORT_KIND, REPORT_PERIOD = "year", "2021"
AS_OF = date(2021, 11, 2)
VALUES_REPORTED_ON = date(2021, 11, 1)
SEED_NUMBER = 555

# (code, name, unit, target, aggregation, sentence, Lý Sơn's 2021 value, note)
IndicatorRow = tuple[str, str, str, float | None, IndicatorAggregation, str | None, float, str]
INDICATORS: list[IndicatorRow] = [
    (
        "DVC_MD2",
        "Tỷ lệ dịch vụ công trực tuyến mức độ 2 được cung cấp",
        "%",
        100,
        IndicatorAggregation.AVG,
        "Đã cung cấp {value} dịch vụ công trực tuyến mức độ 2 ({note}) lên Cổng thông tin điện"
        " tử của UBND huyện và đăng tải công bố bộ thủ tục hành chính thuộc thẩm quyền giải"
        " quyết của UBND cấp huyện trên cổng thông tin điện tử.",
        100,
        "282 bộ TTHC, 31 lĩnh vực TTHC cấp huyện",
    ),
    (
        "DVC_MD3",
        "Thủ tục dịch vụ công trực tuyến mức độ 3 được cung cấp",
        "thủ tục",
        None,
        IndicatorAggregation.SUM,
        "Đã thực hiện cung cấp {value} dịch vụ công trực tuyến mức độ 3 thuộc thẩm quyền giải"
        " quyết của UBND huyện trên Cổng dịch vụ công – Hệ thống một cửa điện tử tỉnh Quảng"
        " Ngãi.",
        87,
        "",
    ),
    (
        "HS_TIEP_NHAN",
        "Hồ sơ thủ tục hành chính được tiếp nhận",
        "hồ sơ",
        None,
        IndicatorAggregation.SUM,
        "Tổng số hồ sơ được tiếp nhận tại Bộ phận Tiếp nhận và Trả kết quả giải quyết thủ tục"
        " hành chính là {value}, đã giải quyết đúng hạn {HS_DUNG_HAN}, còn {HS_CHUA_DEN_HAN}"
        " chưa đến hạn trả, đang tiếp tục giải quyết, không có hồ sơ quá hạn.",
        12269,
        "",
    ),
    (
        "HS_DUNG_HAN",
        "Hồ sơ giải quyết đúng hạn",
        "hồ sơ",
        None,
        IndicatorAggregation.SUM,
        "",
        12243,
        "",
    ),
    (
        "HS_CHUA_DEN_HAN",
        "Hồ sơ chưa đến hạn trả",
        "hồ sơ",
        None,
        IndicatorAggregation.SUM,
        "",
        26,
        "",
    ),
    (
        "VB_KY_SO",
        "Tỷ lệ văn bản điện tử gửi đi được ký số",
        "%",
        100,
        IndicatorAggregation.AVG,
        "Tỷ lệ gửi văn bản điện tử được ký số của UBND huyện đạt khoảng {value}.",
        99.5,
        "",
    ),
]

TEXTS: dict[str, Any] = {
    "summary": "Kết quả thực hiện Kế hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh trong năm"
    " 2021 và định hướng nhiệm vụ, giải pháp năm 2022",
    "intro": "Theo đề nghị của Sở Thông tin và Truyền thông tại Công văn số 1412/STTTT ngày"
    " 26/10/2021 về việc báo cáo kết quả thực hiện Kế hoạch số 61/KH-UBND ngày 10/4/2019 của"
    " UBND tỉnh năm 2021, UBND huyện Lý Sơn báo cáo tình hình triển khai thực hiện cụ thể như"
    " sau:",
    "results": "- Triển khai đến các phòng, ban, đơn vị đưa vào sử dụng đồng bộ hệ thống quản lý"
    " văn bản và điều hành dùng chung của tỉnh. UBND huyện đã thực hiện gửi, nhận và chuyển xử"
    " lý 100% văn bản điện tử (trừ văn bản mật) đến các sở, ban, ngành của tỉnh, các cơ quan,"
    " đơn vị trên địa bàn huyện đảm bảo thuận lợi, thông suốt.",
    "sections": {
        "4": "Hiện tại, Ủy ban nhân dân huyện đã bố trí 02 cán bộ, công chức chuyên trách làm"
        " công tác tham mưu triển khai ứng dụng CNTT, cơ bản đáp ứng yêu cầu công việc hiện tại"
        " và trong thời gian đến.",
    },
    "shortcomings": "1. Các trang thiết bị tại Bộ phận Tiếp nhận và Trả kết quả giải quyết thủ"
    " tục hành chính của huyện cơ bản đáp ứng việc tiếp nhận hồ sơ của công dân; tuy nhiên so"
    " với quy định tại Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ còn thiếu nhiều"
    " thiết bị, cơ sở vật chất.\n"
    "2. Nhận thức về an toàn, an ninh thông tin của một số cán bộ, công chức, viên chức chưa"
    " cao, chưa tích cực ứng dụng công nghệ thông tin để nâng cao chất lượng, hiệu quả trong"
    " công việc.\n"
    "3. Ngân sách đầu tư cho hạ tầng công nghệ thông tin để đáp ứng thực hiện Chính quyền điện"
    " tử còn rất hạn chế nên các hạng mục dự án chưa được triển khai kịp thời.",
    "recommendations": "1. Kiến nghị UBND tỉnh\n"
    "- Quan tâm bổ sung nguồn kinh phí cho cấp huyện đầu tư hệ thống trang thiết bị cho hệ"
    " thống phòng họp trực tuyến, phòng họp không giấy tờ; mua sắm trang thiết bị tại Bộ phận"
    " Tiếp nhận và Trả kết quả huyện.\n"
    "- Hàng năm phân bổ kinh phí sự nghiệp công nghệ thông tin để huyện Lý Sơn triển khai các"
    " nhiệm vụ về ứng dụng công nghệ thông tin được đảm bảo.\n"
    "2. Kiến nghị Sở Thông tin và Truyền thông\n"
    "- Tăng cường tổ chức các lớp tập huấn kiến thức chuyên sâu cho cán bộ chuyên trách công"
    " nghệ thông tin cấp huyện.\n"
    "- Hỗ trợ triển khai sử dụng các phần mềm trong công tác quản lý nhà nước.",
    "orientation_title": "Định hướng nhiệm vụ, giải pháp phát triển Chính quyền điện tử hướng"
    " đến Chính quyền số năm 2022",
    "orientation": "- Tiếp tục triển khai thực hiện các mục tiêu, nhiệm vụ được giao theo Kế"
    " hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh.\n"
    "- Tiếp tục triển khai thực hiện cung cấp các thủ tục dịch vụ công trực tuyến mức độ 3, 4"
    " thuộc thẩm quyền giải quyết của UBND huyện trên Cổng dịch vụ công – Hệ thống một cửa"
    " điện tử tỉnh Quảng Ngãi và Cổng dịch vụ công Quốc gia.\n"
    "- Tổ chức tập huấn kiến thức ứng dụng công nghệ thông tin trong xử lý công việc, nâng cao"
    " nhận thức an toàn, an ninh thông tin; tập huấn chuyển đổi số cho cán bộ, công chức, viên"
    " chức các phòng, ban, đơn vị thuộc UBND huyện.",
    "closing": "Trên đây là báo cáo kết quả thực hiện Kế hoạch số 61/KH-UBND ngày 10/4/2019 của"
    " UBND tỉnh năm 2021 của Ủy ban nhân dân huyện Lý Sơn, báo cáo Sở Thông tin và Truyền thông"
    " tổng hợp./.",
    "recipients": [
        "Sở Thông tin và Truyền thông",
        "CT, PCT UBND huyện",
        "Phòng Văn hóa và Thông tin",
        "VPH: CVP, PCVP",
        "Lưu: VT",
    ],
    "signature": {
        "authority": "TM. ỦY BAN NHÂN DÂN",
        "deputy": "KT. CHỦ TỊCH",
        "title": "PHÓ CHỦ TỊCH",
        "name": "Lê Văn Ninh",
    },
}


@dataclass(frozen=True)
class SeedReportWorld:
    plan: Plan
    district: Unit


def find_plan(*, session: Session) -> Plan | None:
    document = session.exec(select(Document).where(Document.symbol == PLAN_SYMBOL)).first()
    if document is None:
        return None
    return session.exec(select(Plan).where(Plan.document_id == document.id)).first()


def add_to_world(*, session: Session, actor: Actor = DEMO_ACTOR) -> SeedReportWorld:
    """Plan 61's indicators and Lý Sơn's 2021 values (needs the task demo world first)."""
    plan = find_plan(session=session)
    if plan is None:
        raise LookupError("Chưa có Kế hoạch 61/KH-UBND: hãy tạo thế giới demo trước")
    district = units_service.get_by_code(session=session, code=DISTRICT_CODE)
    if indicators_service.list_indicators(session=session, plan_id=plan.id or 0):
        return SeedReportWorld(plan=plan, district=district)
    # Indicators only quoted by others (sentence "") first: a sentence may name only codes
    # that exist already.
    numbered = sorted(enumerate(INDICATORS, start=1), key=lambda item: item[1][5] != "")
    for ordinal, (
        code,
        name,
        unit_of_measure,
        target,
        aggregation,
        sentence,
        value,
        note,
    ) in numbered:
        indicator = indicators_service.create_indicator(
            session=session,
            actor=actor,
            plan_id=plan.id or 0,
            code=code,
            name=name,
            unit_of_measure=unit_of_measure,
            target=target,
            aggregation=aggregation,
            ordinal=ordinal,
            sentence=sentence,
        )
        indicators_service.record_value(
            session=session,
            actor=actor,
            indicator_id=indicator.id or 0,
            unit_id=district.id or 0,
            period_kind=REPORT_KIND,
            period_code=REPORT_PERIOD,
            value=value,
            reported_on=VALUES_REPORTED_ON,
            note=note,
        )
    return SeedReportWorld(plan=plan, district=district)


def draft_seed_report(*, session: Session, actor: Actor = DEMO_ACTOR) -> Report:
    """The draft of Lý Sơn's 2021 report on Plan 61 as of 02/11/2021, with the seed's texts."""
    world = add_to_world(session=session, actor=actor)
    return service.create_draft(
        session=session,
        actor=actor,
        kind=REPORT_KIND,
        period_code=REPORT_PERIOD,
        unit_id=world.district.id or 0,
        plan_id=world.plan.id,
        as_of=AS_OF,
        issuer_code="UBND",
        texts=TEXTS,
    )


def issue_seed_report(*, session: Session, actor: Actor = DEMO_ACTOR) -> Report:
    """Draft and issue it as 555/BC-UBND dated 02/11/2021, like the real one."""
    report = draft_seed_report(session=session, actor=actor)
    service.set_next_number(
        session=session,
        actor=actor,
        unit_id=report.unit_id,
        year=AS_OF.year,
        next_number=SEED_NUMBER,
    )
    return service.issue(
        session=session,
        actor=actor,
        report_id=report.id or 0,
        expected_version=report.version,
        issued_on=AS_OF,
    )


def write_seed_report(*, session: Session, folder: Path) -> tuple[Report, list[Path]]:
    """Issue the seed report once (a second demo run finds it) and write its files."""
    district = units_service.get_by_code(session=session, code=DISTRICT_CODE)
    issued = [
        r
        for r in service.list_reports(session=session, unit_id=district.id or 0, year=AS_OF.year)
        if r.number == SEED_NUMBER and r.period_code == REPORT_PERIOD
    ]
    report = issued[0] if issued else issue_seed_report(session=session)
    formats = [service.ReportFormat.DOCX, service.ReportFormat.MARKDOWN, service.ReportFormat.XLSX]
    if libreoffice_binary() is not None:
        formats.append(service.ReportFormat.PDF)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for rendered in service.render_files(
        session=session, report_id=report.id or 0, formats=formats
    ):
        target = folder / rendered.filename
        target.write_bytes(rendered.content)
        written.append(target)
    return report, written
