"""Names for files the service writes or sends: built from a whitelist, never from raw text.

A report's name comes from its number and issuer code (stored rows may predate the rules on
those), so anything that could leave a folder, hide a file or break an HTTP header is
replaced before a name reaches a disk or a Content-Disposition.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 150
FALLBACK_NAME = "tai-ve"
_SEPARATORS = re.compile(r"-{2,}")
_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# Vietnamese letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans({"Đ": "D", "đ": "d"})


def _tidy(name: str) -> str:
    name = _SEPARATORS.sub("-", name).strip("-. ")  # no hidden or dot-only names
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        keep = MAX_NAME - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if dot and keep > 0 else name[:MAX_NAME]
    return name or FALLBACK_NAME


def safe_filename(name: str) -> str:
    """Letters (Vietnamese included), digits, "-", "_" and "."; anything else becomes "-"."""
    name = unicodedata.normalize("NFC", name)
    kept = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)
    return _tidy(kept)


def ascii_filename(name: str) -> str:
    """safe_filename folded to ASCII: "Báo cáo HĐND.docx" → "Bao-cao-HDND.docx"."""
    decomposed = unicodedata.normalize("NFKD", safe_filename(name).translate(_UNDECOMPOSED))
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _tidy(_NOT_ASCII_SAFE.sub("-", base))
