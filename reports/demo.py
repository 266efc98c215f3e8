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
    # Section I as the office types it: the narrative, the line where the plan's indicator
    # sentences go ({chi_tieu}), the values it quotes itself ({chi_tieu.MA}) and the task
    # figures the system counts ({nhiem_vu.…}, docs/domain.md).
    "results": "- Đang vận hành có hiệu quả Cổng thông tin điện tử của huyện Lý Sơn"
    " (http://lyson.quangngai.gov.vn), đã cung cấp thường xuyên và đầy đủ các thông tin về"
    " chủ trương, chính sách, thủ tục hành chính, văn bản quy phạm pháp luật, văn bản chỉ đạo"
    " điều hành (trừ các văn bản mật), thông tin về hoạt động của bộ máy nhà nước,... góp phần"
    " nâng cao tính công khai, minh bạch và tạo điều kiện thuận lợi cho tổ chức, doanh nghiệp,"
    " công dân tiếp cận nhanh các chủ trương, chính sách, pháp luật và thực hiện kiểm tra, giám"
    " sát hoạt động của bộ máy, đội ngũ cán bộ, công chức nhà nước.\n"
    "{chi_tieu}\n"
    "- Đã thực hiện cung cấp {chi_tieu.DVC_MD3} dịch vụ công trực tuyến mức độ 3 thuộc thẩm"
    " quyền giải quyết của UBND huyện trên Cổng dịch vụ công – Hệ thống một cửa điện tử tỉnh"
    " Quảng Ngãi; đồng thời, thực hiện Kế hoạch số 131/KH-UBND ngày 17/9/2021 của Chủ tịch UBND"
    " tỉnh, UBND huyện đã đăng ký thêm 04 thủ tục dịch vụ công trực tuyến mức độ 3.\n"
    "- Giao Văn phòng huyện phụ trách Bộ phận Tiếp nhận và Trả kết quả theo cơ chế một cửa, một"
    " cửa liên thông, đến nay hoạt động hiệu quả, đáp ứng nhu cầu giải quyết hồ sơ, thủ tục của"
    " tổ chức, cá nhân. Tổng số hồ sơ được tiếp nhận tại Bộ phận Tiếp nhận và Trả kết quả giải"
    " quyết thủ tục hành chính là {chi_tieu.HS_TIEP_NHAN}, đã giải quyết đúng hạn"
    " {chi_tieu.HS_DUNG_HAN}, còn {chi_tieu.HS_CHUA_DEN_HAN} chưa đến hạn trả, đang tiếp tục"
    " giải quyết, không có hồ sơ quá hạn. Không có công dân đăng ký thực hiện nộp hồ sơ trực"
    " tuyến thông qua Cổng dịch vụ công – Hệ thống một cửa điện tử tỉnh Quảng Ngãi.\n"
    "- Về tiếp nhận và trả kết quả hồ sơ thông qua dịch vụ Bưu chính công ích: UBND huyện đã"
    " phối hợp với Bưu điện Lý Sơn thực hiện việc tiếp nhận và trả kết quả giải quyết thủ tục"
    " hành chính qua dịch vụ công ích. Trong năm, không có tổ chức, cá nhân đăng ký hồ sơ, trả"
    " kết quả giải quyết qua dịch vụ Bưu chính công ích.\n"
    "- Triển khai đến các phòng, ban, đơn vị đưa vào sử dụng đồng bộ hệ thống quản lý"
    " văn bản và điều hành dùng chung của tỉnh. UBND huyện đã thực hiện gửi, nhận và chuyển xử"
    " lý 100% văn bản điện tử (trừ văn bản mật) đến các sở, ban, ngành của tỉnh, các cơ quan,"
    " đơn vị trên địa bàn huyện đảm bảo thuận lợi, thông suốt.\n"
    "- Thực hiện chế độ báo cáo đối với các báo cáo định kỳ:\n"
    "+ Giao Văn phòng huyện thực hiện theo dõi các nhiệm vụ do {nhiem_vu.co_quan_giao} giao"
    " trên Hệ thống cơ sở dữ liệu theo dõi nhiệm vụ của UBND tỉnh. {nhiem_vu.tinh_hinh}\n"
    "+ Đối với các báo cáo kinh tế - xã hội định kỳ, UBND huyện ban hành báo cáo và thực hiện"
    " gửi thông qua hệ thống phần mềm quản lý văn bản và điều hành dùng chung của tỉnh.\n"
    "+ Đối với báo cáo kiểm soát thủ tục hành chính định kỳ: UBND huyện đã chỉ đạo Văn phòng"
    " huyện triển khai hướng dẫn đến các cơ quan, đơn vị thực hiện. Đến nay việc nhập dữ liệu,"
    " tổng hợp, gửi báo cáo đã thực hiện trên Hệ thống thông tin báo cáo Chính phủ theo quy"
    " định.",
    "sections": {
        "1": "- Tổ chức quán triệt trong nội bộ về nội dung Nghị quyết số 17/NQ-CP ngày 07/3/2019"
        " của Chính phủ và Kế hoạch số 61/KH-UBND của Chủ tịch UBND tỉnh về thực hiện Nghị quyết"
        " số 17/NQ-CP ngày 07/3/2019 của Chính phủ về một số nhiệm vụ, giải pháp trọng tâm phát"
        " triển Chính phủ điện tử giai đoạn 2019 – 2020, định hướng đến năm 2025 của tỉnh Quảng"
        " Ngãi, có 100% phòng, ban, đơn vị thuộc UBND huyện thực hiện gửi, nhận văn bản điện tử"
        " theo lộ trình quy định tại Quyết định số 28/2018/QĐ-TTg ngày 12/7/2018 của Thủ tướng"
        " Chính phủ về việc gửi, nhận văn bản điện tử giữa các cơ quan trong hệ thống hành chính"
        " nhà nước.\n"
        "- Để thực hiện mục tiêu, nhiệm vụ và các giải pháp xây dựng chính quyền điện tử trên địa"
        " bàn huyện, UBND huyện đã ban hành các Kế hoạch triển khai thực hiện: Số 126/KH-UBND"
        " ngày 09/9/2020 về ứng dụng Công nghệ thông tin trong hoạt động của cơ quan nhà nước,"
        " phát triển Chính quyền số huyện Lý Sơn năm 2021; số 127/KH-UBND ngày 09/9/2020 về ứng"
        " dụng Công nghệ thông tin trong hoạt động của cơ quan nhà nước, phát triển Chính quyền"
        " số của huyện Lý Sơn giai đoạn 2021 – 2025; số 146/KH-UBND ngày 23/11/2020 về công tác"
        " tuyên truyền cải cách hành chính năm 2021; số 155/KH-UBND ngày 14/12/2020 về triển khai"
        " thực hiện Chương trình Chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030"
        " của huyện Lý Sơn; số 136/KH-UBND ngày 26/10/2020 về truyền thông về thực hiện thủ tục"
        " hành chính trên môi trường điện tử trên địa bàn huyện Lý Sơn.",
        "2": "- Tổ chức tập huấn phần mềm Một cửa điện tử dùng chung cho cán bộ, công chức, viên"
        " chức có tham gia vào quá trình giải quyết thủ tục hành chính tại các phòng, ban chuyên"
        " môn thuộc UBND huyện.\n"
        "- Hạ tầng công nghệ thông tin trên địa bàn huyện cơ bản được đầu tư, hoạt động tương đối"
        " ổn định. Hệ thống mạng LAN trong khuôn viên UBND huyện hoạt động tốt. Tỷ lệ máy tính"
        " đạt tỷ lệ trên 0,9 máy tính/CBCC; 100% các phòng, ban, đơn vị thuộc UBND huyện được"
        " nối internet tốc độ cao, thực hiện gửi, nhận, xử lý văn bản điện tử trên hệ thống quản"
        " lý văn bản và điều hành dùng chung của tỉnh.\n"
        "- Việc cấp chứng thư số cho tổ chức, cá nhân: Đến nay, đã cấp hầu hết chứng thư số cho"
        " các phòng, ban, đơn vị. Hiện nay, tỷ lệ gửi văn bản điện tử được ký số của UBND huyện"
        " đạt khoảng {chi_tieu.VB_KY_SO}.\n"
        "- Tình hình sử dụng thư điện tử công vụ: 100% cán bộ, công chức, viên chức đã được cấp"
        " thư điện tử công vụ (theo tên miền: xxx@quangngai.gov.vn). Việc sử dụng thư điện tử"
        " công vụ trong công việc của cán bộ, công chức ngày càng phổ biến. Đây là công cụ cơ"
        " bản, quan trọng để thực hiện việc liên lạc, trao đổi thông tin, tài liệu một cách có"
        " hiệu quả, nhanh chóng và tiết kiệm, đảm bảo an toàn, an ninh thông tin trong trao đổi"
        " công vụ.",
        "3": "- Phối hợp với Trung tâm Công nghệ thông tin thuộc Sở Thông tin và Truyền thông tỉnh"
        " tổ chức tập huấn cho cán bộ, công chức, viên chức các phòng, ban, đơn vị của huyện về"
        " kiến thức ứng dụng công nghệ thông tin trong xử lý công việc, nâng cao nhận thức an"
        " toàn, an ninh thông tin.\n"
        "- Thiết lập hồ sơ xác định cấp độ an toàn thông tin của hệ thống mạng nội bộ gửi Sở"
        " Thông tin và Truyền thông thẩm định, phê duyệt theo quy định.\n"
        "- Chuẩn bị đầy đủ các trang thiết bị đảm bảo phục vụ các cuộc họp trực tuyến diễn ra ổn"
        " định.\n"
        "- Chỉ đạo Văn phòng huyện phối hợp với các cơ quan, đơn vị rà soát, đề nghị Sở Thông tin"
        " và Truyền thông cấp lại mã định danh theo Quyết định số 20/2020/QĐ-TTg ngày 22/7/2020"
        " của Thủ tướng Chính phủ.",
        "4": "Hiện tại, Ủy ban nhân dân huyện đã bố trí 02 cán bộ, công chức chuyên trách làm"
        " công tác tham mưu triển khai ứng dụng CNTT, trong đó: 01 công chức tại Văn phòng huyện"
        " phụ trách Cổng thông tin điện tử, quản trị mạng, hệ thống thông tin của huyện; 01 cán"
        " bộ tại Phòng Văn hóa và Thông tin phụ trách công tác tham mưu ứng dụng công nghệ thông"
        " tin, công tác quản lý nhà nước về Thông tin và Truyền thông, cơ bản đáp ứng yêu cầu"
        " công việc hiện tại và trong thời gian đến.",
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
