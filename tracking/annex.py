"""What a plan's annex in Word needs beyond the spreadsheet import (tracking.importing):
reading its tables, the deadline phrases plans use, unit names as offices write them, and
the groups of units ("các sở, ban, ngành").

The annex becomes rows like a spreadsheet's, so the preview, the checks and the commit are
the spreadsheet import's own.
"""

from __future__ import annotations

import calendar
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz, process

from models import COMMUNE_LEVEL_KINDS, Unit, UnitKind
from tracking.deadlines import DeadlineRule
from tracking.errors import InvalidInput
from tracking.spreadsheet_safety import check_document_archive


def normalise(text: str) -> str:
    """NFC, lower case, single spaces: how headers and unit names are compared."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return " ".join(text.lower().split())


# --- Reading the annex tables ------------------------------------------------------------

_COLUMN_NUMBERS = re.compile(r"^\(?\d{1,2}\)?$")


def is_docx(*, content: bytes, filename: str) -> bool:
    if filename.lower().endswith(".docx"):
        return True
    if content[:2] != b"PK":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def read_docx_tables(content: bytes) -> list[list[list[str]]]:
    """Every table of the document as rows of cell texts. A cell merged across columns keeps
    its text in its first column only (the others read ""); a cell merged down rows repeats
    its text in each row (a lead unit written once for several tasks leads each)."""
    from docx import Document

    check_document_archive(content)
    try:
        document = Document(io.BytesIO(content))
    except Exception as error:  # python-docx raises many kinds on a damaged file
        raise InvalidInput(
            "import.unreadable",
            f"Không đọc được tệp Word (.docx): {type(error).__name__}",
            field="file",
        ) from error
    tables: list[list[list[str]]] = []
    for table in document.tables:
        rows: list[list[str]] = []
        for row in table.rows:
            texts: list[str] = []
            previous = None
            for cell in row.cells:
                texts.append("" if cell._tc is previous else cell.text.strip())
                previous = cell._tc
            numbers = {t for t in texts if t}
            if len(numbers) > 2 and all(_COLUMN_NUMBERS.match(t) for t in numbers):
                # The "(1) (2) (3)…" row under a header: blank, so rows keep their numbers.
                texts = [""] * len(texts)
            rows.append(texts)
        tables.append(rows)
    return tables


# --- Deadline phrases --------------------------------------------------------------------

ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_BEFORE = re.compile(r"^(?:trước|chậm nhất|hoàn thành trước|trong)(?: ngày)?\s+(.+)$")
_MONTH = re.compile(r"^tháng\s+(\d{1,2})\s*[/.-]\s*(\d{4})$")
_QUARTER = re.compile(r"^quý\s+(i{1,3}|iv|[1-4])\s*[/.-]?\s*(?:năm\s+)?(\d{4})$")
_YEAR = re.compile(r"^năm\s+(\d{4})$")
_HALF = re.compile(r"^(6|sáu) tháng (đầu|cuối) năm(?:\s+(\d{4}))?$")
YEARLY = {"hằng năm", "hàng năm", "định kỳ hằng năm", "định kỳ hàng năm"}


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_deadline(text: str, *, year: int) -> DeadlineRule | None:
    """The last day of the period a plan names ("Tháng 6/2026", "Quý III/2026", "Năm 2026",
    "6 tháng đầu năm" of `year`, "Hằng năm": 31/12 of `year`); the day after "Trước" taken
    as is by the caller; None when the text is none of these."""
    if text in YEARLY:
        return DeadlineRule.fixed(date(year, 12, 31))
    if match := _MONTH.match(text):
        month, in_year = int(match[1]), int(match[2])
        return DeadlineRule.fixed(_end_of_month(in_year, month)) if 1 <= month <= 12 else None
    if match := _QUARTER.match(text):
        quarter, in_year = ROMAN_QUARTERS[match[1]], int(match[2])
        return DeadlineRule.fixed(_end_of_month(in_year, quarter * 3))
    if match := _YEAR.match(text):
        return DeadlineRule.fixed(date(int(match[1]), 12, 31))
    if match := _HALF.match(text):
        in_year = int(match[3]) if match[3] else year
        return DeadlineRule.fixed(
            date(in_year, 6 if match[2] == "đầu" else 12, 30 + (match[2] != "đầu"))
        )
    return None


def without_before(text: str) -> str:
    """ "Trước 30/6/2026", "trước ngày 30/6/2026", "chậm nhất ngày …" → the day itself."""
    match = _BEFORE.match(text)
    return match[1].strip() if match else text


# --- Unit names as offices write them ----------------------------------------------------

# Abbreviations in the forms offices write them, longest first, and their full words.
ABBREVIATIONS = (
    ("tt&tt", "thông tin và truyền thông"),
    ("tt và tt", "thông tin và truyền thông"),
    ("kh&đt", "kế hoạch và đầu tư"),
    ("kh&cn", "khoa học và công nghệ"),
    ("khcn", "khoa học và công nghệ"),
    ("tn&mt", "tài nguyên và môi trường"),
    ("nn&ptnt", "nông nghiệp và phát triển nông thôn"),
    ("nn&mt", "nông nghiệp và môi trường"),
    ("gd&đt", "giáo dục và đào tạo"),
    ("gdđt", "giáo dục và đào tạo"),
    ("lđtb&xh", "lao động thương binh và xã hội"),
    ("vh,tt&dl", "văn hóa thể thao và du lịch"),
    ("vhtt&dl", "văn hóa thể thao và du lịch"),
    ("gtvt", "giao thông vận tải"),
    ("ubnd", "ủy ban nhân dân"),
    ("hđnd", "hội đồng nhân dân"),
    ("ubmttq", "ủy ban mặt trận tổ quốc"),
    ("bchqs", "bộ chỉ huy quân sự"),
    ("vp", "văn phòng"),
    ("tp", "thành phố"),
    ("tx", "thị xã"),
)
# The tone mark's place in the old style ("uỷ", "hoà") and the new ("ủy", "hòa"), in a
# syllable without a final consonant.
_OLD_TONES = {
    "uỷ": "ủy",
    "uý": "úy",
    "oà": "òa",
    "oá": "óa",
    "oả": "ỏa",
    "oạ": "ọa",
    "oè": "òe",
    "uỵ": "ụy",
    "thuỷ": "thủy",
}
# Only where the pair ends the syllable: "hoạch", "toán" are written alike in both styles.
_OLD_TONE = re.compile("(?:" + "|".join(_OLD_TONES) + r")(?![^\W\d_])")
_PUNCTUATION = re.compile(r"[\s,;.\-–()/]+")
_WORD_AND = re.compile(r"\s*&\s*")


def unit_key(text: str) -> str:
    """A unit name reduced for comparison: lower case, old-style tone marks moved, the
    abbreviations offices use written out, punctuation dropped ("Sở TT&TT" and "Sở Thông
    tin và Truyền thông" give the same key)."""
    key = normalise(text)
    key = _OLD_TONE.sub(lambda match: _OLD_TONES[match[0]], key)
    key = _WORD_AND.sub("&", key)
    words = []
    for word in key.split(" "):
        bare = word.strip(",;.()")
        words.append(dict(ABBREVIATIONS).get(bare, word))
    key = " ".join(words).replace("&", " và ")
    return " ".join(_PUNCTUATION.sub(" ", key).split())


FUZZY_MATCH = 90  # a score (0–100) this high is the same name, typed differently
FUZZY_TIE = 10  # another unit this close to the best makes the name ambiguous
FUZZY_SUGGEST = 70  # candidates named in an error


@dataclass(frozen=True)
class UnitMatch:
    unit: Unit | None
    candidates: tuple[Unit, ...] = ()  # when unit is None: ambiguous (≥2) or suggestions


def fuzzy_match(text: str, units: Sequence[Unit], keys: Sequence[str]) -> UnitMatch:
    """The unit `text` names, by rapidfuzz's token-sort ratio of the keys (unit_key; a unit
    may have two, its name's and its short name's, and counts once at its best); another
    unit near the best score → ambiguous; none good enough → the closest as suggestions."""
    scored = process.extract(
        unit_key(text), keys, scorer=fuzz.token_sort_ratio, limit=10, score_cutoff=FUZZY_SUGGEST
    )
    best_of: dict[int | None, tuple[float, Unit]] = {}
    for _, score, index in scored:
        unit = units[index]
        if unit.id not in best_of or score > best_of[unit.id][0]:
            best_of[unit.id] = (score, unit)
    ranked = sorted(best_of.values(), key=lambda pair: -pair[0])
    if not ranked:
        return UnitMatch(None)
    best = ranked[0][0]
    close = [unit for score, unit in ranked if score >= best - FUZZY_TIE]
    if best >= FUZZY_MATCH and len(close) == 1:
        return UnitMatch(close[0])
    if best >= FUZZY_MATCH:
        return UnitMatch(None, tuple(close))
    return UnitMatch(None, tuple(unit for _, unit in ranked[:3]))


# --- Groups of units ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitGroup:
    label: str
    kinds: frozenset[UnitKind]


GROUPS = (
    (
        re.compile(r"^(các )?sở ban ngành"),
        UnitGroup("các sở, ban, ngành", frozenset({UnitKind.DEPARTMENT, UnitKind.AGENCY})),
    ),
    (re.compile(r"^các sở( |$)"), UnitGroup("các sở", frozenset({UnitKind.DEPARTMENT}))),
    (
        re.compile(r"^(các )?ủy ban nhân dân các (huyện|thị xã|thành phố)"),
        UnitGroup("UBND các huyện, thị xã, thành phố", frozenset({UnitKind.DISTRICT})),
    ),
    (
        re.compile(r"^(các )?ủy ban nhân dân các (xã|phường|đặc khu)"),
        UnitGroup("UBND các xã, phường, đặc khu", frozenset(COMMUNE_LEVEL_KINDS)),
    ),
)
VAGUE = re.compile(r"liên quan$")


def group_of(text: str) -> UnitGroup | None:
    """The group a name stands for ("Các sở, ban, ngành", "UBND các huyện"…), if any."""
    key = unit_key(text)
    return next((group for pattern, group in GROUPS if pattern.match(key)), None)


def is_vague(text: str) -> bool:
    """ "Các cơ quan, đơn vị liên quan": no unit can be told from it."""
    return bool(VAGUE.search(unit_key(text)))


def members(group: UnitGroup, *, scope: Unit | None, units: Iterable[Unit]) -> list[Unit]:
    """The units of the group directly under the scope (the province the plan assigns in)."""
    if scope is None:
        return []
    return sorted(
        (u for u in units if u.parent_id == scope.id and u.kind in group.kinds),
        key=lambda u: u.name,
    )
