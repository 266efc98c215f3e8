"""Reports (issue 5): drafts, texts, regeneration, issuing, files; report kinds and periods;
indicators (chỉ tiêu) of a plan and the values units report, with their CSV/XLSX import.

Who may do what (tracking/access.py): a unit's reports are its data, so outside the caller's
reach they are not found (404); the unit's officers and leaders draft, edit and regenerate
them; only its leaders issue them and set the next number of the year's register (to match
the unit's register of outgoing documents); ancestors read them; administrators may do
everything.
Indicators belong to a plan, a published act: everyone reads them, the plan's issuing unit
defines them. A value is recorded by the reporting unit or by the plan's issuing unit (which
collects its units' figures); values are read within reach, or all of them by the issuer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Annotated, Protocol

from fastapi import APIRouter, File, Path, Query, Response, UploadFile, status
from sqlmodel import Session

from api.deps import CurrentUser, IdQuery, PathId, SessionDep
from api.downloads import file_response
from api.errors import COMMON_RESPONSES, ErrorResponse
from api.schemas.reports import (
    ImportedPublic,
    IndicatorCreate,
    IndicatorPublic,
    PeriodPublic,
    ReportCreate,
    ReportIssue,
    ReportKindPublic,
    ReportNumberPublic,
    ReportNumberSet,
    ReportPublic,
    ReportRegenerate,
    ReportTextsEdit,
    ValueCreate,
    ValuePublic,
)
from models.reports import Indicator, IndicatorValue, Report
from reports import indicators as indicators_service
from reports import service
from reports.service import MEDIA_TYPES, ReportFormat
from tracking import clock, importing
from tracking import periods as periods_service
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.access import (
    Principal,
    ReportAction,
    authorize_indicator_value,
    authorize_issue,
    authorize_report,
)
from tracking.audit import Actor
from tracking.errors import InvalidInput

router = APIRouter(tags=["reports"], responses=COMMON_RESPONSES)

Year = Annotated[int, Query(ge=periods_service.MIN_YEAR, le=periods_service.MAX_YEAR)]
UPLOAD = Annotated[UploadFile, File(description="Tệp .csv (UTF-8) hoặc .xlsx")]


def _report(session: Session, principal: Principal, report_id: int, action: ReportAction) -> Report:
    report = service.get(session=session, report_id=report_id)
    unit = units_service.get(session=session, unit_id=report.unit_id)
    authorize_report(principal=principal, unit=unit, action=action, report_id=report_id)
    return report


def _change_of(
    session: Session, principal: Principal, report_id: int, action: ReportAction, version: int
) -> service.ReportChange:
    """A change of the report, once the principal may take the action on it."""
    _report(session, principal, report_id, action)
    return service.ReportChange(
        session=session, actor=principal.actor, report_id=report_id, expected_version=version
    )


# --- kinds and periods ------------------------------------------------------------------


@router.get(
    "/report-kinds", response_model=list[ReportKindPublic], summary="Các loại báo cáo định kỳ"
)
def list_kinds(_principal: CurrentUser, session: SessionDep) -> list[ReportKindPublic]:
    return [
        ReportKindPublic.model_validate(periods_service.get_report_type(session=session, kind=k))
        for k in periods_service.list_kinds(session=session)
    ]


@router.get(
    "/report-kinds/{kind}/periods",
    response_model=list[PeriodPublic],
    summary="Các kỳ báo cáo của một năm (ngày chốt số liệu, hạn gửi theo NĐ 09/2019)",
)
def list_periods(
    kind: Annotated[str, Path(max_length=20)],
    _principal: CurrentUser,
    session: SessionDep,
    year: Year | None = None,
) -> list[PeriodPublic]:
    periods = periods_service.list_periods(
        session=session, kind=kind, year=year or clock.today().year
    )
    return [PeriodPublic(**p.as_json()) for p in periods]


# --- reports ----------------------------------------------------------------------------


@router.get(
    "/reports",
    response_model=list[ReportPublic],
    summary="Báo cáo của một đơn vị (mặc định: đơn vị của mình), mới nhất trước",
)
def list_reports(
    principal: CurrentUser,
    session: SessionDep,
    unit_id: IdQuery = None,
    year: Year | None = None,
) -> list[Report]:
    unit = units_service.get(session=session, unit_id=unit_id or principal.unit.id or 0)
    authorize_report(principal=principal, unit=unit, action=ReportAction.READ)
    return service.list_reports(session=session, unit_id=unit.id or 0, year=year)


@router.post(
    "/reports",
    response_model=ReportPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Tạo dự thảo báo cáo (cán bộ, lãnh đạo của đơn vị báo cáo)",
)
def create_report(body: ReportCreate, principal: CurrentUser, session: SessionDep) -> Report:
    unit = units_service.get(session=session, unit_id=body.unit_id)
    authorize_report(principal=principal, unit=unit, action=ReportAction.WRITE)
    report = service.create_draft(
        session=session,
        actor=principal.actor,
        kind=body.kind,
        period_code=body.period,
        unit_id=body.unit_id,
        plan_id=body.plan_id,
        as_of=body.as_of,
        issuer_code=body.issuer_code,
        document_date=body.document_date,
        texts=body.texts.model_dump(),
    )
    session.commit()
    return report


@router.get("/reports/{report_id}", response_model=ReportPublic, summary="Một báo cáo")
def get_report(report_id: PathId, principal: CurrentUser, session: SessionDep) -> Report:
    return _report(session, principal, report_id, ReportAction.READ)


@router.patch(
    "/reports/{report_id}/texts",
    response_model=ReportPublic,
    summary="Sửa các phần do đơn vị viết (tồn tại, hạn chế; kiến nghị; định hướng…)",
    description="Chỉ các mục gửi lên được thay; dự thảo được tạo lại từ số liệu.",
)
def edit_texts(
    report_id: PathId, body: ReportTextsEdit, principal: CurrentUser, session: SessionDep
) -> Report:
    change = _change_of(session, principal, report_id, ReportAction.WRITE, body.version)
    sent = body.texts.model_fields_set
    changes = {k: v for k, v in body.texts.model_dump().items() if k in sent}
    report = service.edit_texts(**change, changes=changes)
    session.commit()
    return report


@router.post(
    "/reports/{report_id}/regenerate",
    response_model=ReportPublic,
    summary="Tạo lại dự thảo từ số liệu hiện có (có thể đổi ngày lấy số liệu)",
)
def regenerate(
    report_id: PathId, body: ReportRegenerate, principal: CurrentUser, session: SessionDep
) -> Report:
    change = _change_of(session, principal, report_id, ReportAction.WRITE, body.version)
    report = service.regenerate(**change, as_of=body.as_of)
    session.commit()
    return report


@router.post(
    "/reports/{report_id}/issue",
    response_model=ReportPublic,
    summary="Ban hành: cấp số, chốt số liệu (lãnh đạo đơn vị báo cáo)",
)
def issue(
    report_id: PathId, body: ReportIssue, principal: CurrentUser, session: SessionDep
) -> Report:
    change = _change_of(session, principal, report_id, ReportAction.ISSUE, body.version)
    report = service.issue(**change, issued_on=body.issued_on)
    session.commit()
    return report


@router.get(
    "/reports/{report_id}/files/{file_format}",
    response_class=Response,
    summary="Tải báo cáo: docx, md, xlsx (phụ lục) hoặc pdf",
    description=(
        "Báo cáo đã ban hành luôn được xuất từ số liệu đã chốt. PDF cần LibreOffice trên máy "
        "chủ; khi không có, câu trả lời là 501 với mã `report.pdf_unavailable`."
    ),
    responses={
        200: {
            "description": "Tệp báo cáo",
            "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in ReportFormat},
        },
        501: {"model": ErrorResponse, "description": "Máy chủ không xuất được PDF"},
    },
)
def download(
    report_id: PathId, file_format: ReportFormat, principal: CurrentUser, session: SessionDep
) -> Response:
    _report(session, principal, report_id, ReportAction.READ)
    rendered = service.render(session=session, report_id=report_id, fmt=file_format)
    return file_response(
        content=rendered.content, media_type=rendered.media_type, filename=rendered.filename
    )


@router.get(
    "/units/{unit_id}/report-numbers/{year}",
    response_model=ReportNumberPublic,
    summary="Số báo cáo đã cấp và số tiếp theo của đơn vị trong năm",
)
def get_report_numbers(
    unit_id: PathId,
    year: Annotated[int, Path(ge=periods_service.MIN_YEAR, le=periods_service.MAX_YEAR)],
    principal: CurrentUser,
    session: SessionDep,
) -> ReportNumberPublic:
    unit = units_service.get(session=session, unit_id=unit_id)
    authorize_report(principal=principal, unit=unit, action=ReportAction.READ)
    last = service.last_number(session=session, unit_id=unit_id, year=year)
    return ReportNumberPublic(unit_id=unit_id, year=year, last_number=last, next_number=last + 1)


@router.put(
    "/units/{unit_id}/report-numbers/{year}",
    response_model=ReportNumberPublic,
    summary="Đặt số tiếp theo cho báo cáo ban hành trong năm (lãnh đạo đơn vị)",
    description=(
        "Để khớp với sổ văn bản đi của đơn vị: báo cáo ban hành tiếp theo trong năm nhận số "
        "`next_number`. Số phải lớn hơn số đã cấp; không được lùi số."
    ),
)
def set_next_number(
    unit_id: PathId,
    year: Annotated[int, Path(ge=periods_service.MIN_YEAR, le=periods_service.MAX_YEAR)],
    body: ReportNumberSet,
    principal: CurrentUser,
    session: SessionDep,
) -> ReportNumberPublic:
    unit = units_service.get(session=session, unit_id=unit_id)
    authorize_report(principal=principal, unit=unit, action=ReportAction.ISSUE)
    counter = service.set_next_number(
        session=session,
        actor=principal.actor,
        unit_id=unit_id,
        year=year,
        next_number=body.next_number,
    )
    session.commit()
    return ReportNumberPublic(
        unit_id=unit_id,
        year=year,
        last_number=counter.last_number,
        next_number=counter.last_number + 1,
    )


# --- indicators and values ----------------------------------------------------------------


@contextlib.contextmanager
def _every_bad_row() -> Iterator[None]:
    """An indicator import's rejection as one error item per bad row (field, row)."""
    try:
        yield
    except indicators_service.ImportRejected as rejected:
        raise importing.ImportRejected(
            [
                importing.RowError(
                    row=e.row, field=e.field or None, code="import.row_invalid", message=e.message
                )
                for e in rejected.errors
            ]
        ) from rejected


def _read_upload(file: UploadFile) -> bytes:
    content = file.file.read(importing.MAX_BYTES + 1)
    if len(content) > importing.MAX_BYTES:
        raise InvalidInput("import.file_too_large", "Tệp lớn quá 5 MB", field="file")
    return content


def _plan_issuer_check(session: Session, principal: Principal, plan_id: int) -> None:
    plan = plans_service.get(session=session, plan_id=plan_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    authorize_issue(principal=principal, issuer=issuer)


class _PlanImporter(Protocol):
    def __call__(
        self, *, session: Session, actor: Actor, plan_id: int, filename: str, content: bytes
    ) -> Sequence[Indicator | IndicatorValue]: ...


def _import_into_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    file: UploadFile,
    importer: _PlanImporter,
) -> ImportedPublic:
    """An import of the plan's issuer: every row or, with every bad row named, none."""
    _plan_issuer_check(session, principal, plan_id)
    content = _read_upload(file)
    with _every_bad_row():
        saved = importer(
            session=session,
            actor=principal.actor,
            plan_id=plan_id,
            filename=file.filename or "",
            content=content,
        )
    session.commit()
    return ImportedPublic(plan_id=plan_id, count=len(saved), ids=[row.id or 0 for row in saved])


@router.get(
    "/plans/{plan_id}/indicators",
    response_model=list[IndicatorPublic],
    summary="Các chỉ tiêu của một kế hoạch",
)
def list_indicators(
    plan_id: PathId, _principal: CurrentUser, session: SessionDep
) -> list[Indicator]:
    plans_service.get(session=session, plan_id=plan_id)
    return indicators_service.list_indicators(session=session, plan_id=plan_id)


@router.post(
    "/plans/{plan_id}/indicators",
    response_model=IndicatorPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Thêm chỉ tiêu vào kế hoạch (đơn vị ban hành kế hoạch)",
)
def create_indicator(
    plan_id: PathId, body: IndicatorCreate, principal: CurrentUser, session: SessionDep
) -> Indicator:
    _plan_issuer_check(session, principal, plan_id)
    indicator = indicators_service.create_indicator(
        session=session,
        actor=principal.actor,
        plan_id=plan_id,
        code=body.code,
        name=body.name,
        unit_of_measure=body.unit_of_measure,
        target=body.target,
        aggregation=body.aggregation,
        ordinal=body.ordinal,
        sentence=body.sentence,
    )
    session.commit()
    return indicator


@router.post(
    "/plans/{plan_id}/indicators/import",
    response_model=ImportedPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Nhập chỉ tiêu của kế hoạch từ tệp .csv hoặc .xlsx",
    description=(
        "Cột: code, name, unit_of_measure, target, aggregation (sum/avg/min/max), ordinal, "
        "sentence. Tệp có dòng lỗi thì không nhập dòng nào; câu trả lời 422 liệt kê mọi dòng "
        "lỗi (trường `row`, `field`)."
    ),
)
def import_indicators(
    plan_id: PathId, file: UPLOAD, principal: CurrentUser, session: SessionDep
) -> ImportedPublic:
    return _import_into_plan(
        session, principal, plan_id, file, indicators_service.import_indicators
    )


@router.post(
    "/plans/{plan_id}/indicator-values/import",
    response_model=ImportedPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Nhập số liệu chỉ tiêu của các đơn vị từ tệp .csv hoặc .xlsx (đơn vị ban hành)",
    description=(
        "Cột: indicator_code, unit_code, period_kind, period_code, value, reported_on "
        "(dd/mm/yyyy), note. Tệp có dòng lỗi thì không nhập dòng nào; câu trả lời 422 liệt kê "
        "mọi dòng lỗi."
    ),
)
def import_values(
    plan_id: PathId, file: UPLOAD, principal: CurrentUser, session: SessionDep
) -> ImportedPublic:
    return _import_into_plan(session, principal, plan_id, file, indicators_service.import_values)


@router.get(
    "/indicators/{indicator_id}/values",
    response_model=list[ValuePublic],
    summary="Số liệu đã báo cáo của một chỉ tiêu (trong phạm vi đơn vị), mới nhất trước",
)
def list_values(
    indicator_id: PathId,
    principal: CurrentUser,
    session: SessionDep,
    unit_id: IdQuery = None,
    period_kind: Annotated[str | None, Query(max_length=20)] = None,
    period_code: Annotated[str | None, Query(max_length=20)] = None,
) -> list[IndicatorValue]:
    indicator = indicators_service.get_indicator(session=session, indicator_id=indicator_id)
    plan = plans_service.get(session=session, plan_id=indicator.plan_id)
    everything = principal.is_admin or principal.unit.id == plan.issuer_unit_id
    return indicators_service.list_values(
        session=session,
        indicator_id=indicator_id,
        unit_path=None if everything else principal.reach.path,
        unit_id=unit_id,
        period_kind=period_kind,
        period_code=period_code,
    )


@router.post(
    "/indicators/{indicator_id}/values",
    response_model=ValuePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Ghi số liệu của một đơn vị cho một kỳ (đơn vị báo cáo hoặc đơn vị ban hành)",
)
def record_value(
    indicator_id: PathId, body: ValueCreate, principal: CurrentUser, session: SessionDep
) -> IndicatorValue:
    indicator = indicators_service.get_indicator(session=session, indicator_id=indicator_id)
    plan = plans_service.get(session=session, plan_id=indicator.plan_id)
    unit = units_service.get(session=session, unit_id=body.unit_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    authorize_indicator_value(principal=principal, unit=unit, plan_issuer=issuer)
    value = indicators_service.record_value(
        session=session,
        actor=principal.actor,
        indicator_id=indicator_id,
        unit_id=body.unit_id,
        period_kind=body.period_kind,
        period_code=body.period_code,
        value=body.value,
        reported_on=body.reported_on,
        note=body.note,
    )
    session.commit()
    return value
