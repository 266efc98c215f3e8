"""The DOCX's header, rules, page-break properties and signature block, read from its XML:
the issuing body broken after its organ's kind, no empty line without a parent body, rules
1/3 to 1/2 of the line above them, headings and lead-ins kept with what follows, and a
draft without a signer given the lines of its body's head."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.text.paragraph import Paragraph
from PIL import ImageFont
from sqlmodel import Session

from reports import service
from reports.render_docx import (
    CELL_PADDING_MM,
    HEADER_COLUMNS_MM,
    TEXT_WIDTH_MM,
    issuing_body_lines,
    rule_width_mm,
    signature_lines,
    text_width_mm,
)
from reports.snapshot import SignatureFacts
from tests.reports.test_docx_layout import province_draft
from tests.world import issued_seed_report

LINES = [
    "Kết quả thực hiện Kế hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh trong năm 2021 và"
    " định hướng nhiệm vụ, giải pháp năm 2022",
    "Tình hình thực hiện nhiệm vụ được giao trong năm 2021",
    "Báo cáo công tác quý III năm 2025",
    "ỦY BAN NHÂN DÂN",
    "TỈNH QUẢNG NGÃI",
    "HUYỆN LÝ SƠN",
    "PHƯỜNG CẨM THÀNH",
    "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    "Độc lập - Tự do - Hạnh phúc",
]
NO_SIGNER = SignatureFacts(authority="", deputy="", title="", name="")


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", ["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"]),
        ("ỦY BAN NHÂN DÂN ĐẶC KHU LÝ SƠN", ["ỦY BAN NHÂN DÂN", "ĐẶC KHU LÝ SƠN"]),
        ("HỘI ĐỒNG NHÂN DÂN XÃ BÌNH SƠN", ["HỘI ĐỒNG NHÂN DÂN", "XÃ BÌNH SƠN"]),
        ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", ["SỞ THÔNG TIN VÀ TRUYỀN THÔNG"]),
        ("ỦY BAN NHÂN DÂN", ["ỦY BAN NHÂN DÂN"]),
    ],
)
def test_the_issuing_body_breaks_after_its_organ(name: str, lines: list[str]) -> None:
    assert issuing_body_lines(name) == lines


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]),
        ("HỘI ĐỒNG NHÂN DÂN XÃ BÌNH SƠN", ["TM. HỘI ĐỒNG NHÂN DÂN", "CHỦ TỊCH"]),
        ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", ["GIÁM ĐỐC"]),
        ("VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH", ["CHÁNH VĂN PHÒNG"]),
        ("PHÒNG VĂN HÓA VÀ THÔNG TIN", ["TRƯỞNG PHÒNG"]),
        ("BAN QUẢN LÝ KHU KINH TẾ DUNG QUẤT", ["TRƯỞNG BAN"]),
        ("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", ["THỦ TRƯỞNG CƠ QUAN"]),
    ],
)
def test_a_draft_without_signature_lines_gets_its_head_s(body: str, lines: list[str]) -> None:
    assert signature_lines(NO_SIGNER, issuing_body=body, draft=True) == lines
    assert signature_lines(NO_SIGNER, issuing_body=body, draft=False) == []


def test_the_signer_s_own_lines_win() -> None:
    given = SignatureFacts(
        authority="TM. Ủy ban nhân dân", deputy="KT. Chủ tịch", title="", name=""
    )
    lines = signature_lines(given, issuing_body="ỦY BAN NHÂN DÂN HUYỆN LÝ SƠN", draft=True)
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"]


def _bold_serif() -> Path:
    if shutil.which("fc-match") is None:
        pytest.skip("fc-match (fontconfig) không có: không đo được chữ")
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", "Times New Roman:bold"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "LiberationSerif-Bold" not in found and "Times" not in found:
        pytest.skip(f"Không có Times New Roman hay Liberation Serif đậm (fc-match: {found})")
    return Path(found)


@pytest.mark.parametrize("line", LINES)
def test_rules_are_a_third_to_a_half_of_the_line(line: str) -> None:
    """The estimate of a line's width is within 8% of the font's own, and a rule under it (or
    under the room it wraps in) is 1/3 to 1/2 as long."""
    font = ImageFont.truetype(str(_bold_serif()), 1000)
    measured = font.getlength(line) / 1000 * 14 * 25.4 / 72
    assert text_width_mm(line, size=14) == pytest.approx(measured, rel=0.08)
    for room in (TEXT_WIDTH_MM, HEADER_COLUMNS_MM[0] - 2 * CELL_PADDING_MM):
        widest = min(measured, room)
        assert widest / 3 <= rule_width_mm([line], size=14, available_mm=room) <= widest / 2


def _render(session: Session, which: str) -> bytes:
    """The DOCX of the seed report or of the province's long draft, checked deterministic."""
    report = issued_seed_report(session) if which == "seed" else province_draft(session)
    data = [
        service.render(session=session, report_id=report.id or 0, fmt="docx").content
        for _ in range(2)
    ]
    assert data[0] == data[1]
    return data[0]


def _style(paragraph: Paragraph) -> str:
    assert paragraph.style is not None
    return str(paragraph.style.style_id)


def _rule_mm(paragraph: Paragraph, column_mm: float) -> float:
    """The border's length of a rule paragraph: its column less its two indents."""
    pf = paragraph.paragraph_format
    assert pf.left_indent is not None and pf.right_indent is not None
    return round(column_mm - (pf.left_indent + pf.right_indent) / Mm(1), 1)


def test_a_province_draft_s_header_and_signature(session: Session) -> None:
    document = Document(io.BytesIO(_render(session, "province")))
    header, signature = document.tables[0], document.tables[-1]
    left = header.rows[0].cells[0].paragraphs
    # No parent body: the issuing body is the first line, broken after the organ's kind.
    assert [p.text for p in left] == ["ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI", ""]
    assert left[0].runs[0].bold
    room = HEADER_COLUMNS_MM[0] - 2 * CELL_PADDING_MM
    expected = rule_width_mm(["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI"], size=13, available_mm=room)
    assert _rule_mm(left[1], room) == pytest.approx(expected, abs=0.2)
    assert left[1]._p.pPr.find(qn("w:pBdr")) is not None
    right = [p.text for p in signature.rows[0].cells[1].paragraphs]
    assert right[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"] and right[-1] == ""
    for table in (header, signature):
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None


@pytest.mark.parametrize("which", ["seed", "province"])
def test_what_must_not_end_a_page_keeps_with_the_next(session: Session, which: str) -> None:
    data = _render(session, which)
    document = Document(io.BytesIO(data))
    body = [p for p in document.paragraphs if _style(p).startswith("Nhiemvu")]
    styles = [_style(p) for p in body]
    assert {"NhiemvuHeading1", "NhiemvuHeading2", "NhiemvuLeadIn"} <= set(styles)
    # A paragraph ending in ":" is a lead-in, the last one closes the body.
    for paragraph, style in zip(body[:-1], styles, strict=False):
        if style in ("NhiemvuBody", "NhiemvuLeadIn"):
            assert (style == "NhiemvuLeadIn") == paragraph.text.endswith(":"), paragraph.text
    assert _style(body[-1]) == "NhiemvuClosing"
    for style_id in ("NhiemvuHeading1", "NhiemvuHeading2", "NhiemvuLeadIn", "NhiemvuClosing"):
        style = document.styles.get_by_id(style_id, document.styles["Normal"].type)
        assert style.paragraph_format.keep_with_next and style.paragraph_format.keep_together
    body_style = document.styles.get_by_id("NhiemvuBody", document.styles["Normal"].type)
    assert not body_style.paragraph_format.keep_with_next
    # The empty line between the body and the signature block keeps with the block, and the
    # signature cell's lines keep with one another.
    spacer = document.tables[-1]._tbl.getprevious()
    assert spacer.pPr.find(qn("w:keepNext")) is not None
    cell = document.tables[-1].rows[0].cells[1].paragraphs
    assert all(p.paragraph_format.keep_with_next for p in cell[:-1])
    summary_rule = document.paragraphs[2]
    assert summary_rule.text == "" and summary_rule._p.pPr.find(qn("w:pBdr")) is not None
    summary = document.paragraphs[1].text
    assert _rule_mm(summary_rule, TEXT_WIDTH_MM) == pytest.approx(
        rule_width_mm([summary], size=14, available_mm=TEXT_WIDTH_MM), abs=0.2
    )


def test_symbols_hyphens_do_not_break(session: Session) -> None:
    """ "61/KH-UBND" is written with a non-breaking hyphen, read back as "-"."""
    document = Document(io.BytesIO(_render(session, "seed")))
    heading = next(p for p in document.paragraphs if p.text.startswith("II. Kết quả thực hiện"))
    assert "theo Kế hoạch số 61/KH-UBND ngày 10/4/2019" in heading.text
    assert heading._p.xpath("count(.//w:noBreakHyphen)") == 1
