"""Import a unit tree from a spreadsheet (.xlsx or .csv): one unit a row.

Columns (headers in Vietnamese or English, any order, case and spacing free; a title block
above the header row is skipped): mã đơn vị (code), tên đơn vị (name), loại (kind), mã đơn vị
cấp trên (parent code), and optionally thư điện tử (email: the unit's official mailbox,
models.core.Unit.email). A parent is a unit of the file, on any row, or one already in the
database. All or nothing: every row is checked first; a file with any bad row creates nothing
and UnitImportRejected lists every bad row (row, column, reason, code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Unit, UnitKind
from models.db import in_chunks
from tracking import units as units_service
from tracking.annex import normalise
from tracking.audit import Actor, record
from tracking.errors import Conflict, DomainError
from tracking.importing import (
    HeaderSpec,
    ImportRejected,
    RowError,
    find_header,
    read_rows,
)

CODE = "mã đơn vị"
NAME = "tên đơn vị"
KIND = "loại đơn vị"
PARENT = "mã đơn vị cấp trên"
EMAIL = "thư điện tử"
COLUMNS = (CODE, NAME, KIND, PARENT, EMAIL)
REQUIRED = (CODE, NAME, KIND, PARENT)
ALIASES = {
    "mã": CODE,
    "code": CODE,
    "tên": NAME,
    "name": NAME,
    "loại": KIND,
    "kind": KIND,
    "cấp trên": PARENT,
    "đơn vị cấp trên": PARENT,
    "mã cấp trên": PARENT,
    "parent": PARENT,
    "parent code": PARENT,
    "parent_code": PARENT,
    "email": EMAIL,
    "e-mail": EMAIL,
    "thư điện tử công vụ": EMAIL,
    "hộp thư công vụ": EMAIL,
}
# The service's field names (tracking.units) and the columns that hold them.
_COLUMN_OF_FIELD = {"code": CODE, "name": NAME, "kind": KIND, "email": EMAIL}


class UnitImportRejected(ImportRejected):
    """The file, or some of its rows, are bad: no unit was created."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(errors)
        rows = sorted({error.row for error in errors if error.row})
        if rows:
            self.message = f"Tệp có {len(rows)} dòng lỗi; không đơn vị nào được nhập"
            self.args = (self.message,)


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    kind: UnitKind
    parent_code: str
    email: str


def _file_error(code: str, message: str) -> UnitImportRejected:
    return UnitImportRejected([RowError(row=0, field="file", code=code, message=message)])


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_key(value: str) -> str:
    key = normalise(value).rstrip(" *:")
    return ALIASES.get(key, key)


UNIT_HEADER = HeaderSpec(
    columns=COLUMNS,
    required=REQUIRED,
    marker=CODE,
    key=_header_key,
    not_found="Không tìm thấy dòng tiêu đề có các cột «mã đơn vị», «tên đơn vị», «loại đơn vị», "
    "«mã đơn vị cấp trên»",
)


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    try:
        return find_header(rows, spec=UNIT_HEADER)
    except ImportRejected as error:
        raise UnitImportRejected(error.errors) from None


def parse_rows(*, rows: list[list[Any]]) -> tuple[list[UnitRow], list[RowError], set[str]]:
    """Each row's own checks (text, kind, email), and the codes of the bad rows (a child of
    one is not also told its parent is unknown); the checks between rows are check_tree's."""
    header_index, columns = _header(rows)
    parsed: list[UnitRow] = []
    errors: list[RowError] = []
    bad_row_codes: set[str] = set()
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        number = index + 1
        if all(_text_of(value) == "" for value in row):
            continue

        def cell(column: str, row: list[Any] = row) -> str:
            position = columns.get(column)
            return _text_of(row[position]) if position is not None and position < len(row) else ""

        row_errors: list[RowError] = []
        values: dict[str, Any] = {}
        checks = (
            ("code", units_service.clean_code, cell(CODE)),
            ("name", units_service.clean_name, cell(NAME)),
            ("kind", units_service.parse_kind, cell(KIND)),
            ("email", units_service.clean_email, cell(EMAIL)),
        )
        for field, check, text in checks:
            try:
                values[field] = check(text)
            except DomainError as error:
                column = _COLUMN_OF_FIELD[field]
                row_errors.append(RowError(number, column, error.code, error.message))
        parent_code = cell(PARENT)
        if not parent_code:
            row_errors.append(
                RowError(
                    row=number,
                    field=PARENT,
                    code="unit.parent_required",
                    message="Mã đơn vị cấp trên không được để trống (đơn vị gốc tạo bằng "
                    "«nhiemvu init»)",
                )
            )
        errors.extend(row_errors)
        if not row_errors:
            parsed.append(UnitRow(number, parent_code=parent_code, **values))
        elif "code" in values:
            bad_row_codes.add(values["code"])
    if not parsed and not errors:
        raise _file_error("import.no_rows", "Tệp không có dòng đơn vị nào")
    return parsed, errors, bad_row_codes


def check_tree(
    *, session: Session, rows: Sequence[UnitRow], bad_row_codes: set[str]
) -> list[RowError]:
    """The checks between rows and against the database: codes unique in the file and new
    to the database, every parent known (in the file, the database, or a bad row already
    reported), no cycle."""
    errors: list[RowError] = []
    existing: set[str] = set()
    for chunk in in_chunks(values=[row.code for row in rows]):
        existing.update(session.exec(select(Unit.code).where(col(Unit.code).in_(chunk))).all())
    parents_in_database: set[str] = set()
    for chunk in in_chunks(values={row.parent_code for row in rows}):
        parents_in_database.update(
            session.exec(select(Unit.code).where(col(Unit.code).in_(chunk))).all()
        )
    first_row: dict[str, int] = {}
    for row in rows:
        if row.code in existing:
            errors.append(
                RowError(
                    row.row, CODE, "unit.code_taken", f"Mã đơn vị «{row.code}» đã có trong hệ thống"
                )
            )
        elif row.code in first_row:
            errors.append(
                RowError(
                    row.row,
                    CODE,
                    "unit.code_duplicate",
                    f"Mã đơn vị «{row.code}» trùng với dòng {first_row[row.code]}",
                )
            )
        else:
            first_row[row.code] = row.row
    in_file = {row.code: row for row in rows if first_row.get(row.code) == row.row}
    for row in rows:
        if row.parent_code == row.code:
            errors.append(
                RowError(
                    row.row,
                    PARENT,
                    "unit.parent_is_self",
                    "Đơn vị không thể là cấp trên của chính nó",
                )
            )
        elif not (
            row.parent_code in in_file
            or row.parent_code in parents_in_database
            or row.parent_code in bad_row_codes
        ):
            errors.append(
                RowError(
                    row.row,
                    PARENT,
                    "unit.parent_unknown",
                    f"Không tìm thấy đơn vị cấp trên «{row.parent_code}» trong tệp hay trong hệ "
                    "thống",
                )
            )
    errors.extend(_cycles(in_file))
    return errors


def _cycles(in_file: dict[str, UnitRow]) -> list[RowError]:
    """Rows on a loop of parents within the file (A under B, B under A), which never reaches
    the database's tree; a row naming itself is parent_is_self's."""
    visited: set[str] = set()
    looping: set[str] = set()
    for start in in_file:
        trail: list[str] = []
        code = start
        while code in in_file and code not in visited and code not in trail:
            trail.append(code)
            code = in_file[code].parent_code
        if code in trail and len(trail) - trail.index(code) > 1:
            looping.update(trail[trail.index(code) :])
        visited.update(trail)
    return [
        RowError(
            in_file[code].row,
            PARENT,
            "unit.parent_cycle",
            f"Đơn vị «{code}» nằm trong một vòng cấp trên – cấp dưới, không nối được vào cây",
        )
        for code in sorted(looping, key=lambda code: in_file[code].row)
    ]


def _in_tree_order(rows: Sequence[UnitRow]) -> list[UnitRow]:
    """Parents before their children (a parent may be on any row of the file)."""
    in_file = {row.code: row for row in rows}
    ordered: list[UnitRow] = []
    placed: set[str] = set()
    for row in rows:
        chain: list[UnitRow] = []
        current: UnitRow | None = row
        while current is not None and current.code not in placed:
            chain.append(current)
            current = in_file.get(current.parent_code)
        for item in reversed(chain):
            placed.add(item.code)
            ordered.append(item)
    return ordered


def preview(
    *, session: Session, content: bytes, filename: str
) -> tuple[list[UnitRow], list[RowError]]:
    """The rows import_units would create, and every bad row, without writing anything."""
    parsed, errors, bad_row_codes = parse_rows(rows=read_rows(content=content, filename=filename))
    errors += check_tree(session=session, rows=parsed, bad_row_codes=bad_row_codes)
    return parsed, sorted(errors, key=lambda error: (error.row, COLUMNS.index(error.field or CODE)))


def import_units(*, session: Session, actor: Actor, content: bytes, filename: str) -> list[Unit]:
    """Create every unit of the file in the caller's transaction, parents first, each with
    its own "unit.create" audit event and one "unit.import" event for the file; or raise
    UnitImportRejected listing every bad row and create nothing.

    The tree is locked first (units.lock_tree), so the file is checked against the tree it
    is added to; the unique index on the code still has the last word (Conflict
    `unit.code_taken`, the caller rolls back).
    """
    units_service.lock_tree(session=session)
    parsed, errors = preview(session=session, content=content, filename=filename)
    if errors:
        raise UnitImportRejected(errors)
    created: dict[str, Unit] = {}
    try:
        for row in _in_tree_order(parsed):
            parent = created.get(row.parent_code) or units_service.get_by_code(
                session=session, code=row.parent_code
            )
            created[row.code] = units_service.create(
                session=session,
                actor=actor,
                code=row.code,
                name=row.name,
                kind=row.kind,
                parent=parent,
                email=row.email,
            )
    except IntegrityError as error:
        raise Conflict(
            "unit.code_taken",
            "Một mã đơn vị trong tệp vừa được tạo bởi người khác; không đơn vị nào được nhập, "
            "hãy nhập lại",
            field="file",
        ) from error
    record(
        session=session,
        actor=actor,
        action="unit.import",
        entity="unit",
        entity_id=None,
        after={"file": filename, "codes": [row.code for row in parsed]},
    )
    return [created[row.code] for row in parsed]
