"""Pictures of a report's pages (PNG) from its PDF, with poppler's pdftoppm: page 1 and the
last page, where the header and the signature block are, for a person to look at the layout
without opening the document. Debian: apt-get install poppler-utils."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

RESOLUTION_DPI = 100
TIMEOUT_SECONDS = 60


def available() -> bool:
    return shutil.which("pdftoppm") is not None and shutil.which("pdfinfo") is not None


def page_count(pdf: Path) -> int:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=TIMEOUT_SECONDS
    ).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    if found is None:
        raise ValueError(f"pdfinfo gives no page count for {pdf}")
    return int(found.group(1))


def first_and_last_pages(*, pdf: Path, folder: Path) -> list[Path]:
    """`<pdf's name>-trang-1.png` and `…-trang-cuoi.png` in `folder` (only the first when
    the PDF has one page); none when poppler-utils is not installed."""
    if not available():
        return []
    folder.mkdir(parents=True, exist_ok=True)
    last = page_count(pdf)
    wanted = [(1, "1")] + ([(last, "cuoi")] if last > 1 else [])
    written = []
    # The scratch folder is in `folder`, so that each picture is renamed into place whole: a
    # reader (or a second demo at the same time) never sees half a file.
    with tempfile.TemporaryDirectory(prefix=".nhiemvu-png-", dir=folder) as scratch:
        for page, label in wanted:
            picture = Path(scratch) / f"{pdf.stem}-trang-{label}"
            options = ["-png", "-singlefile", "-r", str(RESOLUTION_DPI), "-f", str(page)]
            subprocess.run(
                ["pdftoppm", *options, "-l", str(page), str(pdf), str(picture)],
                capture_output=True,
                check=True,
                timeout=TIMEOUT_SECONDS,
            )
            target = folder / f"{picture.name}.png"
            Path(f"{picture}.png").replace(target)
            written.append(target)
    return written
