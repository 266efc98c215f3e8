"""Import a plan's tasks from the spreadsheet provincial offices already keep (.xlsx or .csv),
or from the annex table of the plan itself in Word (.docx, read by tracking.annex).

Columns (Vietnamese headers in their usual variants, any order, case and spacing free; a title
block above the header row is skipped): STT, nội dung nhiệm vụ, đơn vị chủ trì, đơn vị phối
hợp, thời hạn, sản phẩm, ghi chú. A row with only a numbered heading ("I. Xây dựng thể chế")
starts a section of the plan. Units are matched by code, name or short name, then by the name
with the office abbreviations written out, then fuzzily (tracking.annex). Thời hạn:
dd/mm/yyyy (after "Trước"), "n ngày làm việc", "n ngày", a period ("Tháng 6/2026", "Quý
III/2026", "Năm 2026", "6 tháng đầu năm", "Hằng năm"), or empty / "thường xuyên". All or
nothing: every row is checked first, and a file with any bad row imports nothing and reports
every bad row with its reason; `preview` shows the same without saving.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from models import Plan, Task, Unit
from tracking import access, annex, clock
from tracking import plans as plans_service
from tracking import tasks as tasks_service
from tracking import units as units_service
from tracking.annex import normalise
from tracking.audit import Actor, record
from tracking.deadlines import DeadlineRule
from tracking.errors import DomainError, InvalidInput
from tracking.spreadsheet_safety import check_xlsx
from tracking.validation import MAX_TEXT, text_problem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SCAN_ROWS = 15

NUMBER = "stt"
CONTENT = "nội dung nhiệm vụ"
LEAD = "đơn vị chủ trì"
COORDINATING = "đơn vị phối hợp"
DEADLINE = "thời hạn"
NOTE = "ghi chú"
PRODUCT = "sản phẩm"
COLUMNS = (NUMBER, CONTENT, LEAD, COORDINATING, DEADLINE, PRODUCT, NOTE)
REQUIRED = (CONTENT, LEAD)
# Headers seen in real trackers that mean the same column.
ALIASES = {
    "nội dung": CONTENT,
    "tên nhiệm vụ": CONTENT,
    "nhiệm vụ": CONTENT,
    "cơ quan chủ trì": LEAD,
    "chủ trì": LEAD,
    "cơ quan phối hợp": COORDINATING,
    "phối hợp": COORDINATING,
    "hạn xử lý": DEADLINE,
    "thời hạn hoàn thành": DEADLINE,
    "tt": NUMBER,
    "số tt": NUMBER,
    "số thứ tự": NUMBER,
    "nội dung công việc": CONTENT,
    "tên nhiệm vụ đề án": CONTENT,
    "cơ quan đơn vị chủ trì": LEAD,
    "cơ quan chủ trì thực hiện": LEAD,
    "đơn vị chủ trì thực hiện": LEAD,
    "cơ quan đơn vị phối hợp": COORDINATING,
    "cơ quan phối hợp thực hiện": COORDINATING,
    "thời gian hoàn thành": DEADLINE,
    "thời gian thực hiện": DEADLINE,
    "tiến độ hoàn thành": DEADLINE,
    "thời hạn thực hiện": DEADLINE,
    "sản phẩm đầu ra": PRODUCT,
    "kết quả sản phẩm": PRODUCT,
    "sản phẩm hoàn thành": PRODUCT,
    "hình thức văn bản": PRODUCT,
}
STANDING = {"", "thường xuyên", "không thời hạn", "không có thời hạn", "-"}

_DAYS = re.compile(r"^(\d{1,4})\s*ngày(\s+làm\s+việc)?$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_SPLIT = re.compile(r"[;,\n]+")
# A heading row of the annex: "I. Xây dựng thể chế", "II – …", "A. …".
_HEADING = re.compile(r"^([IVXLC]{1,6}|[A-ZĐ])\s*[.):–-]\s*(.+)$", re.S)
_HEADING_NUMBER = re.compile(r"^([IVXLC]{1,6}|[A-ZĐ])[.)]?$")


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as the spreadsheet shows it (1-based, header included)
    field: str | None
    code: str
    message: str


class ImportRejected(InvalidInput):
    """The file, or some of its rows, are bad: nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        rows = sorted({e.row for e in errors if e.row})
        summary = (
            f"Tệp có {len(rows)} dòng lỗi; không nhiệm vụ nào được nhập"
            if rows
            else errors[0].message
        )
        super().__init__("import.rejected", summary, field="file")
        self.errors = list(errors)


@dataclass
class ParsedRow:
    row: int
    content: str
    lead: Unit
    coordinators: list[Unit]
    deadline: DeadlineRule
    note: str
    section: str | None = None


@dataclass
class ImportResult:
    plan_id: int
    task_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.task_ids)


def _file_error(code: str, message: str) -> ImportRejected:
    return ImportRejected([RowError(row=0, field="file", code=code, message=message)])


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def read_rows(*, content: bytes, filename: str) -> list[list[Any]]:
    """The file's rows as lists of cell values (str, date, number, None)."""
    if not content:
        raise _file_error("import.empty_file", "Tệp rỗng")
    if len(content) > MAX_BYTES:
        raise _file_error("import.file_too_large", "Tệp lớn quá 5 MB")
    name = filename.lower()
    if annex.is_docx(content=content, filename=filename):
        return _read_docx(content)
    if content[:2] == b"PK" or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if name.endswith((".csv", ".txt")) or not name:
        return _read_csv(content)
    raise _file_error("import.unsupported_type", "Chỉ nhận tệp .xlsx hoặc .csv")


def _read_xlsx(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    check_xlsx(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as error:
        raise _file_error(
            "import.unreadable", f"Không đọc được tệp Excel (.xlsx): {type(error).__name__}"
        ) from error
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise _file_error(
            "import.unreadable", f"Không đọc được tệp Excel (.xlsx): {type(error).__name__}"
        ) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _file_error("import.no_sheet", "Tệp Excel không có trang tính nào")
        rows: list[list[Any]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell(v) for v in values])
            if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                raise _file_error("import.too_many_rows", f"Tệp có quá {MAX_ROWS} dòng")
        return rows
    except ImportRejected:
        raise
    except Exception as error:
        raise _file_error(
            "import.unreadable", f"Không đọc được tệp Excel (.xlsx): {type(error).__name__}"
        ) from error
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _file_error("import.encoding", "Tệp CSV phải được lưu với bảng mã UTF-8") from error
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        rows = [
            [_cell(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as error:
        raise _file_error("import.unreadable", f"Tệp CSV không đúng định dạng: {error}") from error
    if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
        raise _file_error("import.too_many_rows", f"Tệp có quá {MAX_ROWS} dòng")
    return rows


def _read_docx(content: bytes) -> list[list[Any]]:
    """The annex: the tables with a task header, as one sheet. One table is returned as it
    is (row numbers are those of the table in Word); several are put under one header in
    the order of COLUMNS, their rows numbered on from one table to the next."""
    annex_tables: list[tuple[list[list[str]], dict[str, int], int]] = []
    for table in annex.read_docx_tables(content):
        try:
            header_index, columns = find_header(table, spec=TASK_HEADER)
        except ImportRejected:
            continue  # a table of signatures, recipients…
        annex_tables.append((table, columns, header_index))
    if not annex_tables:
        raise _file_error(
            "import.no_annex_table",
            "Không tìm thấy bảng phụ lục có cột «nội dung nhiệm vụ» và «đơn vị chủ trì» "
            "trong tệp Word",
        )
    if sum(len(table) for table, _, _ in annex_tables) > MAX_ROWS + HEADER_SCAN_ROWS:
        raise _file_error("import.too_many_rows", f"Tệp có quá {MAX_ROWS} dòng")
    if len(annex_tables) == 1:
        return list(annex_tables[0][0])
    rows: list[list[Any]] = [list(COLUMNS)]
    for table, columns, header_index in annex_tables:
        for row in table[header_index + 1 :]:
            rows.append([row[columns[name]] if name in columns else "" for name in COLUMNS])
    return rows


_HEADER_PUNCTUATION = re.compile(r"[/,;]+")


def _header_key(value: str) -> str:
    key = _HEADER_PUNCTUATION.sub(" ", normalise(value).rstrip(" *:"))
    key = " ".join(key.replace("(", " ").replace(")", " ").split())
    return ALIASES.get(key, key)


@dataclass(frozen=True)
class HeaderSpec:
    """A file's header row: the columns it may hold, those it must, the column whose presence
    marks the row as the header, how a cell's text becomes a column name, and the message when
    no row in the first HEADER_SCAN_ROWS has the marker."""

    columns: Sequence[str]
    required: Sequence[str]
    marker: str
    key: Callable[[str], str]
    not_found: str


def find_header(rows: list[list[Any]], *, spec: HeaderSpec) -> tuple[int, dict[str, int]]:
    """The header row's index and each known column's position (its first occurrence); a
    title block above the header is skipped. ImportRejected when there is no header or it
    lacks a required column."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for position, value in enumerate(row):
            if not isinstance(value, str):
                continue
            key = spec.key(value)
            if key in spec.columns and key not in columns:
                columns[key] = position
        if spec.marker in columns:
            missing = [c for c in spec.required if c not in columns]
            if missing:
                raise _file_error(
                    "import.missing_columns",
                    "Thiếu cột: " + ", ".join(f"«{c}»" for c in missing),
                )
            return index, columns
    raise _file_error("import.no_header", spec.not_found)


TASK_HEADER = HeaderSpec(
    columns=COLUMNS,
    required=REQUIRED,
    marker=CONTENT,
    key=_header_key,
    not_found="Không tìm thấy dòng tiêu đề có cột «nội dung nhiệm vụ» và «đơn vị chủ trì»",
)


class UnitIndex:
    """Units looked up by code, name or short name (normalised); then by the name with the
    office abbreviations written out (annex.unit_key); then fuzzily (annex.fuzzy_match)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = list(units)
        self._by_key: dict[str, list[Unit]] = {}
        self._by_full_key: dict[str, list[Unit]] = {}
        self._fuzzy_units: list[Unit] = []
        self._fuzzy_keys: list[str] = []
        for unit in self.units:
            keys = {normalise(unit.code), normalise(unit.name)}
            if unit.short_name:
                keys.add(normalise(unit.short_name))
            for key in keys:
                self._by_key.setdefault(key, []).append(unit)
            names = {unit.name, unit.short_name} - {""}
            for full_key in {annex.unit_key(name) for name in names}:
                self._by_full_key.setdefault(full_key, []).append(unit)
                self._fuzzy_units.append(unit)
                self._fuzzy_keys.append(full_key)

    def find(self, text: str) -> list[Unit]:
        return self._by_key.get(normalise(text), [])

    def match(self, text: str) -> annex.UnitMatch:
        """The one unit `text` names, or the candidates: several (ambiguous) or the closest
        (unknown)."""
        found = self.find(text) or self._by_full_key.get(annex.unit_key(text), [])
        distinct = list({unit.id: unit for unit in found}.values())
        if len(distinct) == 1:
            return annex.UnitMatch(distinct[0])
        if distinct:
            return annex.UnitMatch(None, tuple(distinct))
        return annex.fuzzy_match(text, self._fuzzy_units, self._fuzzy_keys)


def parse_deadline(value: Any, *, year: int | None = None) -> DeadlineRule:
    """dd/mm/yyyy (or a date cell; "Trước 30/6/2026" is that day), "n ngày làm việc",
    "n ngày", a period (the last day of it, tracking.annex.period_deadline; a period without
    a year is in `year`, the year of assignment), or empty/"thường xuyên"."""
    if isinstance(value, datetime):
        return DeadlineRule.fixed(value.date())
    if isinstance(value, date):
        return DeadlineRule.fixed(value)
    text = annex.without_before(normalise(str(value)) if value is not None else "")
    if text in STANDING:
        return DeadlineRule.none()
    period = annex.period_deadline(text, year=year or clock.today().year)
    if period is not None:
        return period
    match = _DATE.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return DeadlineRule.fixed(date(year, month, day))
        except ValueError as error:
            raise InvalidInput(
                "import.deadline_invalid_date",
                f"Ngày «{value}» không tồn tại",
                field=DEADLINE,
            ) from error
    match = _DAYS.match(text)
    if match:
        amount = int(match[1])
        return DeadlineRule.working_days(amount) if match[2] else DeadlineRule.days(amount)
    raise InvalidInput(
        "import.deadline_invalid",
        f"Thời hạn «{value}» không hiểu được: ghi dd/mm/yyyy, «Trước dd/mm/yyyy», "
        "«Tháng m/yyyy», «Quý I/yyyy», «Năm yyyy», «6 tháng đầu năm», «n ngày làm việc», "
        "«n ngày» hoặc «thường xuyên»",
        field=DEADLINE,
    )


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _names(units: Sequence[Unit]) -> str:
    return ", ".join(f"«{unit.name}» (mã {unit.code})" for unit in units)


def _match_unit(index: UnitIndex, text: str, column: str, errors: list[str]) -> Unit | None:
    found = index.match(text)
    if found.unit is not None:
        return found.unit
    if len(found.candidates) > 1:
        errors.append(
            f"tên «{text}» khớp nhiều đơn vị: {_names(found.candidates)}; hãy ghi mã đơn vị"
        )
    elif found.candidates:
        errors.append(f"không tìm thấy đơn vị «{text}»; gần giống: {_names(found.candidates)}")
    else:
        errors.append(f"không tìm thấy đơn vị «{text}»")
    return None


def _heading(row: list[Any], number: str, content: str, lead: str) -> str | None:
    """The title of a section heading row ("I. Xây dựng thể chế", merged across the row, or
    "I" | "Xây dựng thể chế" with no unit), or None for a task row."""
    texts = [t for t in (_text_of(v) for v in row) if t]
    if len(texts) == 1 and (match := _HEADING.match(texts[0])):
        return match[2].strip()
    if not lead and content and _HEADING_NUMBER.match(number):
        return content
    return None


@dataclass(frozen=True)
class RowUnits:
    """The units of one row: its leads (several when the row names a group and groups are
    expanded), its coordinators, and the coordinators no unit can be told from (kept in the
    note, e.g. "các cơ quan, đơn vị liên quan")."""

    leads: list[Unit]
    coordinators: list[Unit]
    unnamed_coordinators: list[str]


def _row_units(
    *,
    units: UnitIndex,
    lead_text: str,
    coordinating_text: str,
    scope: Unit | None,
    expand_groups: bool,
    bad: Callable[[str, str, str], None],
) -> RowUnits:
    leads: list[Unit] = []
    if not lead_text:
        bad(LEAD, "import.lead_required", "Đơn vị chủ trì không được để trống")
    elif annex.is_vague(lead_text):
        bad(LEAD, "import.lead_unknown", f"Đơn vị chủ trì: «{lead_text}» không chỉ rõ đơn vị nào")
    elif (group := annex.group_of(lead_text)) is not None:
        members = annex.members(group, scope=scope, units=units.units)
        if not expand_groups:
            bad(
                LEAD,
                "import.lead_is_group",
                f"Đơn vị chủ trì «{lead_text}» là một nhóm ({len(members)} đơn vị): hãy ghi "
                "từng đơn vị, hoặc chọn giao mỗi đơn vị của nhóm một nhiệm vụ",
            )
        elif not members:
            bad(LEAD, "import.group_empty", f"Nhóm «{lead_text}» không có đơn vị nào")
        leads = members
    else:
        problems: list[str] = []
        lead = _match_unit(units, lead_text, LEAD, problems)
        for problem in problems:
            bad(LEAD, "import.lead_unknown", f"Đơn vị chủ trì: {problem}")
        leads = [lead] if lead is not None else []
    coordinators: list[Unit] = []
    unnamed: list[str] = []
    for name in (p.strip() for p in _split_units(coordinating_text)):
        if not name:
            continue
        group = None if annex.is_vague(name) else annex.group_of(name)
        if group is not None and expand_groups:
            found = annex.members(group, scope=scope, units=units.units)
        elif group is not None or annex.is_vague(name):
            unnamed.append(name)
            continue
        else:
            problems = []
            unit = _match_unit(units, name, COORDINATING, problems)
            for problem in problems:
                bad(COORDINATING, "import.coordinator_unknown", f"Đơn vị phối hợp: {problem}")
            found = [unit] if unit is not None else []
        for unit in found:
            if unit in coordinators:
                continue
            if len(leads) == 1 and unit.id == leads[0].id:
                if group is None:
                    bad(
                        COORDINATING,
                        "import.lead_also_coordinating",
                        f"«{name}» đã là đơn vị chủ trì, không thể đồng thời phối hợp",
                    )
                continue
            coordinators.append(unit)
    return RowUnits(leads, coordinators, unnamed)


_GROUP_COMMAS = re.compile(
    r"(sở|ban)\s*,\s*(?=ban|ngành)"
    r"|(huyện|thị xã|xã|phường)\s*,\s*(?=thị xã|thành phố|phường|đặc khu)",
    re.I,
)


def _split_units(text: str) -> list[str]:
    """Coordinating units are separated by ";", "," or lines; the commas inside a group's
    name ("các sở, ban, ngành") are not separators."""
    protected = _GROUP_COMMAS.sub(lambda m: (m[1] or m[3]) + "\u2063 ", text)
    return [part.replace("\u2063", ",") for part in _SPLIT.split(protected)]


def parse_rows(
    *,
    rows: list[list[Any]],
    units: UnitIndex,
    assigned_on: date,
    scope: Unit | None = None,
    expand_groups: bool = False,
    year: int | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:
    """Every task row of the sheet and every bad row. A group named as the lead ("Các sở,
    ban, ngành") is a bad row, or with `expand_groups` one task for each unit of the group
    directly under `scope` (the province the plan assigns in). A period named without its
    year ("6 tháng đầu năm") is in `year` (the plan's), else in the year of assignment."""
    header_index, columns = find_header(rows, spec=TASK_HEADER)
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    section: str | None = None

    def cell(row: list[Any], name: str) -> Any:
        position = columns.get(name)
        return row[position] if position is not None and position < len(row) else None

    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        number = index + 1
        if all(_text_of(v) == "" for v in row):
            continue
        content = _text_of(cell(row, CONTENT))
        lead_text = _text_of(cell(row, LEAD))
        coordinating_text = _text_of(cell(row, COORDINATING))
        note = _text_of(cell(row, NOTE))
        product = _text_of(cell(row, PRODUCT))

        def bad(column: str, code: str, message: str, number: int = number) -> None:
            errors.append(RowError(row=number, field=column, code=code, message=message))

        heading = _heading(row, _text_of(cell(row, NUMBER)), content, lead_text)
        if heading is not None:
            why = text_problem(heading)
            if why is not None:
                bad(CONTENT, why.code, why.message("Tên mục"))
            elif len(heading) > 1000:
                bad(CONTENT, "import.section_too_long", "Tên mục dài quá 1000 ký tự")
            section = heading
            continue

        texts = {
            CONTENT: content,
            LEAD: lead_text,
            COORDINATING: coordinating_text,
            NOTE: note,
            PRODUCT: product,
        }
        refused = {column: text_problem(value) for column, value in texts.items()}
        for column, why in refused.items():
            if why is not None:
                bad(column, why.code, why.message(f"Cột «{column}»"))
        if any(refused.values()):
            continue  # matching units on text the row cannot hold would only add noise

        if not content:
            bad(CONTENT, "import.content_required", "Nội dung nhiệm vụ không được để trống")
        elif len(content) > MAX_TEXT:
            bad(CONTENT, "import.content_too_long", "Nội dung nhiệm vụ dài quá 4000 ký tự")
        found = _row_units(
            units=units,
            lead_text=lead_text,
            coordinating_text=coordinating_text,
            scope=scope,
            expand_groups=expand_groups,
            bad=bad,
        )
        deadline: DeadlineRule | None = None
        deadline_text = _text_of(cell(row, DEADLINE))
        try:
            deadline = parse_deadline(cell(row, DEADLINE), year=year or assigned_on.year)
            deadline.validate(assigned_on=assigned_on)
        except DomainError as error:
            deadline = None
            bad(DEADLINE, error.code, error.message)
        extras = [note] if note else []
        if product:
            extras.append(f"Sản phẩm: {product}")
        if found.unnamed_coordinators:
            extras.append("Phối hợp: " + "; ".join(found.unnamed_coordinators))
        if normalise(deadline_text) in annex.YEARLY:
            extras.append(f"Thời hạn ghi trong kế hoạch: {deadline_text}")
        full_note = "\n".join(extras)
        if len(full_note) > MAX_TEXT:
            bad(NOTE, "import.note_too_long", "Ghi chú (kể cả sản phẩm) dài quá 4000 ký tự")
        if errors and errors[-1].row == number:
            continue
        assert deadline is not None
        for lead in found.leads:
            coordinators = [u for u in found.coordinators if u.id != lead.id]
            parsed.append(
                ParsedRow(number, content, lead, coordinators, deadline, full_note, section)
            )
    if not parsed and not errors:
        raise _file_error("import.no_rows", "Tệp không có dòng nhiệm vụ nào")
    return parsed, errors


def _assignment_errors(
    *, session: Session, plan: Plan, parsed: Sequence[ParsedRow]
) -> list[RowError]:
    """Rows whose units the plan's issuer may not assign to (the rules of tracking.access),
    so that a file is refused with every such row, not stopped at the first."""
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    errors: list[RowError] = []
    for item in parsed:
        try:
            access.check_assignment(
                session=session, issuer=issuer, lead=item.lead, coordinators=item.coordinators
            )
        except InvalidInput as error:
            column = LEAD if error.field == "lead_unit_id" else COORDINATING
            errors.append(
                RowError(row=item.row, field=column, code=error.code, message=error.message)
            )
    return errors


_PLAN_YEAR = re.compile(r"năm (\d{4})\b")


def plan_year(plan: Plan) -> int | None:
    """The year a plan is for, from its title ("Kế hoạch … năm 2027"; the last year named),
    or None."""
    years = _PLAN_YEAR.findall(normalise(plan.title))
    return int(years[-1]) if years else None


def plan_to_import_into(*, session: Session, principal: access.Principal, plan_id: int) -> Plan:
    """The plan, if the principal may import tasks into it: importing assigns the plan's tasks
    in its issuer's name, so the rule is assigning as that issuer."""
    plan = plans_service.get(session=session, plan_id=plan_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    access.authorize_assign_as(principal=principal, issuer=issuer)
    return plan


def preview(
    *,
    session: Session,
    plan: Plan,
    content: bytes,
    filename: str,
    assigned_on: date | None = None,
    expand_groups: bool = False,
) -> tuple[list[ParsedRow], list[RowError]]:
    """What import_tasks would save into `plan`, and every bad row (its format, and the
    assignment rules for the plan's issuer), without saving anything: the web page shows both
    before the user confirms. A file that cannot be read at all raises ImportRejected."""
    rows = read_rows(content=content, filename=filename)
    units = UnitIndex(session.exec(select(Unit)).all())
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    parsed, errors = parse_rows(
        rows=rows,
        units=units,
        assigned_on=assigned_on or clock.today(),
        scope=access.assignment_scope(session=session, issuer=issuer),
        expand_groups=expand_groups,
        year=plan_year(plan),
    )
    errors += _assignment_errors(session=session, plan=plan, parsed=parsed)
    return parsed, sorted(errors, key=lambda error: error.row)


def _sections(
    *, session: Session, actor: Actor, plan: Plan, parsed: Sequence[ParsedRow]
) -> dict[str, int]:
    """The plan's section of each heading the rows fall under: an existing section of the
    same title (importing the annex again adds no duplicates), else a new one."""
    existing = {
        normalise(section.title): section.id or 0
        for section in plans_service.sections(session=session, plan_id=plan.id or 0)
    }
    ids: dict[str, int] = {}
    for title in dict.fromkeys(item.section for item in parsed if item.section):
        section_id = existing.get(normalise(title))
        if section_id is None:
            added = plans_service.add_section(
                session=session, actor=actor, plan_id=plan.id or 0, title=title
            )
            section_id = existing[normalise(title)] = added.id or 0
        ids[title] = section_id
    return ids


def import_tasks(
    *,
    session: Session,
    actor: Actor,
    plan: Plan,
    content: bytes,
    filename: str,
    assigned_on: date | None = None,
    expand_groups: bool = False,
) -> ImportResult:
    """Check every row, then assign them all in the caller's transaction; or raise
    ImportRejected listing every bad row and change nothing."""
    assigned_on = assigned_on or clock.today()
    parsed, errors = preview(
        session=session,
        plan=plan,
        content=content,
        filename=filename,
        assigned_on=assigned_on,
        expand_groups=expand_groups,
    )
    if errors:
        raise ImportRejected(errors)
    result = ImportResult(plan_id=plan.id or 0)
    section_ids = _sections(session=session, actor=actor, plan=plan, parsed=parsed)
    for item in parsed:
        task: Task = tasks_service.assign(
            session=session,
            actor=actor,
            title=item.content,
            issuer_unit_id=plan.issuer_unit_id,
            lead_unit_id=item.lead.id or 0,
            coordinating_unit_ids=[u.id or 0 for u in item.coordinators],
            deadline=item.deadline,
            assigned_on=assigned_on,
            plan_id=plan.id,
            section_id=section_ids.get(item.section) if item.section else None,
            note=item.note,
        )
        result.task_ids.append(task.id or 0)
    record(
        session=session,
        actor=actor,
        action="plan.import_tasks",
        entity="plan",
        entity_id=plan.id,
        after={"filename": filename[:200], "task_ids": result.task_ids},
    )
    return result
