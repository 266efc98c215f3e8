"""PDF through LibreOffice (`soffice --headless --convert-to pdf`) when it is installed.

Debian: apt-get install -y libreoffice-writer-nogui fonts-liberation2 (Liberation Serif is
metric-compatible with Times New Roman, and fontconfig substitutes it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tracking.errors import DomainError

CONVERT_TIMEOUT_SECONDS = 180


class PdfUnavailable(DomainError):
    http_status = 501


def libreoffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes) -> bytes:
    binary = libreoffice_binary()
    if binary is None:
        raise PdfUnavailable(
            "report.pdf_unavailable",
            "Máy chủ chưa cài LibreOffice nên không xuất được PDF (cài libreoffice-writer-nogui)",
            field="format",
        )
    with tempfile.TemporaryDirectory(prefix="nhiemvu-pdf-") as folder:
        work = Path(folder)
        source = work / "bao-cao.docx"
        source.write_bytes(docx)
        # A profile of its own: concurrent conversions do not fight over the user's profile lock.
        profile = (work / "profile").as_uri()
        completed = subprocess.run(
            [
                binary,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(work),
                str(source),
            ],
            capture_output=True,
            timeout=CONVERT_TIMEOUT_SECONDS,
            check=False,
        )
        target = work / "bao-cao.pdf"
        if completed.returncode != 0 or not target.exists():
            raise PdfUnavailable(
                "report.pdf_failed",
                "LibreOffice không chuyển được sang PDF: "
                + completed.stderr.decode("utf-8", "replace")[-500:],
                field="format",
            )
        return target.read_bytes()
