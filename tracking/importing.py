"""Import a plan's tasks from the spreadsheet provincial offices already keep (.xlsx or .csv).

Columns (Vietnamese headers, any order, case and spacing free; a title block above the
header row is skipped): nội dung nhiệm vụ, đơn vị chủ trì, đơn vị phối hợp, thời hạn, ghi chú.
Units are matched by code, name or short name. Thời hạn: dd/mm/yyyy, "n ngày làm việc",
"n ngày", or empty / "thường xuyên". All or nothing: every row is checked first, and a file
with any bad row imports nothing and reports every bad row with its reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from models import Plan, Task, Unit
from tracking import access, clock
from tracking import plans as plans_service
from tracking import tasks as tasks_service
from tracking import units as units_service
from tracking.audit import Actor, record
from tracking.deadlines import DeadlineRule
from tracking.errors import DomainError, InvalidInput
from tracking.spreadsheet_safety import check_xlsx
from tracking.validation import MAX_TEXT, text_problem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SCAN_ROWS = 15

CONTENT = "nội dung nhiệm vụ"
LEAD = "đơn vị chủ trì"
COORDINATING = "đơn vị phối hợp"
DEADLINE = "thời hạn"
NOTE = "ghi chú"
COLUMNS = (CONTENT, LEAD, COORDINATING, DEADLINE, NOTE)
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
}
STANDING = {"", "thường xuyên", "không thời hạn", "không có thời hạn", "-"}

_DAYS = re.compile(r"^(\d{1,4})\s*ngày(\s+làm\s+việc)?$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_SPLIT = re.compile(r"[;,\n]+")


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


@dataclass
class ImportResult:
    plan_id: int
    task_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.task_ids)


def normalise(text: str) -> str:
    """NFC, lower case, single spaces: how headers and unit names are compared."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return " ".join(text.lower().split())


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


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for position, value in enumerate(row):
            if not isinstance(value, str):
                continue
            key = normalise(value).rstrip(" *:")
            key = ALIASES.get(key, key)
            if key in COLUMNS and key not in columns:
                columns[key] = position
        if CONTENT in columns:
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise _file_error(
                    "import.missing_columns",
                    "Thiếu cột: " + ", ".join(f"«{c}»" for c in missing),
                )
            return index, columns
    raise _file_error(
        "import.no_header",
        "Không tìm thấy dòng tiêu đề có cột «nội dung nhiệm vụ» và «đơn vị chủ trì»",
    )


class UnitIndex:
    """Units looked up by code, name or short name (normalised)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self._by_key: dict[str, list[Unit]] = {}
        for unit in units:
            keys = {normalise(unit.code), normalise(unit.name)}
            if unit.short_name:
                keys.add(normalise(unit.short_name))
            for key in keys:
                self._by_key.setdefault(key, []).append(unit)

    def find(self, text: str) -> list[Unit]:
        return self._by_key.get(normalise(text), [])


def parse_deadline(value: Any) -> DeadlineRule:
    """dd/mm/yyyy (or a date cell), "n ngày làm việc", "n ngày", or empty/"thường xuyên"."""
    if isinstance(value, datetime):
        return DeadlineRule.fixed(value.date())
    if isinstance(value, date):
        return DeadlineRule.fixed(value)
    text = normalise(str(value)) if value is not None else ""
    if text in STANDING:
        return DeadlineRule.none()
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
        f"Thời hạn «{value}» không hiểu được: ghi dd/mm/yyyy, «n ngày làm việc», «n ngày» "
        "hoặc «thường xuyên»",
        field=DEADLINE,
    )


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _match_unit(index: UnitIndex, text: str, column: str, errors: list[str]) -> Unit | None:
    found = index.find(text)
    if not found:
        errors.append(f"không tìm thấy đơn vị «{text}»")
        return None
    if len(found) > 1:
        errors.append(f"tên «{text}» khớp nhiều đơn vị, hãy ghi mã đơn vị")
        return None
    return found[0]


def parse_rows(
    *, rows: list[list[Any]], units: UnitIndex, assigned_on: date
) -> tuple[list[ParsedRow], list[RowError]]:
    header_index, columns = _header(rows)
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []

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

        def bad(column: str, code: str, message: str, number: int = number) -> None:
            errors.append(RowError(row=number, field=column, code=code, message=message))

        texts = {CONTENT: content, LEAD: lead_text, COORDINATING: coordinating_text, NOTE: note}
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
        if len(note) > MAX_TEXT:
            bad(NOTE, "import.note_too_long", "Ghi chú dài quá 4000 ký tự")
        lead: Unit | None = None
        if not lead_text:
            bad(LEAD, "import.lead_required", "Đơn vị chủ trì không được để trống")
        else:
            problems: list[str] = []
            lead = _match_unit(units, lead_text, LEAD, problems)
            for problem in problems:
                bad(LEAD, "import.lead_unknown", f"Đơn vị chủ trì: {problem}")
        coordinators: list[Unit] = []
        for name in (p.strip() for p in _SPLIT.split(coordinating_text)):
            if not name:
                continue
            problems = []
            unit = _match_unit(units, name, COORDINATING, problems)
            for problem in problems:
                bad(COORDINATING, "import.coordinator_unknown", f"Đơn vị phối hợp: {problem}")
            if unit is not None and unit not in coordinators:
                if lead is not None and unit.id == lead.id:
                    bad(
                        COORDINATING,
                        "import.lead_also_coordinating",
                        f"«{name}» đã là đơn vị chủ trì, không thể đồng thời phối hợp",
                    )
                else:
                    coordinators.append(unit)
        deadline: DeadlineRule | None = None
        try:
            deadline = parse_deadline(cell(row, DEADLINE))
            deadline.validate(assigned_on=assigned_on)
        except DomainError as error:
            deadline = None
            bad(DEADLINE, error.code, error.message)
        if errors and errors[-1].row == number:
            continue
        assert lead is not None and deadline is not None
        parsed.append(ParsedRow(number, content, lead, coordinators, deadline, note))
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
) -> tuple[list[ParsedRow], list[RowError]]:
    """What import_tasks would save into `plan`, and every bad row (its format, and the
    assignment rules for the plan's issuer), without saving anything: the web page shows both
    before the user confirms. A file that cannot be read at all raises ImportRejected."""
    rows = read_rows(content=content, filename=filename)
    units = UnitIndex(session.exec(select(Unit)).all())
    parsed, errors = parse_rows(rows=rows, units=units, assigned_on=assigned_on or clock.today())
    errors += _assignment_errors(session=session, plan=plan, parsed=parsed)
    return parsed, sorted(errors, key=lambda error: error.row)


def import_tasks(
    *,
    session: Session,
    actor: Actor,
    plan: Plan,
    content: bytes,
    filename: str,
    assigned_on: date | None = None,
) -> ImportResult:
    """Check every row, then assign them all in the caller's transaction; or raise
    ImportRejected listing every bad row and change nothing."""
    assigned_on = assigned_on or clock.today()
    parsed, errors = preview(
        session=session, plan=plan, content=content, filename=filename, assigned_on=assigned_on
    )
    if errors:
        raise ImportRejected(errors)
    result = ImportResult(plan_id=plan.id or 0)
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
