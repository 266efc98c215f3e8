"""The XLSX annex printed by LibreOffice Calc: every sheet on A4 landscape, a table one page
wide, its header repeated on each page and the totals under the last row.

Needs `soffice` with Calc (Debian: libreoffice-calc-nogui) and poppler-utils (pdfinfo,
pdftotext, pdftoppm).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports.pdf import libreoffice_binary
from reports.render_xlsx import render_xlsx
from reports.snapshot import ReportSnapshot

DATA = Path(__file__).parent / "data"
BINARY = libreoffice_binary()
# Calc's core library: a LibreOffice with Writer alone cannot load a spreadsheet.
CALC = BINARY is not None and (Path(BINARY).resolve().parent / "libsclo.so").exists()
MISSING = [tool for tool in ("pdfinfo", "pdftotext", "pdftoppm") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.skipif(
        not CALC, reason="LibreOffice Calc không có: apt-get install libreoffice-calc-nogui"
    ),
    pytest.mark.skipif(
        bool(MISSING), reason=f"Thiếu {', '.join(MISSING)}: apt-get install poppler-utils"
    ),
]
UNITS = 120


def _snapshot() -> ReportSnapshot:
    """555's snapshot with a district's worth of units in Biểu 01 (several pages tall)."""
    stored: dict[str, Any] = json.loads(
        (DATA / "snapshot_555_format1.json").read_text(encoding="utf-8")
    )
    unit = stored["figures"]["by_unit"][0]
    stored["figures"]["by_unit"] = [
        {
            **unit,
            "unit_id": n,
            "code": f"XA-{n:03d}",
            "name": f"Ủy ban nhân dân xã số {n} huyện Lý Sơn",
            "counts": {**unit["counts"], "done_on_time": 12269 + n},
            "total": unit["total"] - unit["counts"]["done_on_time"] + 12269 + n,
        }
        for n in range(UNITS)
    ]
    return ReportSnapshot.from_stored(stored)


def _to_pdf(xlsx: bytes, folder: Path) -> Path:
    source = folder / "phu-luc.xlsx"
    source.write_bytes(xlsx)
    assert BINARY is not None
    subprocess.run(
        [
            BINARY,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    return folder / "phu-luc.pdf"


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_annex_prints_each_table_one_a4_landscape_page_wide(tmp_path: Path) -> None:
    pdf = _to_pdf(render_xlsx(_snapshot()), tmp_path)

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    texts = [_page_text(pdf, page) for page in range(1, pages + 1)]
    # The running header names the table on each of its pages.
    by_unit = [text for text in texts if "Biểu 01." in text]
    assert len(by_unit) >= 2  # 120 units take more than one page
    assert len(texts) == len(by_unit) + 6  # the six small tables take a page each
    for number, text in enumerate(by_unit, start=1):
        # The header row on every page, its first and last columns on it: one page wide.
        assert "Mã" in text and "Tỷ lệ" in text and "Không có thời" in text, number
        assert f"Trang {number}/{pages}" in text
    assert "XA-000" in by_unit[0] and "ỦY BAN NHÂN DÂN HUYỆN LÝ SƠN" in by_unit[0]
    last = by_unit[-1]
    assert f"XA-{UNITS - 1:03d}" in last and "Tổng cộng" in last
    # The totals with their thousands separator (LibreOffice draws it in its locale).
    on_time = sum(12269 + n for n in range(UNITS))
    separated = f"{on_time:,}".replace(",", "[.,]")
    assert re.search(rf"Tổng cộng\s+\d[\d.,]*\s+{separated}\s", last), last
    tasks = texts[-1]
    assert "Biểu 07. Danh sách nhiệm vụ" in tasks and "Số ngày làm" in tasks

    # The first page as a picture, for a person to look at (kept next to the PDF).
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", str(pdf), str(tmp_path / "trang")],
        check=True,
    )
    png = next(tmp_path.glob("trang*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
