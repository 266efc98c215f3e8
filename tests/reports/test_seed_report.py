"""The seed's report 555/BC-UBND of 02/11/2021, drafted from the demo data and issued."""

from __future__ import annotations

import re

from sqlmodel import Session

from reports import service
from reports.render_docx import docx_text
from tests.world import issued_seed_report


def test_seed_report_docx_has_the_official_parts(session: Session) -> None:
    report = issued_seed_report(session)
    assert report.symbol == "555/BC-UBND"
    text = docx_text(service.render(session=session, report_id=report.id or 0, fmt="docx").content)
    lines = text.splitlines()

    # Header, both columns (NĐ 30): bodies, national title and motto, number, place and date.
    for line in (
        "UBND TỈNH QUẢNG NGÃI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 555/BC-UBND",
        "Lý Sơn, ngày 02 tháng 11 năm 2021",
        "BÁO CÁO",
        "Kết quả thực hiện Kế hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh trong năm 2021"
        " và định hướng nhiệm vụ, giải pháp năm 2022",
    ):
        assert line in lines, line
    # The issuing body breaks after the organ's kind, as the decree's headers do.
    organ = lines.index("ỦY BAN NHÂN DÂN")
    assert lines[organ - 1 : organ + 2] == [
        "UBND TỈNH QUẢNG NGÃI",
        "ỦY BAN NHÂN DÂN",
        "HUYỆN LÝ SƠN",
    ]

    # The tasks' sentence, computed in SQL from the tasks as of 02/11/2021, where the office's
    # text places it ({nhiem_vu.tinh_hinh}); section II does not repeat it.
    sentence = (
        "Từ đầu năm 2021 đến nay, qua theo dõi trên hệ thống có 05 nhiệm vụ do UBND tỉnh, Chủ"
        " tịch UBND tỉnh giao, đã hoàn thành 03 nhiệm vụ, còn 02 nhiệm vụ chưa đến hạn đang tích"
        " cực triển khai thực hiện."
    )
    assert sum(line.count(sentence) for line in lines) == 1
    assert lines[lines.index(next(x for x in lines if x.startswith("II. "))) + 1].startswith("1. ")
    # The four sections of Plan 61, in order, then the figures by lead unit numbered on; the
    # extension is stated once, with both deadlines.
    headings = [line for line in lines if re.match(r"^[1-5]\. ", line) and line.endswith(":")]
    assert [h[:3] for h in headings] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert headings[-1] == "5. Tình hình thực hiện nhiệm vụ theo đơn vị chủ trì:"
    assert sum("01/11/2021" in line for line in lines) == 1  # the deadline before extension
    assert any("hạn ban đầu 01/11/2021, hạn sau gia hạn 30/11/2021" in line for line in lines)
    assert "Không có nhiệm vụ quá hạn." in lines

    # Section I from the indicators, in the seed's number format.
    assert any(
        line.startswith("- Đã cung cấp 100% dịch vụ công trực tuyến mức độ 2 (282 bộ TTHC")
        for line in lines
    )
    assert any(
        "là 12.269 hồ sơ, đã giải quyết đúng hạn 12.243 hồ sơ, còn 26 hồ sơ chưa đến hạn trả"
        in line
        for line in lines
    )
    assert any("đạt khoảng 99,5%." in line for line in lines)
    assert "87 thủ tục" in text

    # The office's texts, the recipients (last one ends with a full stop) and the signature.
    assert "III. Một số tồn tại, hạn chế, khó khăn" in lines
    assert "IV. Kiến nghị, đề xuất" in lines
    assert "Nơi nhận:" in lines
    assert lines.index("- Sở Thông tin và Truyền thông;") < lines.index("- Lưu: VT.")
    signature = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    start = lines.index(signature[0])
    assert lines[start : start + 3] == signature
    assert "Lê Văn Ninh" in lines[start + 3 :]


def test_draft_has_a_blank_number_and_an_issued_report_the_next_one(session: Session) -> None:
    report = issued_seed_report(session)
    from reports import demo as report_demo

    draft = report_demo.draft_seed_report(session=session)
    text = docx_text(service.render(session=session, report_id=draft.id or 0, fmt="docx").content)
    assert "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-UBND" in text.splitlines()
    second = service.issue(
        session=session,
        actor=report_demo.DEMO_ACTOR,
        report_id=draft.id or 0,
        expected_version=draft.version,
        issued_on=report.document_date,
    )
    assert second.symbol == "556/BC-UBND"


def test_seed_report_markdown_keeps_the_headings_and_the_office_lists_as_text(
    session: Session,
) -> None:
    report = issued_seed_report(session)
    markdown = service.render(session=session, report_id=report.id or 0, fmt="md").content
    lines = markdown.decode("utf-8").splitlines()
    assert "#### 5. Tình hình thực hiện nhiệm vụ theo đơn vị chủ trì:" in lines
    assert "\\- UBND huyện Lý Sơn: 03/03 nhiệm vụ đến hạn đã hoàn thành (100%)." in lines
    assert any(line.startswith("\\+ Giao Văn phòng huyện thực hiện theo dõi") for line in lines)
    assert "{" not in markdown.decode("utf-8")
