"""Indicators (chỉ tiêu) of a plan and the values units report for a period; CSV/XLSX import.

An import checks every row first; one bad row imports nothing, and the error lists every bad
row with its line number, the column and the reason.
"""

from __future__ import annotations

import csv
import io
import math
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models import Unit
from models.reports import Indicator, IndicatorAggregation, IndicatorValue
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.audit import Actor, add_created, record, snapshot
from tracking.errors import DomainError, InvalidInput, get_or_not_found
from tracking.periods import get_period
from tracking.spreadsheet_safety import check_xlsx
from tracking.validation import check_day, checked_text, parse_day, text_problem

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
SENTENCE_FIELDS = frozenset({"value", "target", "note", "name"})
VALUE_COLUMNS = (
    "indicator_code",
    "unit_code",
    "period_kind",
    "period_code",
    "value",
    "reported_on",
    "note",
)
MAX_IMPORT_ROWS = 10_000


@dataclass(frozen=True)
class RowError:
    row: int  # the line in the file, header = 1
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "message": self.message}


class ImportRejected(InvalidInput):
    """The file was refused as a whole; `errors` lists every bad row."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        lines = "; ".join(f"dòng {e.row}, cột «{e.field}»: {e.message}" for e in errors[:50])
        more = f" (và {len(errors) - 50} lỗi khác)" if len(errors) > 50 else ""
        super().__init__(
            "import.rejected",
            f"Tệp có {len(errors)} lỗi, không dữ liệu nào được nhập: {lines}{more}",
            field="file",
        )
        self.errors = list(errors)


# --- single records --------------------------------------------------------------------


def _sentence_fields(sentence: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}
    except ValueError as error:
        raise InvalidInput(
            "indicator.sentence_invalid",
            f"Mẫu câu không hợp lệ: {error}",
            field="sentence",
        ) from error


def _check_indicator(
    *,
    code: str,
    name: str,
    target: float | None,
    sentence: str | None,
    known_codes: Iterable[str],
) -> None:
    if not CODE_RE.match(code):
        raise InvalidInput(
            "indicator.code_invalid",
            "Mã chỉ tiêu gồm chữ cái không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ cái,"
            " tối đa 40 ký tự",
            field="code",
        )
    checked_text(name, field="name", label="Tên chỉ tiêu")
    checked_text(sentence or "", field="sentence", label="Mẫu câu")
    if not name.strip():
        raise InvalidInput(
            "indicator.name_required", "Tên chỉ tiêu không được để trống", field="name"
        )
    if target is not None and target < 0:
        raise InvalidInput("indicator.target_negative", "Chỉ tiêu không được âm", field="target")
    if sentence:
        if "{" in sentence and not _sentence_fields(sentence):
            raise InvalidInput(
                "indicator.sentence_invalid", "Mẫu câu không hợp lệ", field="sentence"
            )
        unknown = _sentence_fields(sentence) - SENTENCE_FIELDS - set(known_codes) - {code}
        if unknown:
            raise InvalidInput(
                "indicator.sentence_unknown_field",
                "Mẫu câu dùng tên không có: "
                + ", ".join(sorted(unknown))
                + " (dùng {value}, {target}, {note}, {name} hoặc mã một chỉ tiêu của kế hoạch)",
                field="sentence",
            )


def list_indicators(*, session: Session, plan_id: int) -> list[Indicator]:
    statement = (
        select(Indicator)
        .where(Indicator.plan_id == plan_id)
        .order_by(col(Indicator.ordinal), col(Indicator.id))
    )
    return list(session.exec(statement).all())


def get_indicator(*, session: Session, indicator_id: int) -> Indicator:
    return get_or_not_found(session, Indicator, indicator_id, entity="indicator", noun="chỉ tiêu")


def list_values(
    *,
    session: Session,
    indicator_id: int,
    unit_path: str | None = None,
    unit_id: int | None = None,
    period_kind: str | None = None,
    period_code: str | None = None,
) -> list[IndicatorValue]:
    """The values reported for an indicator, newest report first; `unit_path` keeps the
    values of that unit and the units below it (None: every unit)."""
    get_indicator(session=session, indicator_id=indicator_id)
    statement = select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id)
    if unit_path is not None:
        statement = statement.where(
            units_service.subtree_condition(root=unit_path, unit_id=col(IndicatorValue.unit_id))
        )
    if unit_id is not None:
        statement = statement.where(IndicatorValue.unit_id == unit_id)
    if period_kind is not None:
        statement = statement.where(IndicatorValue.period_kind == period_kind)
    if period_code is not None:
        statement = statement.where(IndicatorValue.period_code == period_code)
    order = (col(IndicatorValue.reported_on).desc(), col(IndicatorValue.id).desc())
    return list(session.exec(statement.order_by(*order)).all())


def find_indicator(*, session: Session, plan_id: int, code: str) -> Indicator | None:
    statement = select(Indicator).where(Indicator.plan_id == plan_id, Indicator.code == code)
    return session.exec(statement).first()


def create_indicator(
    *,
    session: Session,
    actor: Actor,
    plan_id: int,
    code: str,
    name: str,
    unit_of_measure: str = "",
    target: float | None = None,
    aggregation: IndicatorAggregation = IndicatorAggregation.SUM,
    ordinal: int | None = None,
    sentence: str | None = None,
) -> Indicator:
    """Add an indicator to a plan. `sentence` is how section I states it (see Indicator)."""
    plans_service.get(session=session, plan_id=plan_id)
    code = code.strip()
    unit_of_measure = checked_text(unit_of_measure, field="unit_of_measure", label="Đơn vị tính")
    existing = list_indicators(session=session, plan_id=plan_id)
    _check_indicator(
        code=code,
        name=name,
        target=target,
        sentence=sentence,
        known_codes=[i.code for i in existing],
    )
    if any(i.code == code for i in existing):
        raise InvalidInput(
            "indicator.code_taken", f"Kế hoạch đã có chỉ tiêu mã «{code}»", field="code"
        )
    indicator = Indicator(
        plan_id=plan_id,
        code=code,
        name=name.strip(),
        unit_of_measure=unit_of_measure.strip(),
        target=target,
        aggregation=aggregation,
        ordinal=ordinal if ordinal is not None else len(existing) + 1,
        sentence=sentence,
    )
    return add_created(session=session, actor=actor, row=indicator, entity="indicator")


def record_value(
    *,
    session: Session,
    actor: Actor,
    indicator_id: int,
    unit_id: int,
    period_kind: str,
    period_code: str,
    value: float,
    reported_on: date,
    note: str = "",
) -> IndicatorValue:
    """A unit's value of an indicator for a period, as reported on a day. A second report on
    the same day replaces the first; a later one supersedes it for reports as of later dates."""
    indicator = get_indicator(session=session, indicator_id=indicator_id)
    units_service.get(session=session, unit_id=unit_id)
    get_period(session=session, kind=period_kind, code=period_code)
    check_day(reported_on, field="reported_on", label="Ngày báo cáo")
    note = checked_text(note, field="note", label="Ghi chú")
    if value < 0:
        raise InvalidInput("indicator.value_negative", "Giá trị không được âm", field="value")
    if indicator.unit_of_measure == "%" and value > 100:
        raise InvalidInput(
            "indicator.percent_over_100", "Tỷ lệ phần trăm không được quá 100", field="value"
        )
    existing = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator_id,
            IndicatorValue.unit_id == unit_id,
            IndicatorValue.period_kind == period_kind,
            IndicatorValue.period_code == period_code,
            IndicatorValue.reported_on == reported_on,
        )
    ).first()
    before = snapshot(existing) if existing else None
    row = existing or IndicatorValue(
        indicator_id=indicator_id,
        unit_id=unit_id,
        period_kind=period_kind,
        period_code=period_code,
        value=value,
        reported_on=reported_on,
    )
    row.value = float(value)
    row.note = note.strip()
    session.add(row)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="indicator.value",
        entity="indicatorvalue",
        entity_id=row.id,
        before=before,
        after=snapshot(row),
    )
    return row


# --- import ----------------------------------------------------------------------------


def read_table(*, filename: str, content: bytes) -> list[dict[str, Any]]:
    """Rows of a .csv (UTF-8, comma or semicolon) or .xlsx file as dicts keyed by the header."""
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidInput(
                "import.encoding", "Tệp CSV phải được lưu với mã UTF-8", field="file"
            ) from error
        first = text.splitlines()[0] if text.strip() else ","
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        try:
            return [{(k or "").strip(): v for k, v in row.items()} for row in reader]
        except csv.Error as error:
            raise InvalidInput(
                "import.unreadable", f"Không đọc được tệp CSV: {error}", field="file"
            ) from error
    if lowered.endswith(".xlsx"):
        from openpyxl import load_workbook

        check_xlsx(content)
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds on a broken file
            raise InvalidInput(
                "import.unreadable", f"Không đọc được tệp Excel: {error}", field="file"
            ) from error
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        workbook.close()
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        return [
            dict(zip(header, row, strict=False))
            for row in rows[1:]
            if any(v not in (None, "") for v in row)
        ]
    raise InvalidInput("import.format", "Chỉ nhận tệp .csv hoặc .xlsx", field="file")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _text_errors(line: int, row: dict[str, Any]) -> list[RowError]:
    """tracking.validation's text rule on every text cell of a row, each bad cell named."""
    found = []
    for column, value in row.items():
        problem = text_problem(value) if isinstance(value, str) else None
        if problem is not None:
            found.append(RowError(line, str(column), problem.message(f"Cột «{column}»")))
    return found


_THOUSANDS = re.compile(r"^-?\d{1,3}(\.\d{3})+$")


def parse_number(value: Any) -> float:
    """12269, "12.269" (Vietnamese thousands), "99,5", "99.5", "1.234,5"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _text(value).replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(text):
        text = text.replace(".", "")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _check_columns(rows: list[dict[str, Any]], required: Sequence[str]) -> None:
    if not rows:
        raise InvalidInput("import.empty", "Tệp không có dòng dữ liệu nào", field="file")
    if len(rows) > MAX_IMPORT_ROWS:
        raise InvalidInput(
            "import.too_many_rows", f"Tệp có quá {MAX_IMPORT_ROWS} dòng", field="file"
        )
    missing = [c for c in required if c not in rows[0]]
    if missing:
        raise InvalidInput(
            "import.columns_missing",
            "Tệp thiếu cột: " + ", ".join(missing),
            field="file",
        )


def import_indicators(
    *, session: Session, actor: Actor, plan_id: int, filename: str, content: bytes
) -> list[Indicator]:
    """Columns: code, name, unit_of_measure, target, aggregation (sum/avg/min/max), ordinal,
    sentence. All rows or none."""
    plans_service.get(session=session, plan_id=plan_id)
    rows = read_table(filename=filename, content=content)
    _check_columns(rows, ("code", "name"))
    existing = {i.code for i in list_indicators(session=session, plan_id=plan_id)}
    file_codes = {_text(r.get("code")) for r in rows}
    errors: list[RowError] = []
    parsed: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if text_errors := _text_errors(line, row):
            errors.extend(text_errors)
            continue
        code = _text(row.get("code"))
        try:
            target_text = _text(row.get("target"))
            target = parse_number(row.get("target")) if target_text else None
        except ValueError:
            errors.append(RowError(line, "target", "không phải là số"))
            continue
        aggregation_text = _text(row.get("aggregation")) or IndicatorAggregation.SUM.value
        if aggregation_text not in {a.value for a in IndicatorAggregation}:
            errors.append(RowError(line, "aggregation", "phải là sum, avg, min hoặc max"))
            continue
        ordinal_text = _text(row.get("ordinal"))
        if ordinal_text and not ordinal_text.isdigit():
            errors.append(RowError(line, "ordinal", "phải là số nguyên"))
            continue
        sentence = row.get("sentence")
        sentence_text = None if sentence is None else str(sentence)
        try:
            _check_indicator(
                code=code,
                name=_text(row.get("name")),
                target=target,
                sentence=sentence_text or None,
                known_codes=existing | file_codes,
            )
        except DomainError as error:
            errors.append(RowError(line, error.field or "", error.message))
            continue
        if code in existing or code in seen:
            errors.append(RowError(line, "code", f"mã «{code}» bị trùng"))
            continue
        seen.add(code)
        parsed.append(
            {
                "code": code,
                "name": _text(row.get("name")),
                "unit_of_measure": _text(row.get("unit_of_measure")),
                "target": target,
                "aggregation": IndicatorAggregation(aggregation_text),
                "ordinal": int(ordinal_text) if ordinal_text else None,
                "sentence": sentence_text or None,
            }
        )
    if errors:
        raise ImportRejected(errors)
    created: list[Indicator] = []
    for item in parsed:
        item_ordinal = item.pop("ordinal")
        indicator = Indicator(
            plan_id=plan_id,
            ordinal=item_ordinal if item_ordinal is not None else len(existing) + len(created) + 1,
            **item,
        )
        session.add(indicator)
        created.append(indicator)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="indicator.import",
        entity="plan",
        entity_id=plan_id,
        after={"file": filename, "indicators": [i.code for i in created]},
    )
    return created


def import_values(
    *, session: Session, actor: Actor, plan_id: int, filename: str, content: bytes
) -> list[IndicatorValue]:
    """Columns: indicator_code, unit_code, period_kind, period_code, value, reported_on, note.
    All rows or none."""
    plans_service.get(session=session, plan_id=plan_id)
    rows = read_table(filename=filename, content=content)
    _check_columns(rows, VALUE_COLUMNS[:6])
    indicators = {i.code: i for i in list_indicators(session=session, plan_id=plan_id)}
    unit_codes = {_text(r.get("unit_code")) for r in rows}
    units = {
        u.code: u for u in session.exec(select(Unit).where(col(Unit.code).in_(unit_codes))).all()
    }
    errors: list[RowError] = []
    parsed: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=2):
        if text_errors := _text_errors(line, row):
            errors.extend(text_errors)
            continue
        indicator = indicators.get(_text(row.get("indicator_code")))
        unit = units.get(_text(row.get("unit_code")))
        if indicator is None:
            errors.append(RowError(line, "indicator_code", "kế hoạch không có chỉ tiêu này"))
        if unit is None:
            errors.append(RowError(line, "unit_code", "không có đơn vị mã này"))
        kind, period_code = _text(row.get("period_kind")), _text(row.get("period_code"))
        try:
            get_period(session=session, kind=kind, code=period_code)
        except DomainError as error:
            errors.append(RowError(line, error.field or "period_code", error.message))
        try:
            value = parse_number(row.get("value"))
            is_percent = indicator is not None and indicator.unit_of_measure == "%"
            if value < 0 or (is_percent and value > 100):
                errors.append(RowError(line, "value", "giá trị ngoài khoảng cho phép"))
        except ValueError:
            errors.append(RowError(line, "value", "không phải là số"))
            continue
        try:
            reported_on = parse_day(
                row.get("reported_on"), field="reported_on", label="Ngày báo cáo"
            )
        except InvalidInput as error:
            # A row error names the line and column already: "not a day" needs no more words.
            message = (
                "ngày không hợp lệ (dd/mm/yyyy)" if error.code == "date.invalid" else error.message
            )
            errors.append(RowError(line, "reported_on", message))
            continue
        if indicator is None or unit is None:
            continue
        parsed.append(
            {
                "indicator_id": indicator.id,
                "unit_id": unit.id,
                "period_kind": kind,
                "period_code": period_code,
                "value": value,
                "reported_on": reported_on,
                "note": _text(row.get("note")),
            }
        )
    if errors:
        raise ImportRejected(errors)
    keys = [
        (p["indicator_id"], p["unit_id"], p["period_kind"], p["period_code"], p["reported_on"])
        for p in parsed
    ]
    if len(set(keys)) != len(keys):
        duplicates = [
            RowError(line, "reported_on", "trùng chỉ tiêu, đơn vị, kỳ và ngày báo cáo")
            for line, key in enumerate(keys, start=2)
            if keys.count(key) > 1
        ]
        raise ImportRejected(duplicates)
    saved = [
        record_value(session=session, actor=actor, **item)  # replaces a same-day value
        for item in parsed
    ]
    return saved
