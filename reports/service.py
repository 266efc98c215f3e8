"""Report use cases: create a draft, edit the office's texts, regenerate, issue, render.

A draft is regenerated from the data whenever asked. Issuing takes the next number of the
issuing unit for the year (NĐ 30: restarting at 01 each 1 January), computes the snapshot one
last time and freezes it with its SHA-256; from then on every format is rendered from the
stored snapshot, so later changes to tasks or indicators never change an issued report.
Every change is audited; bad input raises before anything is written.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from pydantic import ValidationError
from sqlalchemy import Table
from sqlmodel import Session, col, select

from models import Document
from models.db import insert_ignore, table_of
from models.reports import Report, ReportNumberCounter, ReportState
from models.types import utc_now
from reports.content import REQUIRED_TO_ISSUE, ReportTexts, build_snapshot, snapshot_sha256
from reports.pdf import docx_to_pdf
from reports.render_docx import render_docx
from reports.render_markdown import render_markdown
from reports.render_xlsx import render_xlsx
from reports.snapshot import ReportSnapshot
from tracking import clock, versioning
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.audit import Actor, record
from tracking.documents import check_issuer_code
from tracking.errors import Conflict, InvalidInput, get_or_not_found
from tracking.filenames import safe_filename
from tracking.formatting import symbol
from tracking.periods import get_period


class ReportFormat(enum.StrEnum):
    DOCX = "docx"
    MARKDOWN = "md"
    XLSX = "xlsx"
    PDF = "pdf"


MEDIA_TYPES = {
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.MARKDOWN: "text/markdown; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.PDF: "application/pdf",
}


@dataclass(frozen=True)
class RenderedFile:
    filename: str
    media_type: str
    content: bytes


def _texts(value: Mapping[str, Any]) -> ReportTexts:
    try:
        return ReportTexts.model_validate(dict(value))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        if "." in first["type"]:  # tracking.validation's text rule: its own code and message
            raise InvalidInput(first["type"], first["msg"], field=f"texts.{where}") from error
        raise InvalidInput(
            "report.texts_invalid",
            f"Nội dung báo cáo không hợp lệ ở «{where}»: {first['msg']}",
            field=f"texts.{where}",
        ) from error


def get(*, session: Session, report_id: int) -> Report:
    return get_or_not_found(session, Report, report_id, entity="report", noun="báo cáo")


def list_reports(*, session: Session, unit_id: int, year: int | None = None) -> list[Report]:
    statement = select(Report).where(Report.unit_id == unit_id)
    if year is not None:
        statement = statement.where(col(Report.period_code).startswith(str(year)))
    return list(session.exec(statement.order_by(col(Report.id).desc())).all())


def _check_draft(report: Report, action: str) -> None:
    if report.state != ReportState.DRAFT:
        raise Conflict(
            "report.issued",
            f"Báo cáo {report.symbol} đã ban hành, không thể {action}",
            field="state",
        )


def _default_issuer_code(session: Session, unit_id: int) -> str | None:
    """The issuer code of the unit's latest registered document ("UBND" in 12/UBND-VX)."""
    statement = (
        select(Document.issuer_code)
        .where(Document.issuer_unit_id == unit_id)
        .order_by(col(Document.issued_on).desc(), col(Document.id).desc())
    )
    return session.exec(statement).first()


def _for_change(session: Session, report_id: int, expected_version: int, action: str) -> Report:
    """The draft, if the caller saw its current version."""
    report = get(session=session, report_id=report_id)
    versioning.check_version(versioning.REPORT, report, expected_version=expected_version)
    _check_draft(report, action)
    return report


def _bump(session: Session, report: Report) -> None:
    """The report's atomic version step, the first write of a change (409 if it lost a race).
    Issuing bumps the version too, so a draft issued meanwhile is never rewritten."""
    versioning.bump_version(versioning.REPORT, session=session, row=report)


def _refresh(session: Session, report: Report) -> None:
    """Recompute the snapshot from the data (after _bump)."""
    report.snapshot = build_snapshot(session=session, report=report).as_stored()
    report.snapshot_sha256 = snapshot_sha256(report.snapshot)
    session.add(report)
    session.flush()


def create_draft(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    period_code: str,
    unit_id: int,
    as_of: date,
    plan_id: int | None = None,
    issuer_code: str | None = None,
    document_date: date | None = None,
    texts: Mapping[str, Any] | None = None,
) -> Report:
    """A draft report of `unit_id` (and its subtree) for a period, with figures as of a date."""
    period = get_period(session=session, kind=kind, code=period_code)
    units_service.get(session=session, unit_id=unit_id)
    if plan_id is not None:
        plans_service.get(session=session, plan_id=plan_id)
    if as_of < period.start:
        raise InvalidInput(
            "report.as_of_before_period",
            f"Ngày lấy số liệu phải từ ngày bắt đầu kỳ ({period.start:%d/%m/%Y})",
            field="as_of",
        )
    if as_of > clock.today():
        raise InvalidInput(
            "report.as_of_in_future", "Ngày lấy số liệu không được sau hôm nay", field="as_of"
        )
    code = (issuer_code or _default_issuer_code(session, unit_id) or "").strip()
    if not code:
        raise InvalidInput(
            "report.issuer_code_required",
            "Cần chữ viết tắt tên cơ quan ban hành (ví dụ «UBND» trong «555/BC-UBND»)",
            field="issuer_code",
        )
    check_issuer_code(code, field="issuer_code")
    document_date = document_date or as_of
    if document_date < as_of:
        raise InvalidInput(
            "report.date_before_as_of",
            "Ngày ban hành không được trước ngày lấy số liệu",
            field="document_date",
        )
    parsed = _texts(texts or {})
    report = Report(
        kind=kind,
        period_code=period.code,
        unit_id=unit_id,
        plan_id=plan_id,
        as_of=as_of,
        document_date=document_date,
        issuer_code=code,
        texts=parsed.model_dump(),
        version=0,
    )
    session.add(report)
    session.flush()
    _bump(session, report)
    _refresh(session, report)
    record(
        session=session,
        actor=actor,
        action="report.create_draft",
        entity="report",
        entity_id=report.id,
        after={
            "kind": kind,
            "period_code": period.code,
            "unit_id": unit_id,
            "plan_id": plan_id,
            "as_of": as_of.isoformat(),
            "snapshot_sha256": report.snapshot_sha256,
        },
    )
    return report


def edit_texts(
    *,
    session: Session,
    actor: Actor,
    report_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
) -> Report:
    """Replace some of the office's texts (keys of ReportTexts); the draft is regenerated."""
    report = _for_change(session, report_id, expected_version, "sửa nội dung")
    unknown = set(changes) - set(ReportTexts.model_fields)
    if unknown:
        raise InvalidInput(
            "report.texts_unknown",
            "Không có mục nội dung: " + ", ".join(sorted(unknown)),
            field="texts",
        )
    before = dict(report.texts)
    merged = _texts({**before, **changes})
    _bump(session, report)
    report.texts = merged.model_dump()
    _refresh(session, report)
    record(
        session=session,
        actor=actor,
        action="report.edit_texts",
        entity="report",
        entity_id=report.id,
        before={key: before.get(key) for key in changes},
        after={key: report.texts.get(key) for key in changes},
    )
    return report


def regenerate(
    *,
    session: Session,
    actor: Actor,
    report_id: int,
    expected_version: int,
    as_of: date | None = None,
) -> Report:
    """Recompute a draft from the current data (optionally as of another date)."""
    report = _for_change(session, report_id, expected_version, "tạo lại")
    if as_of is not None:
        period = get_period(session=session, kind=report.kind, code=report.period_code)
        if as_of < period.start or as_of > clock.today():
            raise InvalidInput(
                "report.as_of_invalid",
                "Ngày lấy số liệu phải trong kỳ báo cáo và không sau hôm nay",
                field="as_of",
            )
    _bump(session, report)
    if as_of is not None:
        report.as_of = as_of
        report.document_date = max(report.document_date, as_of)
    previous = report.snapshot_sha256
    _refresh(session, report)
    record(
        session=session,
        actor=actor,
        action="report.regenerate",
        entity="report",
        entity_id=report.id,
        before={"snapshot_sha256": previous},
        after={"as_of": report.as_of.isoformat(), "snapshot_sha256": report.snapshot_sha256},
    )
    return report


NUMBER_MAX = 1_000_000


def _counter_row(session: Session, unit_id: int, year: int) -> Table:
    """The counter's table, with the unit's row for the year present (created at 0 once)."""
    insert_ignore(
        session,
        ReportNumberCounter,
        [{"unit_id": unit_id, "year": year, "last_number": 0}],
        key=("unit_id", "year"),
    )
    return table_of(ReportNumberCounter)


def last_number(*, session: Session, unit_id: int, year: int) -> int:
    """The last number the unit issued a report under in `year` (0: none yet), without
    creating the counter: reading it changes nothing."""
    units_service.get(session=session, unit_id=unit_id)
    counter = session.get(ReportNumberCounter, (unit_id, year))
    return counter.last_number if counter is not None else 0


def set_next_number(
    *, session: Session, actor: Actor, unit_id: int, year: int, next_number: int
) -> ReportNumberCounter:
    """Align the counter with the unit's register of outgoing documents (sổ văn bản đi).

    The number only moves forward, even against a concurrent issue."""
    units_service.get(session=session, unit_id=unit_id)
    table = _counter_row(session, unit_id, year)
    mine = (table.c.unit_id == unit_id) & (table.c.year == year)
    # Locked (PostgreSQL; SQLite's write lock is already held) so no number is taken between.
    last: int = session.execute(
        select(table.c.last_number).where(mine).with_for_update()
    ).scalar_one()
    if next_number <= last or next_number > NUMBER_MAX:
        raise InvalidInput(
            "report.number_invalid",
            f"Số tiếp theo phải lớn hơn số đã cấp ({last})",
            field="next_number",
        )
    session.execute(table.update().where(mine).values(last_number=next_number - 1))
    record(
        session=session,
        actor=actor,
        action="report.set_next_number",
        entity="unit",
        entity_id=unit_id,
        before={"year": year, "last_number": last},
        after={"year": year, "last_number": next_number - 1},
    )
    counter = session.get(ReportNumberCounter, (unit_id, year), populate_existing=True)
    assert counter is not None  # created above
    return counter


def _take_number(session: Session, unit_id: int, year: int) -> int:
    """The unit's next number of the year, from one atomic UPDATE … RETURNING (the row lock
    serialises issuers on PostgreSQL; the unique index on issued numbers backs it up)."""
    table = _counter_row(session, unit_id, year)
    number: int = session.execute(
        table.update()
        .where(table.c.unit_id == unit_id, table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    ).scalar_one()
    return number


def issue(
    *,
    session: Session,
    actor: Actor,
    report_id: int,
    expected_version: int,
    issued_on: date | None = None,
) -> Report:
    """Number the report, take its final snapshot and freeze it."""
    report = _for_change(session, report_id, expected_version, "ban hành lại")
    issued_on = issued_on or clock.today()
    if issued_on < report.as_of:
        raise InvalidInput(
            "report.date_before_as_of",
            "Ngày ban hành không được trước ngày lấy số liệu",
            field="issued_on",
        )
    if issued_on > clock.today():
        raise InvalidInput(
            "report.issued_in_future", "Ngày ban hành không được sau hôm nay", field="issued_on"
        )
    texts = _texts(report.texts)
    missing = [label for key, label in REQUIRED_TO_ISSUE.items() if not getattr(texts, key)]
    if not texts.signature.name:
        missing.append("Người ký")
    if missing:
        raise InvalidInput(
            "report.texts_missing",
            "Chưa thể ban hành, còn thiếu: " + ", ".join(missing),
            field="texts",
        )
    _bump(session, report)
    report.document_date = issued_on
    report.number = _take_number(session, report.unit_id, issued_on.year)
    report.number_year = issued_on.year
    report.symbol = symbol(report.number, report.type_code, report.issuer_code)
    report.state = ReportState.ISSUED
    report.issued_at = utc_now()
    _refresh(session, report)
    record(
        session=session,
        actor=actor,
        action="report.issue",
        entity="report",
        entity_id=report.id,
        after={
            "symbol": report.symbol,
            "issued_on": issued_on.isoformat(),
            "snapshot_sha256": report.snapshot_sha256,
        },
    )
    return report


def _file_stem(report: Report) -> str:
    if report.symbol:
        return "bao-cao-" + report.symbol.replace("/", "-")
    return f"bao-cao-du-thao-{report.id}-{report.kind}-{report.period_code}"


def markdown(stored: dict[str, Any]) -> str:
    """A stored snapshot as Markdown (the web page shows it as HTML)."""
    return render_markdown(ReportSnapshot.for_writers(stored))


def _render(snapshot: ReportSnapshot, fmt: ReportFormat) -> bytes:
    match fmt:
        case ReportFormat.DOCX:
            return render_docx(snapshot)
        case ReportFormat.MARKDOWN:
            return render_markdown(snapshot).encode("utf-8")
        case ReportFormat.XLSX:
            return render_xlsx(snapshot)
        case ReportFormat.PDF:
            return docx_to_pdf(render_docx(snapshot))


def _format(fmt: ReportFormat | str) -> ReportFormat:
    try:
        return ReportFormat(fmt)
    except ValueError as error:
        raise InvalidInput(
            "report.format_unknown",
            "Định dạng phải là docx, md, xlsx hoặc pdf",
            field="format",
        ) from error


def render_files(
    *, session: Session, report_id: int, formats: Sequence[ReportFormat | str]
) -> list[RenderedFile]:
    """Formats of a report from its stored snapshot (an issued report's is frozen), read once:
    reading a province's snapshot back costs more than writing its Markdown."""
    chosen = [_format(fmt) for fmt in formats]
    report = get(session=session, report_id=report_id)
    assert report.snapshot is not None  # every report gets one when created
    # The annex's Biểu 07 lists every task: only it reads figures.tasks (for_writers).
    if ReportFormat.XLSX in chosen:
        snapshot = ReportSnapshot.from_stored(report.snapshot)
    else:
        snapshot = ReportSnapshot.for_writers(report.snapshot)
    files = []
    for fmt in chosen:
        stem = _file_stem(report) + ("-phu-luc" if fmt == ReportFormat.XLSX else "")
        files.append(
            RenderedFile(
                filename=safe_filename(f"{stem}.{fmt.value}"),  # also a path for the CLI
                media_type=MEDIA_TYPES[fmt],
                content=_render(snapshot, fmt),
            )
        )
    return files


def render(*, session: Session, report_id: int, fmt: ReportFormat | str) -> RenderedFile:
    """One format of a report, from its stored snapshot."""
    return render_files(session=session, report_id=report_id, formats=[fmt])[0]


def verify_snapshot(*, session: Session, report_id: int) -> bool:
    """True when the stored snapshot still has the hash taken when it was made."""
    report = get(session=session, report_id=report_id)
    if report.snapshot is None:
        return False
    return snapshot_sha256(report.snapshot) == report.snapshot_sha256


class ReportChange(TypedDict):
    """The arguments every change of a report above takes (the session, who, which report and
    the version they saw), passed as one by the API and the pages: `issue(**change)`."""

    session: Session
    actor: Actor
    report_id: int
    expected_version: int
