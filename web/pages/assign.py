"""Giao nhiệm vụ: the assignment form, and the import of a plan's annex (.xlsx/.csv) with a
preview of every row and every error before anything is saved."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.responses import Response

from api.deps import SessionDep, SettingsDep
from models import Plan, Unit
from settings import Settings
from tracking import clock, importing
from tracking import documents as documents_service
from tracking import plans as plans_service
from tracking import tasks as tasks_service
from tracking import units as units_service
from tracking.access import Principal, authorize_assign_as, can_assign_as
from tracking.deadlines import DeadlineRule
from tracking.errors import DomainError
from tracking.validation import MAX_DEADLINE_DAYS
from web.forms import FormState
from web.pages.common import UnitDirectory, done
from web.rendering import render
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

DEADLINE_KINDS = {
    "date": "Đến một ngày cụ thể",
    "working_days": "Trong số ngày làm việc",
    "days": "Trong số ngày (kể cả ngày nghỉ)",
    "none": "Không có thời hạn (thường xuyên)",
}
# Service field names -> the form's.
FIELDS = {
    "title": "title",
    "lead_unit_id": "lead",
    "coordinating_unit_ids": "coordinators",
    "section_id": "section",
    "issuer_unit_id": "issuer",
    "assigned_on": "assigned_on",
    "due_on": "due_on",
    "deadline": "due_on",
    "amount": "amount",
    "note": "note",
}
IMPORT_KEY = "import"


def _issuers(directory: UnitDirectory, principal: Principal) -> list[Unit]:
    return [u for u in directory.units if can_assign_as(principal=principal, issuer=u)]


def _form_context(session: Session, principal: Principal) -> dict[str, object]:
    directory = UnitDirectory.load(session)
    plans = plans_service.list_plans(session=session)
    return {
        "units": directory.units,
        "issuers": _issuers(directory, principal),
        "documents": documents_service.list_documents(session=session),
        "plans": plans_service.with_sections(session=session, plans=plans),
        "kinds": DEADLINE_KINDS,
    }


@router.get("/assign")
def assign_form(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState(values={"issuer": str(principal.unit.id), "deadline_kind": "date"})
    return render(
        request, "assign.html", _form_context(session, principal), principal=principal, form=form
    )


def _deadline(form: FormState) -> DeadlineRule | None:
    kind = form.value("deadline_kind")
    if kind == "date":
        due = form.day("due_on", "Hạn xử lý")
        return DeadlineRule.fixed(due) if due else None
    if kind in ("working_days", "days"):
        amount = form.number("amount", "Số ngày", low=1, high=MAX_DEADLINE_DAYS)
        if amount is None:
            return None
        return (
            DeadlineRule.working_days(amount)
            if kind == "working_days"
            else (DeadlineRule.days(amount))
        )
    if kind == "none":
        return DeadlineRule.none()
    form.add("deadline_kind", "Chọn cách tính thời hạn")
    return None


@router.post("/assign")
async def assign(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState.of(await request.form())
    title = form.text("title", "Nội dung nhiệm vụ")
    issuer_id = form.ident("issuer", "Đơn vị giao")
    lead_id = form.ident("lead", "Đơn vị chủ trì")
    coordinators = form.idents("coordinators", "Đơn vị phối hợp")
    section_id = form.ident("section", "Mục của kế hoạch", required=False)
    document_id = form.ident("document", "Văn bản giao việc", required=False)
    assigned_on = form.day("assigned_on", "Ngày giao", required=False)
    deadline = _deadline(form)
    leader = form.text("directing_leader", "Lãnh đạo chỉ đạo", required=False, max_length=255)
    note = form.text("note", "Ghi chú", required=False)
    task_id = 0
    if form.ok and issuer_id and lead_id and deadline is not None:
        try:
            issuer = units_service.get(session=session, unit_id=issuer_id)
            authorize_assign_as(principal=principal, issuer=issuer)
            if deadline is not None:
                deadline.validate(assigned_on=assigned_on or clock.today())
            task = tasks_service.assign(
                session=session,
                actor=principal.actor,
                title=title,
                issuer_unit_id=issuer_id,
                lead_unit_id=lead_id,
                coordinating_unit_ids=coordinators,
                deadline=deadline,
                assigned_on=assigned_on,
                section_id=section_id,
                source_document_id=document_id,
                directing_leader=leader,
                note=note,
            )
            task_id = task.id or 0
        except DomainError as error:
            session.rollback()
            form.add_domain(error, FIELDS)
    if not form.ok or not task_id:
        return render(
            request,
            "assign.html",
            _form_context(session, principal),
            principal=principal,
            form=form,
            status_code=422,
        )
    session.commit()
    return done(request, f"/tasks/{task_id}", "Đã giao nhiệm vụ.")


# --- Import with a preview ----------------------------------------------------------------


def _own_plans(session: Session, principal: Principal) -> list[Plan]:
    directory = UnitDirectory.load(session)
    issuers = {u.id for u in _issuers(directory, principal)}
    return [p for p in plans_service.list_plans(session=session) if p.issuer_unit_id in issuers]


def _upload_folder(settings: Settings) -> Path:
    folder = settings.data_dir / "web-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _import_form(
    request: Request,
    session: Session,
    principal: Principal,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "import.html",
        {"plans": _own_plans(session, principal)},
        principal=principal,
        form=form,
        status_code=status_code,
    )


@router.get("/import")
def import_form(request: Request, principal: WebUser, session: SessionDep) -> Response:
    return _import_form(request, session, principal)


@router.post("/import/preview")
async def import_preview(
    request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await request.form()
    form = FormState.of(data)
    plan_id = form.ident("plan", "Kế hoạch")
    upload = data.get("file")
    content = b""
    filename = ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.add("file", "Chọn tệp Excel (.xlsx), CSV hoặc Word (.docx) của phụ lục kế hoạch")
    else:
        filename = upload.filename
        content = await upload.read(importing.MAX_BYTES + 1)
    expand_groups = bool(form.value("expand_groups"))
    plan: Plan | None = None
    parsed: list[importing.ParsedRow] = []
    errors: list[importing.RowError] = []
    if form.ok and plan_id:
        try:
            plan = importing.plan_to_import_into(
                session=session, principal=principal, plan_id=plan_id
            )
            parsed, errors = importing.preview(
                session=session,
                plan=plan,
                content=content,
                filename=filename,
                expand_groups=expand_groups,
            )
        except importing.ImportRejected as rejected:
            form.add("file", "; ".join(e.message for e in rejected.errors))
        except DomainError as error:
            form.add_domain(error, {"plan_id": "plan", "file": "file"})
    if not form.ok or plan is None:
        return _import_form(request, session, principal, form, status_code=422)
    token = ""
    if not errors:
        # The checked file waits on the server until the user confirms; only this session
        # knows its name.
        token = secrets.token_urlsafe(24)
        (_upload_folder(settings) / token).write_bytes(content)
        request.session[IMPORT_KEY] = {
            "token": token,
            "plan": plan.id,
            "filename": filename,
            "expand_groups": expand_groups,
        }
    return render(
        request,
        "import_preview.html",
        {"plan": plan, "rows": parsed, "errors": errors, "filename": filename, "token": token},
        principal=principal,
        status_code=200 if not errors else 422,
    )


@router.post("/import/save")
async def import_save(
    request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    form = FormState.of(await request.form())
    pending = request.session.get(IMPORT_KEY)
    if not isinstance(pending, dict) or pending.get("token") != form.value("token"):
        form.add("_form", "Bản xem trước này đã hết hiệu lực. Hãy chọn lại tệp để xem trước.")
        return _import_form(request, session, principal, form, status_code=409)
    path = _upload_folder(settings) / str(pending["token"])
    plan = importing.plan_to_import_into(
        session=session, principal=principal, plan_id=int(pending["plan"])
    )
    try:
        result = importing.import_tasks(
            session=session,
            actor=principal.actor,
            plan=plan,
            content=path.read_bytes(),
            filename=str(pending["filename"]),
            expand_groups=bool(pending.get("expand_groups")),
        )
    except DomainError as error:
        session.rollback()
        form.add("_form", error.message)
        return _import_form(request, session, principal, form, status_code=422)
    session.commit()
    path.unlink(missing_ok=True)
    request.session.pop(IMPORT_KEY, None)
    return done(request, f"/tasks?plan={plan.id}", f"Đã nhập {result.count} nhiệm vụ vào kế hoạch.")
