"""Refuse an .xlsx that would cost far more to open than its size says, before openpyxl does.

An .xlsx is a zip of XML. A small file can unpack to gigabytes (a "zip bomb", e.g. of shared
strings), or declare a sheet of A1:XFD1048576 that openpyxl fills with empty cells row by row.
Python's zipfile never inflates an entry past the size its directory declares, so the declared
sizes bound what openpyxl will read; the cell references are found by streaming each XML part.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree

from tracking.errors import InvalidInput

MAX_ENTRIES = 1000
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 10 * 1024 * 1024
# Office compresses sheet XML 5-30 times; beyond this the file was built to inflate.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 256
MAX_CELLS = 1_000_000

CHUNK_BYTES = 1024 * 1024
# Kept from the previous chunk so that a reference cut by a chunk boundary is still seen.
OVERLAP_BYTES = 256
CONTENT_TYPES = "[Content_Types].xml"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
SHARED_STRINGS_TYPE = "sharedStrings+xml"
# <dimension ref="A1:XFD1048576"/> (any namespace prefix), <row r="7">, <c r="AB7">.
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_REFERENCE = re.compile(rb"\br\s*=\s*[\"']([A-Za-z]{0,3})(\d{1,10})[\"']")
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,10})$")

MB = 1024 * 1024


def _refuse(code: str, message: str) -> InvalidInput:
    return InvalidInput(code, message, field="file")


def check_xlsx(content: bytes) -> None:
    """Raise InvalidInput (field `file`) for a workbook too costly to open; a file that is not
    a zip at all is left to openpyxl, which reports it as unreadable."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return
    with archive:
        entries = archive.infolist()
        _check_sizes(entries)
        _check_shared_strings(archive)
        max_row, max_column = 0, 0
        for entry in entries:
            if not entry.filename.lower().endswith(".xml"):
                continue
            rows, columns = _extent(archive, entry)
            max_row, max_column = max(max_row, rows), max(max_column, columns)
    if max_row > MAX_ROWS or max_column > MAX_COLUMNS or max_row * max_column > MAX_CELLS:
        raise _refuse(
            "import.xlsx_too_many_cells",
            f"Trang tính khai báo hoặc dùng tới {max_row} dòng × {max_column} cột, vượt giới hạn "
            f"{MAX_ROWS} dòng, {MAX_COLUMNS} cột, {MAX_CELLS} ô",
        )


def check_document_archive(content: bytes) -> None:
    """The archive limits alone (parts, unpacked size, compression ratio), for a Word
    document (.docx) before python-docx unpacks it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return
    with archive:
        _check_sizes(archive.infolist(), label="Tệp Word")


def _check_sizes(entries: list[zipfile.ZipInfo], *, label: str = "Tệp Excel") -> None:
    if len(entries) > MAX_ENTRIES:
        raise _refuse(
            "import.xlsx_too_many_parts", f"{label} có hơn {MAX_ENTRIES} thành phần bên trong"
        )
    if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(
            "import.xlsx_too_large",
            f"{label} khi giải nén lớn hơn {MAX_UNCOMPRESSED_BYTES // MB} MB",
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise _refuse(
                "import.xlsx_compression_ratio",
                f"{label} bị nén bất thường (phần «{entry.filename[:80]}» nở ra "
                f"{ratio:.0f} lần, giới hạn {MAX_COMPRESSION_RATIO} lần)",
            )


def _check_shared_strings(archive: zipfile.ZipFile) -> None:
    """The shared strings are all loaded into memory: their part gets a smaller bound. The
    part is the one [Content_Types].xml names (openpyxl reads that one), whatever its path."""
    names = {name for name in archive.namelist() if "sharedstrings" in name.lower()}
    try:
        types = ElementTree.fromstring(archive.read(CONTENT_TYPES))
    except (KeyError, ElementTree.ParseError):
        types = None
    if types is not None:
        for override in types.iter(f"{CONTENT_TYPES_NS}Override"):
            if override.get("ContentType", "").endswith(SHARED_STRINGS_TYPE):
                names.add(override.get("PartName", "").lstrip("/"))
    for name in names:
        try:
            size = archive.getinfo(name).file_size
        except KeyError:
            continue
        if size > MAX_SHARED_STRINGS_BYTES:
            raise _refuse(
                "import.xlsx_too_large",
                f"Bảng chuỗi dùng chung của tệp Excel lớn hơn {MAX_SHARED_STRINGS_BYTES // MB} MB",
            )


def _chunks(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    tail = b""
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                yield tail + chunk
                tail = chunk[-OVERLAP_BYTES:]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise _refuse(
            "import.unreadable", f"Không đọc được tệp Excel (.xlsx): {type(error).__name__}"
        ) from error


def _extent(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> tuple[int, int]:
    """The largest row and column a part declares (<dimension>) or refers to (r="…")."""
    max_row, max_column = 0, 0
    for data in _chunks(archive, entry):
        for match in _DIMENSION.finditer(data):
            for cell in match.group(1).decode("ascii", "replace").split(":"):
                row, column = _cell_position(cell)
                max_row, max_column = max(max_row, row), max(max_column, column)
        for match in _REFERENCE.finditer(data):
            max_row = max(max_row, int(match.group(2)))
            max_column = max(max_column, _column_number(match.group(1).decode("ascii")))
    return max_row, max_column


def _column_number(letters: str) -> int:
    """A=1, Z=26, AA=27 … (no upper bound: a column past XFD is simply too many)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _cell_position(cell: str) -> tuple[int, int]:
    """(row, column) of "B7"; any other form of reference is refused."""
    match = _CELL.match(cell.strip())
    if match is None:
        raise _refuse("import.xlsx_too_many_cells", f"Vùng dữ liệu «{cell[:40]}» không hợp lệ")
    return int(match.group(2)), _column_number(match.group(1))
