"""The DOCX opens in LibreOffice and page 1 of the PDF is laid out as NĐ 30/2020 asks.

Needs `soffice` (Debian: libreoffice-writer-nogui) and poppler-utils (pdfinfo, pdftotext,
pdftoppm); fonts-liberation2 gives Liberation Serif for Times New Roman.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session

from reports import screenshots, service
from reports.pdf import libreoffice_binary
from tests.world import issued_seed_report

MISSING = [tool for tool in ("pdfinfo", "pdftotext", "pdftoppm") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.skipif(
        libreoffice_binary() is None,
        reason="LibreOffice (soffice) không có trên PATH: apt-get install libreoffice-writer-nogui",
    ),
    pytest.mark.skipif(
        bool(MISSING), reason=f"Thiếu {', '.join(MISSING)}: apt-get install poppler-utils"
    ),
]

MM = 72 / 25.4
COLUMN_BOUNDARY = (30 + 62) * MM  # left margin + the header's left column
TEXT_CENTRE = (30 + (210 - 30 - 15) / 2) * MM
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _words(pdf: Path, page: int) -> list[tuple[float, float, float, str]]:
    """(x_min, y_min, x_max, text) of each word on a page, in points from the top left."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [(float(a), float(b), float(c), html.unescape(t)) for a, b, c, _, t in WORD.findall(out)]


def _find(words: list[tuple[float, float, float, str]], text: str) -> tuple[float, float, float]:
    for x, y, x_max, word in words:
        if word == text:
            return x, y, x_max
    raise AssertionError(f"{text!r} not on the page: {[w[3] for w in words][:60]}")


def test_pdf_page_one_has_the_decree_header(session: Session, tmp_path: Path) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("một lần là đủ: bố cục không phụ thuộc cơ sở dữ liệu")
    report = issued_seed_report(session)
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(service.render(session=session, report_id=report.id or 0, fmt="pdf").content)

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2

    page1 = _words(pdf, 1)
    half = COLUMN_BOUNDARY
    parent_x, parent_y, _ = _find(page1, "UBND")  # "UBND TỈNH QUẢNG NGÃI", left column
    nation_x, nation_y, _ = _find(page1, "CỘNG")  # "CỘNG HÒA XÃ HỘI…", right column
    assert parent_x < half < nation_x
    assert abs(parent_y - nation_y) < 4  # both columns start on the same line
    number_x, number_y, _ = _find(page1, "555/BC-UBND")
    place_x, place_y, _ = _find(page1, "Lý")  # "Lý Sơn, ngày 02 tháng 11 năm 2021"
    assert number_x < half < place_x and abs(number_y - place_y) < 4  # "Số:" on the date's line
    title_x, title_y, _ = _find(page1, "BÁO")  # "BÁO CÁO" centred under the header
    assert title_y > number_y and abs((title_x + _find(page1, "CÁO")[2]) / 2 - TEXT_CENTRE) < 5
    # The left margin is 30 mm (85 pt): body text starts there.
    assert min(x for x, _, _, _ in page1) == pytest.approx(30 * MM, abs=3)
    # No page number on page 1; page 2 has "2" centred at the top.
    assert all(y > 40 for _, y, _, word in page1 if word == "1")
    page2 = _words(pdf, 2)
    x2, y2, x2_max = _find(page2, "2")
    assert y2 < 60 and abs((x2 + x2_max) / 2 - TEXT_CENTRE) < 5

    # Page 1 and the last page as pictures, for a person to look at (kept next to the PDF).
    pictures = screenshots.first_and_last_pages(pdf=pdf, folder=tmp_path)
    assert [p.name for p in pictures] == ["bao-cao-trang-1.png", "bao-cao-trang-cuoi.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
