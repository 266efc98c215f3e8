"""What an attachment is (by its content) and what it is called (its name, cleaned)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import samples
from tracking.attachments import (
    DOCX,
    JPEG,
    MAX_NAME,
    PDF,
    PNG,
    XLSX,
    FileType,
    clean_name,
    detect_type,
)
from tracking.errors import InvalidInput


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (samples.PDF, PDF),
        (samples.docx(), DOCX),
        (samples.xlsx(), XLSX),
        (samples.image("PNG"), PNG),
        (samples.image("JPEG"), JPEG),
    ],
    ids=["pdf", "docx", "xlsx", "png", "jpeg"],
)
def test_accepted_types_are_recognised_by_content(
    tmp_path: Path, content: bytes, expected: object
) -> None:
    path = tmp_path / "tep-khong-duoi"
    path.write_bytes(content)
    assert detect_type(path) == expected


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (samples.EXECUTABLE, "attachment.type_not_allowed"),
        (samples.HTML, "attachment.type_not_allowed"),
        (samples.SVG, "attachment.type_not_allowed"),
        (b"PK\x03\x04 not really a zip", "attachment.type_not_allowed"),
        (samples.zip_of_program(), "attachment.type_not_allowed"),
        (samples.docm(), "attachment.macros"),
    ],
    ids=["exe", "html", "svg", "broken-zip", "zip", "docm"],
)
def test_other_content_is_refused_naming_the_file_field(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "bao-cao.pdf"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        detect_type(path)
    assert (refused.value.code, refused.value.field) == (code, "file")


@pytest.mark.parametrize(
    ("raw", "file_type", "expected"),
    [
        ("Báo cáo kết quả.pdf", PDF, "Báo cáo kết quả.pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("C:\\Văn bản\\Quyết định 12.DOCX", DOCX, "Quyết định 12.docx"),
        ("Tờ\x00 trình\r\n\x1b[31m.pdf", PDF, "Tờ trình[31m.pdf"),
        ("hoa-don\u202efdp.exe", PDF, "hoa-donfdp.exe.pdf"),
        ("anh.jpeg", JPEG, "anh.jpeg"),
        ("anh.png", JPEG, "anh.png.jpg"),
        ("...", XLSX, "tep-dinh-kem.xlsx"),
        ("", PNG, "tep-dinh-kem.png"),
        # Decomposed Vietnamese (as macOS sends it) is composed again.
        ("Ba\u0301o ca\u0301o.pdf", PDF, "Báo cáo.pdf"),
    ],
)
def test_names_are_cleaned_and_end_with_the_type_found(
    raw: str, file_type: FileType, expected: str
) -> None:
    assert clean_name(raw, file_type) == expected


def test_an_overlong_name_is_cut_keeping_its_extension() -> None:
    name = clean_name("Báo cáo " * 60 + ".pdf", PDF)
    stem = ("Báo cáo " * 60)[: MAX_NAME - len(".pdf")].rstrip()
    assert name == f"{stem}.pdf"
    assert len(name) <= MAX_NAME


def test_a_bad_attachment_setting_stops_the_start() -> None:
    from pydantic import ValidationError

    from settings import Settings

    with pytest.raises(ValidationError, match="NHIEMVU_ATTACHMENT_MAX_BYTES"):
        Settings(attachment_max_bytes=10 * 1024 * 1024, max_body_bytes=10 * 1024 * 1024)
    with pytest.raises(ValidationError, match="attachment_store"):
        Settings(attachment_store="s3")
    assert Settings(attachment_store="database").attachment_store == "database"
