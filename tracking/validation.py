"""Checks shared by the use cases, each raising InvalidInput with a stable code.

The text rule lives here once: the API's text types (api/deps.py), the services, the
importers and the command line all call `checked_text` (or `text_problem`), and the report
writers call `xml_safe` on what was stored before the rule existed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from tracking.errors import InvalidInput

MAX_TEXT = 4000

# The largest id a client may name: ids are 32-bit integers in PostgreSQL, and a larger number
# in a path or query must be a 422, never a database overflow.
MAX_ID = 2_147_483_647

# The longest time limit in days (calendar or working) a deadline, an extension or an escalation
# step may state: ten years, far beyond any legal limit; it also bounds the calendar's loops.
MAX_DEADLINE_DAYS = 3650

# A clock time as HH:MM, 00:00 to 23:59 (the reminders' send window, in settings and policies).
CLOCK_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"

# Dates people can mean: far years overflow calendar arithmetic and are always typing errors.
EARLIEST_DAY = date(1990, 1, 1)
LATEST_DAY = date(2099, 12, 31)

_CLOCK_TIME = re.compile(CLOCK_TIME_PATTERN)

# Control characters other than tab and line feed (a CR is turned into a line feed first),
# lone surrogates and the non-characters U+FFFE/U+FFFF: XML (DOCX, XLSX) cannot hold them,
# and terminals, HTTP headers and spreadsheet readers misread them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_A_CHARACTER = re.compile("[\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile("\r\n?")
# A plain email address, as people type one (no display name, no comments).
EMAIL_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class TextProblem:
    """Why a text is refused: a stable code and the end of a Vietnamese sentence."""

    code: str
    reason: str

    def message(self, label: str) -> str:
        return f"{label} {self.reason}"


def normalise_newlines(value: str) -> str:
    """CR LF and lone CR (old Mac, some Excel exports) become LF."""
    return _NEWLINES.sub("\n", value)


def text_problem(value: str) -> TextProblem | None:
    """The first character the rule refuses, or None (CR counts as a line break)."""
    for pattern, code, kind in (
        (_CONTROL, "text.control_character", "ký tự điều khiển"),
        (_NOT_A_CHARACTER, "text.invalid_character", "ký tự không hợp lệ"),
    ):
        found = pattern.search(value)
        if found is not None:
            where = found.start() + 1
            reason = f"chứa {kind} U+{ord(found.group()):04X} ở vị trí {where}, hãy xóa ký tự này"
            return TextProblem(code=code, reason=reason)
    return None


def checked_text(value: str, *, field: str, label: str) -> str:
    """The text with line breaks normalised; InvalidInput naming `field` if the rule refuses it."""
    value = normalise_newlines(value)
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(problem.code, problem.message(label), field=field)
    return value


def as_pydantic_check(check: Callable[[str], str]) -> Callable[[Any], Any]:
    """A check as a pydantic validator: its InvalidInput becomes a pydantic error whose type is
    the stable code and whose message is the Vietnamese one (api/errors.py keeps both); the
    field is where pydantic found the value."""

    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # pydantic's own type check reports it
        try:
            return check(value)
        except InvalidInput as error:
            raise PydanticCustomError(error.code, "{message}", {"message": error.message}) from None

    return validate


def _any_text(value: str) -> str:
    return checked_text(value, field="", label="Nội dung")


# The rule for a str field of a pydantic model; before pydantic's own str check, which would
# answer a lone surrogate with a generic error.
TEXT_RULE = BeforeValidator(as_pydantic_check(_any_text))


def xml_safe(value: str) -> str:
    """The text without the characters the rule refuses: for rows stored before it existed
    and frozen report snapshots, so a writer never fails on them."""
    return _NOT_A_CHARACTER.sub("", _CONTROL.sub("", value))


# What xml_safe removes as json.dumps(…, ensure_ascii=False) writes it: the control
# characters below U+0020 escaped (\b, \f, \u00XX; tab and line breaks are kept), the others
# as they are. A backslash the text itself holds may match too: then the data is walked. Two
# patterns, as one costs twice their sum: the escapes start with a backslash, which the regex
# engine finds without trying the pattern at every character.
_ESCAPED_NOT_XML_IN_JSON = re.compile(r"\\(?:[bf]|u00[01])")
_RAW_NOT_XML_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def json_shows_not_xml(text: str) -> bool:
    """Whether JSON text (ensure_ascii=False) shows a character xml_safe removes."""
    return bool(_ESCAPED_NOT_XML_IN_JSON.search(text) or _RAW_NOT_XML_IN_JSON.search(text))


def _xml_safe_copy(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {_xml_safe_copy(key): _xml_safe_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe_copy(item) for item in value]
    return value


def xml_safe_tree(value: Any) -> Any:
    """JSON-like data (a report snapshot) with every string passed through xml_safe: the data
    itself when its JSON text shows none of those characters (one scan in C; a province's
    snapshot holds half a million strings to walk), else a cleaned copy."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON after all
        return _xml_safe_copy(value)
    return _xml_safe_copy(value) if json_shows_not_xml(text) else value


def clean_text(
    value: str, *, code: str, field: str, label: str, required: bool = True, limit: int = MAX_TEXT
) -> str:
    """The stripped text; `code` "task.title" gives "task.title_required" and
    "task.title_too_long"; `label` names the field for people."""
    value = checked_text(value, field=field, label=label).strip()
    if required and not value:
        raise InvalidInput(f"{code}_required", f"{label} không được để trống", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{code}_too_long", f"{label} dài quá {limit} ký tự", field=field)
    return value


def check_day(value: date, *, field: str, label: str) -> date:
    """A date within EARLIEST_DAY..LATEST_DAY, the range the API also enforces."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise InvalidInput(
            "date.out_of_range",
            f"{label} phải trong khoảng {EARLIEST_DAY:%d/%m/%Y} – {LATEST_DAY:%d/%m/%Y}",
            field=field,
        )
    return value


# The two ways people write a day: ISO (as <input type=date> sends it) and the Vietnamese way,
# whose %d and %m also take one digit (2/11/2021).
DAY_PATTERNS = ("%Y-%m-%d", "%d/%m/%Y")


def read_day(text: str) -> date | None:
    """The day `text` spells as 2021-11-02 or 02/11/2021, or None when it spells no real day."""
    for pattern in DAY_PATTERNS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def parse_day(value: object, *, field: str, label: str) -> date:
    """A day given as a date (a datetime gives its date) or as text, 2021-11-02 or 02/11/2021,
    within EARLIEST_DAY..LATEST_DAY; the range message names `label` and the day read, e.g.
    "Ngày 31/12/9999 phải trong khoảng …"."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = "" if value is None else str(value).strip()
        read = read_day(text)
        if read is None:
            raise InvalidInput(
                "date.invalid",
                f"{label}: «{text}» không phải ngày hợp lệ (dạng 2021-11-02 hoặc 02/11/2021)",
                field=field,
            )
        day = read
    return check_day(day, field=field, label=f"{label} {day:%d/%m/%Y}")


def parse_clock_time(value: object, *, field: str) -> time:
    """An HH:MM text as a time; anything else (07:30:00, 7h30, a number) is refused."""
    if not isinstance(value, str) or not _CLOCK_TIME.fullmatch(value):
        raise InvalidInput("time.invalid", "Giờ phải có dạng HH:MM, ví dụ 07:30", field=field)
    return time.fromisoformat(value)
