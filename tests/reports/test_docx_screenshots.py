"""`nhiemvu demo` writes pictures of the seed report's first and last pages (PNG, from the PDF
LibreOffice makes) to the folder `--out` names, and prints their paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli import app
from reports import screenshots
from reports.pdf import libreoffice_binary

pytestmark = [
    pytest.mark.skipif(
        libreoffice_binary() is None,
        reason="LibreOffice (soffice) không có trên PATH: apt-get install libreoffice-writer-nogui",
    ),
    pytest.mark.skipif(
        not screenshots.available(), reason="Thiếu pdftoppm, pdfinfo: apt-get install poppler-utils"
    ),
]


def test_demo_writes_the_first_and_last_pages(engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    first, last = (
        out / "bao-cao-555-BC-UBND-trang-1.png",
        out / "bao-cao-555-BC-UBND-trang-cuoi.png",
    )
    assert sorted(out.iterdir()) == sorted([first, last])  # the scratch folder is gone
    assert f"Ảnh trang đầu và trang cuối của báo cáo:\n  {first}\n  {last}\n" in result.output
    for picture in (first, last):
        with Image.open(picture) as image:
            assert image.format == "PNG"
            # A4 at 100 dpi: 210 × 297 mm is 826.8 × 1169.3 pixels, rounded up by pdftoppm.
            assert image.size in {(827, 1169), (827, 1170)}
            # Ink on the page: the header on page 1, the signature block on the last.
            darkest = image.convert("L").getextrema()[0]
            assert isinstance(darkest, int) and darkest < 64
    assert first.read_bytes() != last.read_bytes()
