"""Báo cáo: the unit's reports, a new draft for an NĐ 09 period, editing the sections the unit
writes, issuing, downloads (DOCX, XLSX, PDF) and a preview of the document in the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlmodel import Session
from starlette.responses import Response

from api.deps import PathId, SessionDep
from models import Report, ReportState
from reports import service
from tracking import clock
from tracking import periods as periods_service
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.access import Principal, ReportAction, authorize_report
from tracking.errors import DomainError
from tracking.validation import MAX_ID
from web.forms import FormState
from web.pages.common import done
from web.rendering import render
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

TEXT_FIELDS = {
    "summary": ("Trích yếu (để trống thì tự tạo)", 1000),
    "intro": ("Phần mở đầu", 5000),
    "results": ("Kết quả thực hiện", 20000),
    "shortcomings": ("Tồn tại, hạn chế, khó khăn", 20000),
    "recommendations": ("Kiến nghị, đề xuất", 20000),
    "orientation": ("Định hướng nhiệm vụ, giải pháp", 20000),
}
SIGNATURE_FIELDS = {
    "authority": "Thẩm quyền ký (ví dụ: TM. ỦY BAN NHÂN DÂN)",
    "deputy": "Ký thay (ví dụ: KT. CHỦ TỊCH)",
    "title": "Chức vụ người ký (ví dụ: PHÓ CHỦ TỊCH)",
    "name": "Họ và tên người ký",
}
KIND_LABELS = {
    "month": "Báo cáo tháng",
    "quarter": "Báo cáo quý",
    "half": "Báo cáo 6 tháng",
    "nine_months": "Báo cáo 9 tháng",
    "year": "Báo cáo năm",
}
# The report's own Markdown rendering, shown as HTML; raw HTML in the texts stays escaped.
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
FORMATS = {"docx": "Văn bản Word (.docx)", "xlsx": "Phụ lục Excel (.xlsx)", "pdf": "PDF"}


def _report(session: Session, principal: Principal, report_id: int, action: ReportAction) -> Report:
    report = service.get(session=session, report_id=report_id)
    unit = units_service.get(session=session, unit_id=report.unit_id)
    authorize_report(principal=principal, unit=unit, action=action, report_id=report_id)
    return report


def _new_context(session: Session) -> dict[str, object]:
    year = clock.today().year
    kinds = periods_service.list_kinds(session=session)
    periods = {
        kind: periods_service.list_periods(session=session, kind=kind, year=year)
        + periods_service.list_periods(session=session, kind=kind, year=year - 1)
        for kind in kinds
    }
    return {
        "kinds": kinds,
        "kind_labels": KIND_LABELS,
        "periods": periods,
        "plans": plans_service.list_plans(session=session),
    }


def _new_defaults(session: Session) -> dict[str, str]:
    """The new-report form starts at the most recent finished period, data as of today."""
    today = clock.today()
    latest = periods_service.latest_finished(session=session, today=today)
    return {"as_of": today.isoformat()} | (
        {"period": f"{latest.kind}:{latest.code}"} if latest else {}
    )


def _report_list(
    request: Request,
    session: Session,
    principal: Principal,
    form: FormState,
    status_code: int = 200,
) -> Response:
    """The unit's reports and the new-report form (the caller has authorised the user)."""
    unit = principal.unit
    return render(
        request,
        "reports.html",
        {
            "reports": service.list_reports(session=session, unit_id=unit.id or 0),
            "unit": unit,
            "kind_labels": KIND_LABELS,
            **_new_context(session),
        },
        principal=principal,
        form=form,
        status_code=status_code,
    )


@router.get("/reports")
def report_list(request: Request, principal: WebUser, session: SessionDep) -> Response:
    unit = principal.unit
    authorize_report(principal=principal, unit=unit, action=ReportAction.READ)
    return _report_list(request, session, principal, FormState(values=_new_defaults(session)))


@router.post("/reports")
async def create_report(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState.of(await request.form())
    unit = principal.unit
    authorize_report(principal=principal, unit=unit, action=ReportAction.WRITE)
    choice = form.value("period")
    kind, _, period = choice.partition(":")
    if not period:
        form.add("period", "Chọn kỳ báo cáo")
    as_of = form.day("as_of", "Ngày lấy số liệu")
    plan_id = form.ident("plan", "Kế hoạch", required=False)
    issuer_code = form.text(
        "issuer_code", "Chữ viết tắt cơ quan ban hành", required=False, max_length=40
    )
    report_id = 0
    if form.ok and as_of is not None:
        try:
            report = service.create_draft(
                session=session,
                actor=principal.actor,
                kind=kind,
                period_code=period,
                unit_id=unit.id or 0,
                plan_id=plan_id,
                as_of=as_of,
                issuer_code=issuer_code or None,
            )
            report_id = report.id or 0
        except DomainError as error:
            session.rollback()
            form.add_domain(error, {"period_code": "period", "kind": "period", "plan_id": "plan"})
    if not report_id:
        return _report_list(request, session, principal, form, status_code=422)
    session.commit()
    return done(request, f"/reports/{report_id}", "Đã tạo dự thảo báo cáo.")


def _render_report(
    request: Request,
    session: Session,
    principal: Principal,
    report: Report,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    unit = units_service.get(session=session, unit_id=report.unit_id)
    may_write = may_issue = False
    if report.state == ReportState.DRAFT:
        for action in (ReportAction.WRITE, ReportAction.ISSUE):
            try:
                authorize_report(principal=principal, unit=unit, action=action)
            except DomainError:
                continue
            may_write = may_write or action == ReportAction.WRITE
            may_issue = may_issue or action == ReportAction.ISSUE
    texts = report.texts or {}
    signature = texts.get("signature") or {}
    # The texts form shows the saved texts unless it is the form that came back with errors
    # (an error of another form of the page must not blank it).
    saved_texts = {key: str(texts.get(key, "")) for key in TEXT_FIELDS} | {
        f"sig_{key}": str(signature.get(key, "")) for key in SIGNATURE_FIELDS
    }
    return render(
        request,
        "report.html",
        {
            "report": report,
            "unit": unit,
            "preview": Markup(MARKDOWN.render(service.markdown(report.snapshot)))
            if report.snapshot
            else "",
            "fields": TEXT_FIELDS,
            "signature_fields": SIGNATURE_FIELDS,
            "formats": FORMATS,
            "kind_labels": KIND_LABELS,
            "may_write": may_write,
            "may_issue": may_issue,
            "saved_texts": saved_texts,
        },
        principal=principal,
        form=form or FormState(),
        status_code=status_code,
    )


@router.get("/reports/{report_id}")
def report_page(
    request: Request, report_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    report = _report(session, principal, report_id, ReportAction.READ)
    return _render_report(request, session, principal, report)


@dataclass(frozen=True)
class _PostedForm:
    """One of a report page's forms as posted, for one change of the report."""

    request: Request
    session: Session
    principal: Principal
    report: Report
    form: FormState
    version: int | None

    @classmethod
    async def read(
        cls,
        request: Request,
        session: Session,
        principal: Principal,
        report_id: int,
        action: ReportAction,
        name: str,
    ) -> _PostedForm:
        report = _report(session, principal, report_id, action)
        form = FormState.of(await request.form(), name=name)
        version = form.number("version", "Phiên bản", low=1, high=MAX_ID)
        return cls(request, session, principal, report, form, version)

    def change(
        self, change: Callable[[service.ReportChange], object], message: Callable[[], str]
    ) -> Response:
        """Refused input or a refused change shows the page again with the errors by their
        fields; otherwise commit and say what was done."""
        form, session, report = self.form, self.session, self.report
        if form.ok and self.version is not None:
            try:
                change(
                    service.ReportChange(
                        session=session,
                        actor=self.principal.actor,
                        report_id=report.id or 0,
                        expected_version=self.version,
                    )
                )
            except DomainError as error:
                session.rollback()
                form.add_domain(error)
        if not form.ok:
            return _render_report(
                self.request, session, self.principal, report, form, status_code=422
            )
        session.commit()
        return done(self.request, f"/reports/{report.id}", message())


@router.post("/reports/{report_id}/texts")
async def edit_texts(
    request: Request, report_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    posted = await _PostedForm.read(
        request, session, principal, report_id, ReportAction.WRITE, "texts"
    )
    form = posted.form
    changes: dict[str, object] = {
        key: form.text(key, label, required=False, max_length=limit)
        for key, (label, limit) in TEXT_FIELDS.items()
    }
    changes["signature"] = {
        key: form.text(f"sig_{key}", label, required=False, max_length=200)
        for key, label in SIGNATURE_FIELDS.items()
    }
    return posted.change(
        lambda change: service.edit_texts(**change, changes=changes),
        lambda: "Đã lưu các phần của báo cáo.",
    )


@router.post("/reports/{report_id}/regenerate")
async def regenerate(
    request: Request, report_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    # The same rule as the API's POST /reports/{id}/regenerate.
    posted = await _PostedForm.read(
        request, session, principal, report_id, ReportAction.WRITE, "regenerate"
    )
    as_of = posted.form.day("as_of", "Ngày lấy số liệu", required=False)
    return posted.change(
        lambda change: service.regenerate(**change, as_of=as_of),
        lambda: f"Đã tạo lại dự thảo với số liệu đến {posted.report.as_of:%d/%m/%Y}.",
    )


@router.post("/reports/{report_id}/issue")
async def issue(
    request: Request, report_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    posted = await _PostedForm.read(
        request, session, principal, report_id, ReportAction.ISSUE, "issue"
    )
    return posted.change(lambda change: service.issue(**change), lambda: "Đã ban hành báo cáo.")


@router.get("/reports/{report_id}/files/{file_format}")
def download(
    request: Request,
    report_id: PathId,
    file_format: str,
    principal: WebUser,
    session: SessionDep,
) -> Response:
    report = _report(session, principal, report_id, ReportAction.READ)
    if file_format not in FORMATS:
        return _render_report(request, session, principal, report, status_code=404)
    try:
        rendered = service.render(session=session, report_id=report_id, fmt=file_format)
    except DomainError as error:
        form = FormState(name="download")
        form.add("_form", error.message)
        return _render_report(request, session, principal, report, form, status_code=501)
    ascii_name = rendered.filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        content=rendered.content,
        media_type=rendered.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(rendered.filename)}"
        },
    )
